"""The application-data inbox under aiortc's DTLS: order, waiting readers, close."""

from __future__ import annotations

import asyncio
import random

import pytest

from rtcpeer.ice import IceAgent
from rtcpeer.ice.runtime import IceTransport


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
    assert offered == [b"taken"] and transport._inbox == []
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
