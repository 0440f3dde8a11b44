"""The application-data inbox under aiortc's DTLS: order, waiting readers, close."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from rtcpeer.ice import IceAgent
from rtcpeer.ice.runtime import IceTransport
from rtcpeer.transport.aiortc_adapter import AiortcIceTransportAdapter


async def test_waiting_reader_gets_data_in_order_and_every_reader_sees_the_close() -> None:
    transport = IceTransport(controlling=True)
    first = asyncio.ensure_future(transport.receive())
    await asyncio.sleep(0)
    transport._put(b"one")
    transport._put(b"two")
    assert await asyncio.wait_for(first, 1.0) == b"one"
    assert await asyncio.wait_for(transport.receive(), 1.0) == b"two"
    readers = [asyncio.ensure_future(transport.receive()) for _ in range(2)]
    await asyncio.sleep(0)
    await transport.close()
    for reader in readers:
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(reader, 1.0)
    with pytest.raises(ConnectionError):
        await transport.receive()


async def test_a_cancelled_reader_leaves_no_waiter_behind() -> None:
    transport = IceTransport(controlling=True)
    reader = asyncio.ensure_future(transport.receive())
    await asyncio.sleep(0)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    assert transport._readers == []
    transport._put(b"later")
    assert await asyncio.wait_for(transport.receive(), 1.0) == b"later"
    await transport.close()


async def test_the_deliver_hook_is_offered_only_what_would_land_in_an_empty_inbox() -> None:
    """The DTLS adapter's hand-off: taken datagrams skip the inbox; once one
    is queued, later ones queue behind it (order), and the end marker always
    queues."""
    transport = IceTransport(controlling=True)
    offered: list[bytes] = []
    accept = True

    def deliver(data: bytes) -> bool:
        offered.append(data)
        return accept

    transport.deliver = deliver
    transport._put(b"taken")
    assert offered == [b"taken"] and not transport._inbox
    accept = False
    transport._put(b"declined")
    accept = True
    transport._put(b"behind")
    assert offered == [b"taken", b"declined"]  # "behind" was never offered
    assert transport._inbox == [b"declined", b"behind"]
    assert await transport.receive() == b"declined"
    assert await transport.receive() == b"behind"
    transport._put(None)
    assert offered == [b"taken", b"declined"] and transport._inbox == [None]
    await transport.close()


def test_unseeded_agents_draw_from_the_operating_system() -> None:
    """Unpredictable credentials and tie-breakers; a seeded agent still repeats."""
    agent = IceAgent(True)
    assert isinstance(agent._rng, random.SystemRandom)
    seeded = [IceAgent(True, rng=random.Random(5)) for _ in range(2)]
    assert seeded[0].local_ufrag == seeded[1].local_ufrag
    assert seeded[0].tie_breaker == seeded[1].tie_breaker


async def test_receive_soon_is_a_plain_future_that_wait_for_runs_without_a_task() -> None:
    """What the DTLS adapter hands aiortc: a future (done when a datagram is
    waiting), so ``asyncio.wait_for`` during the handshake makes no task; a
    reader cancelled by its timeout is skipped and loses no datagram."""
    transport = IceTransport(controlling=True)
    loop = asyncio.get_running_loop()
    made: list[object] = []
    create_task = loop.create_task

    def counting_create_task(coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        made.append(coro)
        return create_task(coro, **kwargs)

    loop.create_task = counting_create_task  # type: ignore[method-assign]
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(transport.receive_soon(), 0.01)
        transport._put(b"after the timeout")
        assert await asyncio.wait_for(transport.receive_soon(), 1.0) == b"after the timeout"
        first, second = transport.receive_soon(), transport.receive_soon()
        assert not first.done() and not second.done()
        transport._put(b"one")
        transport._put(b"two")
        assert (await first, await second) == (b"one", b"two")  # in the order asked
        assert made == []
    finally:
        loop.create_task = create_task  # type: ignore[method-assign]
    waiting = transport.receive_soon()
    await transport.close()
    with pytest.raises(ConnectionError):
        await waiting
    with pytest.raises(ConnectionError):
        await transport.receive_soon()


async def test_the_dtls_adapter_hands_aiortc_the_transports_future() -> None:
    """``_recv()`` over the ICE transport is its ``receive_soon()`` future, not
    a coroutine (which ``wait_for`` would wrap in a task per handshake read)."""
    transport = IceTransport(controlling=True)
    adapter = AiortcIceTransportAdapter(transport)
    pending = adapter._recv()
    assert isinstance(pending, asyncio.Future)
    transport._put(b"record")
    assert await asyncio.wait_for(pending, 1.0) == b"record"
    await transport.close()
