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

This module is the facade: the public surface and the order in which an input
runs the agent's parts. Each part is a mixin in a module named for its
concept: :mod:`~rtcpeer.ice.checking` (connectivity checks),
:mod:`~rtcpeer.ice.selection` (nomination, selection, consent),
:mod:`~rtcpeer.ice.datapath` (receiving and sending),
:mod:`~rtcpeer.ice.generations` (restarts), :mod:`~rtcpeer.ice.local_candidates`
(host candidates and the gatherers' hooks) and :mod:`~rtcpeer.ice.state_tracking`
(the W3C state, RFC 8863 patience); :mod:`~rtcpeer.ice.core` declares what they
share.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from typing import Protocol

from rtcpeer.ice.candidate import Candidate, unusable_remote_address
from rtcpeer.ice.checking import Checking
from rtcpeer.ice.config import IceAgentConfig, MdnsResolver, TransportPolicy
from rtcpeer.ice.datapath import DataPath, SendCounters
from rtcpeer.ice.events import IceEvent
from rtcpeer.ice.gathering import ServerGathering
from rtcpeer.ice.generation import Generation
from rtcpeer.ice.generations import Generations
from rtcpeer.ice.local_candidates import LocalCandidates
from rtcpeer.ice.pair import CandidatePair, PairState
from rtcpeer.ice.selection import Selection
from rtcpeer.ice.servers import ResolvedServer
from rtcpeer.ice.state_tracking import StateTracking
from rtcpeer.ice.states import IceGatheringState, IceTransportState
from rtcpeer.ice.transport import Address, LocalSocket, OutboxSink, Transmit
from rtcpeer.stun.framing import carries_stun
from rtcpeer.stun.message import is_stun

__all__ = ["Gatherer", "IceAgent", "IceAgentConfig", "MdnsResolver", "TransportPolicy"]

#: Randomness for agents not given a seeded generator: the OS's, shared. ICE
#: passwords and tie-breakers should not be predictable from earlier output
#: (as a Mersenne Twister's are), and a Twister per agent is 2.5 KiB of state.
_SYSTEM_RANDOM = random.SystemRandom()
logger = logging.getLogger(__name__)


class Gatherer(Protocol):
    """A source of server-reflexive or relay candidates, started by each gathering."""

    def start_gathering(self, agent: IceAgent, generation_id: int, now: float) -> None: ...


class IceAgent(Checking, Selection, DataPath, Generations, LocalCandidates, StateTracking):
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
        self._rng = rng if rng is not None else _SYSTEM_RANDOM
        self.config = config or IceAgentConfig()
        self.lite = lite
        self.remote_is_lite = remote_is_lite
        #: Full agents facing a lite peer control (RFC 8445 §6.1.1); lite agents never do.
        self.controlling = (controlling or remote_is_lite) and not lite
        self.tie_breaker = tie_breaker if tie_breaker is not None else self._rng.getrandbits(64)
        self.policy = policy
        self._resolve_mdns = resolve_mdns
        self._sockets = {}
        self._vanished_hosts = set()
        self._gatherers = []
        self._outbox = []
        # A list, not a deque: it holds a handful of events at a time, and an
        # empty deque costs ~600 bytes per agent against a list's 56.
        self._events = []
        self._checks = {}
        self._next_check_at = None
        self._generations = []
        self._old_remote_ufrags = set()
        self._retired_paths = {}
        self._state = IceTransportState.NEW
        self._closed = False
        self._restarted = False
        self._rollback_to = None
        self._active_pair = None
        self._held = []
        self.send_counters = SendCounters()
        self._heard_at = {}
        self._data_at = {}
        self._first_flight = []
        self._resend_at = None
        self._rtt = None
        self._now = 0.0
        self._generation_count = 0
        self._last_check_at = None
        self._gathering = ServerGathering(self, self.config)
        self._generations.append(self._new_generation())
        #: Remote candidates ignored because their address can never answer.
        self.remote_candidates_ignored = 0
        #: Remote candidates dropped because a generation held its maximum.
        self.remote_candidates_dropped = 0

    # ------------------------------------------------------------------
    # properties (``generation``, the current one, is on AgentCore: every part uses it)

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
    def data_pair(self) -> CandidatePair | None:
        """The pair :meth:`send` uses now: the selected one, else (before any
        selection) a valid pair of the current generation."""
        return self._sending_pair() or self._early_pair()


    @property
    def holding(self) -> bool:
        """Application datagrams are waiting for a valid pair."""
        return bool(self._held)


    @property
    def send_timer_pending(self) -> bool:
        """Sending armed a deadline (held datagrams, a first-flight resend)."""
        return bool(self._held) or self._resend_at is not None


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
        *,
        continual: bool = False,
    ) -> None:
        """Register a host socket; it gets a host candidate in each gathering.

        ``continual`` (continual gathering, a new address seen while connected):
        it gets one in the current generation even when its gathering finished.
        """
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
        gathering = gen.gathering_state == IceGatheringState.GATHERING or (
            continual and gen.gathering_state == IceGatheringState.COMPLETE
        )
        if gathering and protocol == "udp":
            self._add_host_candidate(gen, sock, self._time(now))

    def begin_continual_gathering(self, now: float) -> tuple[int, object] | None:
        """Continual gathering is about to add host sockets for new addresses:
        a generation whose gathering was complete goes back to ``gathering``
        until :meth:`end_continual_gathering` with the returned token (then
        ``complete`` again, and end-of-candidates once more, as after a restart).
        None when its gathering is not complete (nothing to undo later)."""
        self._now = now
        gen = self.generation
        if self._closed or gen.gathering_state != IceGatheringState.COMPLETE:
            return None
        token = object()
        gen.pending_gatherers.add(token)
        self._set_gathering(gen, IceGatheringState.GATHERING)
        return gen.id, token

    def end_continual_gathering(self, token: tuple[int, object] | None, now: float) -> None:
        """The host sockets :meth:`begin_continual_gathering` announced are added."""
        if token is not None:
            self._gathering_done(token[0], token[1], now)

    def remove_host_socket(self, socket_id: int, now: float) -> None:
        """A host socket's address is gone from the machine (make-before-break).

        Later gatherings (a restart) offer no candidate on it; the generations
        that already have one keep it until they retire, and then the socket
        is given back (:class:`SocketReleased`), as a retired TURN allocation is.
        """
        self._now = now
        sock = self._sockets.get(socket_id)
        if sock is None or sock.kind != "host":
            return
        self._vanished_hosts.add(socket_id)
        self._release_vanished_hosts()

    def host_socket_ids(self) -> list[int]:
        """Host sockets still offered in new gatherings (not vanished)."""
        return [s.socket_id for s in self._host_sockets()]

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
        for sock in self._host_sockets():
            if sock.protocol == "udp":  # ICE-TCP is not done yet
                self._add_host_candidate(gen, sock, now)
        self._gathering.start(gen.id, now)
        for gatherer in self._gatherers:
            gatherer.start_gathering(self, gen.id, now)
        self._maybe_gathering_complete(gen)
        self._start_patience(gen, now)
        self._update_state(now)


    # ------------------------------------------------------------------
    # signalling inputs

    def check_remote_credentials(self, ufrag: str, pwd: str) -> None:
        """Raise ValueError where :meth:`set_remote_credentials` would, changing nothing.

        JSEP checks a description with this before applying any of it, so a
        description that fails leaves the agent as it was.
        """
        if ufrag in self._old_remote_ufrags and not self._peer_kept_credentials(ufrag, pwd):
            raise ValueError("remote credentials of a previous generation")

    def _peer_kept_credentials(self, ufrag: str, pwd: str) -> bool:
        """Our restart was answered with the credentials the peer already had.

        A peer that cannot restart ICE (aiortc) answers a restart offer with
        its previous ufrag/pwd; libwebrtc accepts that and carries on, and so
        do we: the peer keeps its generation, ours pairs with it.
        """
        replaced = self._rollback_to
        return (
            self.generation.remote_ufrag is None
            and replaced is not None
            and (replaced.remote_ufrag, replaced.remote_pwd) == (ufrag, pwd)
        )

    def set_remote_credentials(self, ufrag: str, pwd: str, now: float | None = None) -> None:
        """The peer's ufrag/pwd. New ones on a generation that has some mean a restart."""
        now = self._time(now)
        self.check_remote_credentials(ufrag, pwd)
        gen = self.generation
        if self._peer_kept_credentials(ufrag, pwd):
            self._continue_peer_generation(gen, now)
            return
        if gen.remote_ufrag is not None and (gen.remote_ufrag, gen.remote_pwd) != (ufrag, pwd):
            self.restart(now)
            gen = self.generation
        gen.remote_ufrag, gen.remote_pwd = ufrag, pwd
        self._start_patience(gen, now)
        self._schedule_checks(now)
        self._update_state(now)

    def _continue_peer_generation(self, gen: Generation, now: float) -> None:
        """Our new generation pairs with the peer's unchanged one (and its candidates)."""
        replaced = self._rollback_to
        assert replaced is not None and replaced.remote_ufrag is not None
        self._old_remote_ufrags.discard(replaced.remote_ufrag)
        gen.remote_ufrag, gen.remote_pwd = replaced.remote_ufrag, replaced.remote_pwd
        self._start_patience(gen, now)
        for candidate in replaced.remote:
            if candidate.type != "prflx":
                self.add_remote_candidate(candidate, now)
        if replaced.remote_end_of_candidates:
            gen.remote_end_of_candidates = True
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
                gen.remote_unresolved = True
                return False
            candidate = candidate.with_address(resolved, candidate.port)
        unusable = unusable_remote_address(candidate.host, candidate.port)
        if unusable is not None:
            self.remote_candidates_ignored += 1
            logger.debug("ignoring remote candidate %s: %s", candidate.address, unusable)
            return False
        if gen.policy == "relay":
            paired: tuple[str, ...] = ("relay",)
        else:
            paired = ("host", "relay")
        known = gen.remote_by_address(candidate.address, candidate.transport)
        if known is not None and known.type != "prflx":
            return False
        if known is None and len(gen.remote) >= self.config.max_remote_candidates:
            gen.remote_dropped += 1
            self.remote_candidates_dropped += 1
            if gen.remote_dropped == 1:
                logger.warning(
                    "ICE generation %d holds %d remote candidates: dropping more",
                    gen.id, len(gen.remote),
                )
            return False
        pairs = gen.add_remote(candidate, paired)
        logger.debug(
            "ICE remote candidate %s %s %s:%d (generation %d): %d pair(s)", candidate.type,
            candidate.transport, candidate.host, candidate.port, gen.id, len(pairs),
        )
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
        logger.info("ICE restart: generation %d follows %d", self._generation_count, old.id)
        self._restarted = True
        self._rollback_to = old
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
        self._drop_held("the ICE transport closed", self._now)
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
    # data

    def send(self, data: bytes, now: float) -> bool:
        """Send application data; False when it did not go out now.

        Over the selected pair; before any selection over a valid pair of the
        current generation (:attr:`data_pair`). Without a valid pair the
        datagram is held (``hold_limit``, ``hold_time``) and sent as soon as
        a pair is valid; what cannot be sent is dropped and counted in
        :attr:`send_counters` -- never silently.
        """
        self._now = now
        pair = None if self._closed else self._sending_pair()
        if pair is None:
            return self._send_early(data, now)
        self._send_on(pair.socket_id, pair.remote.address, data, now)
        if self._first_flight is not None:
            self._note_first_flight(data, now)
        return True


    def receive(self, socket_id: int, source: Address, data: bytes, now: float) -> None:
        """A datagram (or de-framed stream frame) arrived on a registered socket."""
        self._now = now
        if self._closed:
            return
        if self._gathering.owns(socket_id):
            self._gathering.receive(socket_id, source, data, now)
            if carries_stun(data):  # relayed application data cannot move the state
                self._after_stun(now)
            return
        sock = self._sockets.get(socket_id)
        # Only STUN moves the state; time-driven moves come with handle_timer.
        if sock is not None and self._receive_on(sock, source, data, now) and is_stun(data):
            self._after_stun(now)

    def _after_stun(self, now: float) -> None:
        """A STUN input may have made a pair valid or live: act on it, then the state."""
        self._maybe_switch(now)
        if self._held:
            self._flush_held(now)
        self._update_state(now)


    # ------------------------------------------------------------------
    # outputs

    def transmits(self) -> list[Transmit]:
        """Drain the datagrams to send from host sockets."""
        outbox = self._outbox  # shared with the OutboxSinks: emptied, never replaced
        if not outbox:
            return []
        out = outbox.copy()
        outbox.clear()
        return out


    def next_event(self) -> IceEvent | None:
        return self._events.pop(0) if self._events else None

    def take_events(self) -> list[IceEvent]:
        """Drain every pending event at once (the runtime's per-packet path)."""
        events = self._events
        if not events:
            return []
        self._events = []
        return events


    def get_timer(self) -> float | None:
        """The earliest moment :meth:`handle_timer` has work; None when idle."""
        if self._closed:
            return None
        timers = self._check_deadlines()
        gathering = self._gathering.get_timer()
        if gathering is not None:
            timers.append(gathering)
        timers += self._selection_deadlines()
        patience = self._patience_deadline()
        if patience is not None:
            timers.append(patience)
        if self._held:
            timers.append(self._held[0][0])
        if self._resend_at is not None:
            timers.append(self._resend_at)
        return min(timers) if timers else None


    # ------------------------------------------------------------------
    # time

    def handle_timer(self, now: float) -> None:
        self._now = now
        if self._closed:
            return
        self._gathering.handle_timer(now)
        self._handle_check_timers(now)
        for gen in list(self._generations):
            self._maybe_nominate(gen, now)
            self._run_consent(gen, now)
        self._maybe_switch(now)
        if self._held:
            self._flush_held(now)
        if self._resend_at is not None and now >= self._resend_at:
            self._resend_first_flight(now)
        self._expire_retired(now)
        self._update_state(now)
