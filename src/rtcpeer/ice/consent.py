"""Consent freshness (RFC 7675) for one selected pair, on the caller's clock.

A consent check goes out every ``interval`` ±``jitter`` (5 s ±20%). Any
authenticated success response on the pair refreshes consent. The pair counts
as *unanswered* (W3C ``disconnected``) once a check has waited
``disconnected_after`` seconds without any response, and consent is *lost*
(``failed``; the agent must stop sending) ``timeout`` seconds after the last
response. When responses come back the pair is fresh again by itself.

Consent alone notices a dead path late (a check every ~5 s, then 3 s
unanswered), so the agent also watches what it *hears* on the pair (responses,
the peer's own checks, application data): after ``probe_after`` seconds of
silence it sends a consent check early, and after ``silence_timeout`` seconds
of silence with that check unanswered the pair counts as unanswered too --
``disconnected`` about 2.5 s after packets stop arriving, as in Chromium.
While it counts as unanswered, one more single-transmission check goes out
every ``recheck_interval`` (Chromium pings a pair that went quiet every
48 ms), so that the pair is fresh again as soon as the path returns rather
than at the next retransmission of a check sent before the outage.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from rtcpeer.stun.transaction import RetransmissionPolicy


@dataclass(frozen=True)
class ConsentPolicy:
    """Timing of consent checks; the defaults follow RFC 7675 and Chrome."""

    #: Base period between consent checks.
    interval: float = 5.0
    #: Relative randomisation of the period (RFC 7675 §5.1: ±20%).
    jitter: float = 0.2
    #: A check unanswered this long makes the pair "disconnected".
    disconnected_after: float = 3.0
    #: No response for this long: consent lost, the pair is "failed".
    timeout: float = 30.0
    #: Nothing heard on the pair this long: send a consent check now (None: never early).
    probe_after: float | None = 2.0
    #: Nothing heard this long while a check is unanswered: the pair is unanswered
    #: ("disconnected"), and a controlled agent may move to a working pair (None: off).
    silence_timeout: float | None = 2.5
    #: While the pair counts as unanswered, send one more check (one transmission)
    #: this often, so that it is answered soon after the path returns (None: never).
    recheck_interval: float | None = 0.1
    #: How long such a recheck waits for its response.
    recheck_timeout: float = 1.0
    #: Retransmission of each consent check: sent at 0, .5, 1.5, 3.5 s, gone at 4.5 s.
    retransmission: RetransmissionPolicy = field(
        default_factory=lambda: RetransmissionPolicy(rto=0.5, rc=4, rm=2)
    )


class ConsentFreshness:
    """When to send the next consent check, and whether consent is still fresh."""

    def __init__(self, now: float, rng: random.Random, policy: ConsentPolicy) -> None:
        self.policy = policy
        self._rng = rng
        self.last_response = now
        self.in_flight = False
        self.unanswered_since: float | None = None
        #: When the last check (consent or recheck) went out.
        self.last_sent = now
        self.next_check = now + self._period()

    def _period(self) -> float:
        jitter = self.policy.jitter
        return self.policy.interval * self._rng.uniform(1.0 - jitter, 1.0 + jitter)

    def due(self, now: float) -> bool:
        """Should a consent check be sent now?"""
        return not self.in_flight and now >= self.next_check

    def check_sent(self, now: float) -> None:
        self.in_flight = True
        self.last_sent = now
        if self.unanswered_since is None:
            self.unanswered_since = now

    def response(self, now: float) -> None:
        """An authenticated success response arrived on the pair."""
        self.last_response = now
        self.unanswered_since = None
        if self.in_flight or now >= self.next_check:
            self.next_check = now + self._period()
        self.in_flight = False

    def check_timed_out(self, now: float) -> None:
        """The check's transaction gave up: try again at once."""
        self.in_flight = False
        self.next_check = now

    def unanswered(self, now: float) -> bool:
        since = self.unanswered_since
        # Compared as the deadline get_timer() reports is computed (a sum), so a
        # timer that fires at that deadline always finds it passed.
        return since is not None and now >= since + self.policy.disconnected_after

    def expired(self, now: float) -> bool:
        return now >= self.last_response + self.policy.timeout  # as get_timer() computes it

    def get_timer(self, now: float) -> float:
        """The next moment something changes: a check is due, or a threshold passes."""
        # Compared one by one, not min() of a list: this runs after every input.
        earliest = self.last_response + self.policy.timeout
        if not self.in_flight and self.next_check < earliest:
            earliest = self.next_check
        if self.unanswered_since is not None:
            disconnect_at = self.unanswered_since + self.policy.disconnected_after
            if now < disconnect_at < earliest:
                earliest = disconnect_at
        return earliest
