"""Relay-only policy, restart onto a second TURN server, a TURN server dying, loss."""

from __future__ import annotations

from rtcpeer.ice import DataReceived, IceAgentConfig, IceTransportState
from rtcpeer.simnet import SENT

from .world import STUN_IP, TURN_IPS, Peer, World, resolved, url

TURN_1 = url(f"turn:{TURN_IPS[0]}:3478", "user", "pass")
TURN_2 = url(f"turn:{TURN_IPS[1]}:3478", "user", "pass")
STUN = url(f"stun:{STUN_IP}:3478")


def _pair(world: World, nat: str = "symmetric", **kwargs: float) -> tuple[Peer, Peer]:
    a = world.peer("alice", nat, controlling=True, public_ip="198.51.100.1", **kwargs)
    b = world.peer("bob", nat, controlling=False, public_ip="198.51.100.2", **kwargs)
    return a, b


def test_relay_only_policy_sends_nothing_but_to_the_turn_server() -> None:
    world = World(seed=2)
    world.stun()
    turn = world.turn()
    a, b = _pair(world, "open")
    for p in (a, b):
        p.agent.set_servers(resolved(STUN, TURN_1), policy="relay", now=0.0)
    world.connect(a, b)
    for p in (a, b):
        pair = p.agent.selected_pair
        assert pair is not None and (pair.local.type, pair.remote.type) == ("relay", "relay")
        assert all(c.type == "relay" for c in p.agent.local_candidates)
    assert p.agent.send(b"through the relay", world.net.now)
    p.node.service()
    world.net.run_for(0.2)
    assert [e.data for e in a.events(DataReceived)] == [b"through the relay"]  # type: ignore[attr-defined]
    for p in (a, b):
        sent = world.net.capture.select(src=p.host.addresses[0], outcome=SENT)
        assert sent, "the peer sent nothing at all"
        assert {r.dst for r in sent} == {turn.address}
    assert not world.net.capture.select(dst=STUN_IP)


def test_restart_onto_a_second_turn_server_loses_nothing() -> None:
    world = World(seed=3, config=IceAgentConfig(retired_grace=1.0))
    turn_1, turn_2 = world.turn(TURN_IPS[0]), world.turn(TURN_IPS[1], ports=(51000, 51999))
    a, b = _pair(world)  # symmetric NATs: only the relay works
    for p in (a, b):
        p.agent.set_servers(resolved(TURN_1), now=0.0)
    world.connect(a, b)
    assert len(turn_1.core.allocations) == 2
    states_before = len(a.states), len(b.states)
    sent: list[bytes] = []

    def tick() -> None:
        if len(sent) < 200:
            message = b"msg %d" % len(sent)
            assert a.agent.send(message, world.net.now)
            sent.append(message)
            a.node.service()
            world.net.after(0.005, tick)

    tick()
    world.net.run_for(0.1)
    for p in (a, b):
        p.agent.set_servers(resolved(TURN_2), now=world.net.now)
    world.restart(a, b)

    def on_turn_2(p: Peer) -> bool:
        pair = p.agent.selected_pair
        if pair is None or p.agent.generation.selected is None:
            return False
        ips = {pair.local.host, pair.remote.host}
        return TURN_IPS[1] in ips and TURN_IPS[0] not in ips

    world.net.run_until(lambda: on_turn_2(a) and on_turn_2(b), 5)
    assert len(sent) < 200, "switched only after the application stopped sending"
    world.net.run_until(lambda: len(sent) == 200, 5)
    world.net.run_for(2.0)  # drain, and past the retired generation's grace
    received = [e.data for e in b.events(DataReceived)]  # type: ignore[attr-defined]
    assert received == sent
    # The old server's allocations were released; the new server holds two.
    assert len(turn_1.core.allocations) == 0
    assert len(turn_2.core.allocations) == 2
    for p, before in zip((a, b), states_before, strict=True):
        assert all(
            s in (IceTransportState.CONNECTED, IceTransportState.COMPLETED)
            for _, s in p.states[before:]
        ), p.states[before:]


def test_turn_server_dies_then_restart_onto_a_new_one() -> None:
    world = World(seed=4)
    turn_1 = world.turn(TURN_IPS[0])
    world.turn(TURN_IPS[1], ports=(51000, 51999))
    a, b = _pair(world)
    for p in (a, b):
        p.agent.set_servers(resolved(TURN_1), now=0.0)
    world.connect(a, b)
    killed_at = world.net.now
    turn_1.host.kill()
    disconnected = world.net.run_until(
        lambda: all(p.agent.state == IceTransportState.DISCONNECTED for p in (a, b)), 10
    )
    assert disconnected - killed_at < 9.0
    failed = world.net.run_until(
        lambda: all(p.agent.state == IceTransportState.FAILED for p in (a, b)), 40
    )
    assert 29.0 < failed - killed_at < 36.0
    for p in (a, b):
        p.agent.set_servers(resolved(TURN_2), now=world.net.now)
    world.restart(a, b)
    world.net.run_until(lambda: a.connected and b.connected, 5)
    pair = a.agent.selected_pair
    assert pair is not None and TURN_IPS[1] in (pair.local.host, pair.remote.host)


def test_connects_and_restarts_with_loss_and_200ms_rtt() -> None:
    world = World(seed=5)
    world.stun()
    world.turn()
    # Each crossing uses two peer links of 50 ms: 200 ms RTT; ~10% loss one way.
    a, b = _pair(world, "port-restricted", latency=0.05, loss=0.05)
    for p in (a, b):
        p.agent.set_servers(resolved(STUN, TURN_1), now=0.0)
    world.connect(a, b, timeout=15)
    first = a.agent.generation.id
    world.restart(a, b)
    world.net.run_until(
        lambda: a.agent.generation.selected is not None and b.agent.generation.selected is not None,
        15,
    )
    assert a.agent.generation.id == first + 1
    assert a.connected and b.connected
