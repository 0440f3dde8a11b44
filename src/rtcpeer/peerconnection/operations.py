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
        self._lock = asyncio.Lock()
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
            async with self._lock:
                return await operation()
        finally:
            self._length -= 1
            if self._length == 0 and self._on_empty is not None:
                self._on_empty()


__all__ = ["OperationsChain"]
