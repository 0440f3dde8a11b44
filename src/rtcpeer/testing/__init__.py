"""Test and demo infrastructure shipped with rtcpeer, not part of the library API.

- :mod:`rtcpeer.testing.pki`: a throwaway CA and loopback certificates for
  TLS/DTLS TURN listeners (tests, the demo, ``rtcpeer turn-server --self-signed``).
- :mod:`rtcpeer.testing.coturn`: real coturn processes on free loopback ports
  (the interoperability tests and ``rtcpeer demo --turn coturn``).

Nothing in the protocol layers imports this package; only the demo and the
command line may (tests/test_layering.py enforces it).
"""
