"""Gathering from STUN/TURN servers: server sets, the candidate pool, socket requests.

A :class:`ServerSet` is one gathering phase's worth of server work, run in
parallel: a Binding probe from every host socket to every STUN server (and
every plain-UDP TURN server, which answers Binding too) of the same address
family, and one TURN allocation per turn:/turns: URL on a socket of its own.
A dual-stack allocation yields two relay candidates from that one socket: the
second gets a socket id of its own that no driver socket stands behind (its
packets go through the same allocation, which picks the relayed address by
the peer's family).
It records what it found, so a set gathered early for the candidate pool can
be handed to a generation later and replayed at once.

:class:`ServerGathering` is the agent's side: it keeps the configured
servers, policy and pool, gives each generation a set, asks the driver for
sockets (:class:`SocketRequested`), routes what arrives on them, installs
TURN permissions as soon as pairs form, binds a channel on selection, and
releases allocations when a generation retires or the agent closes. It
reaches the agent only through :class:`GatheringHost`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from rtcpeer.ice.candidate import (
    Candidate,
    candidate_priority,
    compute_foundation,
    local_preference,
)
from rtcpeer.ice.errors import IceArgumentError
from rtcpeer.ice.events import CandidateError, IceEvent, SocketReleased, SocketRequested
from rtcpeer.ice.pair import CandidatePair
from rtcpeer.ice.relay import RelayAllocation, RelayData, RelayFailed, RelayReady, RelayReleased
from rtcpeer.ice.send_path import LocalSocket, PacketSink
from rtcpeer.ice.servers import ResolvedServer, ServerUrl, address_family, socket_transport
from rtcpeer.ice.srflx import BindingProbe, ProbeFailed, ProbeSucceeded
from rtcpeer.sansio import Address
from rtcpeer.stun.attributes import StunDecodeError
from rtcpeer.stun.constants import MessageClass
from rtcpeer.stun.message import StunMessage, decode_message, is_stun
from rtcpeer.turn.errors import UNREACHABLE

if TYPE_CHECKING:
    from rtcpeer.ice.config import IceAgentConfig


@dataclass(frozen=True)
class Found:
    """A candidate a set found, kept for replay when a pooled set is taken."""

    candidate: Candidate
    socket_id: int
    sink: PacketSink | None
    url: str
    relay_protocol: str | None


class GatheringHost(Protocol):
    """What :class:`ServerGathering` needs from the agent that holds it."""

    @property
    def now(self) -> float:
        """The latest time any input carried."""
        ...

    @property
    def rng(self) -> random.Random:
        """The agent's randomness (transaction ids, TURN)."""
        ...

    def host_sockets(self) -> list[LocalSocket]:
        """The host sockets new gatherings use."""
        ...

    def gathering_pending(self, generation_id: int, token: object) -> None:
        """Work the generation's gathering must wait for has started."""
        ...

    def gathering_done(self, generation_id: int, token: object, now: float) -> None:
        """That work finished (with or without a candidate)."""
        ...

    def add_candidate(self, found: Found, generation_id: int, now: float) -> bool:
        """Add a server-reflexive or relay candidate; False if the policy filtered it."""
        ...

    def pairs_on(self, generation_id: int, socket_id: int) -> list[CandidatePair]:
        """The generation's pairs sending through ``socket_id``."""
        ...

    def queue_event(self, event: IceEvent) -> None:
        """Tell the application (a candidate error, a socket requested or released)."""
        ...

    def queue_transmit(self, socket_id: int, destination: Address, data: bytes) -> None:
        """Send from a socket the driver opened."""
        ...

    def relayed(self, socket_id: int, peer: Address, data: bytes, now: float) -> None:
        """A datagram came through a TURN allocation, as if on its relay candidate."""
        ...

    def forget_socket(self, socket_id: int) -> None:
        """A relay candidate's socket is gone."""
        ...


@dataclass(eq=False)
class _Probe:
    """A Binding probe from one socket to one server."""

    probe: BindingProbe
    socket_id: int
    url: str
    server: Address
    #: (IP, port) the request leaves from; None until a requested socket opens.
    local: Address | None
    #: Interface index of the host socket (for the candidate's priority).
    index: int
    #: True when the probe runs on a socket requested for it (stuns:).
    own_socket: bool = False


@dataclass(eq=False)
class _Relay:
    """One TURN allocation on its own socket."""

    allocation: RelayAllocation
    socket_id: int
    url: ServerUrl
    server: Address
    protocol: str
    index: int
    local: Address | None = None
    opened: bool = False
    #: The allocation is being given back (or the socket is no longer wanted).
    releasing: bool = False
    released: bool = False
    release_deadline: float | None = None
    #: IP version -> socket id of the relay candidate of that family (the
    #: first one is ``socket_id``, a second one a virtual id).
    family_sockets: dict[int, int] = field(default_factory=dict)

    def socket_for(self, peer: Address) -> int:
        """The relay candidate's socket id a peer of this family talks to."""
        return self.family_sockets.get(address_family(peer[0]), self.socket_id)

    @property
    def virtual_sockets(self) -> set[int]:
        return set(self.family_sockets.values()) - {self.socket_id}


class _RelaySink:
    """A relay candidate's send path: the allocation, flushed to the driver on every send."""

    def __init__(self, gathering: ServerGathering, relay: _Relay) -> None:
        self._gathering = gathering
        self._relay = relay

    def send(self, data: bytes, destination: Address, now: float) -> None:
        self._relay.allocation.send(data, destination, now)
        self._gathering._flush_relay(self._relay, now)


@dataclass(eq=False)
class ServerSet:
    """One gathering's server work; pooled (no generation) or a generation's."""

    id: int
    policy: str
    generation_id: int | None = None
    probes: dict[bytes, _Probe] = field(default_factory=dict)
    relays: dict[int, _Relay] = field(default_factory=dict)
    found: list[Found] = field(default_factory=list)
    errors: list[CandidateError] = field(default_factory=list)
    pending: set[object] = field(default_factory=set)
    #: turn:/turns: URLs with an allocation in this set: their Binding probe's
    #: failure is not reported, the allocation's outcome (which says more) is.
    relay_urls: set[str] = field(default_factory=set)
    #: When a retired generation's relays are to be released.
    release_at: float | None = None

    @property
    def allocations(self) -> list[RelayAllocation]:
        return [relay.allocation for relay in self.relays.values()]


class ServerGathering:
    """The agent's STUN/TURN gathering: servers, policy, pool, sets, requested sockets."""

    def __init__(self, agent: GatheringHost, config: IceAgentConfig) -> None:
        self._agent = agent
        self._config = config
        self.servers: tuple[ResolvedServer, ...] = ()
        self.policy = "all"
        self.pool_size = 0
        # The two lists below are the shared empty tuple while empty (nearly
        # always without servers), not two empty lists kept per connection.
        #: Sets gathered ahead of the first gathering (iceCandidatePoolSize).
        self.pool: list[ServerSet] | tuple[()] = ()
        self._by_generation: dict[int, ServerSet] = {}
        self._retired: list[ServerSet] | tuple[()] = ()
        self._by_socket: dict[int, tuple[ServerSet, _Probe | _Relay]] = {}
        self._by_transaction: dict[bytes, ServerSet] = {}
        self._next_socket_id = config.first_socket_id
        self._next_set_id = 0
        self._first_taken = False
        #: Each live probe's and relay's own deadline, as last read: the
        #: agent asks for the timer after every input, and re-reading every
        #: allocation then made gathering from N servers cost O(N) per packet.
        self._timers: dict[_Probe | _Relay, float] = {}
        #: Tasks touched since their deadline was last read (a set once one was).
        self._stale: set[_Probe | _Relay] | None = None

    # -- configuration ---------------------------------------------------------
    def configure(
        self,
        servers: Sequence[ResolvedServer],
        policy: str,
        pool_size: int,
        now: float,
    ) -> None:
        """Store servers and policy; (re)gather the pool when it applies."""
        if not 0 <= pool_size <= 255:
            raise IceArgumentError("pool_size must be 0..255")
        changed = tuple(servers) != self.servers or policy != self.policy
        self.servers, self.policy, self.pool_size = tuple(servers), policy, pool_size
        if self._first_taken:
            return  # the pool is only for the first gathering
        if changed and self.pool:
            self.discard_pool(now)
        pool = self.pool
        if len(pool) == pool_size:
            return
        if not isinstance(pool, list):
            pool = self.pool = []
        while len(pool) > pool_size:
            self._release_set(pool.pop(), now)
        while len(pool) < pool_size:
            pool.append(self._new_set(now))
        if not pool:
            self.pool = ()

    def discard_pool(self, now: float) -> None:
        """Release every pooled set (restart, close, new servers)."""
        pool, self.pool = self.pool, ()
        for server_set in pool:
            self._release_set(server_set, now)

    @property
    def managed_sockets(self) -> set[int]:
        return set(self._by_socket)

    def owns(self, socket_id: int) -> bool:
        return socket_id in self._by_socket

    # -- gathering -------------------------------------------------------------
    def start(self, generation_id: int, now: float) -> None:
        """Give a generation its set: a pooled one at first, else a fresh one (none
        when no server is configured)."""
        pool = self.pool
        pooled = not self._first_taken and isinstance(pool, list) and bool(pool)
        self._first_taken = True
        if not pooled and not self.servers:
            return  # nothing to gather from: the generation gets no (empty) set
        if pooled and isinstance(pool, list):
            server_set = pool.pop(0)
            if not pool:
                self.pool = ()
        else:
            server_set = self._new_set(now)
        self._adopt(server_set, generation_id, now)

    def _adopt(self, server_set: ServerSet, generation_id: int, now: float) -> None:
        agent = self._agent
        server_set.generation_id = generation_id
        self._by_generation[generation_id] = server_set
        for token in server_set.pending:
            agent.gathering_pending(generation_id, token)
        for error in server_set.errors:
            agent.queue_event(error)
        for found in server_set.found:
            self._deliver(server_set, found, now)

    def _new_set(self, now: float) -> ServerSet:
        server_set = ServerSet(self._next_set_id, self.policy)
        self._next_set_id += 1
        host_sockets = [
            s for s in self._agent.host_sockets() if s.protocol == "udp" and s.kind == "host"
        ]
        probed: set[Address] = set()
        for index, server in enumerate(self.servers):
            url = server.url
            if server.address is None:
                self._error(
                    server_set,
                    CandidateError(
                        url.url, None, None, UNREACHABLE, server.error or "could not resolve host"
                    ),
                )
                continue
            if url.is_turn:
                self._start_relay(server_set, server, index, now)
            if server_set.policy == "relay":
                continue  # relay-only: no Binding leaves a host socket at all
            if url.scheme == "stuns":
                self._start_tls_probe(server_set, server, now)
            elif socket_transport(url) == "udp" and server.address not in probed:
                probed.add(server.address)
                for sock in host_sockets:
                    if address_family(sock.address[0]) == server.family:
                        self._start_probe(server_set, sock, server, now)
        return server_set

    def _start_probe(
        self, server_set: ServerSet, sock: LocalSocket, server: ResolvedServer, now: float
    ) -> None:
        assert server.address is not None
        probe = BindingProbe(
            self._agent.rng.randbytes(12),
            now,
            budget=self._config.gathering_budget,
            policy=self._config.gathering_retransmission,
        )
        task = _Probe(
            probe, sock.socket_id, server.url.url, server.address, sock.address, sock.index
        )
        self._track_probe(server_set, task)
        self._pump_probe(server_set, task, now)

    def _start_tls_probe(self, server_set: ServerSet, server: ResolvedServer, now: float) -> None:
        assert server.address is not None
        socket_id = self._request_socket("tls", server.address, server.url.host)
        probe = BindingProbe(
            self._agent.rng.randbytes(12),
            now,
            budget=self._config.gathering_budget,
            policy=self._config.gathering_retransmission,
            reliable=True,
        )
        task = _Probe(probe, socket_id, server.url.url, server.address, None, 0, own_socket=True)
        self._track_probe(server_set, task)
        self._by_socket[socket_id] = (server_set, task)

    def _track_probe(self, server_set: ServerSet, task: _Probe) -> None:
        server_set.probes[task.probe.transaction_id] = task
        self._by_transaction[task.probe.transaction_id] = server_set
        self._touch(task)
        self._pending(server_set, task)

    def _start_relay(
        self, server_set: ServerSet, server: ResolvedServer, index: int, now: float
    ) -> None:
        assert server.address is not None
        url = server.url
        protocol = socket_transport(url)
        socket_id = self._request_socket(protocol, server.address, url.host)
        family = 6 if server.family == 6 else 4
        allocation = RelayAllocation(
            url,
            url.username or "",
            url.credential or "",
            now,
            budget=self._config.gathering_budget,
            policy=self._config.turn_retransmission,
            rng=self._agent.rng,  # a seeded agent repeats its TURN traffic byte for byte
            family=family,
            dual_stack=family == 4 and self._config.turn_dual_stack,
        )
        relay = _Relay(allocation, socket_id, url, server.address, protocol, index)
        server_set.relays[socket_id] = relay
        server_set.relay_urls.add(url.url)
        self._by_socket[socket_id] = (server_set, relay)
        self._touch(relay)
        self._pending(server_set, relay)

    def _request_socket(self, transport: str, remote: Address, server_name: str) -> int:
        socket_id = self._next_socket_id
        self._next_socket_id += 1
        self._agent.queue_event(SocketRequested(socket_id, transport, remote, server_name))
        return socket_id

    # -- driver inputs -----------------------------------------------------------
    def socket_opened(self, socket_id: int, local: Address, now: float) -> None:
        entry = self._by_socket.get(socket_id)
        if entry is None:
            return
        server_set, task = entry
        task.local = local
        if isinstance(task, _Relay):
            task.opened = True
            if task.releasing:
                self._finish_relay(server_set, task)
                return
            task.allocation.start(now)
            self._pump_relay(server_set, task, now)
        else:
            self._pump_probe(server_set, task, now)

    def socket_failed(self, socket_id: int, reason: str, now: float) -> None:
        entry = self._by_socket.get(socket_id)
        if entry is None:
            return
        server_set, task = entry
        if isinstance(task, _Relay):
            if not task.releasing:
                task.allocation.connection_lost(reason, now)
                self._pump_relay(server_set, task, now)
            self._forget_relay(server_set, task, announce=False)
        else:
            task.probe.cancel()
            self._probe_finished(server_set, task, ProbeFailed(UNREACHABLE, reason), announce=False)

    def socket_closed(self, socket_id: int, reason: str, now: float) -> None:
        entry = self._by_socket.get(socket_id)
        if entry is None:
            return
        server_set, task = entry
        if isinstance(task, _Relay):
            task.allocation.connection_lost(reason, now)
            self._pump_relay(server_set, task, now)
        elif not task.probe.done:
            task.probe.cancel()
            self._probe_finished(server_set, task, ProbeFailed(UNREACHABLE, reason))

    def receive(self, socket_id: int, source: Address, data: bytes, now: float) -> None:
        """Something arrived on a socket the gathering requested."""
        entry = self._by_socket.get(socket_id)
        if entry is None:
            return
        server_set, task = entry
        if source != task.server:
            return  # only the server talks to these sockets
        if isinstance(task, _Relay):
            task.allocation.receive(data, now)
            self._pump_relay(server_set, task, now)
        elif is_stun(data):
            try:
                message = decode_message(data)
            except StunDecodeError:
                return
            self.binding_response(message, now)

    def binding_response(self, message: StunMessage, now: float) -> bool:
        """A STUN response no check claimed: perhaps one of our probes'."""
        if message.message_class not in (MessageClass.SUCCESS, MessageClass.ERROR):
            return False
        server_set = self._by_transaction.get(message.transaction_id)
        if server_set is None:
            return False
        task = server_set.probes.get(message.transaction_id)
        if task is None or not task.probe.receive(message):
            return False
        self._pump_probe(server_set, task, now)
        return True

    # -- what ICE tells us ----------------------------------------------------
    def pairs_formed(self, pairs: Iterable[CandidatePair], now: float) -> None:
        """Install TURN permissions for every remote paired with a relay candidate."""
        for pair in pairs:
            entry = self._by_socket.get(pair.socket_id)
            if entry is not None and isinstance(entry[1], _Relay):
                relay = entry[1]
                relay.allocation.permit(pair.remote.host, now)
                self._pump_relay(entry[0], relay, now)

    def pair_selected(self, pair: CandidatePair, now: float) -> None:
        """Bind a channel so the selected relay path carries ChannelData."""
        entry = self._by_socket.get(pair.socket_id)
        if entry is not None and isinstance(entry[1], _Relay):
            relay = entry[1]
            relay.allocation.bind(pair.remote.address, now)
            self._pump_relay(entry[0], relay, now)

    def retire(self, generation_id: int, release_at: float, now: float) -> set[int]:
        """A generation retired: stop its probes, release its relays at ``release_at``.

        Returns the sockets the gathering will release itself.
        """
        server_set = self._by_generation.pop(generation_id, None)
        if server_set is None:
            return set()
        for task in list(server_set.probes.values()):
            task.probe.cancel()
            self._probe_finished(server_set, task, None)
        server_set.pending.clear()
        server_set.release_at = release_at
        retired = self._retired
        if not isinstance(retired, list):
            retired = self._retired = []
        retired.append(server_set)
        sockets = set(server_set.relays)
        for relay in server_set.relays.values():
            sockets |= relay.virtual_sockets
        if release_at <= now:
            self._release_retired(server_set, now)
        return sockets

    def close(self, now: float) -> None:
        """Release everything at once: one Refresh(0) each, then every socket."""
        self.discard_pool(now)
        for server_set in [*self._by_generation.values(), *self._retired]:
            self._release_set(server_set, now)
        self._by_generation.clear()
        self._retired = ()
        for server_set, task in list(self._by_socket.values()):
            if isinstance(task, _Relay):
                self._finish_relay(server_set, task)
            else:
                self._probe_finished(server_set, task, None)

    # -- time --------------------------------------------------------------------
    def get_timer(self) -> float | None:
        """The earliest deadline of any probe, relay or retired set.

        Only tasks touched since the last call are read again (every input
        that can move a task's deadline marks it stale), so the per-packet
        cost does not grow with the number of servers.
        """
        timers = self._timers
        stale = self._stale
        if stale:
            for task in stale:
                timer = self._task_timer(task)
                if timer is None:
                    timers.pop(task, None)
                else:
                    timers[task] = timer
            stale.clear()
        earliest = min(timers.values()) if timers else None  # usually none: no call
        for server_set in self._retired:
            at = server_set.release_at
            if at is not None and (earliest is None or at < earliest):
                earliest = at
        return earliest

    def _task_timer(self, task: _Probe | _Relay) -> float | None:
        """A live task's own deadline (None once it is finished or forgotten)."""
        if isinstance(task, _Relay):
            if task.released or task.socket_id not in self._by_socket:
                return None
            if task.releasing:
                return task.release_deadline
            return task.allocation.get_timer() if task.opened else task.allocation.deadline
        if task.probe.transaction_id not in self._by_transaction:
            return None
        return task.probe.get_timer()

    def _touch(self, task: _Probe | _Relay) -> None:
        """``task``'s deadline may have moved: read it again on the next get_timer."""
        stale = self._stale
        if stale is None:
            stale = self._stale = set()
        stale.add(task)

    def _untrack_timer(self, task: _Probe | _Relay) -> None:
        """``task`` is finished or forgotten: it has no deadline any more."""
        self._timers.pop(task, None)
        if self._stale is not None:
            self._stale.discard(task)

    def handle_timer(self, now: float) -> None:
        for server_set in list(self._retired):
            if server_set.release_at is not None and now >= server_set.release_at:
                self._release_retired(server_set, now)
        for server_set in self._all_sets():
            for probe_task in list(server_set.probes.values()):
                timer = probe_task.probe.get_timer()
                if timer is not None and now >= timer:
                    probe_task.probe.handle_timer(now)
                    self._pump_probe(server_set, probe_task, now)
        for server_set, task in list(self._by_socket.values()):
            if not isinstance(task, _Relay):
                continue
            if task.releasing:
                if task.release_deadline is not None and now >= task.release_deadline:
                    self._finish_relay(server_set, task)
                elif task.opened:
                    task.allocation.handle_timer(now)
                    self._pump_relay(server_set, task, now)
                continue
            timer = task.allocation.get_timer() if task.opened else task.allocation.deadline
            if timer is not None and now >= timer:
                task.allocation.handle_timer(now)
                self._pump_relay(server_set, task, now)

    # -- internals -----------------------------------------------------------------
    def _all_sets(self) -> list[ServerSet]:
        sets = list(self.pool) + list(self._by_generation.values()) + list(self._retired)
        return sets

    def _pending(self, server_set: ServerSet, token: object) -> None:
        server_set.pending.add(token)
        if server_set.generation_id is not None:
            self._agent.gathering_pending(server_set.generation_id, token)

    def _done(self, server_set: ServerSet, token: object, now: float) -> None:
        if token not in server_set.pending:
            return
        server_set.pending.discard(token)
        if server_set.generation_id is not None:
            self._agent.gathering_done(server_set.generation_id, token, now)

    def _error(self, server_set: ServerSet, error: CandidateError) -> None:
        server_set.errors.append(error)
        if server_set.generation_id is not None:
            self._agent.queue_event(error)

    def _found(self, server_set: ServerSet, found: Found, now: float) -> None:
        server_set.found.append(found)
        if server_set.generation_id is not None:
            self._deliver(server_set, found, now)

    def _deliver(self, server_set: ServerSet, found: Found, now: float) -> None:
        assert server_set.generation_id is not None
        added = self._agent.add_candidate(found, server_set.generation_id, now)
        if added and found.candidate.type == "relay":
            # Permissions for the remotes it was just paired with.
            self.pairs_formed(self._agent.pairs_on(server_set.generation_id, found.socket_id), now)

    def _pump_probe(self, server_set: ServerSet, task: _Probe, now: float) -> None:
        self._touch(task)
        if task.local is not None:  # else its socket is not open yet
            for data in task.probe.datagrams_to_send():
                self._agent.queue_transmit(task.socket_id, task.server, data)
        result = task.probe.result
        if result is None:
            return
        if isinstance(result, ProbeSucceeded) and not task.own_socket:
            self._srflx(server_set, task, result.mapped, now)
        elif (
            isinstance(result, ProbeFailed)
            and task.local is not None
            and task.url not in server_set.relay_urls  # one error per URL: the relay's
        ):
            self._error(
                server_set,
                CandidateError(task.url, task.local[0], task.local[1], result.code, result.text),
            )
        self._probe_finished(server_set, task, result, now=now)

    def _probe_finished(
        self,
        server_set: ServerSet,
        task: _Probe,
        result: object,
        *,
        announce: bool = True,
        now: float | None = None,
    ) -> None:
        tid = task.probe.transaction_id
        server_set.probes.pop(tid, None)
        self._by_transaction.pop(tid, None)
        self._untrack_timer(task)
        owned = task.own_socket and self._by_socket.pop(task.socket_id, None) is not None
        if owned and announce:
            self._agent.queue_event(SocketReleased(task.socket_id))
        if isinstance(result, ProbeFailed) and task.local is None and task.own_socket:
            self._error(server_set, CandidateError(task.url, None, None, result.code, result.text))
        self._done(server_set, task, self._agent.now if now is None else now)

    def _srflx(self, server_set: ServerSet, task: _Probe, mapped: Address, now: float) -> None:
        assert task.local is not None
        base = task.local
        if mapped == base or any(
            f.candidate.type == "srflx" and f.candidate.address == mapped for f in server_set.found
        ):
            return  # redundant with the host candidate, or already found
        candidate = Candidate(
            foundation=compute_foundation("srflx", base[0], "udp", task.url),
            component=1,
            transport="udp",
            priority=candidate_priority(100, local_preference(base[0], interface_index=task.index)),
            host=mapped[0],
            port=mapped[1],
            type="srflx",
            related_address=base[0],
            related_port=base[1],
        )
        self._found(server_set, Found(candidate, task.socket_id, None, task.url, None), now)

    def _pump_relay(self, server_set: ServerSet, relay: _Relay, now: float) -> None:
        self._flush_relay(relay, now)
        while (event := relay.allocation.next_event()) is not None:
            if isinstance(event, RelayReady):
                self._relay_ready(server_set, relay, event, now)
                self._done(server_set, relay, now)
            elif isinstance(event, RelayFailed):
                if not event.lost and not relay.releasing:
                    local = relay.local
                    self._error(
                        server_set,
                        CandidateError(
                            relay.url.url,
                            local[0] if local else None,
                            local[1] if local else None,
                            event.code,
                            event.text,
                        ),
                    )
                self._done(server_set, relay, now)
            elif isinstance(event, RelayData):
                if server_set.generation_id is not None or server_set in self._retired:
                    self._agent.relayed(relay.socket_for(event.peer), event.peer, event.data, now)
            elif isinstance(event, RelayReleased):
                self._finish_relay(server_set, relay)
        self._flush_relay(relay, now)

    def _flush_relay(self, relay: _Relay, now: float) -> None:
        """Hand what the allocation has to send (requests, relayed data) to the driver."""
        if not relay.released:
            self._touch(relay)  # whatever ran before a flush may have moved its timer
        if relay.opened and not relay.released:
            for data in relay.allocation.datagrams_to_send():
                self._agent.queue_transmit(relay.socket_id, relay.server, data)

    def _relay_ready(
        self, server_set: ServerSet, relay: _Relay, event: RelayReady, now: float
    ) -> None:
        for relayed in event.relayed_all or (event.relayed,):
            family = address_family(relayed[0])
            if family in relay.family_sockets:
                continue
            if not relay.family_sockets:
                socket_id = relay.socket_id
            else:  # a dual-stack allocation's second relayed address
                socket_id = self._next_socket_id
                self._next_socket_id += 1
                self._by_socket[socket_id] = (server_set, relay)
            relay.family_sockets[family] = socket_id
            self._relay_candidate(server_set, relay, event, relayed, socket_id, now)

    def _relay_candidate(
        self,
        server_set: ServerSet,
        relay: _Relay,
        event: RelayReady,
        relayed: Address,
        socket_id: int,
        now: float,
    ) -> None:
        related = event.mapped or relay.local
        candidate = Candidate(
            foundation=compute_foundation("relay", relayed[0], "udp", relay.url.url),
            component=1,
            transport="udp",
            priority=candidate_priority(
                0,
                local_preference(
                    relayed[0], relay_protocol=relay.protocol, interface_index=relay.index
                ),
            ),
            host=relayed[0],
            port=relayed[1],
            type="relay",
            related_address=related[0] if related else None,
            related_port=related[1] if related else None,
        )
        found = Found(candidate, socket_id, _RelaySink(self, relay), relay.url.url, relay.protocol)
        self._found(server_set, found, now)

    def _release_retired(self, server_set: ServerSet, now: float) -> None:
        retired = self._retired
        if isinstance(retired, list) and server_set in retired:
            retired.remove(server_set)
            if not retired:
                self._retired = ()
        self._release_set(server_set, now)

    def _release_set(self, server_set: ServerSet, now: float) -> None:
        """Cancel probes, give back allocations; sockets go once those are released."""
        server_set.release_at = None
        for task in list(server_set.probes.values()):
            task.probe.cancel()
            self._probe_finished(server_set, task, None)
        server_set.pending.clear()
        for relay in list(server_set.relays.values()):
            if relay.releasing or relay.released:
                continue
            relay.releasing = True
            relay.release_deadline = now + self._config.gathering_budget
            self._touch(relay)
            self._agent.forget_socket(relay.socket_id)
            for virtual in relay.virtual_sockets:
                self._agent.forget_socket(virtual)
            if relay.opened:
                relay.allocation.release(now)
                self._pump_relay(server_set, relay, now)
            # else: released as soon as the driver reports the socket open or failed

    def _finish_relay(self, server_set: ServerSet, relay: _Relay) -> None:
        if relay.released:
            return
        if not relay.releasing:
            # Refused or lost during its life: the candidate (if any) is dead.
            relay.releasing = True
        self._forget_relay(server_set, relay, announce=relay.opened)

    def _forget_relay(self, server_set: ServerSet, relay: _Relay, *, announce: bool) -> None:
        relay.released = True
        self._untrack_timer(relay)
        self._agent.forget_socket(relay.socket_id)
        for virtual in relay.virtual_sockets:
            self._agent.forget_socket(virtual)
            self._by_socket.pop(virtual, None)
        server_set.relays.pop(relay.socket_id, None)
        if self._by_socket.pop(relay.socket_id, None) is not None and announce:
            self._agent.queue_event(SocketReleased(relay.socket_id))
