"""rtcpeer <-> Chromium with audio and video (Chromium's fake camera and microphone):
Chromium's media is decoded by rtcpeer, rtcpeer's synthetic video and audio are
decoded by Chromium (its own getStats), either side offering, with a data channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from tests.support.chromium import BrowserPage, chromium_page
from tests.support.interop import TIMEOUT, apoll, opened, rtcpeer
from tests.support.media import FrameCollector, PatternVideoTrack
from tests.support.signalling import Bridge, ChromiumSide, RtcpeerSide

from rtcpeer.peerconnection.rtp import RTCTrackEvent
from rtcpeer.transport import AudioStreamTrack

pytestmark = pytest.mark.interop

FAKE_MEDIA = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def media_browser(network: None) -> AsyncIterator[BrowserPage]:
    async with chromium_page(FAKE_MEDIA) as page:
        yield page


async def _decoded(browser: BrowserPage, name: str) -> dict[str, int]:
    """Chromium's inbound-rtp counters by kind: frames decoded for video, packets
    received for audio (headless Chromium plays no audio out, so counts no samples)."""
    out: dict[str, int] = {}
    for entry in await browser.call("rtpStats", name):
        if entry["type"] == "inbound-rtp":
            key = "framesDecoded" if entry["kind"] == "video" else "packetsReceived"
            out[entry["kind"]] = int(entry.get(key) or 0)
    return out


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("offering", ["chromium", "rtcpeer"])
async def test_audio_and_video_both_ways_with_chromium(
    media_browser: BrowserPage, offering: str
) -> None:
    browser = media_browser
    name = f"media-{offering}"
    pc = rtcpeer()
    await browser.call("create", name, {})
    ours, theirs = RtcpeerSide(pc), ChromiumSide(browser, name)
    bridge = Bridge(ours, theirs)
    tracks: asyncio.Queue[RTCTrackEvent] = asyncio.Queue()
    pc.on("track", tracks.put_nowait)
    channels: asyncio.Queue[Any] = asyncio.Queue()
    pc.on("datachannel", lambda event: channels.put_nowait(event.channel))
    collectors: list[FrameCollector] = []
    try:
        assert sorted(await browser.call("addUserMedia", name)) == ["audio", "video"]
        pc.addTrack(PatternVideoTrack(320, 240))
        pc.addTrack(AudioStreamTrack())
        if offering == "chromium":
            await browser.call("createDataChannel", name, "chat")
            await bridge.negotiate(theirs, ours)
            channel = await asyncio.wait_for(channels.get(), TIMEOUT)
        else:
            channel = pc.createDataChannel("chat")
            await bridge.negotiate(ours, theirs)
        events = [await asyncio.wait_for(tracks.get(), TIMEOUT) for _ in range(2)]
        assert sorted(e.track.kind for e in events) == ["audio", "video"]
        assert all(len(e.streams) == 1 for e in events)
        collectors = [FrameCollector(e.track) for e in events]
        for collector in collectors:
            await collector.wait_for(10)
        video = next(c for c, e in zip(collectors, events, strict=True) if e.track.kind == "video")
        assert video.frames[-1].width > 0
        await opened(channel)
        assert await browser.wait_for("channelopen", name) == "chat"

        async def chromium_decodes() -> bool:
            decoded = await _decoded(browser, name)
            return decoded.get("video", 0) >= 10 and decoded.get("audio", 0) > 0

        await apoll(chromium_decodes)
        await bridge.settle()
        report: Any = await pc.getStats()
        inbound = {e["kind"]: e for e in report.of_type("inbound-rtp")}
        assert inbound["video"]["framesDecoded"] >= 10
        assert inbound["audio"]["packetsReceived"] > 0
    finally:
        for collector in collectors:
            await collector.close()
        await pc.close()
        await browser.call("close", name)
