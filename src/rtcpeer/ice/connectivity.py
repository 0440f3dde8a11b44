"""Connectivity checks (RFC 8445 §6.1.4, §7): their messages, and the checks in flight.

The message functions are pure, over :class:`~rtcpeer.stun.StunMessage`. Checks
carry USERNAME ``remote-ufrag:local-ufrag``, PRIORITY (the
peer-reflexive priority this side would have), ICE-CONTROLLING or
ICE-CONTROLLED with the tie-breaker, USE-CANDIDATE when nominating, and are
protected with the short-term key of the *receiver's* password plus FINGERPRINT.

:class:`ConnectivityChecks` is the agent's part that owns the checks in
flight (ordinary, triggered and consent checks alike, each a
:class:`~rtcpeer.stun.transaction.StunTransaction`), their retransmissions,
the pacing of ordinary checks (one per Ta) and the round trips they measure.
The agent decides what to check and what an answer means.

:class:`CheckRtt` is the smoothed check round trip (RFC 6298) that sets a
check's retransmission timeout to MAX(policy RTO, SRTT + 4·RTTVAR), capped.
The runtime shares one per event loop among all its agents, so that an agent
opened while the loop runs late starts with the round trips earlier agents
measured instead of retransmitting checks whose answers are merely waiting
to be read (RFC 8445 §14.3 asks for an RTO that grows with the load).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum

from rtcpeer.ice.candidate import TYPE_PREFERENCES, Candidate, candidate_priority
from rtcpeer.ice.config import IceAgentConfig
from rtcpeer.ice.errors import IceError
from rtcpeer.ice.generation import Generation
from rtcpeer.ice.pair import CandidatePair, PairState
from rtcpeer.sansio import Address
from rtcpeer.stun.constants import Attr, ErrorCode, MessageClass, Method
from rtcpeer.stun.message import StunMessage, short_term_key
from rtcpeer.stun.transaction import RetransmissionPolicy, StunTransaction

logger = logging.getLogger(__name__)


class CheckRejected(IceError):
    """An incoming Binding request to answer with an error (or to drop: code None)."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(reason or str(code))
        self.code = code


@dataclass(frozen=True)
class IncomingCheck:
    """What a validated Binding request asks of us."""

    #: Our ufrag (first half of USERNAME): selects the generation.
    local_ufrag: str
    #: The sender's ufrag.
    remote_ufrag: str
    #: The sender's PRIORITY: the priority of a peer-reflexive candidate for it.
    priority: int
    #: True if the sender claims ICE-CONTROLLING, False for ICE-CONTROLLED, None if neither.
    remote_controlling: bool | None
    #: The sender's tie-breaker (0 if absent).
    tie_breaker: int
    #: USE-CANDIDATE present: the sender nominates this pair.
    use_candidate: bool


class RoleAction(Enum):
    """Outcome of the RFC 8445 §7.3.1.1 role-conflict rule for a request."""

    NONE = "none"
    SWITCH = "switch"
    REJECT_487 = "reject-487"


def peer_reflexive_priority(local: Candidate) -> int:
    """PRIORITY for checks from ``local``: prflx type preference, same local preference."""
    return candidate_priority(
        TYPE_PREFERENCES["prflx"], (local.priority >> 8) & 0xFFFF, local.component
    )


#: Plain ints for the per-check code below: an Enum member look-up
#: (``Attr.USERNAME``) costs ~70 ns, several per check built or validated.
_USERNAME = int(Attr.USERNAME)
_PRIORITY = int(Attr.PRIORITY)
_ICE_CONTROLLING = int(Attr.ICE_CONTROLLING)
_ICE_CONTROLLED = int(Attr.ICE_CONTROLLED)
_USE_CANDIDATE = int(Attr.USE_CANDIDATE)
_MESSAGE_INTEGRITY = int(Attr.MESSAGE_INTEGRITY)
_XOR_MAPPED_ADDRESS = int(Attr.XOR_MAPPED_ADDRESS)
_BINDING = int(Method.BINDING)
_REQUEST = MessageClass.REQUEST


def build_check(
    *,
    transaction_id: bytes,
    local_ufrag: str,
    remote_ufrag: str,
    remote_pwd: str,
    priority: int,
    controlling: bool,
    tie_breaker: int,
    use_candidate: bool = False,
) -> tuple[StunMessage, bytes]:
    """A connectivity check and its bytes."""
    request = StunMessage(_BINDING, _REQUEST, transaction_id)
    request.add(_USERNAME, f"{remote_ufrag}:{local_ufrag}")
    request.add(_PRIORITY, priority)
    request.add(_ICE_CONTROLLING if controlling else _ICE_CONTROLLED, tie_breaker)
    if use_candidate:
        request.add(_USE_CANDIDATE)
    return request, request.encode(short_term_key(remote_pwd))


def split_username(request: StunMessage) -> tuple[str, str]:
    """USERNAME as (our ufrag, their ufrag); CheckRejected(400) if malformed."""
    username = request.get(_USERNAME)
    if not isinstance(username, str) or username.count(":") != 1:
        raise CheckRejected(ErrorCode.BAD_REQUEST, "USERNAME missing or malformed")
    local_ufrag, remote_ufrag = username.split(":")
    if not local_ufrag or not remote_ufrag:
        raise CheckRejected(ErrorCode.BAD_REQUEST, "USERNAME has an empty ufrag")
    return local_ufrag, remote_ufrag


def validate_check(request: StunMessage, local_pwd: str) -> IncomingCheck:
    """Check integrity and required attributes (RFC 8445 §7.3, RFC 8489 §9.1.3)."""
    if not request.has(_MESSAGE_INTEGRITY) or not request.has(_USERNAME):
        raise CheckRejected(ErrorCode.BAD_REQUEST, "no USERNAME or MESSAGE-INTEGRITY")
    local_ufrag, remote_ufrag = split_username(request)
    if not request.check_integrity(short_term_key(local_pwd)):
        raise CheckRejected(ErrorCode.UNAUTHENTICATED, "MESSAGE-INTEGRITY does not verify")
    if request.unknown_required:
        raise CheckRejected(ErrorCode.UNKNOWN_ATTRIBUTE, "unknown comprehension-required")
    priority = request.get(_PRIORITY)
    if not isinstance(priority, int):
        raise CheckRejected(ErrorCode.BAD_REQUEST, "no PRIORITY")
    remote_controlling: bool | None = None
    tie_breaker = 0
    if request.has(_ICE_CONTROLLING):
        remote_controlling, tie_breaker = True, int(request.get(_ICE_CONTROLLING))
    elif request.has(_ICE_CONTROLLED):
        remote_controlling, tie_breaker = False, int(request.get(_ICE_CONTROLLED))
    return IncomingCheck(
        local_ufrag=local_ufrag,
        remote_ufrag=remote_ufrag,
        priority=priority,
        remote_controlling=remote_controlling,
        tie_breaker=tie_breaker,
        use_candidate=request.has(_USE_CANDIDATE),
    )


def resolve_role_conflict(controlling: bool, tie_breaker: int, check: IncomingCheck) -> RoleAction:
    """RFC 8445 §7.3.1.1: the larger tie-breaker stays (or becomes) controlling."""
    if check.remote_controlling is None or check.remote_controlling != controlling:
        return RoleAction.NONE
    if controlling:
        return RoleAction.REJECT_487 if tie_breaker >= check.tie_breaker else RoleAction.SWITCH
    return RoleAction.SWITCH if tie_breaker >= check.tie_breaker else RoleAction.REJECT_487


def build_success(request: StunMessage, mapped: Address, local_pwd: str) -> bytes:
    """Success response reflecting the source as XOR-MAPPED-ADDRESS."""
    response = request.success()
    response.add(_XOR_MAPPED_ADDRESS, mapped)
    return response.encode(short_term_key(local_pwd))


def build_error(request: StunMessage, code: int, local_pwd: str | None) -> bytes:
    """Error response; integrity-protected when we know the key (487 is)."""
    response = request.error(code)
    return response.encode(None if local_pwd is None else short_term_key(local_pwd))


class CheckRtt:
    """A smoothed round trip of connectivity checks (RFC 6298 §2), fed only
    by checks answered on their first transmission (Karn's rule). Shared by
    every agent it is given to; it holds no clock, only the samples."""

    __slots__ = ("rttvar", "samples", "srtt")

    def __init__(self) -> None:
        #: Smoothed round trip in seconds (None until the first sample).
        self.srtt: float | None = None
        #: Round-trip variation in seconds.
        self.rttvar = 0.0
        #: How many samples it has taken.
        self.samples = 0

    def sample(self, rtt: float) -> None:
        """Take one round-trip measurement (seconds)."""
        rtt = max(rtt, 0.0)
        self.samples += 1
        srtt = self.srtt
        if srtt is None:
            self.srtt, self.rttvar = rtt, rtt / 2
            return
        self.rttvar = 0.75 * self.rttvar + 0.25 * abs(srtt - rtt)
        self.srtt = 0.875 * srtt + 0.125 * rtt

    def rto(self, floor: float, cap: float) -> float:
        """MAX(``floor``, SRTT + 4·RTTVAR), at most ``cap`` (never below ``floor``)."""
        if self.srtt is None:
            return floor
        return max(floor, min(cap, self.srtt + 4 * self.rttvar))


def adapted_policy(
    policy: RetransmissionPolicy, rtt: CheckRtt, cap: float | None
) -> RetransmissionPolicy:
    """``policy`` with its RTO raised to what ``rtt`` measured (``policy`` itself
    when nothing changes). A raised RTO sends fewer times so that the check
    gives up no later than ``policy`` would (but after two transmissions at
    least): a loaded loop does not stretch ICE failure by the RTO's growth."""
    if cap is None:
        return policy
    rto = rtt.rto(policy.rto, cap)
    if rto <= policy.rto:
        return policy
    total = policy.rto * (2 ** (policy.rc - 1) - 1 + policy.rm)
    rc = policy.rc
    while rc > 2 and rto * (2 ** (rc - 1) - 1 + policy.rm) > total:
        rc -= 1
    return replace(policy, rto=rto, rc=rc)


@dataclass(eq=False)
class Check:
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
    #: When it was first sent (a round-trip sample if answered without retransmission).
    sent_at: float
    #: When it was last (re)transmitted.
    last_sent_at: float
    #: Cancelled by a triggered check (RFC 8445 §7.3.1.4) and listening, until
    #: this time, only for a late response: no retransmissions, one timer to
    #: forget it, and no failure when it ends unanswered. None while live.
    cancelled_until: float | None = None
    #: A single-transmission consent check sent while the pair is unanswered:
    #: its timeout changes nothing (the next one is already scheduled).
    recheck: bool = False
    #: Its retransmission timing (None: the configured check policy).
    policy: RetransmissionPolicy | None = None


#: How the part sends a check's bytes: (socket id, destination, data, now).
SendOn = Callable[[int, Address, bytes, float], None]


class ConnectivityChecks:
    """The agent's checks in flight, their pacing (one ordinary check per Ta) and RTTs."""

    def __init__(
        self,
        config: IceAgentConfig,
        rng: random.Random,
        send_on: SendOn,
        check_rtt: CheckRtt | None = None,
    ) -> None:
        self._config = config
        self._rng = rng
        self._send_on = send_on
        #: The smoothed check round trip that sets RTOs (shared with other agents
        #: when the runtime passes one, else this agent's own).
        self.check_rtt = check_rtt if check_rtt is not None else CheckRtt()
        #: Checks in flight, by transaction id.
        self.in_flight: dict[bytes, Check] = {}
        #: When the next paced check is due (None: nothing to pace).
        self.next_at: float | None = None
        self._last_at: float | None = None
        #: The latest check round trip measured (Karn: first transmissions only).
        self.rtt: float | None = None

    # -- pacing ---------------------------------------------------------------
    def schedule(self, now: float) -> None:
        """There is checking to do: the next paced check goes at once or one Ta
        after the previous one (unless one is already scheduled)."""
        if self.next_at is None:
            last = self._last_at
            self.next_at = now if last is None else max(now, last + self._config.check_interval)

    def stop_pacing(self) -> None:
        """No paced check is due until :meth:`schedule` is called again."""
        self.next_at = None

    def pace_due(self, now: float) -> bool:
        """The paced check is due at ``now``."""
        return self.next_at is not None and now >= self.next_at

    def paced(self, now: float) -> None:
        """The paced check went out at ``now``: the next one waits one Ta."""
        self._last_at = now
        self.next_at = now + self._config.check_interval

    # -- checks ---------------------------------------------------------------
    def send(
        self,
        gen: Generation,
        pair: CandidatePair,
        now: float,
        *,
        controlling: bool,
        tie_breaker: int,
        use_candidate: bool = False,
        consent: bool = False,
        recheck: bool = False,
    ) -> Check:
        """Send a check on ``pair``; ``recheck``: a consent check sent once."""
        assert gen.remote_pwd is not None and gen.remote_ufrag is not None
        priority = peer_reflexive_priority(pair.local)
        request, data = build_check(
            transaction_id=self._rng.randbytes(12),
            local_ufrag=gen.local_ufrag,
            remote_ufrag=gen.remote_ufrag,
            remote_pwd=gen.remote_pwd,
            priority=priority,
            controlling=controlling,
            tie_breaker=tie_breaker,
            use_candidate=use_candidate,
        )
        policy = self._policy(consent, recheck)
        transaction = StunTransaction(
            request,
            data,
            now,
            policy=policy,
            integrity_key=short_term_key(gen.remote_pwd),
        )
        check = Check(
            transaction,
            gen,
            pair,
            use_candidate,
            consent or recheck,
            controlling,
            priority,
            now,
            now,
            recheck=recheck,
            policy=policy,
        )
        self.in_flight[request.transaction_id] = check
        pair.add_transaction(request.transaction_id)
        pair.requests_sent += 1
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "ICE %s %r%s (generation %d)",
                "consent check" if consent else "check",
                pair,
                " USE-CANDIDATE" if use_candidate else "",
                gen.id,
            )
        if pair.state == PairState.WAITING:
            pair.set_state(PairState.IN_PROGRESS)
        self._flush(check, now)
        return check

    def _policy(self, consent: bool, recheck: bool) -> RetransmissionPolicy:
        policy = self._config.consent
        if recheck:
            return RetransmissionPolicy(rto=policy.recheck_timeout, rc=1, rm=1)
        if consent:
            return policy.retransmission
        config = self._config
        return adapted_policy(config.check_retransmission, self.check_rtt, config.check_rto_max)

    def _flush(self, check: Check, now: float) -> None:
        pair = check.pair
        for data in check.transaction.datagrams_to_send():
            check.last_sent_at = now
            self._send_on(pair.socket_id, pair.remote.address, data, now)

    def timers(self) -> list[float]:
        """When the next paced check and each check's retransmission are due."""
        timers: list[float] = []
        if self.next_at is not None:
            timers.append(self.next_at)
        for check in self.in_flight.values():
            deadline = check.cancelled_until or check.transaction.get_timer()
            if deadline is not None:
                if check.cancelled_until is None:
                    deadline = max(deadline, self._first_resend_at(check))
                timers.append(deadline)
        return timers

    def _first_resend_at(self, check: Check) -> float:
        """The earliest a check still on its first transmission is sent again:
        one RTO as measured *now* after it went, since round trips measured
        after it was sent (by any agent sharing the estimator) may have raised
        the RTO it started with; its give-up time stays what it was."""
        policy = check.policy
        cap = self._config.check_rto_max
        if check.consent or policy is None or cap is None or check.transaction.transmissions != 1:
            return check.sent_at
        return check.sent_at + self.check_rtt.rto(policy.rto, cap)

    def handle_timer(self, now: float) -> list[Check]:
        """Retransmit what is due; the checks that timed out, taken out of flight."""
        timed_out: list[Check] = []
        for tid, check in list(self.in_flight.items()):
            if check.cancelled_until is not None:
                if now >= check.cancelled_until:
                    del self.in_flight[tid]  # its answer never came: no failure
                continue
            if now < self._first_resend_at(check):
                continue
            check.transaction.handle_timer(now)
            if check.transaction.done:
                self.in_flight.pop(tid, None)
                check.pair.forget_transaction(tid)
                timed_out.append(check)
            else:
                self._flush(check, now)
        return timed_out

    def answered(self, response: StunMessage, now: float) -> Check | None:
        """The check ``response`` answers, taken out of flight; None if it is none
        of ours or does not authenticate. A success is counted on the check's
        pair with its round trip (whatever the path it came back on)."""
        check = self.in_flight.get(response.transaction_id)
        if check is None or not check.transaction.receive(response):
            return None
        del self.in_flight[response.transaction_id]
        pair = check.pair
        pair.forget_transaction(response.transaction_id)
        if response.message_class == MessageClass.SUCCESS:
            rtt = now - check.last_sent_at
            pair.responses_received += 1
            pair.total_round_trip_time += rtt
            if check.transaction.transmissions == 1:
                pair.current_round_trip_time = rtt
        return check

    def succeeded(self, check: Check, now: float) -> None:
        """``check`` was answered with success on its own path: a round-trip
        sample unless it was retransmitted (Karn)."""
        if check.transaction.transmissions == 1:
            self.rtt = now - check.sent_at
            self.check_rtt.sample(self.rtt)

    def on_pair(self, pair: CandidatePair) -> list[Check]:
        """The checks in flight on ``pair``."""
        return [self.in_flight[t] for t in pair.transactions if t in self.in_flight]

    def cancel_for_trigger(self, pair: CandidatePair, now: float) -> None:
        """RFC 8445 §7.3.1.4: the pair's checks stop retransmitting and only listen,
        as long as their whole retransmission schedule would have lasted."""
        for check in self.on_pair(pair):
            policy = check.policy or self._config.check_retransmission
            listen = policy.rto * (2 ** (policy.rc - 1) - 1) + policy.rm * policy.rto
            check.cancelled_until = now + listen
            pair.forget_transaction(check.transaction.transaction_id)

    def cancel(self, gen: Generation, keep_consent: bool = False) -> None:
        """Forget the generation's checks (but its consent checks if ``keep_consent``)."""
        for tid, check in list(self.in_flight.items()):
            if check.generation is gen and not (keep_consent and check.consent):
                check.transaction.cancel()
                del self.in_flight[tid]
                check.pair.forget_transaction(tid)

    def clear(self) -> None:
        """The agent closed: nothing in flight, nothing paced."""
        self.in_flight.clear()
        self.next_at = None
