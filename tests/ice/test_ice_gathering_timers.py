"""The gathering's timer with many servers (issue 19, outcome 5).

``ServerGathering.get_timer`` runs after every input. It keeps each probe's
and relay's deadline and reads again only those an input touched; these
tests hold it to the answer a full scan of every task gives, step by step
through a gathering from several TURN servers, and check that an input to
one allocation does not make the next ``get_timer`` read every other one.
"""

from __future__ import annotations

import random

import pytest

from rtcpeer.configuration.urls import IceServerUrl
from rtcpeer.ice import IceAgent, IceGatheringState
from rtcpeer.ice.candidate import Candidate
from rtcpeer.ice.events import SocketRequested
from rtcpeer.ice.gathering import ServerGathering, _Relay
from rtcpeer.ice.relay import RelayAllocation
from rtcpeer.ice.servers import ResolvedServer
from rtcpeer.stun import Attr, MessageClass, Method, decode_message
from rtcpeer.stun.message import long_term_key

HOST = ("192.0.2.1", 5000)
KEY = long_term_key("user", "test", "pass")


def _server(index: int) -> ResolvedServer:
    host = f"203.0.113.{index}"
    url = IceServerUrl(f"turn:{host}:3478", "turn", host, 3478, "udp", False, "user", "pass")
    return ResolvedServer(url, (host, 3478))


def _full_scan(gathering: ServerGathering) -> float | None:
    """Every task's deadline read afresh: what the cached timer must equal."""
    timers: list[float] = []
    for _, task in gathering._by_socket.values():
        if isinstance(task, _Relay):
            timer = task.allocation.get_timer() if task.opened else task.allocation.deadline
            if task.releasing:
                timer = task.release_deadline
            if timer is not None:
                timers.append(timer)
    for server_set in gathering._all_sets():
        for probe_task in server_set.probes.values():
            probe_timer = probe_task.probe.get_timer()
            if probe_timer is not None:
                timers.append(probe_timer)
        if server_set.release_at is not None and server_set in gathering._retired:
            timers.append(server_set.release_at)
    return min(timers, default=None)


class Scenario:
    """An agent gathering from ``count`` TURN servers, answered by hand."""

    def __init__(self, count: int) -> None:
        self.agent = IceAgent(True, rng=random.Random(5))
        self.agent.add_socket(1, HOST)
        self.servers = [_server(i + 1) for i in range(count)]
        self.agent.set_servers(self.servers, now=0.0)
        self.agent.gather(0.0)
        self.requests = [
            e for e in iter(self.agent.next_event, None) if isinstance(e, SocketRequested)
        ]
        self.sent: dict[int, list[tuple[tuple[str, int], bytes]]] = {}
        self.take()

    @property
    def gathering(self) -> ServerGathering:
        return self.agent._gathering

    def take(self) -> None:
        for transmit in self.agent.datagrams_to_send():
            self.sent.setdefault(transmit.socket_id, []).append(
                (transmit.destination, transmit.data)
            )
        list(iter(self.agent.next_event, None))

    def last_request(self, socket_id: int, method: int) -> bytes:
        for _, data in reversed(self.sent.get(socket_id, [])):
            if decode_message(data).method == method:
                return data
        raise AssertionError(f"no {method:#x} request on socket {socket_id}")

    def answer_allocate(self, index: int, now: float) -> None:
        """The server challenges the first Allocate, grants the second."""
        request = self.requests[index]
        server = self.servers[index].address
        assert server is not None
        first = decode_message(self.last_request(request.socket_id, Method.ALLOCATE))
        challenge = first.error(401).add(Attr.REALM, "test").add(Attr.NONCE, "n1")
        self.agent.receive(request.socket_id, server, challenge.encode(None), now)
        self.take()
        second = decode_message(self.last_request(request.socket_id, Method.ALLOCATE))
        assert second.has(Attr.MESSAGE_INTEGRITY)
        grant = second.success()
        grant.add(Attr.XOR_RELAYED_ADDRESS, (f"203.0.113.{index + 1}", 50000 + index))
        grant.add(Attr.XOR_MAPPED_ADDRESS, ("198.51.100.1", 40000 + index))
        grant.add(Attr.LIFETIME, 600)
        self.agent.receive(request.socket_id, server, grant.encode(KEY), now)
        self.take()

    def answer_probe(self, index: int, now: float) -> None:
        """The server answers the Binding probe the host socket sent it."""
        server = self.servers[index].address
        assert server is not None
        probe = decode_message(
            next(data for destination, data in self.sent[1] if destination == server)
        )
        assert probe.method == Method.BINDING and probe.message_class == MessageClass.REQUEST
        reply = probe.success().add(Attr.XOR_MAPPED_ADDRESS, ("198.51.100.1", 7000))
        self.agent.receive(1, server, reply.encode(None), now)
        self.take()


def test_the_timer_equals_a_full_scan_at_every_step() -> None:
    s = Scenario(3)
    checks = 0

    def check() -> None:
        nonlocal checks
        assert s.gathering.get_timer() == _full_scan(s.gathering)
        checks += 1

    check()
    for request in s.requests:  # sockets open one by one: each starts its Allocate
        s.agent.socket_opened(request.socket_id, ("192.0.2.1", 40000 + request.socket_id), 0.01)
        s.take()
        check()
    s.answer_allocate(0, 0.02)
    check()
    s.answer_probe(1, 0.03)
    check()
    # Retransmissions of the silent allocations, as their timers come due.
    for _ in range(3):
        timer = s.agent.get_timer()
        assert timer is not None
        s.agent.handle_timer(timer)
        s.take()
        check()
    s.answer_allocate(1, 0.9)
    check()
    # A remote candidate pairs with both relay candidates: a CreatePermission
    # each, whose retransmission moves those relays' timers.
    s.agent.set_remote_credentials("rufrag", "rpwd-rpwd-rpwd-rpwd-rpwd", 0.95)
    remote = Candidate.from_sdp("candidate:1 1 udp 2130706431 198.51.100.50 9000 typ host")
    s.agent.add_remote_candidate(remote, 0.95)
    s.take()
    check()
    assert sum(c.type == "relay" for c in s.agent.local_candidates) == 2
    for request in s.requests[:2]:
        s.last_request(request.socket_id, Method.CREATE_PERMISSION)
    # The third server never answers: its budget runs out, gathering completes.
    while s.agent.gathering_state != IceGatheringState.COMPLETE:
        timer = s.agent.get_timer()
        assert timer is not None
        s.agent.handle_timer(timer)
        s.take()
        check()
    s.agent.close()
    s.take()
    check()
    assert checks > 10


def test_an_input_to_one_allocation_reads_only_that_allocations_timer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s = Scenario(8)
    for request in s.requests:
        s.agent.socket_opened(request.socket_id, ("192.0.2.1", 40000 + request.socket_id), 0.01)
    s.take()
    s.agent.get_timer()
    reads: list[RelayAllocation] = []
    original = RelayAllocation.get_timer

    def counting(self: RelayAllocation) -> float | None:
        reads.append(self)
        return original(self)

    monkeypatch.setattr(RelayAllocation, "get_timer", counting)
    s.answer_allocate(3, 0.02)  # two inputs (401, then the grant) to the fourth server
    before = len(reads)
    s.agent.get_timer()
    task = s.gathering._by_socket[s.requests[3].socket_id][1]
    assert isinstance(task, _Relay)
    assert reads[before:] == [task.allocation]  # one read, of the allocation touched
    s.agent.get_timer()
    assert len(reads) == before + 1  # nothing touched since: nothing read again


def test_the_timer_follows_a_relay_released_before_its_socket_opened() -> None:
    """New servers discard a pooled set whose sockets never opened: each relay
    gets a release deadline, and nothing is sent that would move its timer."""
    agent = IceAgent(True, rng=random.Random(6))
    agent.add_socket(1, HOST)
    agent.set_servers([_server(1), _server(2)], policy="relay", pool_size=1, now=0.0)
    gathering = agent._gathering
    assert gathering.get_timer() == _full_scan(gathering) == 3.0
    agent.set_servers([_server(3)], policy="relay", pool_size=1, now=0.5)
    assert gathering.get_timer() == _full_scan(gathering) == 3.5


def test_the_state_is_derived_once_per_input_while_gathering(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A probe or allocation finishing re-derives the transport state only
    when it completes the gathering; otherwise the input it came with does,
    once, at its end (it was twice more per TURN server)."""
    s = Scenario(8)
    calls = 0
    original = IceAgent._update_state

    def counting(self: IceAgent, now: float) -> None:
        nonlocal calls
        calls += 1
        original(self, now)

    monkeypatch.setattr(IceAgent, "_update_state", counting)
    inputs = 0
    for request in s.requests:
        s.agent.socket_opened(request.socket_id, ("192.0.2.1", 40000 + request.socket_id), 0.01)
        inputs += 1
    s.take()
    for index in range(8):
        s.answer_probe(index, 0.02)
        s.answer_allocate(index, 0.02)  # two inputs: the 401, then the grant
        inputs += 3
    assert s.agent.gathering_state == IceGatheringState.COMPLETE
    assert sum(c.type == "relay" for c in s.agent.local_candidates) == 8
    assert calls == inputs + 1  # one per input, and one as gathering completes
