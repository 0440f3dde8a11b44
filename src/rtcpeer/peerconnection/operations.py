"""webrtc-pc's operations chain (§4.4.1.2): one operation at a time, in call order.

createOffer, createAnswer, setLocalDescription, setRemoteDescription and
addIceCandidate each run as one link. A browser appends to the chain when
the method is called; here the link is taken when the coroutine starts,
which is the call order for ``await`` and for ``asyncio.gather`` alike (its
tasks start in argument order). The chain is FIFO: a newcomer never
overtakes a waiting operation. When the chain empties, ``on_empty`` runs
(the spec then re-checks negotiation-needed).

Like a browser, whose operations run in their own tasks, every operation
starts by yielding to the event loop once: a negotiation signalled within
one process (offer, answer, candidates) then never runs as one long loop
iteration that holds back timers and packets -- a 5 ms data channel stream
stays on schedule through an ICE restart. Past that yield, an operation
that finds the chain free runs at once, creating no lock or future; only
operations that overlap wait, each on a future of its own, in call order.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class OperationsChain:
    """Serialises the JSEP operations of one peer connection."""

    def __init__(self, on_empty: Callable[[], None] | None = None) -> None:
        #: An operation is running (between taking its turn and ending).
        self._running = False
        # The turns of operations waiting behind a running one, oldest first:
        # made only when operations overlap, dropped when the chain is idle.
        # An uncontended operation creates no future and no lock.
        self._waiting: deque[asyncio.Future[None]] | None = None
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
            if self._running or self._waiting:
                await self._wait_for_turn()
            self._running = True
            try:
                return await operation()
            finally:
                self._running = False
                self._pass_turn()
        finally:
            self._length -= 1
            if self._length == 0:
                # Nobody runs or waits: every operation counts itself in
                # before it waits and out after it ended.
                self._waiting = None
                if self._on_empty is not None:
                    self._on_empty()

    async def _wait_for_turn(self) -> None:
        """Wait behind the running operation and every earlier waiter (FIFO)."""
        waiting = self._waiting
        if waiting is None:
            waiting = self._waiting = deque()
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiting.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                # Given the turn, then cancelled: the turn is the next waiter's.
                waiting.remove(turn)
                self._pass_turn()
            raise
        finally:
            if turn in waiting:
                waiting.remove(turn)

    def _pass_turn(self) -> None:
        """Give the turn to the oldest waiter still waiting, if any."""
        if self._running or not self._waiting:
            return
        for turn in self._waiting:
            if not turn.done():
                turn.set_result(None)
                return
            if not turn.cancelled():
                return  # given already: that operation is about to run


__all__ = ["OperationsChain"]
