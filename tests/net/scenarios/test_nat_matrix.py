"""Every pairing of NAT kinds connects, over the path ICE should find.

Direct paths work unless one side is symmetric and the other filters by
address and port (port-restricted cone or symmetric); those need the TURN
relay, and without one they fail.
"""

from __future__ import annotations

import itertools

import pytest

from rtcpeer.ice import IceTransportState

from .world import NAT_KINDS, STUN_IP, TURN_IPS, World, resolved, url

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


def test_symmetric_on_both_sides_fails_without_a_relay() -> None:
    world, a, b = _world("symmetric", "symmetric", with_turn=False)
    with pytest.raises(TimeoutError):
        world.connect(a, b, timeout=15)  # type: ignore[arg-type]
    assert a.agent.state == IceTransportState.FAILED  # type: ignore[attr-defined]
    assert b.agent.state == IceTransportState.FAILED  # type: ignore[attr-defined]


def test_a_scenario_repeats_exactly_under_its_seed() -> None:
    # Payload bytes are compared by length only: the TURN client draws its STUN
    # transaction ids from os.urandom (it takes no rng); everything else repeats.
    traces = []
    for _ in range(2):
        world, a, b = _world("symmetric", "port-restricted")
        world.connect(a, b)  # type: ignore[arg-type]
        traces.append([(t, realm, proto, src, dst, len(data), outcome)
                       for t, realm, proto, src, dst, data, outcome in world.net.capture.trace()])
    assert traces[0] == traces[1] and len(traces[0]) > 50
