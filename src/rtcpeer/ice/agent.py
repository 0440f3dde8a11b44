"""The sans-IO ICE agent (RFC 8445 full or lite, RFC 8838 trickle, RFC 7675 consent).

The agent never opens a socket, sleeps or reads a clock. The driver:

- registers sockets: :meth:`IceAgent.add_socket` (host);
- configures servers: :meth:`~IceAgent.set_servers` (resolved STUN/TURN URLs,
  transport policy, candidate pool size); the agent then asks for the extra
  sockets it needs with :class:`SocketRequested` events, answered by
  :meth:`~IceAgent.socket_opened` / :meth:`~IceAgent.socket_failed` (and later
  :meth:`~IceAgent.socket_closed`), and gives them back with
  :class:`SocketReleased`;
- feeds inputs: :meth:`~IceAgent.receive`, :meth:`~IceAgent.handle_timer`,
  :meth:`~IceAgent.set_remote_credentials`, :meth:`~IceAgent.add_remote_candidate`,
  :meth:`~IceAgent.gather`, :meth:`~IceAgent.send`, :meth:`~IceAgent.restart`;
- drains outputs with the names every machine has (:mod:`rtcpeer.sansio`):
  :meth:`~IceAgent.datagrams_to_send`, :meth:`~IceAgent.next_event`,
  :meth:`~IceAgent.get_timer`.

All randomness (credentials, tie-breaker, transaction ids, consent jitter)
comes from one injectable :class:`random.Random`, so a seeded run repeats.

The agent's own logic is this one class. Parts with state of their own are
objects it holds, each behind a narrow interface:
:class:`~rtcpeer.ice.connectivity.ConnectivityChecks` (the checks in flight
and their pacing), :class:`~rtcpeer.ice.gathering.ServerGathering` (STUN/TURN
gathering, which reaches back only through
:class:`~rtcpeer.ice.gathering.GatheringHost`), one
:class:`~rtcpeer.ice.generation.Generation` per restart (candidates,
checklist, selection) and the role strategy
(:mod:`~rtcpeer.ice.nomination`: controlling, controlled or lite).

Inside the class, sections follow what the agent does: receiving and
sending (the data path: application data is delivered only from a path the
peer has proven itself on, and sent before selection over a valid pair, held
for a while or dropped and counted -- never silently), checks and answers,
selection and consent, generations (restarts, retirement, rollback), local
candidates, and the W3C transport state (derived afresh from facts after
every input, with the RFC 8863 patience timer).

A first flight lost must not cost a second either: a peer may still drop
data that arrives before its own ICE is ready. So the DTLS handshake records
we send before the peer's first application datagram are sent once more
after ``first_flight_resend`` (at least three check round trips) unless the
peer has answered by then.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rtcpeer.ice.candidate import (
    TYPE_PREFERENCES,
    Candidate,
    candidate_priority,
    compute_foundation,
    local_preference,
    unusable_remote_address,
)
from rtcpeer.ice.config import IceAgentConfig, MdnsResolver, TransportPolicy, transport_policy
from rtcpeer.ice.connectivity import (
    Check,
    CheckRejected,
    CheckRtt,
    ConnectivityChecks,
    IncomingCheck,
    RoleAction,
    build_error,
    build_success,
    split_username,
    validate_check,
)
from rtcpeer.ice.consent import ConsentFreshness
from rtcpeer.ice.errors import IceArgumentError, IceCredentialsError
from rtcpeer.ice.events import (
    DataReceived,
    GatheringStateChanged,
    GenerationRetired,
    IceEvent,
    LocalCandidate,
    RoleChanged,
    SelectedPairChanged,
    SocketReleased,
    StateChanged,
)
from rtcpeer.ice.gathering import Found, ServerGathering
from rtcpeer.ice.generation import NOTHING, Generation
from rtcpeer.ice.nomination import Role, controlled_choice, role_for
from rtcpeer.ice.pair import CandidatePair, PairState
from rtcpeer.ice.send_path import LocalSocket, OutboxSink, PacketSink, Transmit
from rtcpeer.ice.servers import ResolvedServer
from rtcpeer.ice.states import IceGatheringState, IceTransportState, StateFacts, transport_state
from rtcpeer.sansio import Address
from rtcpeer.sdp.ice import random_ice_string
from rtcpeer.stun.attributes import StunDecodeError
from rtcpeer.stun.constants import Attr, ErrorCode, MessageClass, Method
from rtcpeer.stun.framing import carries_stun
from rtcpeer.stun.message import StunMessage, decode_message, is_stun

__all__ = ["IceAgent", "IceAgentConfig", "MdnsResolver", "SendCounters", "TransportPolicy"]

#: Randomness for agents not given a seeded generator: the OS's, shared. ICE
#: passwords and tie-breakers should not be predictable from earlier output
#: (as a Mersenne Twister's are), and a Twister per agent is 2.5 KiB of state.
_SYSTEM_RANDOM = random.SystemRandom()
#: The configuration of agents given none: frozen all the way down, so every
#: agent shares it (its own copy cost ~1.1 KiB per connection).
DEFAULT_CONFIG = IceAgentConfig()
logger = logging.getLogger(__name__)
_NEVER = float("-inf")
#: States in which held datagrams keep waiting for a valid pair (beyond hold_time).
_STILL_CHECKING = frozenset({IceTransportState.NEW, IceTransportState.CHECKING})
#: At most one drop report per this many seconds (of the agent's clock).
_DROP_LOG_INTERVAL = 10.0
#: Plain names for the per-datagram demultiplexing (an Enum member look-up,
#: ``Method.BINDING``, costs ~70 ns).
_BINDING = int(Method.BINDING)
_REQUEST, _SUCCESS, _ERROR = MessageClass.REQUEST, MessageClass.SUCCESS, MessageClass.ERROR
#: DTLS record content type of handshake messages (RFC 6347 §4.1).
_DTLS_HANDSHAKE = 22
#: At most this many datagrams of a first flight are kept for a resend.
_FIRST_FLIGHT_LIMIT = 8

Path = tuple[int, Address]


@dataclass(slots=True)
class PathCounters:
    """Application datagrams on one path (socket, remote address); checks excluded."""

    bytes_sent: int = 0
    bytes_received: int = 0
    packets_sent: int = 0
    packets_received: int = 0
    last_sent: float | None = None
    last_received: float | None = None


@dataclass(slots=True)
class SendCounters:
    """What became of application datagrams that found no selected pair."""

    #: Sent on a valid pair before any pair was selected (RFC 8445 §12.1.1).
    sent_before_selection: int = 0
    #: Held while no pair was valid, then sent once one was.
    held_then_sent: int = 0
    #: Dropped: no usable pair in time, the hold full, or the agent failed or closed.
    dropped: int = 0
    bytes_dropped: int = 0
    #: First-flight DTLS datagrams sent again because the peer had not answered.
    first_flight_resent: int = 0
    #: Drops not reported in the log yet, and when the last report was made.
    unlogged: int = 0
    logged_at: float | None = None


class IceAgent:
    """An ICE agent for one component, across restarts (generations)."""

    # Slots: with its 34 attributes an agent's __dict__ would be more than the
    # 30 keys CPython shares between instances, a ~1.6 KiB dict per agent.
    __slots__ = (
        "_active_pair",
        "_checks",
        "_closed",
        "_data_at",
        "_events",
        "_first_flight",
        "_gathering",
        "_generation_count",
        "_generations",
        "_heard_at",
        "_held",
        "_now",
        "_old_remote_ufrags",
        "_outbox",
        "_resend_at",
        "_resolve_mdns",
        "_restarted",
        "_retired_paths",
        "_rng",
        "_role",
        "_rollback_to",
        "_sockets",
        "_state",
        "_timers_run_at",
        "_vanished_hosts",
        "config",
        "lite",
        "path_counters",
        "policy",
        "remote_candidates_dropped",
        "remote_candidates_ignored",
        "remote_is_lite",
        "send_counters",
        "tie_breaker",
    )

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
        check_rtt: CheckRtt | None = None,
    ) -> None:
        if lite and remote_is_lite:
            raise IceArgumentError("two lite agents cannot talk to each other")
        self._rng = rng if rng is not None else _SYSTEM_RANDOM
        self.config = config or DEFAULT_CONFIG
        self.lite = lite
        self.remote_is_lite = remote_is_lite
        #: Full agents facing a lite peer control (RFC 8445 §6.1.1); lite agents never do.
        self._role: Role = role_for(
            self, controlling=(controlling or remote_is_lite) and not lite, lite=lite
        )
        self.tie_breaker = tie_breaker if tie_breaker is not None else self._rng.getrandbits(64)
        self.policy: TransportPolicy = policy
        self._resolve_mdns = resolve_mdns
        self._sockets: dict[int, LocalSocket] = {}
        #: Host sockets whose address vanished: no candidates in later gatherings;
        #: released once no live generation (or grace period) still uses them.
        # These two are frozensets rebuilt on a change (rare: a lost address, a
        # restart): the shared empty one costs nothing, an empty set 216 bytes.
        self._vanished_hosts: frozenset[int] = NOTHING
        self._outbox: list[Transmit] = []
        # A list, not a deque: it holds a handful of events at a time, and an
        # empty deque costs ~600 bytes per agent against a list's 56.
        self._events: list[IceEvent] = []
        # check_rtt: the smoothed check round trip shared with the runtime's
        # other agents (it sets check RTOs); None: this agent's own.
        self._checks = ConnectivityChecks(self.config, self._rng, self._send_on, check_rtt)
        #: Live generations, oldest first; the last is the current one.
        self._generations: list[Generation] = []
        self._generation_count = 0
        self._old_remote_ufrags: frozenset[str] = NOTHING
        #: (socket, remote) paths of retired generations still delivering data, until when.
        self._retired_paths: dict[Path, float] = {}
        self._state = IceTransportState.NEW
        self._closed = False
        self._restarted = False
        #: The generation the latest restart replaced (what a rollback returns to).
        self._rollback_to: Generation | None = None
        self._active_pair: CandidatePair | None = None
        #: Application datagrams waiting for a usable pair: (give up at, data),
        #: oldest first; a list only while there are some (the shared empty
        #: tuple otherwise, not an empty list kept per connection).
        self._held: list[tuple[float, bytes]] | tuple[()] = ()
        #: What happened to datagrams that could not go out over a selected pair.
        self.send_counters = SendCounters()
        #: Application datagrams sent (by :meth:`send`, when it returns True) and
        #: delivered, per (socket, remote address) path.
        self.path_counters: dict[Path, PathCounters] = {}
        #: When authenticated STUN (a check from the peer, a response) last arrived, by path.
        self._heard_at: dict[Path, float] = {}
        #: When application data last arrived, by (socket, source) path.
        self._data_at: dict[Path, float] = {}
        #: Our DTLS handshake datagrams sent before the peer's first application
        #: datagram arrived (None once one did), and when to send them again.
        self._first_flight: list[bytes] | None = []
        self._resend_at: float | None = None
        #: The latest ``now`` any input carried (for inputs that take none).
        self._now = 0.0
        #: When :meth:`handle_timer` last ran: a deadline not after it was acted on.
        self._timers_run_at = float("-inf")
        self._gathering = ServerGathering(_GatheringPort(self), self.config)
        self._generations.append(self._new_generation())
        #: Remote candidates ignored because their address can never answer.
        self.remote_candidates_ignored = 0
        #: Remote candidates dropped because a generation held its maximum.
        self.remote_candidates_dropped = 0

    # ------------------------------------------------------------------
    # properties

    @property
    def controlling(self) -> bool:
        """This agent is the controlling one (it nominates)."""
        return self._role.controlling

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

    @property
    def checks_in_flight(self) -> Mapping[bytes, Check]:
        """Connectivity and consent checks in flight, by transaction id (read-only)."""
        return self._checks.in_flight

    def _generation_by_id(self, generation_id: int) -> Generation | None:
        return next((g for g in self._generations if g.id == generation_id), None)

    def _time(self, now: float | None) -> float:
        if now is not None:
            self._now = now
        return self._now

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
            raise IceArgumentError(f"socket {socket_id} is already registered")
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
        gen.pending_gatherers |= {token}
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
        self._vanished_hosts |= {socket_id}
        self._release_vanished_hosts()

    def host_socket_ids(self) -> list[int]:
        """Host sockets still offered in new gatherings (not vanished)."""
        return [s.socket_id for s in self._host_sockets()]

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
        self.policy = policy = transport_policy(policy)
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
        """Start gathering for the current generation: host candidates, then servers."""
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
        self._maybe_gathering_complete(gen)
        self._start_patience(gen, now)
        self._update_state(now)

    # ------------------------------------------------------------------
    # signalling inputs

    def check_remote_credentials(self, ufrag: str, pwd: str) -> None:
        """Raise :class:`IceCredentialsError` (a ValueError) where
        :meth:`set_remote_credentials` would, changing nothing.

        JSEP checks a description with this before applying any of it, so a
        description that fails leaves the agent as it was.
        """
        if ufrag in self._old_remote_ufrags and not self._peer_kept_credentials(ufrag, pwd):
            raise IceCredentialsError("remote credentials of a previous generation")

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
        self._old_remote_ufrags = (self._old_remote_ufrags - {replaced.remote_ufrag}) or NOTHING
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
        """Add a trickled remote candidate; None is end-of-candidates.

        False if ignored: nothing changed, so there is nothing to send and no
        deadline moved (a repeat -- of a candidate, or of end-of-candidates,
        which arrives with the description and again trickled -- included).
        """
        self._now = now
        gen = self.generation
        if self._closed:
            return False
        if candidate is None:
            if gen.remote_end_of_candidates:
                return False  # a repeat: the state was derived when it first came
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
        # A repeat (a trickled candidate the description already listed) is
        # known before its address is judged again: it was judged when added.
        known = gen.remote_by_address(candidate.address, candidate.transport)
        if known is not None and known.type != "prflx":
            return False
        unusable = unusable_remote_address(candidate.host, candidate.port)
        if unusable is not None:
            self.remote_candidates_ignored += 1
            logger.debug("ignoring remote candidate %s: %s", candidate.address, unusable)
            return False
        if gen.policy == "relay":
            paired: tuple[str, ...] = ("relay",)
        else:
            paired = ("host", "relay")
        if known is None and len(gen.remote) >= self.config.max_remote_candidates:
            gen.remote_dropped += 1
            self.remote_candidates_dropped += 1
            if gen.remote_dropped == 1:
                logger.warning(
                    "ICE generation %d holds %d remote candidates: dropping more",
                    gen.id,
                    len(gen.remote),
                )
            return False
        pairs = gen.add_remote(candidate, paired)
        logger.debug(
            "ICE remote candidate %s %s %s:%d (generation %d): %d pair(s)",
            candidate.type,
            candidate.transport,
            candidate.host,
            candidate.port,
            gen.id,
            len(pairs),
        )
        if pairs:
            self._gathering.pairs_formed(pairs, now)
        if pairs:
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
            self._old_remote_ufrags |= {old.remote_ufrag}
        logger.info("ICE restart: generation %d follows %d", self._generation_count, old.id)
        self._restarted = True
        self._rollback_to = old
        self._gathering.discard_pool(now)
        self._generations.append(self._new_generation(credentials))
        for gen in self._generations[:-1]:
            if gen.selected is None:
                self._retire(gen, now)
            else:
                self._checks.cancel(gen, keep_consent=True)
        self._checks.stop_pacing()
        if gather:
            self.gather(now)
        self._update_state(now)

    def set_controlling(self, controlling: bool) -> None:
        """Take the role signalling decided (RFC 8445 §6.1.1: the offerer
        controls): the answerer of the first negotiation gives up control
        before any check has been sent. A no-op when the role is already that."""
        if controlling != self.controlling:
            self._switch_role(controlling)

    def set_remote_is_lite(self, remote_is_lite: bool = True) -> None:
        """The remote description says ``a=ice-lite``: a full agent must control."""
        self.remote_is_lite = remote_is_lite
        if remote_is_lite and self._role.full and not self.controlling:
            self._switch_role(True)

    def close(self) -> None:
        """Stop everything; the state becomes closed."""
        if self._closed:
            return
        self._closed = True
        self._drop_held("the ICE transport closed", self._now)
        self._checks.clear()
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
        self._count_sent(pair.path, len(data), now)
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

    def send_direct(self, data: bytes, now: float) -> Path | None:
        """:meth:`send` for the common case, minus the :class:`Transmit`.

        With a selected pair on a host socket, nothing waiting in the outbox
        (so nothing is overtaken), nothing held and the first DTLS flight
        answered, ``data`` is counted as sent on that pair and its path
        (socket id, remote address) is returned: the caller sends ``data``
        from that socket to that address itself, now. Otherwise None, and
        nothing happened: call :meth:`send`.
        """
        return self.send_direct_burst(len(data), 1, now)

    def send_direct_burst(self, size: int, count: int, now: float) -> Path | None:
        """:meth:`send_direct` for ``count`` datagrams of ``size`` bytes in all
        that the caller sends in order, now, on the path returned (each
        counted as sent); None: nothing happened, :meth:`send` each one."""
        if self._closed or self._outbox or self._held or self._first_flight is not None:
            return None
        pair = self._sending_pair()
        if pair is None:
            return None
        sock = self._sockets.get(pair.socket_id)
        if sock is None or type(sock.sink) is not OutboxSink or not self._host_allowed():
            return None
        self._now = now
        path = pair.path
        counters = self._path_counters(path)
        counters.bytes_sent += size
        counters.packets_sent += count
        counters.last_sent = now
        return path

    def receive_data(self, socket_id: int, source: Address, data: bytes, now: float) -> bool:
        """:meth:`receive` for application data, minus the :class:`DataReceived`.

        True: ``data`` is not STUN, arrived on a host socket over a path a
        live generation authenticated, and no event is waiting (so nothing
        is overtaken); it is counted exactly as :meth:`receive` counts it
        (path counters, "last received" for consent and silence) and the
        caller delivers it now. False: nothing happened, call :meth:`receive`.
        """
        if self._closed or self._events or is_stun(data) or self._gathering.owns(socket_id):
            return False
        sock = self._sockets.get(socket_id)
        if sock is None or (sock.kind == "host" and not self._host_allowed()):
            return False
        path = (socket_id, source)
        for gen in self._generations:
            if path in gen.authenticated_paths:
                break
        else:
            return False  # a retired path, or one to drop: receive() decides
        self._now = now
        self._data_arrived(path, len(data), now)
        return True

    def _after_stun(self, now: float) -> None:
        """A STUN input may have made a pair valid or live: act on it, then the state."""
        self._role.maybe_switch(now)
        if self._held:
            self._flush_held(now)
        self._update_state(now)

    # ------------------------------------------------------------------
    # outputs (rtcpeer.sansio.ProtocolMachine)

    def datagrams_to_send(self) -> list[Transmit]:
        """The datagrams to send from host sockets, taken out of the agent."""
        outbox = self._outbox  # shared with the OutboxSinks: emptied, never replaced
        if not outbox:
            return []
        out = outbox.copy()
        outbox.clear()
        return out

    def next_event(self) -> IceEvent | None:
        """The oldest event not yet taken, or ``None``."""
        events = self._events
        return events.pop(0) if events else None

    def get_timer(self) -> float | None:
        """The earliest moment :meth:`handle_timer` has work; None when idle."""
        if self._closed:
            return None
        timers = self._checks.timers()
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

    def handle_timer(self, now: float) -> None:
        """Run what is due at ``now``: retransmissions, paced checks, nomination,
        consent, gathering, held data; outputs are queued."""
        self._now = now
        if self._closed:
            return
        self._timers_run_at = now
        self._gathering.handle_timer(now)
        self._handle_check_timers(now)
        for gen in list(self._generations):
            self._role.maybe_nominate(gen, now)
            self._run_consent(gen, now)
        self._role.maybe_switch(now)
        if self._held:
            self._flush_held(now)
        if self._resend_at is not None and now >= self._resend_at:
            self._resend_first_flight(now)
        self._expire_retired(now)
        self._update_state(now)

    # ------------------------------------------------------------------
    # the data path: demultiplexing what arrives, sending on the right socket

    def _receive_on(self, sock: LocalSocket, source: Address, data: bytes, now: float) -> bool:
        """A datagram on a host socket, or one relayed through a TURN allocation.

        False when it was dropped unread (a host socket under a relay-only
        policy). The caller re-derives the state afterwards, once per input.
        """
        socket_id = sock.socket_id
        if sock.kind == "host" and not self._host_allowed():
            return False
        if is_stun(data):
            try:
                message = decode_message(data)
            except StunDecodeError:
                return True
            if message.method != _BINDING:
                return True
            message_class = message.message_class
            if message_class == _REQUEST:
                self._handle_request(sock, source, message, now)
            elif message_class in (_SUCCESS, _ERROR):
                self._handle_response(sock, source, message, now)
        else:
            path = (socket_id, source)
            if self._path_known(path, now):
                self._data_arrived(path, len(data), now)
                self._events.append(DataReceived(data, socket_id, source))
        return True

    def _data_arrived(self, path: Path, size: int, now: float) -> None:
        """Application data arrived on ``path``: the facts consent, silence and stats use."""
        self._data_at[path] = now
        if self._first_flight is not None:  # the peer answered: no resend
            self._first_flight = self._resend_at = None
        counters = self._path_counters(path)
        counters.bytes_received += size
        counters.packets_received += 1
        counters.last_received = now

    def _path_counters(self, path: Path) -> PathCounters:
        counters = self.path_counters.get(path)
        if counters is None:
            counters = self.path_counters[path] = PathCounters()
        return counters

    def _count_sent(self, path: Path, size: int, now: float) -> None:
        """An application datagram went out on ``path`` (socket id, remote address)."""
        counters = self._path_counters(path)
        counters.bytes_sent += size
        counters.packets_sent += 1
        counters.last_sent = now

    def _path_known(self, path: Path, now: float) -> bool:
        if any(path in gen.authenticated_paths for gen in self._generations):
            return True
        expiry = self._retired_paths.get(path)
        return expiry is not None and now < expiry

    def _relayed(self, socket_id: int, peer: Address, data: bytes, now: float) -> None:
        """A datagram came through a TURN allocation: as if it arrived on the relay candidate.

        Only :meth:`ServerGathering.receive` delivers these, inside
        :meth:`IceAgent.receive`, which re-derives the state afterwards.
        """
        sock = self._sockets.get(socket_id)
        if sock is not None and not self._closed:
            self._receive_on(sock, peer, data, now)

    def _send_on(self, socket_id: int, destination: Address, data: bytes, now: float) -> None:
        sock = self._sockets.get(socket_id)
        if sock is None:
            return
        if sock.kind == "host" and not self._host_allowed():
            return  # relay-only: nothing ever leaves a host socket
        sock.sink.send(data, destination, now)

    def _host_allowed(self) -> bool:
        """Host sockets carry traffic unless every live generation is relay-only."""
        # A loop, not any(): this runs for every datagram sent.
        for gen in self._generations:  # noqa: SIM110
            if gen.policy != "relay":
                return True
        return False

    # -- sending before (or without) a selected pair ---------------------------
    def _early_pair(self) -> CandidatePair | None:
        """A valid pair of the current generation to send on before selection.

        The path the peer's application data arrived on last, else the one its
        latest check came from, else the highest-priority valid pair. None
        after consent was lost (nothing may be sent then) or with no valid pair.
        """
        gen = self.generation
        if gen.consent_lost or gen.selected is not None:
            return None
        valid = gen.checklist.valid_pairs
        if not valid:
            return None
        if len(valid) == 1:
            return valid[0]
        data_at, request_path = self._data_at, gen.last_request_path

        def rank(pair: CandidatePair) -> tuple[float, bool, int]:
            path = pair.path
            return (data_at.get(path, _NEVER), path == request_path, pair.priority)

        return max(valid, key=rank)

    def _send_early(self, data: bytes, now: float) -> bool:
        """:meth:`IceAgent.send` with no selected pair: a valid pair, the hold, or a drop."""
        counters = self.send_counters
        if self._closed or self._state == IceTransportState.FAILED:
            self._drop(len(data), "the ICE transport is " + self._state.value, now)
            return False
        pair = self._early_pair()
        if pair is not None:
            counters.sent_before_selection += 1
            self._send_on(pair.socket_id, pair.remote.address, data, now)
            self._count_sent(pair.path, len(data), now)
            if self._first_flight is not None:
                self._note_first_flight(data, now)
            return True
        if self.generation.consent_lost:
            self._drop(len(data), "consent lost", now)
            return False
        held = self._held
        if not isinstance(held, list):
            held = self._held = []
        held.append((now + self.config.hold_time, data))
        if len(held) > self.config.hold_limit:
            _, oldest = held.pop(0)
            self._drop(len(oldest), "no valid candidate pair yet, hold full", now)
        return False

    def _flush_held(self, now: float) -> None:
        """Send what waited for a pair, once one is usable; drop what waited too long."""
        held = self._held
        if not isinstance(held, list):
            return  # nothing held
        if held and now >= held[0][0] and self._state in _STILL_CHECKING:
            # ICE is still looking for a path (a slow start, or many
            # connections opening at once): what waits keeps waiting, at most
            # hold_limit datagrams, so a DTLS client's ClientHello leaves the
            # moment a pair is valid instead of at DTLS's next retransmission.
            self._held = held = [(now + self.config.hold_time, data) for _, data in held]
        while held and now >= held[0][0]:
            _, data = held.pop(0)
            # ICE's own state (failed) is the report; each datagram is no warning.
            self._drop(len(data), "no valid candidate pair in time", now, quiet=True)
        if not held or self._closed:
            return
        pair = self._sending_pair() or self._early_pair()
        if pair is None:
            return
        self._held = ()
        self.send_counters.held_then_sent += len(held)
        for _, data in held:
            self._send_on(pair.socket_id, pair.remote.address, data, now)
            if self._first_flight is not None:
                self._note_first_flight(data, now)

    # -- the first DTLS flight -----------------------------------------------------
    def _note_first_flight(self, data: bytes, now: float) -> None:
        """A datagram went out before the peer's first one came: keep a handshake record."""
        flight = self._first_flight
        floor = self.config.first_flight_resend
        if (
            flight is None
            or floor is None
            or not data
            or data[0] != _DTLS_HANDSHAKE
            or len(flight) >= _FIRST_FLIGHT_LIMIT
        ):
            return
        flight.append(data)
        if self._resend_at is None:
            rtt = self._checks.rtt
            self._resend_at = now + (floor if rtt is None else max(floor, 3 * rtt))

    def _resend_first_flight(self, now: float) -> None:
        """The peer has not answered our first flight in time: send it once more."""
        flight = self._first_flight
        self._resend_at = None
        if not flight or self._closed:
            return
        self._first_flight = []  # a later flight (DTLS's own retransmission) gets its turn
        pair = self._sending_pair() or self._early_pair()
        if pair is None:
            return
        self.send_counters.first_flight_resent += len(flight)
        logger.debug("ICE: the peer did not answer our first DTLS flight; sent again")
        for data in flight:
            self._send_on(pair.socket_id, pair.remote.address, data, now)

    def _drop_held(self, reason: str, now: float) -> None:
        held, self._held = self._held, ()
        for _, data in held:
            self._drop(len(data), reason, now)

    def _drop(self, size: int, reason: str, now: float, *, quiet: bool = False) -> None:
        """Count a datagram that cannot be sent, and log it (rate-limited).

        ``quiet``: an expected drop, logged at DEBUG only, outside the
        rate limit of the warnings (it neither takes nor delays their turn).
        """
        counters = self.send_counters
        counters.dropped += 1
        counters.bytes_dropped += size
        if quiet:
            logger.debug("ICE dropped a datagram (%d in all): %s", counters.dropped, reason)
            return
        counters.unlogged += 1
        if counters.logged_at is not None and now - counters.logged_at < _DROP_LOG_INTERVAL:
            return
        # Sending into a closed or failed transport is the application's
        # business; anything else is a datagram ICE should have delivered.
        quiet = self._closed or self._state == IceTransportState.FAILED
        logger.log(
            logging.DEBUG if quiet else logging.WARNING,
            "ICE dropped %d outgoing datagram(s) (%d in all): %s",
            counters.unlogged,
            counters.dropped,
            reason,
        )
        counters.unlogged = 0
        counters.logged_at = now

    # ------------------------------------------------------------------
    # connectivity checks: sending, answering requests, concluding on responses

    def _handle_check_timers(self, now: float) -> None:
        """Retransmit or time out checks in flight, then send the paced check if due."""
        for check in self._checks.handle_timer(now):
            self._on_check_timeout(check, now)
        if self._checks.pace_due(now):
            self._paced_check(now)

    def _paced_check(self, now: float) -> None:
        gen = self.generation
        pair = None
        if gen.remote_pwd is not None and self._role.full:
            pair = gen.checklist.next_pair()
        if pair is None:
            self._checks.stop_pacing()
            return
        self._send_check(gen, pair, now, use_candidate=self._role.aggressive)
        self._checks.paced(now)

    def _schedule_checks(self, now: float) -> None:
        if not self._role.full or self._closed or self._checks.next_at is not None:
            return
        if self.generation.remote_pwd is not None and self.generation.checklist.has_work():
            self._checks.schedule(now)

    def _send_check(
        self,
        gen: Generation,
        pair: CandidatePair,
        now: float,
        *,
        use_candidate: bool = False,
        consent: bool = False,
        recheck: bool = False,
    ) -> None:
        """Send a check on ``pair``; ``recheck``: a consent check sent once."""
        self._checks.send(
            gen,
            pair,
            now,
            controlling=self.controlling,
            tie_breaker=self.tie_breaker,
            use_candidate=use_candidate,
            consent=consent,
            recheck=recheck,
        )

    def _handle_request(
        self, sock: LocalSocket, source: Address, request: StunMessage, now: float
    ) -> None:
        """A Binding request from the peer (RFC 8445 §7.3): authenticate, resolve
        a role conflict, answer, then learn from it (path, pair, nomination)."""
        authenticated = self._authenticate_request(sock, source, request, now)
        if authenticated is None:
            return
        gen, check = authenticated
        action = self._role.role_action(self.tie_breaker, check)
        if action == RoleAction.REJECT_487:
            error = build_error(request, ErrorCode.ROLE_CONFLICT, gen.local_pwd)
            self._reply(sock, source, error, now)
            return
        if action == RoleAction.SWITCH:
            self._switch_role(not self.controlling)
        self._reply(sock, source, build_success(request, source, gen.local_pwd), now)
        self._heard_request(gen, sock.socket_id, source, now)
        pair = self._pair_for_request(gen, sock.socket_id, source, check, now)
        if pair is not None:
            self._role.request_arrived(gen, pair, check, now)

    def _authenticate_request(
        self, sock: LocalSocket, source: Address, request: StunMessage, now: float
    ) -> tuple[Generation, IncomingCheck] | None:
        """The generation a request is for and what it asks; None (after any
        error response) when it is not for us or fails to authenticate."""
        try:
            local_ufrag, _ = split_username(request)
            gen = next((g for g in self._generations if g.local_ufrag == local_ufrag), None)
            if gen is None:
                raise CheckRejected(ErrorCode.UNAUTHENTICATED, "unknown ufrag")
            check = validate_check(request, gen.local_pwd)
        except CheckRejected as exc:
            if exc.code is not None:
                self._reply(sock, source, build_error(request, exc.code, None), now)
            return None
        if gen.remote_ufrag is not None and check.remote_ufrag != gen.remote_ufrag:
            return None  # the peer restarted before its new credentials reached us
        return gen, check

    def _heard_request(self, gen: Generation, socket_id: int, source: Address, now: float) -> None:
        """An authenticated request proves the peer on this path."""
        gen.heard_from_peer = True
        path = (socket_id, source)
        gen.authenticated_paths.add(path)
        gen.last_request_path = path
        self._heard_at[path] = now

    def _pair_for_request(
        self, gen: Generation, socket_id: int, source: Address, check: IncomingCheck, now: float
    ) -> CandidatePair | None:
        """The pair a request arrived on, formed (with a peer-reflexive remote
        candidate if the source is new, RFC 8445 §7.3.1.3) when there is none."""
        local = gen.base_for_socket(socket_id, ("host", "relay"))
        if local is None:
            return None
        remote = gen.remote_by_address(source, local.transport)
        if remote is None:
            remote = gen.add_peer_reflexive_remote(source, local.transport, check.priority)
        pair = gen.checklist.find(socket_id, local.address, source)
        if pair is None:
            pair = gen.checklist.add(local, remote, socket_id, state=PairState.WAITING)
            if pair is None:
                return None
            self._gathering.pairs_formed([pair], now)
        return pair

    def _reply(self, sock: LocalSocket, destination: Address, data: bytes, now: float) -> None:
        self._send_on(sock.socket_id, destination, data, now)

    def _retrigger(self, gen: Generation, pair: CandidatePair, now: float) -> None:
        """RFC 8445 §7.3.1.4: a request on an In-Progress pair cancels its check
        and queues a triggered one.

        The peer just reached us on this path, so our check in flight was most
        likely lost (typically dropped by the peer's TURN server before the
        peer's permission for us existed); waiting for its retransmission
        would cost a whole RTO. A nomination in flight (regular nomination)
        is left alone: the triggered check would not carry USE-CANDIDATE.
        """
        aggressive = self._role.aggressive
        if any(
            c.consent or (c.use_candidate and not aggressive) for c in self._checks.on_pair(pair)
        ):
            return
        self._checks.cancel_for_trigger(pair, now)
        pair.set_state(PairState.WAITING)
        gen.checklist.trigger(pair)
        self._schedule_checks(now)

    def _handle_response(
        self, sock: LocalSocket, source: Address, response: StunMessage, now: float
    ) -> None:
        if response.transaction_id not in self._checks.in_flight:
            self._gathering.binding_response(response, now)  # a gathering probe's?
            return
        check = self._checks.answered(response, now)
        if check is None:
            return
        pair, gen = check.pair, check.generation
        if gen not in self._generations:
            return
        if source != pair.remote.address or sock.socket_id != pair.socket_id:
            if not check.consent and pair.state == PairState.IN_PROGRESS and not pair.transactions:
                pair.set_state(PairState.FAILED)
            return  # not symmetric (RFC 8445 §7.2.5.2.1)
        if response.message_class == MessageClass.ERROR:
            self._handle_error_response(check, response, now)
            return
        path = (sock.socket_id, source)
        gen.authenticated_paths.add(path)
        self._heard_at[path] = now
        self._checks.succeeded(check, now)
        if gen.selected is not None and gen.consent is not None and pair is gen.selected:
            gen.consent.response(now)
        if check.consent:
            return
        valid = self._construct_valid_pair(gen, check, response)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("ICE check succeeded: %r (generation %d)", valid, gen.id)
        if pair.state in (PairState.IN_PROGRESS, PairState.WAITING):
            # Waiting: a cancelled check answered before its triggered successor left.
            pair.set_state(PairState.SUCCEEDED)
        valid.valid = True
        if gen.first_valid_at is None:
            gen.first_valid_at = now
        gen.checklist.unfreeze_foundation(pair.foundation)
        self._schedule_checks(now)
        self._role.check_succeeded(gen, check, valid, now)

    def _construct_valid_pair(
        self, gen: Generation, check: Check, response: StunMessage
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

    def _handle_error_response(self, check: Check, response: StunMessage, now: float) -> None:
        pair, gen = check.pair, check.generation
        logger.debug(
            "ICE check %r answered %s %s", pair, response.error_code, response.error_reason
        )
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

    def _on_check_timeout(self, check: Check, now: float) -> None:
        pair, gen = check.pair, check.generation
        logger.debug("ICE %s timed out: %r", "consent check" if check.consent else "check", pair)
        if check.recheck:
            return
        if check.consent:
            if gen.consent is not None and pair is gen.selected:
                gen.consent.check_timed_out(now)
            return
        if gen.nominating is pair:
            gen.nominating = None
        if pair.state == PairState.IN_PROGRESS and not pair.transactions:
            pair.set_state(PairState.FAILED)
            self._schedule_checks(now)  # a frozen sibling may go now

    def _switch_role(self, controlling: bool) -> None:
        """Take the other role (a role conflict, or the application's answer)."""
        logger.info("ICE role conflict: now %s", "controlling" if controlling else "controlled")
        self._role = role_for(self, controlling=controlling, lite=self.lite)
        for gen in self._generations:
            gen.checklist.set_role(controlling)
        self._events.append(RoleChanged(controlling))

    # ------------------------------------------------------------------
    # selection and consent

    def _selection_deadlines(self) -> list[float]:
        """When consent checks are due, when a controlled agent would move, and
        when a controlling agent's regular nomination stops waiting."""
        timers: list[float] = []
        now = self._now
        policy = self.config.consent
        probe_after, silence = policy.probe_after, policy.silence_timeout
        full = self._role.full
        for gen in self._generations:
            consent, pair = gen.consent, gen.selected
            if consent is not None and pair is not None and full:
                timers.append(consent.get_timer(now))
                heard = self._last_heard(pair, consent)
                if probe_after is not None and gen.remote_pwd is not None and not consent.in_flight:
                    timers.append(max(now, heard + probe_after))
                if silence is not None and heard + silence > now:
                    timers.append(heard + silence)
                if policy.recheck_interval is not None and self._unanswered(gen, now):
                    timers.append(max(now, consent.last_sent + policy.recheck_interval))
        switch_at = self._role.switch_deadline(now)
        if switch_at is not None:
            timers.append(switch_at)
        nominate_at = self._role.nomination_deadline(self._timers_run_at)
        if nominate_at is not None:
            timers.append(nominate_at)
        return timers

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
            # Nothing is left to pace (stop_checks): no wake-up at the next
            # Ta only to find that out. New work schedules pacing again, one
            # Ta after the last paced check as before (ConnectivityChecks.schedule).
            self._checks.stop_pacing()
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
        logger.info("ICE selected pair %r (generation %d)", pair, gen.id)
        self._events.append(
            SelectedPairChanged(pair.local if pair else None, pair.remote if pair else None, gen.id)
        )

    def _run_consent(self, gen: Generation, now: float) -> None:
        pair, consent = gen.selected, gen.consent
        if pair is None or consent is None or not self._role.full or gen.remote_pwd is None:
            return
        if consent.expired(now):
            logger.info("ICE consent lost on %r (generation %d)", pair, gen.id)
            gen.consent_lost = True
            gen.selected = None
            gen.consent = None
            self._checks.cancel(gen)
            if pair.state == PairState.SUCCEEDED:
                pair.set_state(PairState.FAILED)
            pair.valid = False
            self._announce_active_pair()
            return
        probe_after = self.config.consent.probe_after
        if consent.due(now) or (
            probe_after is not None
            and not consent.in_flight
            and now >= self._last_heard(pair, consent) + probe_after
        ):
            consent.check_sent(now)
            self._send_check(gen, pair, now, consent=True)
        elif self._recheck_due(gen, consent, now):
            consent.last_sent = now
            self._send_check(gen, pair, now, consent=True, recheck=True)

    def _recheck_due(self, gen: Generation, consent: ConsentFreshness, now: float) -> bool:
        """The pair went unanswered and its last check is ``recheck_interval`` old."""
        interval = self.config.consent.recheck_interval
        return (
            interval is not None
            and now >= consent.last_sent + interval
            and self._unanswered(gen, now)
        )

    # -- liveness: what is heard on a path -------------------------------------
    def _last_heard(self, pair: CandidatePair, consent: ConsentFreshness | None) -> float:
        """When anything authenticated last arrived on the pair's path."""
        path = pair.path
        heard = self._heard_at.get(path, _NEVER)
        # Compared, not max(): this runs for every timer read.
        data = self._data_at.get(path, _NEVER)
        if data > heard:
            heard = data
        if consent is not None and consent.last_response > heard:
            heard = consent.last_response
        return heard

    def _unanswered(self, gen: Generation, now: float) -> bool:
        """The generation's selected pair went unanswered: consent checks, or silence."""
        consent, pair = gen.consent, gen.selected
        if consent is None or pair is None:
            return False
        if consent.unanswered(now):
            return True
        silence = self.config.consent.silence_timeout
        return (
            silence is not None
            and consent.unanswered_since is not None
            and now >= self._last_heard(pair, consent) + silence
        )

    # ------------------------------------------------------------------
    # generations: minting, retiring, rolling back

    def _new_generation(self, credentials: tuple[str, str] | None = None) -> Generation:
        generation_id = self._generation_count
        self._generation_count += 1
        if credentials is None:
            credentials = (
                random_ice_string(self._rng, self.config.ufrag_length),
                random_ice_string(self._rng, self.config.pwd_length),
            )
        return Generation(
            generation_id,
            credentials[0],
            credentials[1],
            controlling=self.controlling,
            max_pairs=self.config.max_pairs,
            policy=self.policy,
        )

    def _retire(self, gen: Generation, now: float) -> None:
        if gen not in self._generations or gen is self.generation:
            return
        self._checks.cancel(gen)
        self._generations.remove(gen)
        release_at = now
        if gen.selected is not None:
            path = (gen.selected.socket_id, gen.selected.remote.address)
            release_at = now + self.config.retired_grace
            self._retired_paths[path] = release_at
        if gen.remote_ufrag is not None:
            self._old_remote_ufrags |= {gen.remote_ufrag}
        # Our TURN allocations keep delivering the old path's data for the grace
        # period, then are released; each socket then gets a SocketReleased.
        managed = self._gathering.retire(gen.id, release_at, now)
        others = gen.owned_sockets - managed
        for socket_id in others:
            self._sockets.pop(socket_id, None)
        logger.info("ICE generation %d retired", gen.id)
        self._events.append(GenerationRetired(gen.id, tuple(sorted(others))))
        self._forget_paths()
        self._release_vanished_hosts()
        self._announce_active_pair()

    def _forget_paths(self) -> None:
        """Keep what was heard only for paths a live generation or a grace period uses."""
        live = set(self._retired_paths)
        for gen in self._generations:
            live |= gen.authenticated_paths
        for heard in (self._heard_at, self._data_at):
            for path in [p for p in heard if p not in live]:
                del heard[path]

    def roll_back_restart(self, now: float) -> bool:
        """Undo the latest restart: the description that made it was rolled back.

        RFC 9429 §5.7: what the abandoned description allocated is discarded
        and the previous descriptions apply again. The restarted generation
        retires with its TURN allocations, and the one it replaced is current
        again -- as it was if it still carries the session (it had selected a
        pair), else started afresh with its credentials and remote candidates,
        since the restart retired it. False when there is nothing to undo: no
        restart, or its generation has selected a pair.
        """
        self._now = now
        previous, gen = self._rollback_to, self.generation
        self._rollback_to = None
        if previous is None or previous is gen or gen.selected is not None or self._closed:
            return False
        if previous in self._generations:
            self._generations.remove(previous)
            revived = previous
        else:
            revived = self._new_generation((previous.local_ufrag, previous.local_pwd))
            revived.remote_ufrag, revived.remote_pwd = previous.remote_ufrag, previous.remote_pwd
            revived.remote = [c for c in previous.remote if c.type != "prflx"]
            revived.remote_end_of_candidates = previous.remote_end_of_candidates
        logger.info("ICE restart rolled back: generation %d is current again", revived.id)
        self._generations.append(revived)
        self._retire(gen, now)
        if revived.remote_ufrag is not None:
            self._old_remote_ufrags = (self._old_remote_ufrags - {revived.remote_ufrag}) or NOTHING
        self._checks.stop_pacing()
        if revived is not previous:
            self.gather(now)
        self._schedule_checks(now)
        self._update_state(now)
        return True

    def _expire_retired(self, now: float) -> None:
        for path, expiry in list(self._retired_paths.items()):
            if now >= expiry:
                del self._retired_paths[path]
                self._release_vanished_hosts()

    # ------------------------------------------------------------------
    # local candidates and what gathering reports

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
        """Gathering has started work that the generation's gathering must wait for."""
        gen = self._generation_by_id(generation_id)
        if gen is not None:
            gen.pending_gatherers |= {token}

    def _gathering_done(self, generation_id: int, token: object, now: float) -> None:
        """That work finished (with or without a candidate)."""
        self._now = now
        gen = self._generation_by_id(generation_id)
        if gen is None:
            return
        gen.pending_gatherers = (gen.pending_gatherers - {token}) or NOTHING
        if not gen.pending_gatherers:
            # The one fact this changes: gathering complete. Otherwise the
            # input that got here re-derives the state once, at its end
            # (this ran twice per TURN server while gathering).
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
        """Add a local candidate sending through ``socket_id`` (gathering's, and tests').

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
            gen.owned_sockets |= {socket_id}
        if socket_id not in self._sockets:
            raise IceArgumentError(f"socket {socket_id} is not registered")
        candidate = candidate.in_generation(gen.local_ufrag, gen.id)
        pairs = gen.add_local(candidate, socket_id)
        if not any(e.candidate is candidate for e in gen.local):
            return None
        logger.debug(
            "ICE local candidate %s %s %s:%d (generation %d%s)",
            candidate.type,
            candidate.transport,
            candidate.host,
            candidate.port,
            gen.id,
            f", {url}" if url else "",
        )
        self._events.append(LocalCandidate(candidate, gen.id, url, relay_protocol))
        if pairs:
            self._gathering.pairs_formed(pairs, now)
            self._schedule_checks(now)
        return candidate

    def _host_sockets(self) -> list[LocalSocket]:
        """Host sockets new gatherings use (those whose address vanished are left out)."""
        vanished = self._vanished_hosts
        return [
            s for s in self._sockets.values() if s.kind == "host" and s.socket_id not in vanished
        ]

    def _release_vanished_hosts(self) -> None:
        """Give back each vanished host socket that nothing live uses any more."""
        if not self._vanished_hosts:
            return
        in_use = {e.socket_id for gen in self._generations for e in gen.local}
        in_use |= {socket_id for socket_id, _ in self._retired_paths}
        for socket_id in sorted(self._vanished_hosts - in_use):
            self._vanished_hosts = (self._vanished_hosts - {socket_id}) or NOTHING
            self._sockets.pop(socket_id, None)
            self._events.append(SocketReleased(socket_id))

    def _set_gathering(self, gen: Generation, state: IceGatheringState) -> None:
        if gen.gathering_state != state:
            if state == IceGatheringState.COMPLETE:
                kinds = [entry.candidate.type for entry in gen.local]
                logger.info(
                    "ICE gathering complete (generation %d): %d candidate(s)%s",
                    gen.id,
                    len(kinds),
                    "".join(f", {kinds.count(k)} {k}" for k in sorted(set(kinds))),
                )
            else:
                logger.info("ICE gathering: %s (generation %d)", state.value, gen.id)
            gen.gathering_state = state
            self._events.append(GatheringStateChanged(state, gen.id))

    def _maybe_gathering_complete(self, gen: Generation) -> None:
        if gen.gathering_state == IceGatheringState.GATHERING and not gen.pending_gatherers:
            self._set_gathering(gen, IceGatheringState.COMPLETE)

    # ------------------------------------------------------------------
    # the transport state (W3C), derived from facts; RFC 8863 patience

    def _update_state(self, now: float) -> None:
        generations = self._generations
        gen = generations[-1]  # the current generation
        selected = gen.selected
        consent = gen.consent
        started = gen.checks_started_at
        checklist = gen.checklist
        finished = checklist.finished()  # once: this runs after every input
        full = self._role.full
        older_usable = older_unanswered = False
        if len(generations) > 1:  # a restart is under way
            for older in generations[:-1]:
                if older.selected is not None and older.consent is not None:
                    if self._unanswered(older, now):
                        older_unanswered = True
                    else:
                        older_usable = True
        patience_at = None if started is None else started + self.config.pac_timeout
        # Positional, in StateFacts' field order (each named alongside): this
        # runs after every input, and keywords cost as much as the rest of it.
        facts = StateFacts(
            self._closed,  # closed
            gen.has_remote_candidates or self._restarted,  # has_remote_candidates
            selected is not None,  # has_usable_pair
            consent is not None and full and self._unanswered(gen, now),  # consent_unanswered
            gen.consent_lost,  # consent_lost
            gen.remote_end_of_candidates,  # remote_end_of_candidates
            gen.gathering_complete,  # gathering_complete
            not full or finished,  # checks_finished
            full and finished and not checklist.has_valid_pair(),  # all_pairs_failed
            older_usable,  # restarting_with_usable_pair
            older_unanswered and full,  # restarting_with_unanswered_pair
            patience_at is not None and now < patience_at,  # awaiting_connectivity
            patience_at is not None and now >= patience_at,  # patience_expired
            selected is None and gen.no_pair_possible(),  # no_pair_possible
        )
        state = transport_state(facts)
        if state == self._state:
            return
        if state == IceTransportState.COMPLETED and self._state != IceTransportState.CONNECTED:
            # Browsers always pass through "connected" on the way to "completed".
            self._events.append(StateChanged(IceTransportState.CONNECTED))
        logger.info("ICE state %s -> %s (generation %d)", self._state.value, state.value, gen.id)
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

    def _patience_deadline(self) -> float | None:
        """When the current generation's PAC timer expires, if that is still ahead."""
        gen = self.generation
        if gen.checks_started_at is not None and gen.selected is None:
            patience = gen.checks_started_at + self.config.pac_timeout
            if patience > self._now:
                return patience  # the state may become failed then
        return None


class _GatheringPort:
    """The agent as :class:`~rtcpeer.ice.gathering.GatheringHost` sees it."""

    __slots__ = ("_agent",)

    def __init__(self, agent: IceAgent) -> None:
        self._agent = agent

    @property
    def now(self) -> float:
        return self._agent._now

    @property
    def rng(self) -> random.Random:
        return self._agent._rng

    def host_sockets(self) -> list[LocalSocket]:
        return self._agent._host_sockets()

    def gathering_pending(self, generation_id: int, token: object) -> None:
        self._agent._gathering_pending(generation_id, token)

    def gathering_done(self, generation_id: int, token: object, now: float) -> None:
        self._agent._gathering_done(generation_id, token, now)

    def add_candidate(self, found: Found, generation_id: int, now: float) -> bool:
        added = self._agent._add_local_candidate(
            found.candidate,
            found.socket_id,
            sink=found.sink,
            generation_id=generation_id,
            now=now,
            url=found.url,
            relay_protocol=found.relay_protocol,
        )
        return added is not None

    def pairs_on(self, generation_id: int, socket_id: int) -> list[CandidatePair]:
        gen = self._agent._generation_by_id(generation_id)
        if gen is None:
            return []
        return [p for p in gen.checklist.pairs if p.socket_id == socket_id]

    def queue_event(self, event: IceEvent) -> None:
        self._agent._events.append(event)

    def queue_transmit(self, socket_id: int, destination: Address, data: bytes) -> None:
        self._agent._outbox.append(Transmit(socket_id, destination, data))

    def relayed(self, socket_id: int, peer: Address, data: bytes, now: float) -> None:
        self._agent._relayed(socket_id, peer, data, now)

    def forget_socket(self, socket_id: int) -> None:
        self._agent._sockets.pop(socket_id, None)
