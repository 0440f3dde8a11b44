"""Tests of the simulated network (rtcpeer.simnet)."""
