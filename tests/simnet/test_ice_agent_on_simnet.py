"""Contract: the real sans-IO ICE agent runs unmodified on the simulated network.

Only host candidates here (no STUN/TURN gatherers): across the internet, and
from behind a NAT to a public peer, where the public side learns the NATed
side's peer-reflexive address from its checks.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from rtcpeer.ice import (
    DataReceived,
    GatheringStateChanged,
    IceAgent,
    IceGatheringState,
    IceTransportState,
    LocalCandidate,
)
from rtcpeer.simnet import MappingBehavior, Network, Node


def _signal_to(net: Network, peer: Node[int]) -> Callable[[object], None]:
    """Trickle local candidates (and end-of-candidates) to ``peer``'s agent."""
    agent = peer.endpoint
    assert isinstance(agent, IceAgent)

    def on_event(event: object) -> None:
        if isinstance(event, LocalCandidate):
            agent.add_remote_candidate(event.candidate, net.now)
        elif isinstance(event, GatheringStateChanged) and (
            event.state == IceGatheringState.COMPLETE
        ):
            agent.add_remote_candidate(None, net.now)
        else:
            return
        peer.service()

    return on_event


def _connect(nat_alice: bool) -> tuple[Network, Node[int], Node[int]]:
    net = Network(seed=8)
    realm = None
    if nat_alice:
        realm = net.add_nat(
            "nat",
            external="198.51.100.1",
            internal="10.0.0.1",
            mapping=MappingBehavior.ENDPOINT_INDEPENDENT,
        ).inside
    alice_host = net.add_host(
        "alice", "10.0.0.2" if nat_alice else "192.0.2.1", realm=realm, latency=0.02
    )
    bob_host = net.add_host("bob", "203.0.113.9", latency=0.03)
    alice = IceAgent(True, rng=random.Random(1))
    bob = IceAgent(False, rng=random.Random(2))
    nodes = []
    for host, agent in ((alice_host, alice), (bob_host, bob)):
        node = Node(host, agent)
        sock = node.bind_udp(1)
        agent.add_socket(1, sock.local_address)
        nodes.append(node)
    a, b = nodes
    a.on_event = _signal_to(net, b)
    b.on_event = _signal_to(net, a)
    alice.set_remote_credentials(bob.local_ufrag, bob.local_pwd, net.now)
    bob.set_remote_credentials(alice.local_ufrag, alice.local_pwd, net.now)
    for node, agent in ((a, alice), (b, bob)):
        agent.gather(net.now)
        node.service()
    connected = (IceTransportState.CONNECTED, IceTransportState.COMPLETED)
    net.run_until(lambda: alice.state in connected and bob.state in connected, timeout=10)
    return net, a, b


@pytest.mark.parametrize("nat_alice", [False, True], ids=["public", "alice-behind-nat"])
def test_two_ice_agents_connect_and_exchange_data(nat_alice: bool) -> None:
    net, a, b = _connect(nat_alice)
    alice, bob = a.endpoint, b.endpoint
    assert isinstance(alice, IceAgent) and isinstance(bob, IceAgent)
    assert alice.send(b"hi bob", net.now) and bob.send(b"hi alice", net.now)
    a.service()
    b.service()
    net.run_until(
        lambda: (
            any(isinstance(e, DataReceived) for e in a.events)
            and any(isinstance(e, DataReceived) for e in b.events)
        ),
        timeout=5,
    )
    got_b = next(e for e in b.events if isinstance(e, DataReceived))
    assert got_b.data == b"hi bob"
    pair = bob.selected_pair
    assert pair is not None
    expected_ip = "198.51.100.1" if nat_alice else "192.0.2.1"
    assert pair.remote.address[0] == expected_ip
