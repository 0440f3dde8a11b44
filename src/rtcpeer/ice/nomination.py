"""Nomination (RFC 8445 §8) and answering checks, as one strategy per ICE role.

The agent holds one :class:`Role`, chosen when it is made and replaced only
when a role conflict switches it (pion/ice's ``selection.go`` does the same):

- :class:`ControllingRole` nominates. By default with regular nomination:
  once a pair is valid it waits until no higher-priority pair can still
  succeed, or ``nomination_delay`` after the first valid pair, then re-checks
  the best valid pair with USE-CANDIDATE; with ``aggressive_nomination``
  every check carries USE-CANDIDATE and the best nominated pair wins.
- :class:`ControlledRole` accepts regular and aggressive nomination and
  renomination: the pair nominated last is the one it uses. It does not wait
  forever for a nomination either: when the pair it sends on (possibly an old
  generation's, after a restart the peer never nominated in) goes quiet while
  a valid pair of the current generation works -- the peer's data arrives
  there, or it answers our checks -- it moves to that pair by itself and
  announces the change, as libwebrtc does. A later nomination still wins.
- :class:`LiteRole` (RFC 8445 §2.5) sends no checks and keeps no consent: a
  check with USE-CANDIDATE from the (full, controlling) peer makes its pair
  succeed and selects it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rtcpeer.ice.checklist import Checklist
from rtcpeer.ice.connectivity import Check, IncomingCheck, RoleAction, resolve_role_conflict
from rtcpeer.ice.generation import Generation
from rtcpeer.ice.pair import CandidatePair, PairState

if TYPE_CHECKING:
    from rtcpeer.ice.agent import IceAgent

logger = logging.getLogger(__name__)
_PENDING = (PairState.FROZEN, PairState.WAITING, PairState.IN_PROGRESS)
_NEVER = float("-inf")
#: How many valid pairs a controlled agent probes at once when its pair went quiet.
_PROBES = 3


def best_valid_pair(checklist: Checklist) -> CandidatePair | None:
    """The highest-priority valid pair, if any."""
    valid = checklist.valid_pairs
    return max(valid, key=lambda p: p.priority) if valid else None


def ready_to_nominate(
    checklist: Checklist, first_valid_at: float | None, delay: float, now: float
) -> CandidatePair | None:
    """The pair regular nomination should nominate now, if any."""
    best = best_valid_pair(checklist)
    if best is None:
        return None
    better_pending = any(
        p.state in _PENDING and p.priority > best.priority for p in checklist.pairs
    )
    waited = first_valid_at is not None and now >= first_valid_at + delay
    return best if (not better_pending or waited) else None


def controlled_choice(pairs: Iterable[CandidatePair]) -> CandidatePair | None:
    """The controlled side uses the valid pair nominated last (renomination)."""
    nominated = [p for p in pairs if p.nominated and p.valid]
    return max(nominated, key=lambda p: p.nominated_at) if nominated else None


def controlling_choice(pairs: Iterable[CandidatePair], aggressive: bool) -> CandidatePair | None:
    """Aggressive: the best nominated pair; regular: the one nominated last."""
    nominated = [p for p in pairs if p.nominated and p.valid]
    if not nominated:
        return None
    if aggressive:
        return max(nominated, key=lambda p: p.priority)
    return max(nominated, key=lambda p: p.nominated_at)


def valid_pair_from(gen: Generation, pair: CandidatePair) -> CandidatePair | None:
    """The valid pair a check on ``pair`` produced (itself unless prflx-local)."""
    if pair.valid:
        return pair
    for other in gen.checklist.valid_pairs:
        if other.socket_id == pair.socket_id and other.remote.address == pair.remote.address:
            return other
    return None


class Role:
    """What differs between ICE roles: nominating and answering checks."""

    #: Sends ICE-CONTROLLING (else ICE-CONTROLLED) and nominates.
    controlling = False
    #: A full agent: it sends checks, keeps consent and resolves role conflicts.
    full = True

    def __init__(self, agent: IceAgent) -> None:
        self._agent = agent

    @property
    def aggressive(self) -> bool:
        """Every check this role sends carries USE-CANDIDATE."""
        return False

    def role_action(self, tie_breaker: int, check: IncomingCheck) -> RoleAction:
        """RFC 8445 §7.3.1.1 for an authenticated request."""
        return resolve_role_conflict(self.controlling, tie_breaker, check)

    def request_arrived(
        self, gen: Generation, pair: CandidatePair, check: IncomingCheck, now: float
    ) -> None:
        """The peer checked ``pair`` (answered already): a triggered check (§7.3.1.4)."""
        agent = self._agent
        if pair.state == PairState.IN_PROGRESS:
            agent._retrigger(gen, pair, now)
        elif pair.state != PairState.SUCCEEDED:
            gen.checklist.trigger(pair)
            agent._schedule_checks(now)

    def check_succeeded(
        self, gen: Generation, check: Check, valid: CandidatePair, now: float
    ) -> None:
        """One of our checks succeeded and made ``valid`` valid."""

    def maybe_nominate(self, gen: Generation, now: float) -> None:
        """Nominate a pair of ``gen`` if it is time to."""

    def nomination_deadline(self, handled: float) -> float | None:
        """When :meth:`maybe_nominate` will nominate at the latest, if it is
        waiting and that moment is after ``handled`` (when the agent's timers
        last ran, so a deadline they already acted on is not reported again)."""
        return None

    def switch_deadline(self, now: float) -> float | None:
        """When the role may leave the pair it sends on without a nomination."""
        return None

    def maybe_switch(self, now: float) -> None:
        """Leave the pair it sends on without a nomination, if that is due."""


class ControllingRole(Role):
    """The controlling agent: it nominates, regularly or aggressively."""

    controlling = True

    @property
    def aggressive(self) -> bool:
        return self._agent.config.aggressive_nomination

    def check_succeeded(
        self, gen: Generation, check: Check, valid: CandidatePair, now: float
    ) -> None:
        if not check.use_candidate:
            self.maybe_nominate(gen, now)
            return
        if gen.nominating is check.pair:
            gen.nominating = None
        valid.nominated = True
        valid.nominated_at = now
        choice = controlling_choice(gen.checklist.pairs, self.aggressive)
        if choice is not None and choice is not gen.selected:
            self._agent._select(gen, choice, now)

    def _may_nominate(self, gen: Generation) -> bool:
        """Regular nomination of ``gen`` is still to be done, by this role."""
        return not (
            self.aggressive
            or gen.selected is not None
            or gen.nominating is not None
            or gen.remote_pwd is None
            or gen is not self._agent.generation
        )

    def nomination_deadline(self, handled: float) -> float | None:
        """``nomination_delay`` after the first valid pair: a better pair still
        pending is waited for no longer (computed as ``ready_to_nominate`` does).

        Compared with when the timers last ran, not with the latest input's
        time: an input (data sent, a request answered) carrying a later ``now``
        does not nominate, so the deadline stays due until the timers run.
        """
        gen = self._agent.generation
        if gen.first_valid_at is None or not self._may_nominate(gen):
            return None
        at = gen.first_valid_at + self._agent.config.nomination_delay
        return at if at > handled else None

    def maybe_nominate(self, gen: Generation, now: float) -> None:
        agent = self._agent
        if not self._may_nominate(gen):
            return
        pair = ready_to_nominate(
            gen.checklist, gen.first_valid_at, agent.config.nomination_delay, now
        )
        if pair is not None:
            gen.nominating = pair
            agent._send_check(gen, pair, now, use_candidate=True)


class ControlledRole(Role):
    """The controlled full agent: the latest nomination from the peer wins."""

    def request_arrived(
        self, gen: Generation, pair: CandidatePair, check: IncomingCheck, now: float
    ) -> None:
        super().request_arrived(gen, pair, check, now)
        if check.use_candidate:
            target = valid_pair_from(gen, pair)
            if target is not None:
                self._agent._accept_nomination(gen, target, now)
            else:
                pair.use_candidate_received = True

    def check_succeeded(
        self, gen: Generation, check: Check, valid: CandidatePair, now: float
    ) -> None:
        if check.pair.use_candidate_received or valid.use_candidate_received:
            self._agent._accept_nomination(gen, valid, now)

    # -- moving by itself ----------------------------------------------------------
    def _switch_candidates(self) -> tuple[CandidatePair, list[CandidatePair]] | None:
        """The pair sent on and the current generation's other valid pairs, when
        a controlled agent could move; None otherwise."""
        agent = self._agent
        if agent._closed or agent.config.consent.silence_timeout is None:
            return None
        pair = agent._sending_pair()
        if pair is None:
            return None
        pairs = agent.generation.checklist.pairs
        if len(pairs) == 1 and pairs[0] is pair:
            return None  # the usual case, asked after every input: no list built
        path = pair.path
        others = [p for p in pairs if p.valid and p is not pair and p.path != path]
        return (pair, others) if others else None

    def switch_deadline(self, now: float) -> float | None:
        """When the peer's data, moved to another path, makes us follow it."""
        found = self._switch_candidates()
        if found is None:
            return None
        pair, others = found
        silence = self._agent.config.consent.silence_timeout
        assert silence is not None
        data_at = self._agent._data_at
        moved = max(
            (data_at.get(p.path, _NEVER) for p in others),
            default=_NEVER,
        )
        if moved == _NEVER:
            return None
        at = self._data_heard(pair) + silence
        return at if now < at < moved + silence else None

    def _data_heard(self, pair: CandidatePair) -> float:
        """When data last arrived on the pair's path; at the earliest, when the
        current generation's checks began (a path that never carried data is
        quiet from then on)."""
        began = self._agent.generation.checks_started_at
        heard = self._agent._data_at.get(pair.path, _NEVER)
        return heard if began is None else max(heard, began)

    def maybe_switch(self, now: float) -> None:
        """Leave a pair that went quiet for a valid pair that works.

        Two signs that the peer has moved on: its application data arrives
        on another valid pair of the current generation while none arrived
        on ours for ``silence_timeout``; or ours went unanswered while
        another valid pair answered (we probe a few when ours goes quiet).
        """
        found = self._switch_candidates()
        if found is None:
            return
        pair, others = found
        agent = self._agent
        silence = agent.config.consent.silence_timeout
        assert silence is not None
        data_at, heard_at = agent._data_at, agent._heard_at
        gen = agent.generation
        owner = next((g for g in agent._generations if g.selected is pair), gen)

        # Compared as the deadlines are computed (x + silence), or float rounding
        # could leave a timer due that finds nothing to do.
        if now >= self._data_heard(pair) + silence:
            moved = [p for p in others if now < data_at.get(p.path, _NEVER) + silence]
            if moved:
                target = max(moved, key=lambda p: data_at[p.path])
                self._switch(gen, pair, target, "the peer's data moved to it", now)
                return
        if not agent._unanswered(owner, now):
            return
        live = [p for p in others if now < heard_at.get(p.path, _NEVER) + silence]
        if live:
            target = max(live, key=lambda p: p.priority)
            self._switch(gen, pair, target, "the selected pair went unanswered", now)
            return
        for probe in sorted(others, key=lambda p: p.priority, reverse=True)[:_PROBES]:
            if not probe.transactions and gen.remote_pwd is not None:
                agent._send_check(gen, probe, now)

    def _switch(
        self,
        gen: Generation,
        old: CandidatePair,
        new: CandidatePair,
        reason: str,
        now: float,
    ) -> None:
        logger.info("ICE (controlled) moves from %r to %r: %s", old, new, reason)
        self._agent._select(gen, new, now)


class LiteRole(Role):
    """An ICE lite agent: no checks of its own, nominated by the full peer."""

    full = False

    def role_action(self, tie_breaker: int, check: IncomingCheck) -> RoleAction:
        return RoleAction.NONE  # the full peer is always controlling

    def request_arrived(
        self, gen: Generation, pair: CandidatePair, check: IncomingCheck, now: float
    ) -> None:
        if not check.use_candidate:
            return
        if pair.state != PairState.SUCCEEDED:
            # The peer's nominating check is the only proof a lite agent gets.
            if pair.state != PairState.WAITING:
                pair.set_state(PairState.WAITING)
            pair.set_state(PairState.SUCCEEDED)
        pair.valid = True
        self._agent._accept_nomination(gen, pair, now)


def role_for(agent: IceAgent, *, controlling: bool, lite: bool) -> Role:
    """The strategy for an agent's role."""
    if lite:
        return LiteRole(agent)
    return ControllingRole(agent) if controlling else ControlledRole(agent)
