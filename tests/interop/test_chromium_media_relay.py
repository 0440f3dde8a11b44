"""rtcpeer <-> Chromium (fake camera and microphone) with audio + video + a data
channel through coturn, relay-only:

- relay-only over region A, either side offering, UDP/TCP/TLS to coturn: only
  relay candidates are signalled, Chromium's own getStats puts its selected
  pair on region A's relay over that transport, and media is decoded both ways;
- the region A -> B move (both sides setConfiguration(region B), then one side
  restarts ICE) with media flowing both ways: Chromium's framesDecoded and
  audio packetsReceived keep rising across the move without a long stall,
  Chromium's selected pair ends on region B's relay, its inbound SSRCs do not
  change, our DTLS session is the same one, and no connection state moves.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
from tests.support.chromium import BrowserPage, chromium_page, trust_args
from tests.support.coturn import Coturn
from tests.support.interop import (
    REGION_A,
    REGION_B,
    TIMEOUT,
    apoll,
    in_range,
    on_region,
    opened,
    relay_config,
    rtcpeer,
    selected_local,
    until,
)
from tests.support.media import FrameCollector, PatternVideoTrack
from tests.support.signalling import Bridge, ChromiumSide, RtcpeerSide, candidate_fields

from rtcpeer import RTCPeerConnection
from rtcpeer.peerconnection.rtp import RTCTrackEvent
from rtcpeer.testing.pki import CertificateFiles
from rtcpeer.transport import AudioStreamTrack

pytestmark = [pytest.mark.interop, pytest.mark.asyncio(loop_scope="module")]

FAKE_MEDIA = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")
#: The longest Chromium may go without decoding a new frame of ours across the
#: move (30 fps video; a move that loses the path or needs a new keyframe
#: round trip through a dead relay stalls far longer).
MAX_STALL = 1.5
#: How often the sampler reads Chromium's getStats during the move.
SAMPLE_EVERY = 0.05

_names = itertools.count()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def media_browser(
    network: None, interop_certificates: CertificateFiles
) -> AsyncIterator[BrowserPage]:
    """Chromium with fake devices, trusting coturn's certificate (turns:)."""
    async with chromium_page((*FAKE_MEDIA, *trust_args(interop_certificates.cert))) as page:
        yield page


@dataclass
class MediaCall:
    """rtcpeer ``pc`` and Chromium's ``name``, sending audio + video both ways."""

    browser: BrowserPage
    pc: RTCPeerConnection
    name: str
    ours: RtcpeerSide
    theirs: ChromiumSide
    bridge: Bridge
    channel: Any = None
    #: What we receive from Chromium, by kind.
    collectors: dict[str, FrameCollector] = field(default_factory=dict)

    async def close(self) -> None:
        for collector in self.collectors.values():
            await collector.close()
        await self.pc.close()
        await self.browser.call("close", self.name)

    async def chromium_inbound(self) -> dict[str, dict[str, Any]]:
        """Chromium's own inbound-rtp entries, by kind."""
        entries = await self.browser.call("rtpStats", self.name)
        return {e["kind"]: e for e in entries if e["type"] == "inbound-rtp"}

    async def chromium_counts(self) -> tuple[int, int]:
        """Chromium's video framesDecoded and audio packetsReceived (0 until known)."""
        inbound = await self.chromium_inbound()
        video, audio = inbound.get("video", {}), inbound.get("audio", {})
        return int(video.get("framesDecoded") or 0), int(audio.get("packetsReceived") or 0)

    async def chromium_selected(self) -> dict[str, Any]:
        pair: dict[str, Any] | None = await self.browser.call("selectedPair", self.name)
        assert pair is not None, "Chromium has no selected candidate pair"
        return pair


async def _call(
    browser: BrowserPage, offering: str, config: dict[str, Any], cafile: str
) -> MediaCall:
    """Audio + video both ways and a data channel (created by the offerer),
    media decoded at both ends and the channel open on return."""
    name = f"mr{next(_names)}"
    pc = rtcpeer(config, cafile)
    await browser.call("create", name, config)
    ours, theirs = RtcpeerSide(pc), ChromiumSide(browser, name)
    call = MediaCall(browser, pc, name, ours, theirs, Bridge(ours, theirs))
    tracks: asyncio.Queue[RTCTrackEvent] = asyncio.Queue()
    pc.on("track", tracks.put_nowait)
    channels: asyncio.Queue[Any] = asyncio.Queue()
    pc.on("datachannel", lambda event: channels.put_nowait(event.channel))
    try:
        assert sorted(await browser.call("addUserMedia", name)) == ["audio", "video"]
        pc.addTrack(PatternVideoTrack(320, 240))
        pc.addTrack(AudioStreamTrack())
        if offering == "rtcpeer":
            call.channel = pc.createDataChannel("chat")
            await call.bridge.negotiate(ours, theirs)
        else:
            await browser.call("createDataChannel", name, "chat")
            await call.bridge.negotiate(theirs, ours)
            call.channel = await asyncio.wait_for(channels.get(), TIMEOUT)
        for _ in range(2):
            event = await asyncio.wait_for(tracks.get(), TIMEOUT)
            call.collectors[event.track.kind] = FrameCollector(event.track)
        assert sorted(call.collectors) == ["audio", "video"]
        for collector in call.collectors.values():
            await collector.wait_for(10)
        await opened(call.channel)
        assert await browser.wait_for("channelopen", name) == "chat"

        async def chromium_decodes() -> bool:
            video, audio = await call.chromium_counts()
            return video >= 10 and audio > 0

        await apoll(chromium_decodes)
        await call.bridge.settle()
    except BaseException:
        await call.close()
        raise
    return call


async def _exchange(call: MediaCall) -> None:
    """One message each way over the data channel; each arrives once."""
    got: asyncio.Queue[Any] = asyncio.Queue()
    call.channel.on("message", got.put_nowait)
    before = len(await call.browser.call("received", call.name))
    call.channel.send("ping from rtcpeer")

    async def arrived() -> bool:
        return len(await call.browser.call("received", call.name)) > before

    await apoll(arrived)
    assert (await call.browser.call("received", call.name))[before:] == ["ping from rtcpeer"]
    await call.browser.call("send", call.name, "pong from chromium")
    assert await asyncio.wait_for(got.get(), TIMEOUT) == "pong from chromium"
    call.channel.remove_listener("message", got.put_nowait)


@pytest.mark.parametrize(
    ("offering", "transport"),
    [("rtcpeer", "udp"), ("chromium", "udp"), ("rtcpeer", "tcp"), ("chromium", "tls")],
)
async def test_audio_video_and_data_relay_only_with_chromium(
    media_browser: BrowserPage,
    regions: tuple[Coturn, Coturn],
    interop_certificates: CertificateFiles,
    offering: str,
    transport: str,
) -> None:
    region_a, _ = regions
    config = relay_config(region_a, transport)
    call = await _call(media_browser, offering, config, str(interop_certificates.ca))
    try:
        await _exchange(call)
        for side in ("a", "b"):  # a: rtcpeer, b: Chromium
            signalled = [candidate_fields(c) for c in call.bridge.produced[side]]
            relays = [c for c in signalled if c]
            assert relays, f"{side} signalled no candidate"
            assert all(c["type"] == "relay" for c in relays), relays
        chromium = await call.chromium_selected()
        assert chromium["local"]["candidateType"] == "relay"
        assert in_range(chromium["local"]["port"], REGION_A)
        assert chromium["local"]["relayProtocol"] == transport
        assert chromium["remote"]["candidateType"] == "relay"
        assert in_range(chromium["remote"]["port"], REGION_A)
        ours = await selected_local(call.pc)
        assert ours["candidateType"] == "relay" and in_range(ours["port"], REGION_A)
        assert ours["relayProtocol"] == transport
        report: Any = await call.pc.getStats()
        inbound = {e["kind"]: e for e in report.of_type("inbound-rtp")}
        assert inbound["video"]["framesDecoded"] >= 10
        assert inbound["audio"]["packetsReceived"] > 0
    finally:
        await call.close()


@dataclass
class Sampler:
    """Reads Chromium's counters every SAMPLE_EVERY seconds in the background."""

    call: MediaCall
    #: (loop time, video framesDecoded, audio packetsReceived), in order.
    samples: list[tuple[float, int, int]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            video, audio = await self.call.chromium_counts()
            self.samples.append((loop.time(), video, audio))
            await asyncio.sleep(SAMPLE_EVERY)

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def longest_stall(self, index: int) -> float:
        """The longest time the counter at ``index`` (1: video, 2: audio) stood still."""
        longest, since = 0.0, self.samples[0][0]
        for before, after in itertools.pairwise(self.samples):
            if after[index] > before[index]:
                since = after[0]
            longest = max(longest, after[0] - since)
        return longest


async def _chromium_stats_on_b(call: MediaCall) -> dict[str, Any] | None:
    """Chromium's selected pair (its getStats), if its local candidate is region B's relay.

    (Its ``selectedcandidatepairchange`` cannot be watched here: with audio and
    video BUNDLEd before the data section, the page's listener sits on an ICE
    transport the answer's BUNDLE replaces.)
    """
    selected = await call.chromium_selected()
    local = selected["local"]
    return (
        selected
        if local["candidateType"] == "relay" and in_range(local["port"], REGION_B)
        else None
    )


@pytest.mark.parametrize(
    ("offering", "initiator"),
    [
        ("rtcpeer", "rtcpeer"),
        ("rtcpeer", "chromium"),
        ("chromium", "rtcpeer"),
        ("chromium", "chromium"),
    ],
)
async def test_region_move_with_media_both_ways_keeps_chromium_decoding(
    media_browser: BrowserPage,
    regions: tuple[Coturn, Coturn],
    interop_certificates: CertificateFiles,
    offering: str,
    initiator: str,
) -> None:
    region_a, region_b = regions
    browser = media_browser
    call = await _call(browser, offering, relay_config(region_a), str(interop_certificates.ca))
    sampler = Sampler(call)
    try:
        assert on_region(call.pc, REGION_A)
        chromium_a = await call.chromium_selected()
        assert in_range(chromium_a["local"]["port"], REGION_A)
        changes_before = chromium_a["transport"]["selectedCandidatePairChanges"]
        stack = call.pc._transports
        assert stack is not None
        ssl_session = stack.dtls._ssl
        ssrcs_before = {k: e["ssrc"] for k, e in (await call.chromium_inbound()).items()}
        assert sorted(ssrcs_before) == ["audio", "video"]
        states: list[str] = []
        call.pc.on("connectionstatechange", lambda: states.append(call.pc.connectionState))
        sampler.start()
        await apoll(lambda: _sampled(sampler, 3))

        for side in (call.ours, call.theirs):
            await side.set_configuration(relay_config(region_b))
        restarter, other = (
            (call.ours, call.theirs) if initiator == "rtcpeer" else (call.theirs, call.ours)
        )
        if initiator == "rtcpeer":
            needed = asyncio.get_running_loop().create_future()
            call.pc.once("negotiationneeded", lambda: needed.set_result(None))
            await restarter.restart_ice()
            await asyncio.wait_for(needed, TIMEOUT)
        else:
            await restarter.restart_ice()
            await browser.wait_for("negotiationneeded", call.name)
        video_at_restart, audio_at_restart = await call.chromium_counts()
        await call.bridge.negotiate(restarter, other)

        await until(stack.ice, "selectedcandidatepairchange", lambda: on_region(call.pc, REGION_B))
        # Chromium's own getStats: its selected pair moved onto region B's relay.
        selected = await apoll(lambda: _chromium_stats_on_b(call))
        assert selected["remote"]["candidateType"] == "relay"
        assert in_range(selected["remote"]["port"], REGION_B)
        changes = selected["transport"]["selectedCandidatePairChanges"]
        assert changes > changes_before
        # After both switched: another second of video and audio each way.
        video_at_switch, audio_at_switch = await call.chromium_counts()

        async def chromium_kept_decoding() -> bool:
            video, audio = await call.chromium_counts()
            return video >= video_at_switch + 30 and audio >= audio_at_switch + 25

        await apoll(chromium_kept_decoding)
        for collector in call.collectors.values():
            await collector.more(25)
        await sampler.stop()
        await call.bridge.settle()

        # Chromium's framesDecoded rose across the move and never stood still long.
        assert video_at_switch >= video_at_restart and audio_at_switch >= audio_at_restart
        stall = sampler.longest_stall(1)
        assert stall < MAX_STALL, f"Chromium decoded no frame for {stall:.2f} s"
        assert sampler.longest_stall(2) < MAX_STALL
        assert [s[1] for s in sampler.samples] == sorted(s[1] for s in sampler.samples)
        # And it is still there once a second more of media has been decoded.
        assert await _chromium_stats_on_b(call) is not None
        # The same streams (SSRCs) and the same DTLS session; no state moved.
        ssrcs_after = {k: e["ssrc"] for k, e in (await call.chromium_inbound()).items()}
        assert ssrcs_after == ssrcs_before
        assert stack.dtls._ssl is ssl_session
        local = await selected_local(call.pc)
        assert local["candidateType"] == "relay" and in_range(local["port"], REGION_B)
        await _exchange(call)
        assert call.pc.connectionState == "connected" and states == []
        assert (await browser.call("state", call.name))["connectionState"] == "connected"
        assert call.pc.signalingState == "stable"
    finally:
        if sampler._task is not None and not sampler._task.done():
            await sampler.stop()
        await call.close()


async def _sampled(sampler: Sampler, count: int) -> bool:
    return len(sampler.samples) >= count
