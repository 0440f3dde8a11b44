"""The gathering pieces without a network: Binding probes, relay allocations, agent seams."""

from __future__ import annotations

import random

from rtcpeer.configuration.urls import IceServerUrl
from rtcpeer.ice import CandidateError, IceAgent, IceGatheringState, LocalCandidate
from rtcpeer.ice.events import SocketRequested
from rtcpeer.ice.relay import RelayAllocation, RelayFailed
from rtcpeer.ice.servers import ResolvedServer, socket_transport
from rtcpeer.ice.srflx import BindingProbe, ProbeFailed, ProbeSucceeded
from rtcpeer.stun import Attr, MessageClass, Method, decode_message
from rtcpeer.stun.transaction import RetransmissionPolicy
from rtcpeer.turn.client import TurnServer

POLICY = RetransmissionPolicy(rto=0.25, rc=7, rm=16)


def _url(
    text: str, scheme: str, transport: str = "udp", secure: bool = False, user: str | None = None
) -> IceServerUrl:
    return IceServerUrl(
        text, scheme, "203.0.113.1", 3478, transport, secure, user, "pass" if user else None
    )


def test_probe_retransmits_then_gives_up_at_its_budget() -> None:
    probe = BindingProbe(b"\x01" * 12, 0.0, budget=3.0, policy=POLICY)
    sends = [0.0] if probe.datagrams_to_send() else []
    now = 0.0
    while not probe.done:
        timer = probe.get_timer()
        assert timer is not None
        now = timer
        probe.handle_timer(now)
        if probe.datagrams_to_send():
            sends.append(now)
    assert sends == [0.0, 0.25, 0.75, 1.75]
    assert now == 3.0
    assert probe.result == ProbeFailed(701, "STUN server did not answer")


def test_probe_reports_the_mapped_address_or_the_error_code() -> None:
    probe = BindingProbe(b"\x02" * 12, 0.0, budget=3.0, policy=POLICY)
    request = decode_message(probe.datagrams_to_send()[0])
    assert request.method == Method.BINDING and request.message_class == MessageClass.REQUEST
    assert probe.receive(request.success().add(Attr.XOR_MAPPED_ADDRESS, ("198.51.100.1", 4000)))
    assert probe.result == ProbeSucceeded(("198.51.100.1", 4000))
    other = BindingProbe(b"\x03" * 12, 0.0, budget=3.0, policy=POLICY)
    assert not other.receive(request.success())  # someone else's transaction
    assert other.receive(decode_message(other.datagrams_to_send()[0]).error(403))
    assert isinstance(other.result, ProbeFailed) and other.result.code == 403


def test_socket_transport_of_each_scheme() -> None:
    assert socket_transport(_url("stun:x", "stun")) == "udp"
    assert socket_transport(_url("stuns:x", "stuns", "tcp", True)) == "tls"
    assert socket_transport(_url("turn:x?transport=tcp", "turn", "tcp")) == "tcp"
    assert socket_transport(_url("turns:x?transport=udp", "turns", "udp", True)) == "dtls"


def test_relay_queues_sends_until_the_permission_and_fails_after_budget() -> None:
    relay = RelayAllocation(
        TurnServer("203.0.113.1"), "user", "pass", 0.0, budget=3.0, policy=POLICY
    )
    relay.start(0.0)
    relay.send(b"dropped: no allocation yet", ("198.51.100.2", 5000), 0.0)
    assert len(relay.datagrams_to_send()) == 1  # only the Allocate
    now = 0.0
    while (event := relay.next_event()) is None:
        timer = relay.get_timer()
        assert timer is not None
        now = timer
        relay.handle_timer(now)
    assert now == 3.0
    assert event == RelayFailed(701, "TURN server did not answer")
    assert relay.finished


def test_agent_requests_sockets_and_reports_server_failures() -> None:
    agent = IceAgent(True, rng=random.Random(1))
    agent.add_socket(1, ("192.0.2.1", 5000))
    turn = _url("turn:203.0.113.1:3478", "turn", user="user")
    unresolved = ResolvedServer(_url("stun:nowhere.test", "stun"), None, "no such host")
    agent.set_servers([ResolvedServer(turn, ("203.0.113.1", 3478)), unresolved], now=0.0)
    agent.gather(0.0)
    events = list(iter(agent.next_event, None))
    [request] = [e for e in events if isinstance(e, SocketRequested)]
    assert request == SocketRequested(
        request.socket_id, "udp", ("203.0.113.1", 3478), "203.0.113.1"
    )
    assert request.socket_id >= 1 << 20
    assert CandidateError("stun:nowhere.test", None, None, 701, "no such host") in events
    # The turn: server also gets a Binding from the host socket (srflx).
    assert [t.destination for t in agent.datagrams_to_send()] == [("203.0.113.1", 3478)]
    assert agent.gathering_state == IceGatheringState.GATHERING
    agent.socket_failed(request.socket_id, "connection refused", 0.1)
    errors = [e for e in iter(agent.next_event, None) if isinstance(e, CandidateError)]
    assert errors == [CandidateError(turn.url, None, None, 701, "connection refused")]


def test_relay_policy_sends_no_binding_and_signals_no_host() -> None:
    agent = IceAgent(True, rng=random.Random(2))
    agent.add_socket(1, ("192.0.2.1", 5000))
    servers = [ResolvedServer(_url("stun:203.0.113.1:3478", "stun"), ("203.0.113.1", 3478))]
    agent.set_servers(servers, policy="relay", now=0.0)
    agent.gather(0.0)
    assert agent.datagrams_to_send() == []
    events = list(iter(agent.next_event, None))
    assert not [e for e in events if isinstance(e, LocalCandidate)]
    assert agent.gathering_state == IceGatheringState.COMPLETE


def test_stuns_probes_over_a_tls_socket_and_times_out_when_it_never_opens() -> None:
    agent = IceAgent(True, rng=random.Random(3))
    agent.add_socket(1, ("192.0.2.1", 5000))
    stuns = _url("stuns:203.0.113.1:3478", "stuns", "tcp", True)
    agent.set_servers([ResolvedServer(stuns, ("203.0.113.1", 3478))], now=0.0)
    agent.gather(0.0)
    [request] = [e for e in iter(agent.next_event, None) if isinstance(e, SocketRequested)]
    assert request.transport == "tls" and request.remote == ("203.0.113.1", 3478)
    assert agent.datagrams_to_send() == []  # nothing before the socket opens
    assert agent.get_timer() == 3.0
    agent.handle_timer(3.0)
    events = list(iter(agent.next_event, None))
    assert CandidateError(stuns.url, None, None, 701, "STUN server did not answer") in events
    assert agent.gathering_state == IceGatheringState.COMPLETE


def _allocate_bytes(rng: random.Random | None) -> bytes:
    relay = RelayAllocation(
        TurnServer("203.0.113.1"), "user", "pass", 0.0, budget=3.0, policy=POLICY, rng=rng
    )
    relay.start(0.0)
    [allocate] = relay.datagrams_to_send()
    return allocate


def test_turn_transaction_ids_come_from_the_injected_rng() -> None:
    seeded = _allocate_bytes(random.Random(7))
    assert seeded == _allocate_bytes(random.Random(7))
    assert seeded[8:20] == random.Random(7).randbytes(12)
    # Without an rng, os.urandom as before: two allocations differ.
    assert _allocate_bytes(None)[8:20] != _allocate_bytes(None)[8:20]


def test_the_agent_hands_its_rng_to_its_turn_allocations() -> None:
    def allocate_from_agent(seed: int) -> bytes:
        agent = IceAgent(True, rng=random.Random(seed))
        agent.add_socket(1, ("192.0.2.1", 5000))
        turn = _url("turn:203.0.113.1:3478", "turn", user="user")
        agent.set_servers([ResolvedServer(turn, ("203.0.113.1", 3478))], now=0.0)
        agent.gather(0.0)
        [request] = [e for e in iter(agent.next_event, None) if isinstance(e, SocketRequested)]
        agent.socket_opened(request.socket_id, ("192.0.2.1", 40000), 0.0)
        [allocate] = [t.data for t in agent.datagrams_to_send() if t.socket_id == request.socket_id]
        assert decode_message(allocate).method == Method.ALLOCATE
        return allocate

    assert allocate_from_agent(3) == allocate_from_agent(3)
    assert allocate_from_agent(3) != allocate_from_agent(4)
