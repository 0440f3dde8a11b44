"""One agent driven by hand: what gathering reports, errors, demultiplexing, determinism."""

from __future__ import annotations

import itertools
import random

from tests.support.ice_harness import Net, connected, host_pair

from rtcpeer.ice import (
    Candidate,
    CandidateError,
    GatheringStateChanged,
    GenerationRetired,
    IceAgent,
    IceGatheringState,
    IceTransportState,
    Transmit,
    candidate_priority,
    local_preference,
)
from rtcpeer.ice.connectivity import build_check
from rtcpeer.ice.gathering import Found
from rtcpeer.stun import Attr, MessageClass, decode_message

G = IceGatheringState


class RecordingSink:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, tuple[str, int]]] = []

    def send(self, data: bytes, destination: tuple[str, int], now: float) -> None:
        self.sent.append((data, destination))


class SlowRelayGathering:
    """Stands in for a TURN gathering: pending at start, a candidate later.

    It wraps the agent's server gathering's ``start`` and reports through the
    agent's :class:`~rtcpeer.ice.gathering.GatheringHost`, as that part does.
    """

    def __init__(self, agent: IceAgent) -> None:
        self.started: list[int] = []
        self.host = agent._gathering._agent
        start = agent._gathering.start

        def start_gathering(generation_id: int, now: float) -> None:
            start(generation_id, now)
            self.started.append(generation_id)
            self.host.gathering_pending(generation_id, self)

        agent._gathering.start = start_gathering  # type: ignore[method-assign]


def relay_candidate(port: int) -> Candidate:
    return Candidate(
        "r1",
        1,
        "udp",
        candidate_priority(0, local_preference("203.0.113.5", relay_protocol="udp")),
        "203.0.113.5",
        port,
        "relay",
        related_address="192.0.2.1",
        related_port=5000,
    )


def test_gathering_waits_for_gatherers_and_relay_sockets_retire_with_their_generation() -> None:
    agent = IceAgent(True, rng=random.Random(1))
    gatherer = SlowRelayGathering(agent)
    host = gatherer.host
    agent.add_socket(1, ("192.0.2.1", 5000))
    agent.gather(0.0)
    assert agent.gathering_state == G.GATHERING
    sink = RecordingSink()
    found = Found(relay_candidate(40000), 100, sink, "turn:turn.example.test", "udp")
    assert host.add_candidate(found, 0, 0.1)
    [added] = [c for c in agent.local_candidates if c.type == "relay"]
    assert added.ufrag == agent.local_ufrag and added.generation == 0
    host.queue_event(
        CandidateError("turn:turn.example.test", "192.0.2.1", 5000, 701, "unreachable")
    )
    host.gathering_done(0, gatherer, 0.2)
    assert agent.gathering_state == G.COMPLETE  # type: ignore[comparison-overlap]
    events = []
    while (e := agent.next_event()) is not None:
        events.append(e)
    assert [e.state for e in events if isinstance(e, GatheringStateChanged)] == [
        G.GATHERING,
        G.COMPLETE,
    ]
    assert CandidateError("turn:turn.example.test", "192.0.2.1", 5000, 701, "unreachable") in events
    # Checks through the relay candidate go through its sink, not datagrams_to_send().
    agent.set_remote_credentials("peer", "peer-password-0123456789", 0.3)
    agent.add_remote_candidate(Candidate("x", 1, "udp", 100, "198.51.100.2", 6000, "host"), 0.3)
    for t in (0.3, 0.32, 0.34):
        agent.handle_timer(t)
    assert sink.sent and all(dest == ("198.51.100.2", 6000) for _, dest in sink.sent)
    assert {t.socket_id for t in agent.datagrams_to_send()} == {1}
    # A restart re-runs the gatherer; the old generation had no selected pair, so it
    # is retired at once and its relay socket named for release.
    agent.restart(1.0)
    assert gatherer.started == [0, 1]
    retired = [e for e in iter(agent.next_event, None) if isinstance(e, GenerationRetired)]
    assert retired == [GenerationRetired(0, (100,))]


def test_relay_policy_filters_candidates_from_gatherers_too() -> None:
    agent = IceAgent(True, rng=random.Random(1), policy="relay")
    agent.add_socket(1, ("192.0.2.1", 5000))
    agent.gather(0.0)
    srflx = Candidate("s", 1, "udp", 100, "203.0.113.1", 5000, "srflx", "192.0.2.1", 5000)
    assert agent._add_local_candidate(srflx, 1, now=0.0) is None
    assert agent.local_candidates == []


def _request(agent: IceAgent, pwd: str, username_local: str) -> bytes:
    _, data = build_check(
        transaction_id=b"\x01" * 12,
        local_ufrag="peer",
        remote_ufrag=username_local,
        remote_pwd=pwd,
        priority=1 << 24,
        controlling=False,
        tie_breaker=1,
    )
    return data


def test_requests_with_bad_credentials_get_errors_and_no_state() -> None:
    agent = IceAgent(True, rng=random.Random(3))
    agent.add_socket(1, ("192.0.2.1", 5000))
    agent.gather(0.0)
    agent.receive(
        1,
        ("198.51.100.2", 6000),
        _request(agent, "wrong-password-xxxxxxxxxx", agent.local_ufrag),
        0.1,
    )
    agent.receive(1, ("198.51.100.2", 6000), _request(agent, agent.local_pwd, "unknown-ufrag"), 0.1)
    codes = [decode_message(t.data).error_code for t in agent.datagrams_to_send()]
    assert codes == [401, 401]
    assert agent.generation.remote == []
    assert agent.state == IceTransportState.NEW
    # Garbage and non-STUN from unknown sources is dropped silently.
    agent.receive(1, ("198.51.100.2", 6000), b"\x00\x01garbage", 0.2)
    agent.receive(1, ("198.51.100.2", 6000), b"\x17\x03\x03 not validated", 0.2)
    # only gathering events:
    assert agent.datagrams_to_send() == [] and agent.next_event() is not None


def test_early_check_before_remote_credentials_makes_prflx_and_is_answered() -> None:
    agent = IceAgent(False, rng=random.Random(4))
    agent.add_socket(1, ("192.0.2.1", 5000))
    agent.gather(0.0)
    agent.receive(
        1, ("198.51.100.2", 6000), _request(agent, agent.local_pwd, agent.local_ufrag), 0.1
    )
    [reply] = agent.datagrams_to_send()
    response = decode_message(reply.data)
    assert response.message_class == MessageClass.SUCCESS
    assert response.get(Attr.XOR_MAPPED_ADDRESS) == ("198.51.100.2", 6000)
    assert reply == Transmit(1, ("198.51.100.2", 6000), reply.data)
    [remote] = agent.generation.remote
    assert remote.type == "prflx" and remote.priority == 1 << 24
    assert agent.state == IceTransportState.CHECKING
    # No check can go out without the peer's password; once known, the triggered check runs.
    agent.handle_timer(0.2)
    assert agent.datagrams_to_send() == []
    agent.set_remote_credentials("peer", "peer-password-0123456789", 0.3)
    agent.handle_timer(0.3)
    [check] = agent.datagrams_to_send()
    assert decode_message(check.data).get(Attr.USERNAME) == f"peer:{agent.local_ufrag}"


def test_same_seed_same_transcript() -> None:
    def transcript(seed: int) -> list[tuple[float, bytes]]:
        net, a, b = host_pair(seed, loss=0.1)
        net.run_until(connected(a, b), 10.0)
        net.run_for(6.0)
        return [(p.time, p.data) for p in net.sent]

    assert transcript(99) == transcript(99)
    assert transcript(99) != transcript(98)


def test_close_stops_everything() -> None:
    net, a, b = host_pair(5)
    assert net.run_until(connected(a, b), 1.0)
    a.agent.close()
    net.pump()
    assert a.states[-1] == IceTransportState.CLOSED
    assert a.agent.get_timer() is None
    assert a.agent.send(b"x", net.now) is False


def test_end_of_candidates_then_no_pairs_is_failed() -> None:
    net = Net(6)
    a = net.peer("a", controlling=True)
    net.host(a, 1, ("192.0.2.1", 5000))
    a.agent.gather(0.0)
    a.agent.set_remote_credentials("peer", "peer-password-0123456789", 0.0)
    # An IPv6-only remote cannot pair with an IPv4-only agent.
    a.agent.add_remote_candidate(Candidate("x", 1, "udp", 100, "2001:db8::2", 6000, "host"), 0.0)
    assert a.agent.state == IceTransportState.CHECKING
    a.agent.add_remote_candidate(None, 0.0)
    # No pair can ever form: failed at once, not at Tr (issue 21).
    assert a.agent.state == IceTransportState.FAILED  # type: ignore[comparison-overlap]


def test_checks_are_paced_every_ta() -> None:
    from rtcpeer.ice import IceAgentConfig

    agent = IceAgent(True, rng=random.Random(8), config=IceAgentConfig(check_interval=0.03))
    agent.add_socket(1, ("192.0.2.1", 5000))
    agent.gather(0.0)
    agent.set_remote_credentials("peer", "peer-password-0123456789", 0.0)
    for i in range(4):  # four foundations: four Waiting pairs
        agent.add_remote_candidate(
            Candidate(f"f{i}", 1, "udp", 1000 + i, "198.51.100.2", 6000 + i, "host"), 0.0
        )
    first_sent: dict[tuple[str, int], float] = {}
    now = 0.0
    while (timer := agent.get_timer()) is not None and timer < 0.2:
        now = timer
        agent.handle_timer(now)
        for t in agent.datagrams_to_send():
            first_sent.setdefault(t.destination, now)
    times = sorted(first_sent.values())
    assert len(times) == 4
    assert [round(b - a, 6) for a, b in itertools.pairwise(times)] == [0.03, 0.03, 0.03]
    # Highest-priority pair first.
    assert min(first_sent, key=first_sent.__getitem__) == ("198.51.100.2", 6003)


def test_learning_the_peer_is_lite_makes_a_controlled_agent_control() -> None:
    agent = IceAgent(False, rng=random.Random(9))
    agent.set_remote_is_lite()
    assert agent.controlling
    assert any(getattr(e, "controlling", None) is True for e in iter(agent.next_event, None))
