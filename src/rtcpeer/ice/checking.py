"""Connectivity checks (RFC 8445 §6.1.4, §7.2, §7.3): sending, answering, concluding.

Paced ordinary and triggered checks go out every Ta; requests from the peer
are authenticated, answered (or met with a 487 role conflict) and may make
peer-reflexive candidates and triggered checks; responses make valid pairs
(§7.2.5.3) and feed nomination. Consent checks (RFC 7675) travel the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

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
from rtcpeer.ice.core import AgentCore
from rtcpeer.ice.events import RoleChanged
from rtcpeer.ice.generation import Generation
from rtcpeer.ice.pair import CandidatePair, PairState
from rtcpeer.ice.transport import Address, LocalSocket
from rtcpeer.stun.constants import Attr, ErrorCode, MessageClass
from rtcpeer.stun.message import StunMessage, short_term_key
from rtcpeer.stun.transaction import RetransmissionPolicy, StunTransaction

logger = logging.getLogger(__name__)


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
    #: Cancelled by a triggered check (RFC 8445 §7.3.1.4) and listening, until
    #: this time, only for a late response: no retransmissions, one timer to
    #: forget it, and no failure when it ends unanswered. None while live.
    cancelled_until: float | None = None
    #: A single-transmission consent check sent while the pair is unanswered:
    #: its timeout changes nothing (the next one is already scheduled).
    recheck: bool = False


class Checking(AgentCore):
    """The agent's connectivity checks: the checks in flight, pacing, requests, responses."""

    def _check_deadlines(self) -> list[float]:
        """When the next paced check and each check's retransmission are due."""
        timers: list[float] = []
        if self._next_check_at is not None:
            timers.append(self._next_check_at)
        for check in self._checks.values():
            deadline = check.cancelled_until or check.transaction.get_timer()
            if deadline is not None:
                timers.append(deadline)
        return timers

    def _handle_check_timers(self, now: float) -> None:
        """Retransmit or time out checks in flight, then send the paced check if due."""
        for tid, check in list(self._checks.items()):
            if check.cancelled_until is not None:
                if now >= check.cancelled_until:
                    del self._checks[tid]  # its answer never came: no failure
                continue
            check.transaction.handle_timer(now)
            if check.transaction.done:
                self._checks.pop(tid, None)
                check.pair.transactions.discard(tid)
                self._on_check_timeout(check, now)
            else:
                self._flush(check, now)
        if self._next_check_at is not None and now >= self._next_check_at:
            self._paced_check(now)

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
            policy=self._check_policy(consent, recheck),
            integrity_key=short_term_key(gen.remote_pwd),
        )
        check = Check(
            transaction,
            gen,
            pair,
            use_candidate,
            consent or recheck,
            self.controlling,
            priority,
            now,
            recheck=recheck,
        )
        self._checks[request.transaction_id] = check
        pair.transactions.add(request.transaction_id)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "ICE %s %r%s (generation %d)", "consent check" if consent else "check", pair,
                " USE-CANDIDATE" if use_candidate else "", gen.id,
            )
        if pair.state == PairState.WAITING:
            pair.set_state(PairState.IN_PROGRESS)
        self._flush(check, now)

    def _check_policy(self, consent: bool, recheck: bool) -> RetransmissionPolicy:
        policy = self.config.consent
        if recheck:
            return RetransmissionPolicy(rto=policy.recheck_timeout, rc=1, rm=1)
        return policy.retransmission if consent else self.config.check_retransmission

    def _flush(self, check: Check, now: float) -> None:
        for data in check.transaction.datagrams_to_send():
            self._send_on(check.pair.socket_id, check.pair.remote.address, data, now)

    def _cancel_checks(self, gen: Generation, keep_consent: bool = False) -> None:
        for tid, check in list(self._checks.items()):
            if check.generation is gen and not (keep_consent and check.consent):
                check.transaction.cancel()
                del self._checks[tid]
                check.pair.transactions.discard(tid)

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
        path = (sock.socket_id, source)
        gen.authenticated_paths.add(path)
        gen.last_request_path = path
        self._heard_at[path] = now

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
        if pair.state == PairState.IN_PROGRESS:
            self._retrigger(gen, pair, now)
        elif pair.state != PairState.SUCCEEDED:
            gen.checklist.trigger(pair)
            self._schedule_checks(now)
        if check.use_candidate and not self.controlling:
            target = self._valid_pair_from(gen, pair)
            if target is not None:
                self._accept_nomination(gen, target, now)
            else:
                pair.use_candidate_received = True

    def _retrigger(self, gen: Generation, pair: CandidatePair, now: float) -> None:
        """RFC 8445 §7.3.1.4: a request on an In-Progress pair cancels its check
        and queues a triggered one.

        The peer just reached us on this path, so our check in flight was most
        likely lost (typically dropped by the peer's TURN server before the
        peer's permission for us existed); waiting for its retransmission
        would cost a whole RTO. A nomination in flight (regular nomination)
        is left alone: the triggered check would not carry USE-CANDIDATE.
        """
        in_flight = [self._checks[t] for t in pair.transactions if t in self._checks]
        if any(c.consent or (c.use_candidate and not self._aggressive) for c in in_flight):
            return
        policy = self.config.check_retransmission
        # As long as the whole retransmission schedule would have lasted.
        listen = policy.rto * (2 ** (policy.rc - 1) - 1) + policy.rm * policy.rto
        for check in in_flight:
            check.cancelled_until = now + listen
            pair.transactions.discard(check.transaction.transaction_id)
        pair.set_state(PairState.WAITING)
        gen.checklist.trigger(pair)
        self._schedule_checks(now)

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
        path = (sock.socket_id, source)
        gen.authenticated_paths.add(path)
        self._heard_at[path] = now
        if check.transaction.transmissions == 1:
            self._rtt = now - check.sent_at
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
        if check.use_candidate and self.controlling:
            if gen.nominating is pair:
                gen.nominating = None
            self._on_nominated(gen, valid, now)
        elif not self.controlling and (pair.use_candidate_received or valid.use_candidate_received):
            self._accept_nomination(gen, valid, now)
        else:
            self._maybe_nominate(gen, now)

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
        logger.debug("ICE check %r answered %s %s", pair, response.error_code,
                     response.error_reason)
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
        logger.info("ICE role conflict: now %s", "controlling" if controlling else "controlled")
        self.controlling = controlling
        for gen in self._generations:
            gen.checklist.set_role(controlling)
        self._events.append(RoleChanged(controlling))
