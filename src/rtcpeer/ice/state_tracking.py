"""The agent's RTCIceTransportState, derived afresh from facts after every input.

:func:`~rtcpeer.ice.states.transport_state` maps facts to a state; this part
gathers the facts (including the RFC 8863 patience timer: no failure before
Tr, and failure after Tr without end-of-candidates; but failure at once when
both sides have finished and no pair can ever form) and emits
:class:`StateChanged` when the state moves.
"""

from __future__ import annotations

import logging

from rtcpeer.ice.core import AgentCore
from rtcpeer.ice.events import StateChanged
from rtcpeer.ice.generation import Generation
from rtcpeer.ice.states import IceGatheringState, IceTransportState, StateFacts, transport_state

logger = logging.getLogger(__name__)


class StateTracking(AgentCore):
    """Deriving and announcing the transport state."""

    def _update_state(self, now: float) -> None:
        gen = self.generation
        selected = gen.selected
        consent = gen.consent
        started = gen.checks_started_at
        finished = gen.checklist.finished()  # once: this runs after every input
        generations = self._generations
        older_usable = older_unanswered = False
        for older in generations[:-1]:
            if older.selected is not None and older.consent is not None:
                if self._unanswered(older, now):
                    older_unanswered = True
                else:
                    older_usable = True
        facts = StateFacts(
            closed=self._closed,
            has_remote_candidates=gen.has_remote_candidates or self._restarted,
            has_usable_pair=selected is not None,
            consent_unanswered=(
                consent is not None and not self.lite and self._unanswered(gen, now)
            ),
            consent_lost=gen.consent_lost,
            remote_end_of_candidates=gen.remote_end_of_candidates,
            gathering_complete=gen.gathering_complete,
            checks_finished=self.lite or finished,
            all_pairs_failed=not self.lite and finished and not gen.checklist.valid_pairs,
            restarting_with_usable_pair=older_usable,
            restarting_with_unanswered_pair=older_unanswered and not self.lite,
            awaiting_connectivity=started is not None and now < started + self.config.pac_timeout,
            patience_expired=started is not None and now >= started + self.config.pac_timeout,
            no_pair_possible=selected is None and gen.no_pair_possible(),
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
