"""The operations chain on its own: call order under contention, cancelled
waiters, and no lock or future for an operation that finds the chain free."""

from __future__ import annotations

import asyncio

import pytest

from rtcpeer.peerconnection.operations import OperationsChain


async def test_overlapping_operations_run_one_at_a_time_in_call_order() -> None:
    chain = OperationsChain()
    log: list[str] = []

    def step(name: str) -> asyncio.Future[str]:
        async def operation() -> str:
            log.append(f"{name} starts")
            await asyncio.sleep(0.001)
            log.append(f"{name} ends")
            return name

        return asyncio.ensure_future(chain.run(operation))

    results = await asyncio.wait_for(asyncio.gather(step("a"), step("b"), step("c")), 5)
    assert list(results) == ["a", "b", "c"]
    assert log == ["a starts", "a ends", "b starts", "b ends", "c starts", "c ends"]
    assert chain.empty


async def test_a_cancelled_waiter_is_skipped_and_the_chain_goes_on() -> None:
    chain = OperationsChain()
    release = asyncio.get_running_loop().create_future()
    log: list[str] = []

    async def first() -> None:
        await release
        log.append("first")

    async def named(name: str) -> None:
        log.append(name)

    one = asyncio.ensure_future(chain.run(first))
    two = asyncio.ensure_future(chain.run(lambda: named("second")))
    three = asyncio.ensure_future(chain.run(lambda: named("third")))
    for _ in range(3):
        await asyncio.sleep(0)  # all three past their yield: two and three wait
    two.cancel()
    release.set_result(None)
    await asyncio.wait_for(asyncio.gather(one, three), 5)
    with pytest.raises(asyncio.CancelledError):
        await two
    assert log == ["first", "third"]
    assert chain.empty


async def test_a_waiter_cancelled_after_its_turn_came_passes_the_turn_on() -> None:
    chain = OperationsChain()
    release = asyncio.get_running_loop().create_future()
    log: list[str] = []

    async def first() -> None:
        await release

    async def named(name: str) -> None:
        log.append(name)

    one = asyncio.ensure_future(chain.run(first))
    two = asyncio.ensure_future(chain.run(lambda: named("second")))
    three = asyncio.ensure_future(chain.run(lambda: named("third")))
    for _ in range(3):
        await asyncio.sleep(0)
    pass_turn = chain._pass_turn

    def pass_turn_then_cancel_two() -> None:
        pass_turn()  # the end of one gives two its turn ...
        two.cancel()  # ... and two is cancelled before it resumes

    chain._pass_turn = pass_turn_then_cancel_two  # type: ignore[method-assign]
    release.set_result(None)
    await asyncio.wait_for(asyncio.gather(one, three), 5)
    with pytest.raises(asyncio.CancelledError):
        await two
    assert log == ["third"]
    assert chain.empty


async def test_an_operation_on_a_free_chain_makes_no_future_or_lock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    made: list[str] = []
    real_future, real_lock = loop.create_future, asyncio.Lock

    def counting_future() -> asyncio.Future[object]:
        made.append("future")
        return real_future()

    def counting_lock() -> asyncio.Lock:
        made.append("lock")
        return real_lock()

    monkeypatch.setattr(loop, "create_future", counting_future)
    monkeypatch.setattr(asyncio, "Lock", counting_lock)
    chain = OperationsChain()

    async def operation() -> int:
        return 1

    for _ in range(3):
        assert await chain.run(operation) == 1
    assert made == []
    assert chain.empty
