"""Run a coroutine's synchronous part now instead of in the next loop iteration.

aiortc moves every datagram and every ``send()`` through a task: a received
datagram wakes the DTLS task, a sent message schedules a flush task. Each of
those hops waits for one event-loop iteration, and while the loop is busy
(an ICE restart: negotiation, new TURN allocations) an iteration takes a
millisecond or more, which is where a live stream's longest gap came from.
The DTLS, SCTP and data-channel code on the data path never actually
suspends, so it can run in the caller's turn, as Python 3.12's eager tasks
would; should it ever suspend, the rest continues as an ordinary task.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")


def run_now(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T] | None:
    """Run ``coro`` up to its first suspension; None if it finished.

    An exception raised before the first suspension propagates to the caller.
    If the coroutine suspends, a task (scheduled on the running loop) carries
    it on from exactly where it stopped.
    """
    # Iterating the coroutine (not ``send``) ends without a StopIteration to
    # catch when it returns: this runs for every datagram and every flush.
    for awaited in coro.__await__():
        return asyncio.ensure_future(_finish(coro, awaited))
    return None


def done_future(coro: Coroutine[Any, Any, None]) -> asyncio.Future[None]:
    """``run_now`` as an awaitable: a finished future, or the task carrying on.

    Drop-in for an ``asyncio.ensure_future(coro)`` call site: the result (or
    exception) is there for whoever awaits it, exactly as with a task.
    """
    try:
        task = run_now(coro)
    except Exception as exc:  # handed on, as a task would hand it on
        return failed_future(exc)
    if task is not None:
        return task
    return finished_future()


def failed_future(exc: Exception) -> asyncio.Future[None]:
    """A future of the running loop that failed with ``exc``, as a task that
    raised it would have: for whoever awaits it (asyncio logs it if nobody does)."""
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    future.set_exception(exc)
    return future


def finished_future() -> asyncio.Future[None]:
    """The running loop's one finished future (result None), shared by every caller.

    Called twice per small message sent and once per SACK, so the future of
    the loop that asked last is kept at hand: one identity check, not a weak
    dictionary lookup. Another loop gets one of its own (made anew, should
    two loops take turns), never another loop's.
    """
    global _finished
    loop = asyncio.get_running_loop()
    finished = _finished
    if finished is None or finished.get_loop() is not loop:
        finished = _finished = loop.create_future()
        finished.set_result(None)
    return finished


#: The finished future :func:`finished_future` handed out last (of the loop
#: that asked last): awaiting it, or ``ensure_future`` on it, only reads it.
_finished: asyncio.Future[None] | None = None


async def _finish(coro: Coroutine[Any, Any, T], awaited: Any) -> T:
    return await _resume(coro, awaited)  # type: ignore[no-any-return]


@types.coroutine
def _resume(coro: Coroutine[Any, Any, Any], awaited: Any) -> Generator[Any, Any, Any]:
    """Hand what ``coro`` waits on to the task, and the task's answers back to ``coro``."""
    while True:
        try:
            value = yield awaited
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # cancellation included: the coroutine decides
            try:
                awaited = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                awaited = coro.send(value)
            except StopIteration as stop:
                return stop.value
