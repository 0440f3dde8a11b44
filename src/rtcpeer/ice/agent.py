"""The sans-IO ICE agent (RFC 8445 full or lite, RFC 8838 trickle, RFC 7675 consent).

The agent never opens a socket, sleeps or reads a clock. The driver:

- registers sockets: :meth:`IceAgent.add_socket` (host) — gatherers add server
  reflexive and relay candidates through :meth:`IceAgent._add_local_candidate`;
- configures servers: :meth:`~IceAgent.set_servers` (resolved STUN/TURN URLs,
  transport policy, candidate pool size); the agent then asks for the extra
  sockets it needs with :class:`SocketRequested` events, answered by
  :meth:`~IceAgent.socket_opened` / :meth:`~IceAgent.socket_failed` (and later
  :meth:`~IceAgent.socket_closed`), and gives them back with
  :class:`SocketReleased`;
- feeds inputs: :meth:`~IceAgent.receive`, :meth:`~IceAgent.handle_timer`,
  :meth:`~IceAgent.set_remote_credentials`, :meth:`~IceAgent.add_remote_candidate`,
  :meth:`~IceAgent.gather`, :meth:`~IceAgent.send`, :meth:`~IceAgent.restart`;
- drains outputs: :meth:`~IceAgent.transmits`, :meth:`~IceAgent.get_timer`,
  :meth:`~IceAgent.next_event`.

All randomness (credentials, tie-breaker, transaction ids, consent jitter)
comes from one injectable :class:`random.Random`, so a seeded run repeats.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from rtcpeer.ice.candidate import (
    TYPE_PREFERENCES,
    Candidate,
    candidate_priority,
    compute_foundation,
    local_preference,
)
from rtcpeer.ice.connectivity import (
    CheckRejected,
    RoleAction,
    build_check,
    build_error,
    build_success,
    peer_reflexive_priority,
    resolve_role_conflict,
    split_username,
    validate_check,
)
from rtcpeer.ice.consent import ConsentFreshness, ConsentPolicy
from rtcpeer.ice.events import (
    CandidateError,
    DataReceived,
    GatheringStateChanged,
    GenerationRetired,
    IceEvent,
    LocalCandidate,
    RoleChanged,
    SelectedPairChanged,
    StateChanged,
)
from rtcpeer.ice.gathering import ServerGathering
from rtcpeer.ice.generation import Generation
from rtcpeer.ice.nomination import controlled_choice, controlling_choice, ready_to_nominate
from rtcpeer.ice.pair import CandidatePair, PairState
from rtcpeer.ice.servers import ResolvedServer
from rtcpeer.ice.states import IceGatheringState, IceTransportState, StateFacts, transport_state
from rtcpeer.ice.transport import Address, LocalSocket, OutboxSink, PacketSink, Transmit
from rtcpeer.stun.attributes import StunDecodeError
from rtcpeer.stun.constants import Attr, ErrorCode, MessageClass, Method
from rtcpeer.stun.message import StunMessage, decode_message, is_stun, short_term_key
from rtcpeer.stun.transaction import RetransmissionPolicy, StunTransaction

TransportPolicy = Literal["all", "relay"]
MdnsResolver = Callable[[str], "str | None"]
_ICE_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"


@dataclass(frozen=True)
class IceAgentConfig:
    """Timing and limits; defaults are close to libwebrtc's, all overridable."""

    #: Ta: pacing between ordinary and triggered checks (RFC 8445 §14.2).
    check_interval: float = 0.02
    #: Retransmission of connectivity checks: 0, .1, .3, .7, 1.5, 3.1, 6.3 s; fail at 6.7 s.
    check_retransmission: RetransmissionPolicy = field(
        default_factory=lambda: RetransmissionPolicy(rto=0.1, rc=7, rm=4)
    )
    #: Regular nomination waits at most this long after the first valid pair
    #: for a better pair to succeed.
    nomination_delay: float = 0.1
    #: As controlling agent, put USE-CANDIDATE in every check (RFC 5245 aggressive).
    aggressive_nomination: bool = False
    #: Consent freshness timing.
    consent: ConsentPolicy = field(default_factory=ConsentPolicy)
    #: Largest checklist (RFC 8445 §6.1.2.5).
    max_pairs: int = 100
    #: How long a retired generation's selected path still delivers data.
    retired_grace: float = 5.0
    #: Lengths of generated credentials (RFC 8445 §5.3: at least 4 and 22).
    ufrag_length: int = 8
    pwd_length: int = 24
    #: Total time a STUN/TURN server gets to give us a candidate while gathering
    #: (libwebrtc gives up after ~3-5 s); a silent server then costs only this.
    gathering_budget: float = 3.0
    #: Retransmission of gathering Binding requests (cut short by the budget).
    gathering_retransmission: RetransmissionPolicy = field(
        default_factory=lambda: RetransmissionPolicy(rto=0.25, rc=7, rm=16, reliable_timeout=3.0)
    )
    #: Retransmission of TURN requests (Allocate is also bounded by the budget).
    turn_retransmission: RetransmissionPolicy = field(
        default_factory=lambda: RetransmissionPolicy(rto=0.25, rc=7, rm=8, reliable_timeout=10.0)
    )
    #: Tr, the RFC 8863 patience (PAC) timer: no ICE failure before this many
    #: seconds since checks started, and failure after it once every pair has
    #: failed even when the peer never signals end-of-candidates.
    pac_timeout: float = 39.5
    #: Ids of sockets the agent requests start here, clear of the driver's host ids.
    first_socket_id: int = 1 << 20


class Gatherer(Protocol):
    """A source of server-reflexive or relay candidates, started by each gathering."""

    def start_gathering(self, agent: IceAgent, generation_id: int, now: float) -> None: ...


@dataclass(eq=False)
class _Check:
    """A connectivity or consent check in flight."""

    transaction: StunTransaction
    generation: Generation
    pair: CandidatePair
    use_candidate: bool
    consent: bool
    #: Our role when it was sent (a 487 only switches that role).
    controlling: bool
    #: PRIORITY it carried (the priority of a prflx candidate it may discover).
    priority: int


class IceAgent:
    """An ICE agent for one component, across restarts (generations)."""

    def __init__(
        self,
        controlling: bool,
        *,
        tie_breaker: int | None = None,
        rng: random.Random | None = None,
        policy: TransportPolicy = "all",
        remote_is_lite: bool = False,
        lite: bool = False,
        resolve_mdns: MdnsResolver | None = None,
        config: IceAgentConfig | None = None,
    ) -> None:
        if lite and remote_is_lite:
            raise ValueError("two lite agents cannot talk to each other")
        self._rng = rng if rng is not None else random.Random()
        self.config = config or IceAgentConfig()
        self.lite = lite
        self.remote_is_lite = remote_is_lite
        #: Full agents facing a lite peer control (RFC 8445 §6.1.1); lite agents never do.
        self.controlling = (controlling or remote_is_lite) and not lite
        self.tie_breaker = tie_breaker if tie_breaker is not None else self._rng.getrandbits(64)
        self.policy: TransportPolicy = policy
        self._resolve_mdns = resolve_mdns
        self._sockets: dict[int, LocalSocket] = {}
        self._gatherers: list[Gatherer] = []
        self._outbox: list[Transmit] = []
        self._events: deque[IceEvent] = deque()
        self._checks: dict[bytes, _Check] = {}
        self._next_check_at: float | None = None
        self._generations: list[Generation] = []
        self._old_remote_ufrags: set[str] = set()
        self._retired_paths: dict[tuple[int, Address], float] = {}
        self._state = IceTransportState.NEW
        self._closed = False
        self._restarted = False
        self._active_pair: CandidatePair | None = None
        self._now = 0.0
        self._generation_count = 0
        self._last_check_at: float | None = None
        self._gathering = ServerGathering(self, self.config)
        self._generations.append(self._new_generation())

    # ------------------------------------------------------------------
    # properties
    @property
    def generation(self) -> Generation:
        """The current generation."""
        return self._generations[-1]

    @property
    def generations(self) -> Sequence[Generation]:
        """Live generations, oldest first (two only during a restart)."""
        return tuple(self._generations)

    @property
    def local_ufrag(self) -> str:
        return self.generation.local_ufrag

    @property
    def local_pwd(self) -> str:
        return self.generation.local_pwd

    @property
    def state(self) -> IceTransportState:
        return self._state

    @property
    def gathering_state(self) -> IceGatheringState:
        return self.generation.gathering_state

    @property
    def selected_pair(self) -> CandidatePair | None:
        """The pair :meth:`send` uses: the current generation's, else the previous one's."""
        return self._sending_pair()

    @property
    def local_candidates(self) -> list[Candidate]:
        return [e.candidate for e in self.generation.local if e.candidate.type != "prflx"]

    # ------------------------------------------------------------------
    # sockets and gathering
    def add_socket(
        self,
        socket_id: int,
        local_address: Address,
        protocol: str = "udp",
        now: float | None = None,
    ) -> None:
        """Register a host socket; it gets a host candidate in each gathering."""
        if socket_id in self._sockets:
            raise ValueError(f"socket {socket_id} is already registered")
        sock = LocalSocket(
            socket_id,
            local_address,
            protocol,
            OutboxSink(socket_id, self._outbox),
            "host",
            len(self._sockets),
        )
        self._sockets[socket_id] = sock
        gen = self.generation
        if gen.gathering_state == IceGatheringState.GATHERING and protocol == "udp":
            self._add_host_candidate(gen, sock, self._time(now))

    def add_gatherer(self, gatherer: Gatherer) -> None:
        """A server-reflexive/relay gatherer started by every :meth:`gather`."""
        self._gatherers.append(gatherer)

    def set_servers(
        self,
        servers: Sequence[ResolvedServer],
        *,
        policy: TransportPolicy = "all",
        pool_size: int = 0,
        now: float,
    ) -> None:
        """Store the STUN/TURN servers and transport policy for the next gathering.

        As the spec's "set a configuration" says, they take effect at the next
        :meth:`gather` or :meth:`restart`, except that the candidate pool is
        gathered at once: before the first gathering, ``pool_size`` sets of
        server candidates are gathered ahead, and a pool gathered from other
        servers (or another policy) is released and gathered again.
        """
        self._now = now
        if policy not in ("all", "relay"):
            raise ValueError(f"policy must be 'all' or 'relay', not {policy!r}")
        self.policy = policy
        gen = self.generation
        if gen.gathering_state == IceGatheringState.NEW:
            gen.policy = policy
        if not self._closed:
            self._gathering.configure(servers, policy, pool_size, now)

    def socket_opened(self, socket_id: int, local_address: Address, now: float) -> None:
        """The driver opened a socket the agent asked for (:class:`SocketRequested`)."""
        self._now = now
        if not self._closed:
            self._gathering.socket_opened(socket_id, local_address, now)
            self._update_state(now)

    def socket_failed(self, socket_id: int, reason: str, now: float) -> None:
        """A requested socket could not be opened (connect/TLS/DTLS failed): a 701."""
        self._now = now
        if not self._closed:
            self._gathering.socket_failed(socket_id, reason, now)
            self._update_state(now)

    def socket_closed(self, socket_id: int, reason: str, now: float) -> None:
        """A requested stream socket closed under us (TURN over TCP/TLS lost)."""
        self._now = now
        if not self._closed:
            self._gathering.socket_closed(socket_id, reason, now)
            self._update_state(now)

    def gather(self, now: float) -> None:
        """Start gathering for the current generation: host candidates, then gatherers."""
        self._now = now
        gen = self.generation
        if gen.gathering_state != IceGatheringState.NEW or self._closed:
            return
        gen.policy = self.policy
        self._set_gathering(gen, IceGatheringState.GATHERING)
        for sock in list(self._sockets.values()):
            if sock.kind == "host" and sock.protocol == "udp":  # ICE-TCP is not done yet
                self._add_host_candidate(gen, sock, now)
        self._gathering.start(gen.id, now)
        for gatherer in self._gatherers:
            gatherer.start_gathering(self, gen.id, now)
        self._maybe_gathering_complete(gen)
        self._start_patience(gen, now)
        self._update_state(now)

    def _add_host_candidate(self, gen: Generation, sock: LocalSocket, now: float) -> None:
        host, port = sock.address
        candidate = Candidate(
            foundation=compute_foundation("host", host, sock.protocol),
            component=1,
            transport=sock.protocol,
            priority=candidate_priority(
                TYPE_PREFERENCES["host"], local_preference(host, interface_index=sock.index)
            ),
            host=host,
            port=port,
            type="host",
        )
        self._add_local_candidate(candidate, sock.socket_id, generation_id=gen.id, now=now)

    def _gathering_pending(self, generation_id: int, token: object) -> None:
        """Internal hook: a gatherer has started work that gathering must wait for."""
        gen = self._generation_by_id(generation_id)
        if gen is not None:
            gen.pending_gatherers.add(token)

    def _gathering_done(self, generation_id: int, token: object, now: float) -> None:
        """Internal hook: that work finished (with or without a candidate)."""
        self._now = now
        gen = self._generation_by_id(generation_id)
        if gen is None:
            return
        gen.pending_gatherers.discard(token)
        self._maybe_gathering_complete(gen)
        self._update_state(now)

    def _add_local_candidate(
        self,
        candidate: Candidate,
        socket_id: int,
        *,
        sink: PacketSink | None = None,
        generation_id: int | None = None,
        now: float | None = None,
        url: str | None = None,
        relay_protocol: str | None = None,
    ) -> Candidate | None:
        """Internal hook for gatherers: add a local candidate sending through ``socket_id``.

        A relay candidate passes its TURN allocation as ``sink`` and a fresh
        ``socket_id``; that socket belongs to the generation and is named in
        its :class:`GenerationRetired` event. Returns the candidate as
        signalled, or None when the transport policy filters it out.
        """
        now = self._time(now)
        gen = self.generation if generation_id is None else self._generation_by_id(generation_id)
        if gen is None or self._closed:
            return None
        if gen.policy == "relay" and candidate.type != "relay":
            return None
        if sink is not None and socket_id not in self._sockets:
            self._sockets[socket_id] = LocalSocket(
                socket_id,
                candidate.address,
                candidate.transport,
                sink,
                candidate.type,
                len(self._sockets),
            )
            gen.owned_sockets.add(socket_id)
        if socket_id not in self._sockets:
            raise ValueError(f"socket {socket_id} is not registered")
        candidate = replace(candidate, ufrag=gen.local_ufrag, generation=gen.id)
        pairs = gen.add_local(candidate, socket_id)
        if not any(e.candidate is candidate for e in gen.local):
            return None
        self._events.append(LocalCandidate(candidate, gen.id, url, relay_protocol))
        if pairs:
            self._gathering.pairs_formed(pairs, now)
            self._schedule_checks(now)
        return candidate

    def _report_candidate_error(
        self, url: str, address: str | None, port: int | None, error_code: int, error_text: str
    ) -> None:
        """Internal hook for gatherers: a server failed us (icecandidateerror)."""
        self._events.append(CandidateError(url, address, port, error_code, error_text))

    # -- hooks for ServerGathering ---------------------------------------------
    def _queue_event(self, event: IceEvent) -> None:
        self._events.append(event)

    def _queue_transmit(self, socket_id: int, destination: Address, data: bytes) -> None:
        self._outbox.append(Transmit(socket_id, destination, data))

    def _host_sockets(self) -> list[LocalSocket]:
        return [s for s in self._sockets.values() if s.kind == "host"]

    def _relayed(self, socket_id: int, peer: Address, data: bytes, now: float) -> None:
        """A datagram came through a TURN allocation: as if it arrived on the relay candidate."""
        sock = self._sockets.get(socket_id)
        if sock is not None and not self._closed:
            self._receive_on(sock, peer, data, now)

    def _forget_socket(self, socket_id: int) -> None:
        self._sockets.pop(socket_id, None)

    def _host_allowed(self) -> bool:
        """Host sockets carry traffic unless every live generation is relay-only."""
        return any(g.policy != "relay" for g in self._generations)

    def _set_gathering(self, gen: Generation, state: IceGatheringState) -> None:
        if gen.gathering_state != state:
            gen.gathering_state = state
            self._events.append(GatheringStateChanged(state, gen.id))

    def _maybe_gathering_complete(self, gen: Generation) -> None:
        if gen.gathering_state == IceGatheringState.GATHERING and not gen.pending_gatherers:
            self._set_gathering(gen, IceGatheringState.COMPLETE)

    # ------------------------------------------------------------------
    # signalling inputs
    def set_remote_credentials(self, ufrag: str, pwd: str, now: float | None = None) -> None:
        """The peer's ufrag/pwd. New ones on a generation that has some mean a restart."""
        now = self._time(now)
        gen = self.generation
        if gen.remote_ufrag is not None and (gen.remote_ufrag, gen.remote_pwd) != (ufrag, pwd):
            self.restart(now)
            gen = self.generation
        if ufrag in self._old_remote_ufrags:
            raise ValueError("remote credentials of a previous generation")
        gen.remote_ufrag, gen.remote_pwd = ufrag, pwd
        self._start_patience(gen, now)
        self._schedule_checks(now)
        self._update_state(now)

    def add_remote_candidate(self, candidate: Candidate | None, now: float) -> bool:
        """Add a trickled remote candidate; None is end-of-candidates. False if ignored."""
        self._now = now
        gen = self.generation
        if self._closed:
            return False
        if candidate is None:
            gen.remote_end_of_candidates = True
            self._update_state(now)
            return True
        if candidate.ufrag is not None and (
            candidate.ufrag in self._old_remote_ufrags
            or (gen.remote_ufrag is not None and candidate.ufrag != gen.remote_ufrag)
        ):
            return False
        if candidate.component != 1:
            return False
        if candidate.is_mdns:
            resolved = self._resolve_mdns(candidate.host) if self._resolve_mdns else None
            if resolved is None:
                return False
            candidate = candidate.with_address(resolved, candidate.port)
        if gen.policy == "relay":
            paired: tuple[str, ...] = ("relay",)
        else:
            paired = ("host", "relay")
        known = gen.remote_by_address(candidate.address, candidate.transport)
        if known is not None and known.type != "prflx":
            return False
        pairs = gen.add_remote(candidate, paired)
        if pairs:
            self._gathering.pairs_formed(pairs, now)
        if pairs and not self.lite:
            self._schedule_checks(now)
        self._update_state(now)
        return True

    def restart(
        self, now: float, *, gather: bool = True, credentials: tuple[str, str] | None = None
    ) -> None:
        """Begin a new generation: new credentials, gathering and checklist.

        ``credentials`` (ufrag, pwd) are the ones JSEP already put in an
        offer (createOffer mints them before setLocalDescription applies
        them); None generates fresh ones.

        The previous generation's selected pair keeps carrying :meth:`send`
        and incoming data until the new generation selects a pair; then the
        previous one is retired (:class:`GenerationRetired`).
        """
        self._now = now
        old = self.generation
        if old.remote_ufrag is not None:
            self._old_remote_ufrags.add(old.remote_ufrag)
        self._restarted = True
        self._gathering.discard_pool(now)
        self._generations.append(self._new_generation(credentials))
        for gen in self._generations[:-1]:
            if gen.selected is None:
                self._retire(gen, now)
            else:
                self._cancel_checks(gen, keep_consent=True)
        self._next_check_at = None
        if gather:
            self.gather(now)
        self._update_state(now)

    def set_remote_is_lite(self, remote_is_lite: bool = True) -> None:
        """The remote description says ``a=ice-lite``: a full agent must control."""
        self.remote_is_lite = remote_is_lite
        if remote_is_lite and not self.controlling and not self.lite:
            self._switch_role(True)

    def close(self) -> None:
        """Stop everything; the state becomes closed."""
        if self._closed:
            return
        self._closed = True
        self._checks.clear()
        self._next_check_at = None
        self._gathering.close(self._now)
        self._update_state(self._now)

    def nominate(self, local: Address, remote: Address, now: float) -> bool:
        """Controlling only: (re)nominate the pair between these addresses now."""
        self._now = now
        gen = self.generation
        if not self.controlling or gen.remote_pwd is None:
            return False
        pair = next(
            (
                p
                for p in gen.checklist.pairs
                if p.local.address == local and p.remote.address == remote
            ),
            None,
        )
        if pair is None:  # pruned after the first nomination: form it again
            entry = next((e for e in gen.local if e.candidate.address == local), None)
            remote_candidate = next((c for c in gen.remote if c.address == remote), None)
            if entry is None or remote_candidate is None:
                return False
            base = gen.base_for_socket(entry.socket_id, ("host", "relay"))
            if base is None:
                return False
            pair = gen.checklist.add(
                base, remote_candidate, entry.socket_id, state=PairState.WAITING
            )
            if pair is None:
                return False
        gen.nominating = pair
        self._send_check(gen, pair, now, use_candidate=True)
        return True

    # ------------------------------------------------------------------
    # outputs
    def transmits(self) -> list[Transmit]:
        """Drain the datagrams to send from host sockets."""
        out, self._outbox[:] = list(self._outbox), []
        return out

    def next_event(self) -> IceEvent | None:
        return self._events.popleft() if self._events else None

    def get_timer(self) -> float | None:
        """The earliest moment :meth:`handle_timer` has work; None when idle."""
        if self._closed:
            return None
        timers: list[float] = []
        if self._next_check_at is not None:
            timers.append(self._next_check_at)
        gathering = self._gathering.get_timer()
        if gathering is not None:
            timers.append(gathering)
        for check in self._checks.values():
            deadline = check.transaction.get_timer()
            if deadline is not None:
                timers.append(deadline)
        for gen in self._generations:
            if gen.consent is not None and gen.selected is not None and not self.lite:
                timers.append(gen.consent.get_timer(self._now))
            if (
                self.controlling
                and gen.selected is None
                and gen.nominating is None
                and gen.first_valid_at is not None
                and not self.config.aggressive_nomination
                and gen.first_valid_at + self.config.nomination_delay > self._now
            ):
                timers.append(gen.first_valid_at + self.config.nomination_delay)
        gen = self.generation
        if gen.checks_started_at is not None and gen.selected is None:
            patience = gen.checks_started_at + self.config.pac_timeout
            if patience > self._now:
                timers.append(patience)  # the state may become failed then
        return min(timers) if timers else None

    # ------------------------------------------------------------------
    # time
    def handle_timer(self, now: float) -> None:
        self._now = now
        if self._closed:
            return
        self._gathering.handle_timer(now)
        for tid, check in list(self._checks.items()):
            check.transaction.handle_timer(now)
            if check.transaction.done:
                self._checks.pop(tid, None)
                check.pair.transactions.discard(tid)
                self._on_check_timeout(check, now)
            else:
                self._flush(check, now)
        if self._next_check_at is not None and now >= self._next_check_at:
            self._paced_check(now)
        for gen in list(self._generations):
            self._maybe_nominate(gen, now)
            self._run_consent(gen, now)
        self._expire_retired(now)
        self._update_state(now)

    def _paced_check(self, now: float) -> None:
        gen = self.generation
        pair = None
        if gen.remote_pwd is not None and not self.lite:
            pair = gen.checklist.next_pair()
        if pair is None:
            self._next_check_at = None
            return
        self._send_check(gen, pair, now, use_candidate=self._aggressive)
        self._last_check_at = now
        self._next_check_at = now + self.config.check_interval

    @property
    def _aggressive(self) -> bool:
        return self.controlling and self.config.aggressive_nomination

    def _schedule_checks(self, now: float) -> None:
        if self.lite or self._closed or self._next_check_at is not None:
            return
        if self.generation.remote_pwd is not None and self.generation.checklist.has_work():
            last = self._last_check_at
            self._next_check_at = (
                now if last is None else max(now, last + self.config.check_interval)
            )

    # ------------------------------------------------------------------
    # sending checks
    def _send_check(
        self,
        gen: Generation,
        pair: CandidatePair,
        now: float,
        *,
        use_candidate: bool = False,
        consent: bool = False,
    ) -> None:
        assert gen.remote_pwd is not None and gen.remote_ufrag is not None
        priority = peer_reflexive_priority(pair.local)
        request, data = build_check(
            transaction_id=self._rng.randbytes(12),
            local_ufrag=gen.local_ufrag,
            remote_ufrag=gen.remote_ufrag,
            remote_pwd=gen.remote_pwd,
            priority=priority,
            controlling=self.controlling,
            tie_breaker=self.tie_breaker,
            use_candidate=use_candidate,
        )
        transaction = StunTransaction(
            request,
            data,
            now,
            policy=(
                self.config.consent.retransmission if consent else self.config.check_retransmission
            ),
            integrity_key=short_term_key(gen.remote_pwd),
        )
        check = _Check(transaction, gen, pair, use_candidate, consent, self.controlling, priority)
        self._checks[request.transaction_id] = check
        pair.transactions.add(request.transaction_id)
        if pair.state == PairState.WAITING:
            pair.set_state(PairState.IN_PROGRESS)
        self._flush(check, now)

    def _flush(self, check: _Check, now: float) -> None:
        for data in check.transaction.datagrams_to_send():
            self._send_on(check.pair.socket_id, check.pair.remote.address, data, now)

    def _send_on(self, socket_id: int, destination: Address, data: bytes, now: float) -> None:
        sock = self._sockets.get(socket_id)
        if sock is None:
            return
        if sock.kind == "host" and not self._host_allowed():
            return  # relay-only: nothing ever leaves a host socket
        sock.sink.send(data, destination, now)

    def _cancel_checks(self, gen: Generation, keep_consent: bool = False) -> None:
        for tid, check in list(self._checks.items()):
            if check.generation is gen and not (keep_consent and check.consent):
                check.transaction.cancel()
                del self._checks[tid]
                check.pair.transactions.discard(tid)

    # ------------------------------------------------------------------
    # receiving
    def receive(self, socket_id: int, source: Address, data: bytes, now: float) -> None:
        """A datagram (or de-framed stream frame) arrived on a registered socket."""
        self._now = now
        if self._closed:
            return
        if self._gathering.owns(socket_id):
            self._gathering.receive(socket_id, source, data, now)
            self._update_state(now)
            return
        sock = self._sockets.get(socket_id)
        if sock is None:
            return
        self._receive_on(sock, source, data, now)

    def _receive_on(self, sock: LocalSocket, source: Address, data: bytes, now: float) -> None:
        """A datagram on a host socket, or one relayed through a TURN allocation."""
        socket_id = sock.socket_id
        if sock.kind == "host" and not self._host_allowed():
            return
        if is_stun(data):
            try:
                message = decode_message(data)
            except StunDecodeError:
                return
            if message.method != Method.BINDING:
                return
            if message.message_class == MessageClass.REQUEST:
                self._handle_request(sock, source, message, now)
            elif message.message_class in (MessageClass.SUCCESS, MessageClass.ERROR):
                self._handle_response(sock, source, message, now)
        elif self._path_known(socket_id, source, now):
            self._events.append(DataReceived(data, socket_id, source))
        self._update_state(now)

    def _path_known(self, socket_id: int, source: Address, now: float) -> bool:
        path = (socket_id, source)
        if any(path in gen.authenticated_paths for gen in self._generations):
            return True
        expiry = self._retired_paths.get(path)
        return expiry is not None and now < expiry

    def _reply(self, sock: LocalSocket, destination: Address, data: bytes, now: float) -> None:
        self._send_on(sock.socket_id, destination, data, now)

    def _handle_request(
        self, sock: LocalSocket, source: Address, request: StunMessage, now: float
    ) -> None:
        try:
            local_ufrag, _ = split_username(request)
        except CheckRejected as exc:
            if exc.code is not None:
                self._reply(sock, source, build_error(request, exc.code, None), now)
            return
        gen = next((g for g in self._generations if g.local_ufrag == local_ufrag), None)
        if gen is None:
            self._reply(sock, source, build_error(request, ErrorCode.UNAUTHENTICATED, None), now)
            return
        try:
            check = validate_check(request, gen.local_pwd)
        except CheckRejected as exc:
            if exc.code is not None:
                self._reply(sock, source, build_error(request, exc.code, None), now)
            return
        if gen.remote_ufrag is not None and check.remote_ufrag != gen.remote_ufrag:
            return  # the peer restarted before its new credentials reached us
        if not self.lite:
            action = resolve_role_conflict(self.controlling, self.tie_breaker, check)
            if action == RoleAction.REJECT_487:
                self._reply(
                    sock, source, build_error(request, ErrorCode.ROLE_CONFLICT, gen.local_pwd), now
                )
                return
            if action == RoleAction.SWITCH:
                self._switch_role(not self.controlling)
        self._reply(sock, source, build_success(request, source, gen.local_pwd), now)
        gen.heard_from_peer = True
        gen.authenticated_paths.add((sock.socket_id, source))

        local = gen.base_for_socket(sock.socket_id, ("host", "relay"))
        if local is None:
            return
        remote = gen.remote_by_address(source, local.transport)
        if remote is None:
            remote = gen.add_peer_reflexive_remote(source, local.transport, check.priority)
        pair = gen.checklist.find(sock.socket_id, local.address, source)
        if pair is None:
            pair = gen.checklist.add(local, remote, sock.socket_id, state=PairState.WAITING)
            if pair is None:
                return
            self._gathering.pairs_formed([pair], now)
        if self.lite:
            if check.use_candidate:
                pair.state = PairState.SUCCEEDED
                pair.valid = True
                self._accept_nomination(gen, pair, now)
            return
        if pair.state != PairState.SUCCEEDED and pair.state != PairState.IN_PROGRESS:
            gen.checklist.trigger(pair)
            self._schedule_checks(now)
        if check.use_candidate and not self.controlling:
            target = self._valid_pair_from(gen, pair)
            if target is not None:
                self._accept_nomination(gen, target, now)
            else:
                pair.use_candidate_received = True

    def _valid_pair_from(self, gen: Generation, pair: CandidatePair) -> CandidatePair | None:
        """The valid pair a check on ``pair`` produced (itself unless prflx-local)."""
        if pair.valid:
            return pair
        for other in gen.checklist.valid_pairs:
            if other.socket_id == pair.socket_id and other.remote.address == pair.remote.address:
                return other
        return None

    def _handle_response(
        self, sock: LocalSocket, source: Address, response: StunMessage, now: float
    ) -> None:
        check = self._checks.get(response.transaction_id)
        if check is None:
            self._gathering.binding_response(response, now)  # a gathering probe's?
            return
        if not check.transaction.receive(response):
            return
        del self._checks[response.transaction_id]
        pair, gen = check.pair, check.generation
        pair.transactions.discard(response.transaction_id)
        if gen not in self._generations:
            return
        if source != pair.remote.address or sock.socket_id != pair.socket_id:
            if not check.consent and pair.state == PairState.IN_PROGRESS and not pair.transactions:
                pair.set_state(PairState.FAILED)
            return  # not symmetric (RFC 8445 §7.2.5.2.1)
        if response.message_class == MessageClass.ERROR:
            self._handle_error_response(check, response, now)
            return
        gen.authenticated_paths.add((sock.socket_id, source))
        if gen.selected is not None and gen.consent is not None and pair is gen.selected:
            gen.consent.response(now)
        if check.consent:
            return
        valid = self._construct_valid_pair(gen, check, response)
        if pair.state == PairState.IN_PROGRESS:
            pair.set_state(PairState.SUCCEEDED)
        valid.valid = True
        if gen.first_valid_at is None:
            gen.first_valid_at = now
        gen.checklist.unfreeze_foundation(pair.foundation)
        self._schedule_checks(now)
        if check.use_candidate and self.controlling:
            if gen.nominating is pair:
                gen.nominating = None
            self._on_nominated(gen, valid, now)
        elif not self.controlling and (pair.use_candidate_received or valid.use_candidate_received):
            self._accept_nomination(gen, valid, now)
        else:
            self._maybe_nominate(gen, now)

    def _construct_valid_pair(
        self, gen: Generation, check: _Check, response: StunMessage
    ) -> CandidatePair:
        """RFC 8445 §7.2.5.3: the valid pair uses the local candidate the mapped address names."""
        pair = check.pair
        mapped = response.get(Attr.XOR_MAPPED_ADDRESS)
        if not isinstance(mapped, tuple) or mapped == pair.local.address:
            return pair
        local = gen.local_by_address(pair.socket_id, mapped)
        if local is None:
            local = gen.add_peer_reflexive_local(pair.local, pair.socket_id, mapped, check.priority)
        existing = gen.checklist.find(pair.socket_id, local.address, pair.remote.address)
        if existing is not None:
            return existing
        valid = gen.checklist.add(local, pair.remote, pair.socket_id, state=PairState.SUCCEEDED)
        return valid if valid is not None else pair

    def _handle_error_response(self, check: _Check, response: StunMessage, now: float) -> None:
        pair, gen = check.pair, check.generation
        if check.consent:
            return  # an error is no consent; the timeout rules decide
        if response.error_code == ErrorCode.ROLE_CONFLICT:
            if check.controlling == self.controlling:
                self._switch_role(not check.controlling)
            if pair.state == PairState.IN_PROGRESS:
                pair.set_state(PairState.WAITING)
            if pair.state == PairState.WAITING:
                gen.checklist.trigger(pair)
            if gen.nominating is pair:
                gen.nominating = None
            self._schedule_checks(now)
            return
        if gen.nominating is pair:
            gen.nominating = None
        if pair.state == PairState.IN_PROGRESS and not pair.transactions:
            pair.set_state(PairState.FAILED)
            self._schedule_checks(now)  # a frozen sibling may go now

    def _on_check_timeout(self, check: _Check, now: float) -> None:
        pair, gen = check.pair, check.generation
        if check.consent:
            if gen.consent is not None:
                gen.consent.check_timed_out(now)
            return
        if gen.nominating is pair:
            gen.nominating = None
        if pair.state == PairState.IN_PROGRESS and not pair.transactions:
            pair.set_state(PairState.FAILED)
            self._schedule_checks(now)  # a frozen sibling may go now

    def _switch_role(self, controlling: bool) -> None:
        self.controlling = controlling
        for gen in self._generations:
            gen.checklist.set_role(controlling)
        self._events.append(RoleChanged(controlling))

    # ------------------------------------------------------------------
    # nomination and selection
    def _maybe_nominate(self, gen: Generation, now: float) -> None:
        if (
            not self.controlling
            or self._aggressive
            or gen.selected is not None
            or gen.nominating is not None
            or gen.remote_pwd is None
            or gen is not self.generation
        ):
            return
        pair = ready_to_nominate(
            gen.checklist, gen.first_valid_at, self.config.nomination_delay, now
        )
        if pair is not None:
            gen.nominating = pair
            self._send_check(gen, pair, now, use_candidate=True)

    def _on_nominated(self, gen: Generation, pair: CandidatePair, now: float) -> None:
        """Controlling: a check with USE-CANDIDATE succeeded."""
        pair.nominated = True
        pair.nominated_at = now
        choice = controlling_choice(gen.checklist.pairs, self.config.aggressive_nomination)
        if choice is not None and choice is not gen.selected:
            self._select(gen, choice, now)

    def _accept_nomination(self, gen: Generation, pair: CandidatePair, now: float) -> None:
        """Controlled: the peer nominated a valid pair; the latest nomination wins."""
        pair.nominated = True
        pair.nominated_at = now
        pair.use_candidate_received = False
        choice = controlled_choice(gen.checklist.pairs)
        if choice is not None and choice is not gen.selected:
            self._select(gen, choice, now)

    def _select(self, gen: Generation, pair: CandidatePair, now: float) -> None:
        gen.selected = pair
        gen.consent_lost = False
        gen.consent = ConsentFreshness(now, self._rng, self.config.consent)
        gen.checklist.stop_checks()
        self._gathering.pair_selected(pair, now)
        if gen is self.generation:
            for old in self._generations[:-1]:
                self._retire(old, now)
        self._announce_active_pair()

    def _sending_pair(self) -> CandidatePair | None:
        for gen in reversed(self._generations):
            if gen.selected is not None:
                return gen.selected
        return None

    def _announce_active_pair(self) -> None:
        pair = self._sending_pair()
        if pair is self._active_pair:
            return
        self._active_pair = pair
        gen = next((g for g in self._generations if g.selected is pair), self.generation)
        self._events.append(
            SelectedPairChanged(pair.local if pair else None, pair.remote if pair else None, gen.id)
        )

    def _retire(self, gen: Generation, now: float) -> None:
        if gen not in self._generations or gen is self.generation:
            return
        self._cancel_checks(gen)
        self._generations.remove(gen)
        release_at = now
        if gen.selected is not None:
            path = (gen.selected.socket_id, gen.selected.remote.address)
            release_at = now + self.config.retired_grace
            self._retired_paths[path] = release_at
        if gen.remote_ufrag is not None:
            self._old_remote_ufrags.add(gen.remote_ufrag)
        # Our TURN allocations keep delivering the old path's data for the grace
        # period, then are released; each socket then gets a SocketReleased.
        managed = self._gathering.retire(gen.id, release_at, now)
        others = gen.owned_sockets - managed
        for socket_id in others:
            self._sockets.pop(socket_id, None)
        self._events.append(GenerationRetired(gen.id, tuple(sorted(others))))
        self._announce_active_pair()

    def _expire_retired(self, now: float) -> None:
        for path, expiry in list(self._retired_paths.items()):
            if now >= expiry:
                del self._retired_paths[path]

    # ------------------------------------------------------------------
    # consent
    def _run_consent(self, gen: Generation, now: float) -> None:
        pair, consent = gen.selected, gen.consent
        if pair is None or consent is None or self.lite or gen.remote_pwd is None:
            return
        if consent.expired(now):
            gen.consent_lost = True
            gen.selected = None
            gen.consent = None
            self._cancel_checks(gen)
            if pair.state == PairState.SUCCEEDED:
                pair.set_state(PairState.FAILED)
            pair.valid = False
            self._announce_active_pair()
            return
        if consent.due(now):
            consent.check_sent(now)
            self._send_check(gen, pair, now, consent=True)

    # ------------------------------------------------------------------
    # data
    def send(self, data: bytes, now: float) -> bool:
        """Send application data over the selected pair; False (dropped) without one."""
        self._now = now
        if self._closed:
            return False
        pair = self._sending_pair()
        if pair is None:
            return False
        self._send_on(pair.socket_id, pair.remote.address, data, now)
        return True

    # ------------------------------------------------------------------
    # state
    def _update_state(self, now: float) -> None:
        gen = self.generation
        selected = gen.selected
        consent = gen.consent
        started = gen.checks_started_at
        older_usable = any(
            g.selected is not None and g.consent is not None and not g.consent.unanswered(now)
            for g in self._generations[:-1]
        )
        facts = StateFacts(
            closed=self._closed,
            has_remote_candidates=gen.has_remote_candidates or self._restarted,
            has_usable_pair=selected is not None,
            consent_unanswered=(consent is not None and not self.lite and consent.unanswered(now)),
            consent_lost=gen.consent_lost,
            remote_end_of_candidates=gen.remote_end_of_candidates,
            gathering_complete=gen.gathering_complete,
            checks_finished=self.lite or gen.checklist.finished(),
            all_pairs_failed=not self.lite and gen.checklist.all_failed(),
            restarting_with_usable_pair=older_usable,
            awaiting_connectivity=started is not None and now < started + self.config.pac_timeout,
            patience_expired=started is not None and now >= started + self.config.pac_timeout,
        )
        state = transport_state(facts)
        if state == self._state:
            return
        if state == IceTransportState.COMPLETED and self._state != IceTransportState.CONNECTED:
            # Browsers always pass through "connected" on the way to "completed".
            self._events.append(StateChanged(IceTransportState.CONNECTED))
        self._state = state
        self._events.append(StateChanged(state))

    def _start_patience(self, gen: Generation, now: float) -> None:
        """RFC 8863: the PAC timer starts once checks can start (credentials + gathering)."""
        if (
            gen.checks_started_at is None
            and gen.remote_pwd is not None
            and gen.gathering_state != IceGatheringState.NEW
        ):
            gen.checks_started_at = now

    # ------------------------------------------------------------------
    # helpers
    def _new_generation(self, credentials: tuple[str, str] | None = None) -> Generation:
        generation_id = self._generation_count
        self._generation_count += 1
        if credentials is None:
            credentials = (
                self._random_string(self.config.ufrag_length),
                self._random_string(self.config.pwd_length),
            )
        return Generation(
            generation_id,
            credentials[0],
            credentials[1],
            controlling=self.controlling,
            max_pairs=self.config.max_pairs,
            policy=self.policy,
        )

    def _random_string(self, length: int) -> str:
        return "".join(self._rng.choice(_ICE_CHARS) for _ in range(length))

    def _generation_by_id(self, generation_id: int) -> Generation | None:
        return next((g for g in self._generations if g.id == generation_id), None)

    def _time(self, now: float | None) -> float:
        if now is not None:
            self._now = now
        return self._now
