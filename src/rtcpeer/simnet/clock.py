"""Virtual time: a clock that only moves when the next scheduled event runs.

Nothing here sleeps or reads the wall clock. Events due at the same instant
run in the order they were scheduled (a sequence number breaks ties), which
is what makes a whole simulated run reproducible.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any


class TimerHandle:
    """A scheduled callback; :meth:`cancel` stops it from running."""

    __slots__ = ("args", "callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler:
    """A priority queue of ``(time, seq, callback)`` on a virtual clock."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._seq = 0
        self._queue: list[tuple[float, int, TimerHandle]] = []
        #: How many callbacks have run so far (for livelock guards and reports).
        self.events_run = 0

    @property
    def now(self) -> float:
        """The current virtual time in seconds."""
        return self._now

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` at virtual time ``when`` (never in the past)."""
        if when < self._now:
            when = self._now
        handle = TimerHandle(when, callback, args)
        self._seq += 1
        heapq.heappush(self._queue, (when, self._seq, handle))
        return handle

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` ``delay`` seconds from now."""
        return self.call_at(self._now + delay, callback, *args)

    def next_time(self) -> float | None:
        """When the next live event is due, or None when nothing is scheduled."""
        queue = self._queue
        while queue and queue[0][2].cancelled:
            heapq.heappop(queue)
        return queue[0][0] if queue else None

    def step(self) -> bool:
        """Jump to the next live event and run it; False when the queue is empty."""
        queue = self._queue
        while queue:
            when, _, handle = heapq.heappop(queue)
            if handle.cancelled:
                continue
            self._now = when
            handle.cancelled = True  # a handle runs at most once
            self.events_run += 1
            handle.callback(*handle.args)
            return True
        return False

    def advance_to(self, when: float) -> None:
        """Move the clock forward to ``when`` without running anything."""
        if when > self._now:
            self._now = when
