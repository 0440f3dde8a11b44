"""Counting a numbered message stream: what was sent, what arrived, and how.

The demo numbers its data-channel messages 0, 1, 2, ...; the receiver's
ledger tells lost (after draining), duplicate and out-of-order messages, the
longest silence between two arrivals (the restart's cost as the application
sees it) and the rates over the last second. Pure: times are passed in.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

RATE_WINDOW = 1.0


@dataclass
class MessageLedger:
    """Sent and received sequence numbers, with ``now`` in seconds."""

    sent: int = 0
    #: Distinct messages received.
    received: int = 0
    duplicates: int = 0
    #: Messages that arrived after a higher-numbered one.
    out_of_order: int = 0
    #: Longest time between two consecutive arrivals, and when it ended.
    longest_gap: float = 0.0
    longest_gap_end: float | None = None
    _seen: set[int] = field(default_factory=set, repr=False)
    _highest: int = -1
    _last_arrival: float | None = None
    _sent_times: deque[float] = field(default_factory=deque, repr=False)
    _received_times: deque[float] = field(default_factory=deque, repr=False)

    def next_sequence(self, now: float) -> int:
        """Number the next message and count it as sent."""
        sequence = self.sent
        self.sent += 1
        self._sent_times.append(now)
        return sequence

    def note_received(self, sequence: int, now: float) -> None:
        if sequence in self._seen:
            self.duplicates += 1
            return
        self._seen.add(sequence)
        self.received += 1
        if sequence < self._highest:
            self.out_of_order += 1
        self._highest = max(self._highest, sequence)
        if self._last_arrival is not None and now - self._last_arrival > self.longest_gap:
            self.longest_gap = now - self._last_arrival
            self.longest_gap_end = now
        self._last_arrival = now
        self._received_times.append(now)

    @property
    def missing(self) -> int:
        """Sent but not (yet) received: the loss once the stream has drained."""
        return self.sent - self.received

    def rates(self, now: float) -> tuple[int, int]:
        """Messages sent and received during the last second."""
        for times in (self._sent_times, self._received_times):
            while times and times[0] <= now - RATE_WINDOW:
                times.popleft()
        return len(self._sent_times), len(self._received_times)


__all__ = ["MessageLedger"]
