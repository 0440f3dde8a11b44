"""webrtc-pc's operations chain (§4.4.1.2): one operation at a time, in call order.

createOffer, createAnswer, setLocalDescription, setRemoteDescription and
addIceCandidate each run as one link. A browser appends to the chain when
the method is called; here the link is taken when the coroutine starts,
which is the call order for ``await`` and for ``asyncio.gather`` alike (its
tasks start in argument order). The lock is FIFO: a newcomer never
overtakes a waiting operation. When the chain empties, ``on_empty`` runs
(the spec then re-checks negotiation-needed).

Like a browser, whose operations run in their own tasks, every operation
starts by yielding to the event loop once: a negotiation signalled within
one process (offer, answer, candidates) then never runs as one long loop
iteration that holds back timers and packets -- a 5 ms data channel stream
stays on schedule through an ICE restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class OperationsChain:
    """Serialises the JSEP operations of one peer connection."""

    def __init__(self, on_empty: Callable[[], None] | None = None) -> None:
        # Made when an operation starts and dropped when the chain is idle:
        # once contended, a lock keeps a deque of waiters (~0.7 KiB).
        self._lock: asyncio.Lock | None = None
        self._length = 0
        self._on_empty = on_empty

    @property
    def empty(self) -> bool:
        """No operation is running or waiting."""
        return self._length == 0

    async def run(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run ``operation()`` after every operation chained before it."""
        self._length += 1
        try:
            # Every operation first yields once, so each starts in a loop
            # iteration of its own; all yield alike, so the FIFO order stands.
            await asyncio.sleep(0)
            lock = self._lock
            if lock is None:
                lock = self._lock = asyncio.Lock()
            async with lock:
                return await operation()
        finally:
            self._length -= 1
            if self._length == 0:
                # Nobody holds or waits for the lock: every operation counts
                # itself in before it waits and out after it let go.
                self._lock = None
                if self._on_empty is not None:
                    self._on_empty()


__all__ = ["OperationsChain"]
