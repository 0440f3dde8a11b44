"""The operations chain: concurrent JSEP calls run one at a time, in call order,
as a browser's chained promises do."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import pytest
from tests.support.peer_connections import opened, peer, until

from rtcpeer import InvalidStateError


async def test_concurrent_calls_complete_in_call_order() -> None:
    # No trickle here: each side signals its description once gathering is
    # complete, with every candidate in the SDP.
    a, b = peer(), peer()
    channel = a.createDataChannel("x")
    finished: list[str] = []

    async def named(name: str, call: Awaitable[Any]) -> Any:
        result = await call
        finished.append(name)
        return result

    offer, applied_offer = await asyncio.gather(
        named("createOffer", a.createOffer()),
        named("setLocalDescription", a.setLocalDescription()),
    )
    assert finished == ["createOffer", "setLocalDescription"]
    assert offer.type == "offer" and applied_offer is None
    # Without the chain, createAnswer would run before the offer is applied
    # and fail with InvalidStateError; chained, all three succeed in order.
    finished.clear()
    await until(a, "icegatheringstatechange", lambda: a.iceGatheringState == "complete")
    applied = a.localDescription
    assert applied is not None and applied.type == "offer"
    _, answer, _ = await asyncio.gather(
        named("setRemoteDescription", b.setRemoteDescription(applied)),
        named("createAnswer", b.createAnswer()),
        named("setLocalDescription", b.setLocalDescription()),
    )
    assert finished == ["setRemoteDescription", "createAnswer", "setLocalDescription"]
    assert answer.type == "answer" and b.signalingState == "stable"
    await until(b, "icegatheringstatechange", lambda: b.iceGatheringState == "complete")
    assert b.localDescription is not None
    assert "a=candidate:" in b.localDescription.sdp
    await a.setRemoteDescription(b.localDescription)
    await opened(channel)
    await a.close()
    await b.close()


async def test_a_failing_operation_does_not_block_the_chain() -> None:
    pc = peer()
    results: tuple[Any, Any] = await asyncio.gather(
        pc.createAnswer(),  # illegal in stable
        pc.createOffer(),
        return_exceptions=True,
    )
    assert isinstance(results[0], InvalidStateError)
    assert results[1].type == "offer"
    await pc.close()


async def test_operations_queued_behind_close_are_refused() -> None:
    pc = peer()
    pc.createDataChannel("x")
    results = await asyncio.gather(pc.setLocalDescription(), pc.close(), return_exceptions=True)
    assert results[1] is None and pc.signalingState == "closed"
    with pytest.raises(InvalidStateError):
        await pc.createOffer()
