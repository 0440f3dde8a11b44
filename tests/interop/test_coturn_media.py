"""rtcpeer <-> rtcpeer with audio + video + a data channel, relay-only through
coturn (region A) over UDP, TCP and TLS: only relay candidates are signalled,
both selected pairs sit on region A's relay over the configured transport,
frames and audio are decoded both ways and the data channel works."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.support.coturn import Coturn
from tests.support.interop import (
    REGION_A,
    TIMEOUT,
    exchange_message,
    in_range,
    opened,
    relay_config,
    rtcpeer,
    selected_local,
)
from tests.support.media import FrameCollector, PatternVideoTrack
from tests.support.signalling import Bridge, RtcpeerSide, candidate_fields

from rtcpeer.peerconnection.rtp import RTCTrackEvent
from rtcpeer.testing.pki import CertificateFiles
from rtcpeer.transport import AudioStreamTrack

pytestmark = pytest.mark.interop


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
async def test_audio_video_and_data_relay_only_through_coturn(
    regions: tuple[Coturn, Coturn], interop_certificates: CertificateFiles, transport: str
) -> None:
    region_a, _ = regions
    config = relay_config(region_a, transport)
    cafile = str(interop_certificates.ca)
    a, b = rtcpeer(config, cafile), rtcpeer(config, cafile)
    side_a, side_b = RtcpeerSide(a), RtcpeerSide(b)
    bridge = Bridge(side_a, side_b)
    tracks: dict[str, asyncio.Queue[RTCTrackEvent]] = {"a": asyncio.Queue(), "b": asyncio.Queue()}
    a.on("track", tracks["a"].put_nowait)
    b.on("track", tracks["b"].put_nowait)
    channels: asyncio.Queue[Any] = asyncio.Queue()
    b.on("datachannel", lambda event: channels.put_nowait(event.channel))
    collectors: list[FrameCollector] = []
    for pc in (a, b):
        pc.addTrack(PatternVideoTrack())
        pc.addTrack(AudioStreamTrack())
    try:
        near = a.createDataChannel("chat")
        await bridge.negotiate(side_a, side_b)
        far = await asyncio.wait_for(channels.get(), TIMEOUT)
        for key in ("a", "b"):
            events = [await asyncio.wait_for(tracks[key].get(), TIMEOUT) for _ in range(2)]
            assert sorted(e.track.kind for e in events) == ["audio", "video"], key
            collectors += [FrameCollector(e.track) for e in events]
        for collector in collectors:
            await collector.wait_for(10)
        await opened(near)
        await opened(far)
        await exchange_message(near, far, "ping")
        await exchange_message(far, near, "pong")
        await bridge.settle()

        for key in ("a", "b"):
            signalled = [candidate_fields(c) for c in bridge.produced[key]]
            relays = [c for c in signalled if c]
            assert relays, f"{key} signalled no candidate"
            assert all(c["type"] == "relay" for c in relays), relays
        for pc in (a, b):
            local = await selected_local(pc)
            assert local["candidateType"] == "relay" and in_range(local["port"], REGION_A)
            assert local["relayProtocol"] == transport
            report: Any = await pc.getStats()
            assert {e["kind"] for e in report.of_type("outbound-rtp")} == {"audio", "video"}
            inbound = {e["kind"]: e for e in report.of_type("inbound-rtp")}
            assert inbound["video"]["framesDecoded"] >= 10
            assert inbound["audio"]["packetsReceived"] > 0
            (transport_entry,) = report.of_type("transport")
            assert all(e["transportId"] == transport_entry["id"] for e in inbound.values())
    finally:
        for collector in collectors:
            await collector.close()
        await a.close()
        await b.close()
