"""Consent freshness timing (RFC 7675) and the W3C state derivation."""

from __future__ import annotations

import random

import pytest

from rtcpeer.ice import ConsentPolicy, IceTransportState
from rtcpeer.ice.consent import ConsentFreshness
from rtcpeer.ice.states import StateFacts, transport_state

S = IceTransportState


def test_checks_every_five_seconds_plus_minus_twenty_percent() -> None:
    rng = random.Random(1)
    consent = ConsentFreshness(0.0, rng, ConsentPolicy())
    gaps = []
    now = 0.0
    for _ in range(200):
        assert not consent.due(now)
        now = consent.next_check
        assert consent.due(now)
        consent.check_sent(now)
        consent.response(now)
        gaps.append(consent.next_check - now)
    assert min(gaps) >= 4.0 and max(gaps) <= 6.0
    assert max(gaps) - min(gaps) > 1.0  # randomised, not a fixed beat


def test_unanswered_then_lost_then_fresh_again() -> None:
    consent = ConsentFreshness(0.0, random.Random(2), ConsentPolicy(disconnected_after=3.0))
    start = consent.next_check
    consent.check_sent(start)
    assert consent.get_timer(start) == start + 3.0  # wake up exactly at the threshold
    assert not consent.unanswered(start + 2.9)
    assert consent.unanswered(start + 3.0)
    assert consent.get_timer(start + 3.0) > start + 3.0  # no timer in the past
    consent.check_timed_out(start + 4.5)
    assert consent.due(start + 4.5)  # retried at once
    assert not consent.expired(29.9) and consent.expired(30.0)
    consent.response(10.0)
    assert not consent.unanswered(10.0) and not consent.expired(39.0)


@pytest.mark.parametrize(
    ("facts", "state"),
    [
        (StateFacts(), S.NEW),
        (StateFacts(has_remote_candidates=True), S.CHECKING),
        (StateFacts(has_remote_candidates=True, has_usable_pair=True), S.CONNECTED),
        (
            StateFacts(
                has_usable_pair=True,
                remote_end_of_candidates=True,
                gathering_complete=True,
                checks_finished=True,
            ),
            S.COMPLETED,
        ),
        # Completed needs all three: end-of-candidates, gathering done, no checks left.
        (
            StateFacts(has_usable_pair=True, remote_end_of_candidates=True, checks_finished=True),
            S.CONNECTED,
        ),
        (StateFacts(has_usable_pair=True, consent_unanswered=True), S.DISCONNECTED),
        (StateFacts(consent_lost=True), S.FAILED),
        (StateFacts(has_remote_candidates=True, all_pairs_failed=True), S.CHECKING),
        (
            StateFacts(
                has_remote_candidates=True,
                all_pairs_failed=True,
                remote_end_of_candidates=True,
                gathering_complete=True,
            ),
            S.FAILED,
        ),
        (StateFacts(restarting_with_usable_pair=True), S.CONNECTED),
        # The old generation's pair went quiet and the new one has none yet.
        (
            StateFacts(has_remote_candidates=True, restarting_with_unanswered_pair=True),
            S.DISCONNECTED,
        ),
        (StateFacts(closed=True, has_usable_pair=True), S.CLOSED),
    ],
)
def test_w3c_state_from_facts(facts: StateFacts, state: IceTransportState) -> None:
    assert transport_state(facts) == state


def test_consent_expires_at_the_moment_its_timer_names_despite_float_rounding() -> None:
    """The expiry deadline get_timer() reports is last_response + timeout; at
    exactly that moment expired() holds, even where now - last_response rounds
    below the timeout (32.8 - 2.8 < 30.0 in binary floating point). Otherwise
    the timer stays due with nothing to do and a driver spins forever."""
    consent = ConsentFreshness(2.8, random.Random(1), ConsentPolicy(timeout=30.0))
    consent.in_flight = True  # no check due: the expiry is the only deadline
    deadline = consent.get_timer(2.8)
    assert deadline == 2.8 + 30.0 and deadline - 2.8 < 30.0  # the rounding edge
    assert consent.expired(deadline)
