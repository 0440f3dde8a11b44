"""``run_now`` / ``done_future``: a coroutine's synchronous part runs at once,
and whatever follows a real suspension carries on as a task, unchanged."""

from __future__ import annotations

import asyncio

import pytest

from rtcpeer.transport.eager import done_future, run_now


async def _no_suspension(log: list[str]) -> None:
    log.append("ran")


async def _suspends(log: list[str], gate: asyncio.Future[int]) -> int:
    log.append("before")
    value = await gate
    log.append(f"after {value}")
    return value * 2


async def test_a_coroutine_that_never_suspends_finishes_inside_the_call() -> None:
    log: list[str] = []
    assert run_now(_no_suspension(log)) is None
    assert log == ["ran"]


async def test_after_a_real_suspension_a_task_carries_on_from_there() -> None:
    log: list[str] = []
    gate: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = run_now(_suspends(log, gate))
    assert task is not None
    assert log == ["before"]  # ran up to the await, not again later
    gate.set_result(21)
    assert await asyncio.wait_for(task, 5) == 42
    assert log == ["before", "after 21"]


async def test_an_error_before_the_first_suspension_reaches_the_caller() -> None:
    async def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        run_now(fails())


async def test_cancelling_the_continuation_is_seen_by_the_coroutine() -> None:
    seen: list[str] = []
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def waits() -> None:
        try:
            await gate
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    task = run_now(waits())
    assert task is not None
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled"]


async def test_done_future_stands_in_for_ensure_future() -> None:
    log: list[str] = []
    finished = done_future(_no_suspension(log))
    assert finished.done() and finished.result() is None and log == ["ran"]
    assert asyncio.ensure_future(finished) is finished  # aiortc's call sites pass it through
    await finished

    async def fails() -> None:
        raise ConnectionError("not connected")

    failed = done_future(fails())
    with pytest.raises(ConnectionError):
        await failed

    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def waits() -> None:
        await gate
        log.append("later")

    pending = done_future(waits())
    assert not pending.done()
    gate.set_result(None)
    await asyncio.wait_for(pending, 5)
    assert log[-1] == "later"
