"""Nomination, selection and consent of the pair that carries data.

Controlling, the agent nominates (regularly by default, after
``nomination_delay``; aggressively if configured) and selects the pair whose
USE-CANDIDATE check succeeded; controlled, it accepts the peer's latest
nomination. A selection in the current generation retires the older ones.
The selected pair then keeps consent (RFC 7675) or loses it, and is probed
early when nothing has been heard on it for a while (see
:mod:`~rtcpeer.ice.consent`).

Controlled, the agent does not wait forever for a nomination: when the pair
it sends on (possibly an old generation's, after a restart the peer never
nominated in) goes quiet while a valid pair of the current generation works
-- the peer's data arrives there, or it answers our checks -- it moves to
that pair by itself and announces the change, as libwebrtc does. A later
nomination still wins.
"""

from __future__ import annotations

import logging

from rtcpeer.ice.consent import ConsentFreshness
from rtcpeer.ice.core import AgentCore
from rtcpeer.ice.events import SelectedPairChanged
from rtcpeer.ice.generation import Generation
from rtcpeer.ice.nomination import controlled_choice, controlling_choice, ready_to_nominate
from rtcpeer.ice.pair import CandidatePair, PairState

logger = logging.getLogger(__name__)
_NEVER = float("-inf")
#: How many valid pairs a controlled agent probes at once when its pair went quiet.
_PROBES = 3


class Selection(AgentCore):
    """Nominating, selecting and keeping consent on the selected pair."""

    def _selection_deadlines(self) -> list[float]:
        """When consent checks and delayed (regular) nominations are due."""
        timers: list[float] = []
        now = self._now
        policy = self.config.consent
        for gen in self._generations:
            consent, pair = gen.consent, gen.selected
            if consent is not None and pair is not None and not self.lite:
                timers.append(consent.get_timer(now))
                heard = self._last_heard(pair, consent)
                probing = policy.probe_after is not None and gen.remote_pwd is not None
                if probing and policy.probe_after is not None and not consent.in_flight:
                    timers.append(max(now, heard + policy.probe_after))
                if policy.silence_timeout is not None and heard + policy.silence_timeout > now:
                    timers.append(heard + policy.silence_timeout)
                if policy.recheck_interval is not None and self._unanswered(gen, now):
                    timers.append(max(now, consent.last_sent + policy.recheck_interval))
        switch_at = self._switch_deadline(now)
        if switch_at is not None:
            timers.append(switch_at)
            if (
                self.controlling
                and gen.selected is None
                and gen.nominating is None
                and gen.first_valid_at is not None
                and not self.config.aggressive_nomination
                and gen.first_valid_at + self.config.nomination_delay > self._now
            ):
                timers.append(gen.first_valid_at + self.config.nomination_delay)
        return timers

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
        logger.info("ICE selected pair %r (generation %d)", pair, gen.id)
        self._events.append(
            SelectedPairChanged(pair.local if pair else None, pair.remote if pair else None, gen.id)
        )

    def _run_consent(self, gen: Generation, now: float) -> None:
        pair, consent = gen.selected, gen.consent
        if pair is None or consent is None or self.lite or gen.remote_pwd is None:
            return
        if consent.expired(now):
            logger.info("ICE consent lost on %r (generation %d)", pair, gen.id)
            gen.consent_lost = True
            gen.selected = None
            gen.consent = None
            self._cancel_checks(gen)
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
        path = (pair.socket_id, pair.remote.address)
        heard = max(self._heard_at.get(path, _NEVER), self._data_at.get(path, _NEVER))
        return heard if consent is None else max(heard, consent.last_response)

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

    # -- a controlled agent moving by itself -----------------------------------
    def _switch_candidates(self) -> tuple[CandidatePair, list[CandidatePair]] | None:
        """The pair sent on and the current generation's other valid pairs, when
        a controlled agent could move; None otherwise."""
        if self.controlling or self.lite or self._closed:
            return None
        if self.config.consent.silence_timeout is None:
            return None
        pair = self._sending_pair()
        if pair is None:
            return None
        path = (pair.socket_id, pair.remote.address)
        others = [
            p
            for p in self.generation.checklist.valid_pairs
            if p is not pair and (p.socket_id, p.remote.address) != path
        ]
        return (pair, others) if others else None

    def _switch_deadline(self, now: float) -> float | None:
        """When the peer's data, moved to another path, makes us follow it."""
        found = self._switch_candidates()
        if found is None:
            return None
        pair, others = found
        silence = self.config.consent.silence_timeout
        assert silence is not None
        data_at = self._data_at
        moved = max(
            (data_at.get((p.socket_id, p.remote.address), _NEVER) for p in others),
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
        began = self.generation.checks_started_at
        heard = self._data_at.get((pair.socket_id, pair.remote.address), _NEVER)
        return heard if began is None else max(heard, began)

    def _maybe_switch(self, now: float) -> None:
        """Controlled: leave a pair that went quiet for a valid pair that works.

        Two signs that the peer has moved on: its application data arrives
        on another valid pair of the current generation while none arrived
        on ours for ``silence_timeout``; or ours went unanswered while
        another valid pair answered (we probe a few when ours goes quiet).
        """
        found = self._switch_candidates()
        if found is None:
            return
        pair, others = found
        silence = self.config.consent.silence_timeout
        assert silence is not None
        data_at, heard_at = self._data_at, self._heard_at
        gen = self.generation
        owner = next((g for g in self._generations if g.selected is pair), gen)

        def key(p: CandidatePair) -> tuple[int, tuple[str, int]]:
            return (p.socket_id, p.remote.address)

        # Compared as the deadlines are computed (x + silence), or float rounding
        # could leave a timer due that finds nothing to do.
        if now >= self._data_heard(pair) + silence:
            moved = [p for p in others if now < data_at.get(key(p), _NEVER) + silence]
            if moved:
                target = max(moved, key=lambda p: data_at[key(p)])
                self._switch(gen, pair, target, "the peer's data moved to it", now)
                return
        if not self._unanswered(owner, now):
            return
        live = [p for p in others if now < heard_at.get(key(p), _NEVER) + silence]
        if live:
            target = max(live, key=lambda p: p.priority)
            self._switch(gen, pair, target, "the selected pair went unanswered", now)
            return
        for probe in sorted(others, key=lambda p: p.priority, reverse=True)[:_PROBES]:
            if not probe.transactions and gen.remote_pwd is not None:
                self._send_check(gen, probe, now)

    def _switch(
        self,
        gen: Generation,
        old: CandidatePair,
        new: CandidatePair,
        reason: str,
        now: float,
    ) -> None:
        logger.info("ICE (controlled) moves from %r to %r: %s", old, new, reason)
        self._select(gen, new, now)
