"""Every pairing of NAT kinds connects, over the path ICE should find.

Direct paths work unless one side is symmetric and the other filters by
address and port (port-restricted cone or symmetric); those need the TURN
relay, and without one they fail.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from rtcpeer.ice import IceTransportState

from .world import NAT_KINDS, STUN_IP, TURN_IPS, Peer, World, resolved, url

KINDS = list(NAT_KINDS)
#: The local candidate type a peer's selected pair has on a direct path.
DIRECT_LOCAL_TYPE = {
    "open": "host",
    "full-cone": "srflx",
    "restricted": "srflx",
    "port-restricted": "srflx",
    "symmetric": "prflx",
}


def needs_relay(a: str, b: str) -> bool:
    hard = {"port-restricted", "symmetric"}
    return (a == "symmetric" and b in hard) or (b == "symmetric" and a in hard)


def _world(nat_a: str, nat_b: str, *, with_turn: bool = True) -> tuple[World, object, object]:
    world = World(seed=7)
    world.stun()
    servers = [url(f"stun:{STUN_IP}:3478")]
    if with_turn:
        world.turn()
        servers.append(url(f"turn:{TURN_IPS[0]}:3478", "user", "pass"))
    a = world.peer("alice", nat_a, controlling=True, public_ip="198.51.100.1")
    b = world.peer("bob", nat_b, controlling=False, public_ip="198.51.100.2")
    for p in (a, b):
        p.agent.set_servers(resolved(*servers), now=world.net.now)
    return world, a, b


@pytest.mark.parametrize(("nat_a", "nat_b"), list(itertools.product(KINDS, KINDS)))
def test_every_nat_pairing_connects(nat_a: str, nat_b: str) -> None:
    world, a, b = _world(nat_a, nat_b)
    world.connect(a, b)  # type: ignore[arg-type]
    pair_a, pair_b = a.agent.selected_pair, b.agent.selected_pair  # type: ignore[attr-defined]
    assert pair_a is not None and pair_b is not None
    types_a = (pair_a.local.type, pair_a.remote.type)
    types_b = (pair_b.local.type, pair_b.remote.type)
    if needs_relay(nat_a, nat_b):
        assert "relay" in types_a + types_b, (types_a, types_b)
    else:
        assert types_a == (DIRECT_LOCAL_TYPE[nat_a], DIRECT_LOCAL_TYPE[nat_b]), types_a
        assert types_b == (DIRECT_LOCAL_TYPE[nat_b], DIRECT_LOCAL_TYPE[nat_a]), types_b
    # Both ends agree on the path.
    assert pair_a.local.address == pair_b.remote.address or "relay" in types_a + types_b


def _failed_at(peer: Peer) -> float:
    return next(t for t, state in peer.states if state == IceTransportState.FAILED)


@pytest.mark.parametrize("end_of_candidates", [True, False])
def test_symmetric_on_both_sides_fails_without_a_relay(end_of_candidates: bool) -> None:
    world, a, b = _world("symmetric", "symmetric", with_turn=False)
    assert isinstance(a, Peer) and isinstance(b, Peer)
    for p in (a, b):
        p.signals_end_of_candidates = end_of_candidates
    with pytest.raises(TimeoutError):
        world.connect(a, b, timeout=15)
    # Every pair has failed by now, but RFC 8863 says wait Tr (39.5 s) ...
    assert a.agent.generation.checklist.all_failed()
    assert a.agent.state == b.agent.state == IceTransportState.CHECKING
    # ... and then fail, end-of-candidates or not (without it, the agent used to hang).
    world.net.run_until(lambda: a.agent.state == b.agent.state == IceTransportState.FAILED, 40)
    for p in (a, b):
        assert p.agent.state == IceTransportState.FAILED
        assert 39.5 <= _failed_at(p) < 39.6, p.states


def _relayed_trace(seed: int) -> list[tuple[Any, ...]]:
    """Connect through the TURN relay, then send data both ways; the packet trace."""
    world, a, b = _world("symmetric", "port-restricted")
    assert isinstance(a, Peer) and isinstance(b, Peer)
    for p, name in ((a, "alice"), (b, "bob")):  # reseed both agents
        p.agent._rng.seed(seed * 1000 + len(name))
    world.connect(a, b)
    assert "relay" in (a.agent.selected_pair.local.type, a.agent.selected_pair.remote.type)  # type: ignore[union-attr]
    for k in range(5):
        a.agent.send(b"a%d" % k, world.net.now)
        b.agent.send(b"b%d" % k, world.net.now)
        a.node.service()
        b.node.service()
        world.net.run_for(0.05)
    return [_mask_server_indication_id(record) for record in world.net.capture.trace()]


def _mask_server_indication_id(record: tuple[object, ...]) -> tuple[object, ...]:
    """The TURN *server* (not under test here) mints the transaction ids of its
    Data indications with os.urandom; blank those 12 bytes and the FINGERPRINT
    that covers them, compare the rest."""
    data = record[5]
    assert isinstance(data, bytes)
    if record[3] == (TURN_IPS[0], 3478) and data[:2] == b"\x00\x17":
        assert data[-8:-4] == b"\x80\x28\x00\x04"  # FINGERPRINT comes last
        data = data[:8] + bytes(12) + data[20:-4] + bytes(4)
    return (*record[:5], data, *record[6:])


def test_a_scenario_repeats_byte_for_byte_under_its_seed() -> None:
    # Every payload byte repeats, TURN traffic included: the TURN client draws
    # its transaction ids from the agent's seeded rng, not from os.urandom.
    first, second = _relayed_trace(1), _relayed_trace(1)
    assert len(first) > 50
    turn = (TURN_IPS[0], 3478)
    turn_requests = [r for r in first if r[4] == turn and r[5][:1] in (b"\x00", b"\x01")]
    assert len(turn_requests) >= 4  # Allocate (twice), CreatePermission, ChannelBind, ...
    assert first == second
    # And the seed matters: another one gives other ids (and credentials).
    other = _relayed_trace(2)
    assert [r[5] for r in other if r[4] == turn] != [r[5] for r in first if r[4] == turn]
