"""Waiting in tests without sleeping and hoping: on events, with timeouts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

TIMEOUT = 10.0


async def until(
    emitter: Any, event: str, predicate: Callable[[], bool], timeout: float = TIMEOUT
) -> None:
    """Wait until ``predicate()`` holds, re-checked on each ``event`` of ``emitter``."""
    if predicate():
        return
    done = asyncio.get_running_loop().create_future()

    def check(*_: Any) -> None:
        if not done.done() and predicate():
            done.set_result(None)

    emitter.on(event, check)
    try:
        await asyncio.wait_for(done, timeout)
    finally:
        emitter.remove_listener(event, check)


async def poll(predicate: Callable[[], Any], timeout: float = TIMEOUT, every: float = 0.01) -> None:
    """For conditions with no event to wait on (e.g. a TURN server's relay count)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(every)


async def queued_callbacks_ran() -> None:
    """Return once every callback already queued with ``loop.call_soon`` has run.

    asyncio runs ready callbacks first in, first out, and a callback queued
    while the ready queue is being run waits for the next pass: a sentinel
    queued now therefore runs after everything queued before it, and a check
    made after this returns sees what all of them did. It says nothing about
    timers or sockets: wait on the event that shows those happened first.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    loop.call_soon(done.set_result, None)
    await done


async def opened(channel: Any) -> None:
    """An aiortc-style data channel (rtcpeer's or aiortc's) is open."""
    await until(channel, "open", lambda: channel.readyState == "open")
