"""What the parts of the ICE agent share: its state, and the calls between parts.

:class:`~rtcpeer.ice.agent.IceAgent` is assembled from one mixin per concept
(``checking``, ``selection``, ``datapath``, ``generations``,
``local_candidates``, ``state_tracking``), each in a module of that name.
:class:`AgentCore` is their common base: it declares the state they share
(set up in ``IceAgent.__init__``) and names, as stubs, the methods one part
calls in another, so each module type-checks on its own and a reader sees the
seams between them in one place.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from rtcpeer.ice.config import IceAgentConfig, MdnsResolver, TransportPolicy
from rtcpeer.ice.events import IceEvent
from rtcpeer.ice.generation import Generation
from rtcpeer.ice.pair import CandidatePair
from rtcpeer.ice.states import IceTransportState
from rtcpeer.ice.transport import Address, LocalSocket, Transmit
from rtcpeer.stun.message import StunMessage

if TYPE_CHECKING:
    from rtcpeer.ice.agent import Gatherer
    from rtcpeer.ice.checking import Check
    from rtcpeer.ice.datapath import SendCounters
    from rtcpeer.ice.gathering import ServerGathering


class AgentCore:
    """The ICE agent's shared state and cross-part calls (see the module docstring)."""

    # -- state, set up by IceAgent.__init__ -----------------------------------
    config: IceAgentConfig
    lite: bool
    remote_is_lite: bool
    controlling: bool
    tie_breaker: int
    policy: TransportPolicy
    _rng: random.Random
    _resolve_mdns: MdnsResolver | None
    _sockets: dict[int, LocalSocket]
    #: Host sockets whose address vanished: no candidates in later gatherings;
    #: released once no live generation (or grace period) still uses them.
    _vanished_hosts: set[int]
    _gatherers: list[Gatherer]
    _outbox: list[Transmit]
    _events: list[IceEvent]
    #: Connectivity and consent checks in flight, by transaction id.
    _checks: dict[bytes, Check]
    _next_check_at: float | None
    _last_check_at: float | None
    #: Live generations, oldest first; the last is the current one.
    _generations: list[Generation]
    _generation_count: int
    _old_remote_ufrags: set[str]
    #: (socket, remote) paths of retired generations still delivering data, until when.
    _retired_paths: dict[tuple[int, Address], float]
    _state: IceTransportState
    _closed: bool
    _restarted: bool
    #: The generation the latest restart replaced (what a rollback returns to).
    _rollback_to: Generation | None
    _active_pair: CandidatePair | None
    #: Application datagrams waiting for a usable pair: (give up at, data), oldest first.
    _held: list[tuple[float, bytes]]
    #: What happened to datagrams that could not go out over a selected pair.
    send_counters: SendCounters
    #: Our DTLS handshake datagrams sent before the peer's first application
    #: datagram arrived (None once one did), and when to send them again.
    _first_flight: list[bytes] | None
    _resend_at: float | None
    #: The latest check round trip measured (Karn: first transmissions only).
    _rtt: float | None
    #: When authenticated STUN (a check from the peer, a response) last arrived, by path.
    _heard_at: dict[tuple[int, Address], float]
    #: When application data last arrived, by (socket, source) path.
    _data_at: dict[tuple[int, Address], float]
    #: The latest ``now`` any input carried (for inputs that take none).
    _now: float
    _gathering: ServerGathering

    @property
    def generation(self) -> Generation:
        """The current generation."""
        return self._generations[-1]

    def _generation_by_id(self, generation_id: int) -> Generation | None:
        return next((g for g in self._generations if g.id == generation_id), None)

    def _time(self, now: float | None) -> float:
        if now is not None:
            self._now = now
        return self._now

    # -- calls across parts (implemented in the module named) --------------------
    def _schedule_checks(self, now: float) -> None:  # checking
        raise NotImplementedError

    def _send_check(
        self,
        gen: Generation,
        pair: CandidatePair,
        now: float,
        *,
        use_candidate: bool = False,
        consent: bool = False,
        recheck: bool = False,
    ) -> None:  # checking
        raise NotImplementedError

    def _cancel_checks(self, gen: Generation, keep_consent: bool = False) -> None:  # checking
        raise NotImplementedError

    def _handle_request(
        self, sock: LocalSocket, source: Address, request: StunMessage, now: float
    ) -> None:  # checking
        raise NotImplementedError

    def _handle_response(
        self, sock: LocalSocket, source: Address, response: StunMessage, now: float
    ) -> None:  # checking
        raise NotImplementedError

    @property
    def _aggressive(self) -> bool:  # checking
        raise NotImplementedError

    def _maybe_nominate(self, gen: Generation, now: float) -> None:  # selection
        raise NotImplementedError

    def _on_nominated(self, gen: Generation, pair: CandidatePair, now: float) -> None:  # selection
        raise NotImplementedError

    def _accept_nomination(
        self, gen: Generation, pair: CandidatePair, now: float
    ) -> None:  # selection
        raise NotImplementedError

    def _announce_active_pair(self) -> None:  # selection
        raise NotImplementedError

    def _send_on(
        self, socket_id: int, destination: Address, data: bytes, now: float
    ) -> None:  # datapath
        raise NotImplementedError

    def _early_pair(self) -> CandidatePair | None:  # datapath
        raise NotImplementedError

    def _sending_pair(self) -> CandidatePair | None:  # selection
        raise NotImplementedError

    def _unanswered(self, gen: Generation, now: float) -> bool:  # selection
        raise NotImplementedError

    def _reply(
        self, sock: LocalSocket, destination: Address, data: bytes, now: float
    ) -> None:  # datapath
        raise NotImplementedError

    def _retire(self, gen: Generation, now: float) -> None:  # generations
        raise NotImplementedError

    def _update_state(self, now: float) -> None:  # state_tracking
        raise NotImplementedError

    def _release_vanished_hosts(self) -> None:  # local_candidates
        raise NotImplementedError

    def gather(self, now: float) -> None:  # agent (the facade)
        raise NotImplementedError
