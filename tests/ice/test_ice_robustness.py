"""Hostile input never raises; lossy, slow networks still converge."""

from __future__ import annotations

import random
import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.ice_harness import connected, host_pair

from rtcpeer.ice import IceAgent
from rtcpeer.stun import MAGIC_COOKIE


def _agent() -> IceAgent:
    agent = IceAgent(True, rng=random.Random(1))
    agent.add_socket(1, ("192.0.2.1", 5000))
    agent.gather(0.0)
    agent.set_remote_credentials("peer", "peer-password-0123456789", 0.0)
    return agent


@settings(max_examples=300, deadline=None)
@given(
    message_type=st.sampled_from([0x0001, 0x0101, 0x0111, 0x0011, 0x0003]),
    body=st.binary(max_size=120),
    tid=st.binary(min_size=12, max_size=12),
)
def test_stun_shaped_garbage_is_dropped_without_raising(
    message_type: int, body: bytes, tid: bytes
) -> None:
    agent = _agent()
    body = body[: len(body) - len(body) % 4]
    data = struct.pack("!HHI", message_type, len(body), MAGIC_COOKIE) + tid + body
    agent.receive(1, ("198.51.100.2", 6000), data, 0.1)
    agent.handle_timer(0.1)
    for transmit in agent.datagrams_to_send():
        assert transmit.socket_id == 1


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_are_dropped_without_raising(data: bytes) -> None:
    agent = _agent()
    agent.receive(1, ("198.51.100.2", 6000), data, 0.1)
    agent.receive(99, ("198.51.100.2", 6000), data, 0.1)  # unknown socket


def test_heavy_loss_and_latency_still_connect() -> None:
    for seed in range(10):
        net, a, b = host_pair(seed, loss=0.3, latency=0.04)
        assert net.run_until(connected(a, b), 20.0), f"seed {seed}"
        assert a.selected is not None and b.selected is not None
        assert a.selected[::-1] == b.selected  # both ended on the same path
