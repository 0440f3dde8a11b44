"""Gathering from many servers: timing, errors, the candidate pool."""

from __future__ import annotations

from rtcpeer.ice import (
    CandidateError,
    GatheringStateChanged,
    IceAgentConfig,
    IceGatheringState,
    LocalCandidate,
)
from rtcpeer.ice.events import SocketReleased, SocketRequested
from rtcpeer.ice.servers import ResolvedServer

from .world import TURN_IPS, Peer, World, resolved, url


def _complete_at(peer: Peer) -> float | None:
    for when, event in peer.timeline:  # type: ignore[attr-defined]
        if isinstance(event, GatheringStateChanged) and event.state == IceGatheringState.COMPLETE:
            return float(when)
    return None


def _timed(world: World, peer: Peer) -> None:
    """Record (time, event) for every event the peer reports."""
    timeline: list[tuple[float, object]] = []
    peer.timeline = timeline  # type: ignore[attr-defined]
    previous = peer.node.on_event

    def on_event(event: object) -> None:
        timeline.append((world.net.now, event))
        if previous is not None:
            previous(event)

    peer.node.on_event = on_event


def test_many_servers_one_silent_complete_after_the_budget_not_the_sum() -> None:
    world = World(seed=11, config=IceAgentConfig(gathering_budget=2.0))
    world.stun("203.0.113.60", latency=0.02)
    world.stun("203.0.113.61", latency=0.08)
    world.turn(TURN_IPS[0], latency=0.05)
    world.net.add_host("silent", "203.0.113.99")  # nothing listens: never answers
    peer = world.peer("alice", "full-cone", controlling=True, public_ip="198.51.100.1")
    _timed(world, peer)
    urls = [
        url("stun:203.0.113.60:3478"),
        url("stun:203.0.113.61:3478"),
        url(f"turn:{TURN_IPS[0]}:3478", "user", "pass"),
        url("stun:203.0.113.99:3478"),
    ]
    peer.agent.set_servers(resolved(*urls), now=0.0)
    peer.agent.gather(0.0)
    peer.node.service()
    world.net.run_until(lambda: _complete_at(peer) is not None, 10)
    complete = _complete_at(peer)
    assert complete is not None and 2.0 <= complete < 2.1
    found = [
        (t, e.candidate.type, e.url)
        for t, e in peer.timeline  # type: ignore[attr-defined]
        if isinstance(e, LocalCandidate)
    ]
    assert {kind for _, kind, _ in found} == {"host", "srflx", "relay"}
    # Every answering server's candidate came as soon as it was found, long before.
    assert all(t < 0.5 for t, _, _ in found)
    errors = peer.events(CandidateError)
    assert errors == [
        CandidateError(
            "stun:203.0.113.99:3478", "10.0.0.2", 5000, 701, "STUN server did not answer"
        )
    ]


def test_wrong_turn_password_is_a_401_candidate_error() -> None:
    world = World(seed=12)
    world.turn()
    peer = world.peer("alice", controlling=True, public_ip="198.51.100.1")
    bad = url(f"turn:{TURN_IPS[0]}:3478", "user", "wrong")
    peer.agent.set_servers(resolved(bad), now=0.0)
    peer.agent.gather(0.0)
    peer.node.service()
    world.net.run_until(lambda: peer.agent.gathering_state == IceGatheringState.COMPLETE, 5)
    [error] = peer.events(CandidateError)
    assert isinstance(error, CandidateError)
    assert (error.url, error.error_code) == (bad.url, 401)
    assert error.address == "198.51.100.1" and error.port is not None
    assert not [e for e in peer.events(LocalCandidate) if e.candidate.type == "relay"]  # type: ignore[attr-defined]
    # Its socket was given back.
    [request] = peer.events(SocketRequested)
    assert SocketReleased(request.socket_id) in peer.node.events  # type: ignore[attr-defined]


def test_quota_exceeded_over_tcp_is_a_486_and_the_udp_relay_still_comes() -> None:
    world = World(seed=13)
    world.turn(user_quota=1)
    peer = world.peer("alice", controlling=True, public_ip="198.51.100.1")
    udp = url(f"turn:{TURN_IPS[0]}:3478", "user", "pass")
    tcp = url(f"turn:{TURN_IPS[0]}:3478?transport=tcp", "user", "pass")
    peer.agent.set_servers(resolved(udp, tcp), now=0.0)
    peer.agent.gather(0.0)
    peer.node.service()
    world.net.run_until(lambda: peer.agent.gathering_state == IceGatheringState.COMPLETE, 5)
    relays = [e for e in peer.events(LocalCandidate) if e.candidate.type == "relay"]  # type: ignore[attr-defined]
    errors = peer.events(CandidateError)
    assert len(relays) == 1 and len(errors) == 1
    loser = tcp if relays[0].url == udp.url else udp  # type: ignore[attr-defined]
    assert errors[0].url == loser.url and errors[0].error_code == 486  # type: ignore[attr-defined]
    assert {r.transport for r in peer.events(SocketRequested)} == {"udp", "tcp"}  # type: ignore[attr-defined]


def test_unresolvable_server_is_reported_at_once() -> None:
    world = World(seed=14)
    peer = world.peer("alice", controlling=True, public_ip="198.51.100.1")
    server = ResolvedServer(url("stun:198.51.100.200:3478"), None, "DNS lookup failed")
    peer.agent.set_servers([server], now=0.0)
    peer.agent.gather(0.0)
    peer.node.service()
    assert peer.events(CandidateError) == [
        CandidateError("stun:198.51.100.200:3478", None, None, 701, "DNS lookup failed")
    ]
    assert peer.agent.gathering_state == IceGatheringState.COMPLETE
    assert len(world.net.capture) == 0


def test_pool_gathers_ahead_is_taken_at_once_regathered_and_released() -> None:
    world = World(seed=15)
    turn_1, turn_2 = world.turn(TURN_IPS[0]), world.turn(TURN_IPS[1], ports=(51000, 51999))
    world.stun()
    peer = world.peer("alice", "full-cone", controlling=True, public_ip="198.51.100.1")
    servers_1 = resolved(
        url("stun:203.0.113.60:3478"), url(f"turn:{TURN_IPS[0]}:3478", "user", "pass")
    )
    peer.agent.set_servers(servers_1, pool_size=1, now=0.0)
    peer.node.service()
    world.net.run_until(lambda: len(turn_1.core.allocations) == 1, 2)
    # New servers before the first gathering: the pool is released and gathered again.
    servers_2 = resolved(
        url("stun:203.0.113.60:3478"), url(f"turn:{TURN_IPS[1]}:3478", "user", "pass")
    )
    peer.agent.set_servers(servers_2, pool_size=1, now=world.net.now)
    peer.node.service()
    world.net.run_until(
        lambda: len(turn_1.core.allocations) == 0 and len(turn_2.core.allocations) == 1, 2
    )
    world.net.run_for(1.0)
    assert not peer.events(LocalCandidate)  # the pool signals nothing by itself
    # Pooled allocations are refreshed: still there after 20 virtual minutes.
    world.net.run_for(1200.0)
    assert len(turn_2.core.allocations) == 1
    requested = len(peer.events(SocketRequested))
    peer.agent.gather(world.net.now)
    peer.node.service()
    candidates = [e.candidate for e in peer.events(LocalCandidate)]  # type: ignore[attr-defined]
    assert {c.type for c in candidates} == {"host", "srflx", "relay"}
    assert peer.agent.gathering_state == IceGatheringState.COMPLETE
    assert len(peer.events(SocketRequested)) == requested  # no new allocation
    relay = next(c for c in candidates if c.type == "relay")
    assert relay.host == TURN_IPS[1]
    peer.agent.close()
    peer.node.service()
    world.net.run_for(0.5)
    assert len(turn_2.core.allocations) == 0
    assert set(peer.node.released) == set(peer.node.requested)


def test_a_silent_turn_url_is_one_candidate_error_the_relays() -> None:
    """Policy "all" probes a TURN server for srflx and allocates on it: two
    unanswered requests, but one icecandidateerror for the URL (the relay's)."""
    world = World(seed=15, config=IceAgentConfig(gathering_budget=2.0))
    world.net.add_host("silent", "203.0.113.98")  # nothing listens: never answers
    peer = world.peer("alice", controlling=True, public_ip="198.51.100.1")
    silent = url("turn:203.0.113.98:3478", "user", "pass")
    peer.agent.set_servers(resolved(silent), now=0.0)
    peer.agent.gather(0.0)
    peer.node.service()
    world.net.run_until(lambda: peer.agent.gathering_state == IceGatheringState.COMPLETE, 5)
    # Both the Binding probe (from the host socket) and the Allocate (from the
    # relay's own socket) went out ...
    [request] = peer.events(SocketRequested)
    sent_from = {r.src for r in world.net.capture.select(dst=("203.0.113.98", 3478))}
    assert ("198.51.100.1", 5000) in sent_from and len(sent_from) == 2
    # ... and the URL is reported once, from the relay's socket.
    [error] = peer.events(CandidateError)
    assert isinstance(error, CandidateError)
    assert (error.url, error.error_code, error.error_text) == (
        silent.url,
        701,
        "TURN server did not answer",
    )
    assert (error.address, error.port) != ("198.51.100.1", 5000)
    assert request.transport == "udp"  # type: ignore[attr-defined]
