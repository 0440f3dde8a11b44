"""Issue 13 (2): aiortc cannot restart ICE and answers a restart offer with its
old credentials. Like libwebrtc, rtcpeer accepts that answer: the signalling
state becomes stable, the session carries on, and a later negotiation works."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiortc import RTCPeerConnection as AiortcPeerConnection
from tests.support.interop import TIMEOUT, exchange_message, opened, rtcpeer
from tests.support.signalling import AiortcSide, Bridge, RtcpeerSide

from rtcpeer.sdp import parse_sdp

pytestmark = [pytest.mark.interop, pytest.mark.usefixtures("aioice_on_loopback")]


def _ufrag(sdp: str) -> str | None:
    return parse_sdp(sdp).media[0].ice_ufrag


@pytest.mark.parametrize("how", ["restartIce", "iceRestart"])
async def test_an_answer_that_keeps_aiortcs_credentials_is_accepted(how: str) -> None:
    ours_pc, theirs_pc = rtcpeer(), AiortcPeerConnection()
    ours, theirs = RtcpeerSide(ours_pc), AiortcSide(theirs_pc)
    bridge = Bridge(ours, theirs)
    remote: asyncio.Queue[Any] = asyncio.Queue()
    theirs_pc.on("datachannel", remote.put_nowait)
    states: list[str] = []
    try:
        near = ours_pc.createDataChannel("chat")
        await bridge.negotiate(ours, theirs)
        far = await asyncio.wait_for(remote.get(), TIMEOUT)
        await opened(near)
        await exchange_message(near, far, "before")
        ours_pc.on("connectionstatechange", lambda: states.append(ours_pc.connectionState))
        assert theirs_pc.localDescription is not None
        their_ufrag = _ufrag(theirs_pc.localDescription.sdp)
        assert ours_pc.localDescription is not None
        our_ufrag = _ufrag(ours_pc.localDescription.sdp)

        if how == "restartIce":
            ours_pc.restartIce()
            offer = await ours_pc.createOffer()
        else:
            offer = await ours_pc.createOffer(iceRestart=True)
        assert _ufrag(offer.sdp) != our_ufrag
        await ours_pc.setLocalDescription(offer)
        await theirs.set_remote(offer.toJSON())
        answer = await theirs.set_local()
        assert _ufrag(answer["sdp"]) == their_ufrag  # aiortc did not restart
        await ours_pc.setRemoteDescription(answer)

        assert ours_pc.signalingState == "stable"
        current = ours_pc.currentRemoteDescription
        assert current is not None and _ufrag(current.sdp) == their_ufrag
        for index in range(20):  # the session goes on, both ways
            await exchange_message(near, far, f"after {index}")
            await exchange_message(far, near, f"back {index}")
        assert ours_pc.connectionState == "connected" and states == []
        # ... and a later negotiation works (no restart: nothing changes for aiortc).
        await bridge.negotiate(ours, theirs)
        assert ours_pc.signalingState == "stable"
        await exchange_message(near, far, "renegotiated")
    finally:
        await ours_pc.close()
        await theirs_pc.close()
