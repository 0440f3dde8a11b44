"""IPv4, IPv6 and dual stack on the simulated network (issue 21).

A TURN server whose host has an IPv4 and an IPv6 address relays in both
families; peers are IPv4-only or IPv6-only. On a virtual clock: what the
agents gather, what they select, and how fast they give up when nothing can
ever pair.
"""

from __future__ import annotations

from rtcpeer.ice import DataReceived, IceAgentConfig, IceTransportState
from rtcpeer.ice.servers import ResolvedServer
from rtcpeer.simnet.turn_server import TurnServerNode
from rtcpeer.turn.server import TurnServerConfig

from .scenarios.world import Peer, World, url

TURN_V4, TURN_V6 = "203.0.113.10", "2001:db8::10"


def _turn(world: World, relay: list[str], listen: str = TURN_V4) -> TurnServerNode:
    """A dual-homed TURN server listening on ``listen``, relaying from
    ``relay`` (one IP per family)."""
    config = TurnServerConfig(
        realm="example.test", users={"user": "pass"}, nonce_secret=b"fixed for tests"
    )
    host = world.net.add_host("turn", [TURN_V4, TURN_V6], latency=0.01)
    return TurnServerNode(
        host, config, address=listen, relay_addresses=relay, relay_ports=(50000, 50999)
    )


def _turn_url(ip: str) -> list[ResolvedServer]:
    """turn:<ip> with the test credentials, IPv6 literals in brackets."""
    host = f"[{ip}]" if ":" in ip else ip
    parsed = url(f"turn:{host}:3478", "user", "pass")
    return [ResolvedServer(parsed, (ip, 3478))]


def _send_both_ways(world: World, a: Peer, b: Peer) -> None:
    assert a.agent.send(b"a to b", world.net.now)
    assert b.agent.send(b"b to a", world.net.now)
    a.node.service()
    b.node.service()
    world.net.run_for(0.2)
    assert [e.data for e in b.events(DataReceived)] == [b"a to b"]  # type: ignore[attr-defined]
    assert [e.data for e in a.events(DataReceived)] == [b"b to a"]  # type: ignore[attr-defined]


def test_ipv4_only_peer_reaches_ipv6_only_peer_through_a_dual_stack_allocation() -> None:
    world = World(seed=21)
    turn = _turn(world, [TURN_V4, TURN_V6])
    a = world.peer("alice", controlling=True, public_ip="198.51.100.1")
    b = world.peer("bob", controlling=False, public_ip="2001:db8::2")
    a.agent.set_servers(_turn_url(TURN_V4), now=0.0)
    world.connect(a, b)
    relays = sorted(c.host for c in a.agent.local_candidates if c.type == "relay")
    assert relays == ["2001:db8::10", TURN_V4], "one Allocate, one relay candidate per family"
    assert len(turn.core.allocations) == 1
    pair = a.agent.selected_pair
    assert pair is not None
    assert (pair.local.type, pair.local.host, pair.remote.host) == ("relay", TURN_V6, "2001:db8::2")
    _send_both_ways(world, a, b)


def test_ipv4_client_gets_an_ipv6_relay_from_a_server_that_relays_ipv6_only() -> None:
    """Dual-stack Allocate → 440 (no IPv4 relay) → retried for IPv6 alone."""
    world = World(seed=22)
    _turn(world, [TURN_V6])
    a = world.peer("alice", controlling=True, public_ip="198.51.100.1")
    b = world.peer("bob", controlling=False, public_ip="2001:db8::2")
    a.agent.set_servers(_turn_url(TURN_V4), policy="relay", now=0.0)
    world.connect(a, b)
    assert [c.host for c in a.agent.local_candidates] == [TURN_V6]
    pair = a.agent.selected_pair
    assert pair is not None and (pair.local.type, pair.remote.host) == ("relay", "2001:db8::2")
    _send_both_ways(world, a, b)


def test_ipv6_only_peers_relay_only_through_a_server_reached_over_ipv6() -> None:
    """REQUESTED-ADDRESS-FAMILY IPv6, as libwebrtc sends it over IPv6."""
    world = World(seed=23, config=IceAgentConfig(turn_dual_stack=False))
    _turn(world, [TURN_V4, TURN_V6], listen=TURN_V6)
    a = world.peer("alice", controlling=True, public_ip="2001:db8::1")
    b = world.peer("bob", controlling=False, public_ip="2001:db8::2")
    for p in (a, b):
        p.agent.set_servers(_turn_url(TURN_V6), policy="relay", now=0.0)
    world.connect(a, b)
    for p in (a, b):
        assert [c.host for c in p.agent.local_candidates] == [TURN_V6]
    _send_both_ways(world, a, b)


def test_no_family_in_common_fails_as_soon_as_both_sides_are_done() -> None:
    """IPv4-only against IPv6-only, no TURN: no pair can ever form, so both
    go to failed once gathering is complete and end-of-candidates is in --
    not after the 39.5 s patience timer."""
    world = World(seed=24)
    a = world.peer("alice", controlling=True, public_ip="198.51.100.1")
    b = world.peer("bob", controlling=False, public_ip="2001:db8::2")
    a.other, b.other = b, a
    now = world.net.now
    a.agent.set_remote_credentials(b.agent.local_ufrag, b.agent.local_pwd, now)
    b.agent.set_remote_credentials(a.agent.local_ufrag, a.agent.local_pwd, now)
    for p in (a, b):
        p.agent.gather(now)
        p.node.service()
    took = world.net.run_until(
        lambda: a.agent.state == b.agent.state == IceTransportState.FAILED, 60.0
    )
    assert took < 0.1, f"failed only after {took:.3f} s"
    for p in (a, b):
        assert p.agent.state == IceTransportState.FAILED


def test_no_family_in_common_still_waits_while_end_of_candidates_is_missing() -> None:
    """The fail-fast needs the peer's end-of-candidates: without it the
    patience timer rules, as before."""
    world = World(seed=25)
    a = world.peer("alice", controlling=True, public_ip="198.51.100.1")
    b = world.peer("bob", controlling=False, public_ip="2001:db8::2")
    b.signals_end_of_candidates = False
    a.other, b.other = b, a
    now = world.net.now
    a.agent.set_remote_credentials(b.agent.local_ufrag, b.agent.local_pwd, now)
    b.agent.set_remote_credentials(a.agent.local_ufrag, a.agent.local_pwd, now)
    for p in (a, b):
        p.agent.gather(now)
        p.node.service()
    world.net.run_for(5.0)
    assert a.agent.state == IceTransportState.CHECKING
    assert b.agent.state == IceTransportState.FAILED  # alice did signal hers
