"""A description that fails to apply changes nothing (webrtc-pc §4.4.1.5):
signalling state, the four descriptions and the session all stay as they were."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.support.peer_connections import TIMEOUT, Link, negotiate, open_channels, peer

from rtcpeer import InvalidStateError, OperationError


def _ice_lines(sdp: str) -> dict[str, str]:
    return {
        line.split(":", 1)[0]: line
        for line in sdp.splitlines()
        if line.startswith(("a=ice-ufrag:", "a=ice-pwd:"))
    }


def _with_ice_lines(sdp: str, lines: dict[str, str]) -> str:
    out = [lines.get(line.split(":", 1)[0], line) for line in sdp.splitlines()]
    return "\r\n".join(out) + "\r\n"


async def _round_trip(near: Any, far: Any, text: str) -> None:
    got: asyncio.Queue[Any] = asyncio.Queue()
    far.on("message", got.put_nowait)
    near.send(text)
    assert await asyncio.wait_for(got.get(), TIMEOUT) == text
    far.remove_listener("message", got.put_nowait)


async def test_an_offer_with_a_previous_generations_credentials_changes_nothing() -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        channel, far = await open_channels(a, b, link)
        first_answer = b.localDescription
        assert first_answer is not None
        old_b = _ice_lines(first_answer.sdp)
        await negotiate(a, b, ice_restart=True)  # both sides' credentials are new now
        remote_before = a.remoteDescription
        current_remote = a.currentRemoteDescription
        local_before = a.localDescription

        offer = await b.createOffer()
        stale = _with_ice_lines(offer.sdp, old_b)
        with pytest.raises(OperationError):
            await a.setRemoteDescription({"type": "offer", "sdp": stale})
        assert a.signalingState == "stable"
        assert a.pendingRemoteDescription is None
        assert a.remoteDescription == remote_before
        assert a.currentRemoteDescription == current_remote
        local_after = a.localDescription
        assert local_after is not None and local_before is not None
        assert local_after.type == local_before.type
        assert _ice_lines(local_after.sdp) == _ice_lines(local_before.sdp)
        with pytest.raises(InvalidStateError):
            await a.setRemoteDescription({"type": "rollback"})
        assert a.signalingState == "stable"
        await _round_trip(channel, far, "still one session")
        await negotiate(b, a)  # a good offer after the bad one applies as usual
        assert a.signalingState == b.signalingState == "stable"
        await _round_trip(far, channel, "renegotiated")
    finally:
        await a.close()
        await b.close()
