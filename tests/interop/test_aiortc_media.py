"""rtcpeer <-> aiortc 1.16 with audio + video + a data channel, either side offering:
track events on both sides, frames decoded both ways, the data channel works.
And an aiortc peer offering audio + video + data to an rtcpeer application that
only uses data channels: it connects and its data channel works."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiortc import RTCPeerConnection as AiortcPeerConnection
from tests.support.interop import TIMEOUT, exchange_message, opened, rtcpeer
from tests.support.media import FrameCollector, PatternVideoTrack
from tests.support.signalling import AiortcSide, Bridge, RtcpeerSide

from rtcpeer.peerconnection.rtp import RTCTrackEvent
from rtcpeer.transport import AudioStreamTrack

pytestmark = [pytest.mark.interop, pytest.mark.usefixtures("aioice_on_loopback")]


@pytest.mark.parametrize("offering", ["rtcpeer", "aiortc"])
async def test_audio_video_and_data_with_aiortc(offering: str) -> None:
    ours_pc, theirs_pc = rtcpeer(), AiortcPeerConnection()
    ours, theirs = RtcpeerSide(ours_pc), AiortcSide(theirs_pc)
    bridge = Bridge(ours, theirs)
    our_tracks: asyncio.Queue[RTCTrackEvent] = asyncio.Queue()
    their_tracks: asyncio.Queue[Any] = asyncio.Queue()
    ours_pc.on("track", our_tracks.put_nowait)
    theirs_pc.on("track", their_tracks.put_nowait)  # aiortc emits the track itself
    channels: asyncio.Queue[Any] = asyncio.Queue()
    collectors: list[FrameCollector] = []
    for pc in (ours_pc, theirs_pc):
        pc.addTrack(AudioStreamTrack())
        pc.addTrack(PatternVideoTrack())
    try:
        if offering == "rtcpeer":
            near = ours_pc.createDataChannel("chat")
            theirs_pc.on("datachannel", channels.put_nowait)
            await bridge.negotiate(ours, theirs)
        else:
            near = theirs_pc.createDataChannel("chat")
            ours_pc.on("datachannel", lambda event: channels.put_nowait(event.channel))
            await bridge.negotiate(theirs, ours)
        far = await asyncio.wait_for(channels.get(), TIMEOUT)
        ours_received = [await asyncio.wait_for(our_tracks.get(), TIMEOUT) for _ in range(2)]
        theirs_received = [await asyncio.wait_for(their_tracks.get(), TIMEOUT) for _ in range(2)]
        assert {e.track.kind for e in ours_received} == {"audio", "video"}
        assert {t.kind for t in theirs_received} == {"audio", "video"}
        assert [t.currentDirection for t in ours_pc.getTransceivers()] == ["sendrecv"] * 2
        collectors = [FrameCollector(e.track) for e in ours_received]
        collectors += [FrameCollector(t) for t in theirs_received]
        for collector in collectors:
            await collector.wait_for(5)
        await opened(near)
        await opened(far)
        await exchange_message(near, far, "ping")
        await exchange_message(far, near, "pong")
        await bridge.settle()
        report = await ours_pc.getStats()
        assert {e["kind"] for e in report.of_type("outbound-rtp")} == {"audio", "video"}
        for inbound in report.of_type("inbound-rtp"):
            assert inbound["packetsReceived"] > 0
            assert report[inbound["codecId"]]["type"] == "codec"
    finally:
        for collector in collectors:
            await collector.close()
        await ours_pc.close()
        await theirs_pc.close()


async def test_aiortc_offering_media_to_a_data_only_application() -> None:
    """Issue 14: this failed with aiortc's "ICE username fragment or password is
    missing" when rtcpeer rejected the audio/video sections."""
    ours_pc, theirs_pc = rtcpeer(), AiortcPeerConnection()
    ours, theirs = RtcpeerSide(ours_pc), AiortcSide(theirs_pc)
    bridge = Bridge(ours, theirs)
    channels: asyncio.Queue[Any] = asyncio.Queue()
    ours_pc.on("datachannel", lambda event: channels.put_nowait(event.channel))
    theirs_pc.addTrack(AudioStreamTrack())
    theirs_pc.addTrack(PatternVideoTrack())
    near = theirs_pc.createDataChannel("chat")
    try:
        await bridge.negotiate(theirs, ours)
        far = await asyncio.wait_for(channels.get(), TIMEOUT)
        await opened(near)
        await opened(far)
        await exchange_message(near, far, "ping")
        await exchange_message(far, near, "pong")
        await bridge.settle()
        assert ours_pc.connectionState == "connected"
        assert [t.currentDirection for t in ours_pc.getTransceivers()] == ["recvonly"] * 2
    finally:
        await ours_pc.close()
        await theirs_pc.close()
