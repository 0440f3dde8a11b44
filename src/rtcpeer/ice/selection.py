"""Nomination, selection and consent of the pair that carries data.

Controlling, the agent nominates (regularly by default, after
``nomination_delay``; aggressively if configured) and selects the pair whose
USE-CANDIDATE check succeeded; controlled, it accepts the peer's latest
nomination. A selection in the current generation retires the older ones.
The selected pair then keeps consent (RFC 7675) or loses it.
"""

from __future__ import annotations

from rtcpeer.ice.consent import ConsentFreshness
from rtcpeer.ice.core import AgentCore
from rtcpeer.ice.events import SelectedPairChanged
from rtcpeer.ice.generation import Generation
from rtcpeer.ice.nomination import controlled_choice, controlling_choice, ready_to_nominate
from rtcpeer.ice.pair import CandidatePair, PairState


class Selection(AgentCore):
    """Nominating, selecting and keeping consent on the selected pair."""

    def _selection_deadlines(self) -> list[float]:
        """When consent checks and delayed (regular) nominations are due."""
        timers: list[float] = []
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
        self._events.append(
            SelectedPairChanged(pair.local if pair else None, pair.remote if pair else None, gen.id)
        )

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
