"""getStats() on a peer connection reports keyFramesDecoded for a VP8 stream
(webrtc-stats: inbound-rtp, video only), as a browser does."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.media import FrameCollector, PatternVideoTrack
from tests.support.peer_connections import TIMEOUT, negotiate

from rtcpeer import RTCPeerConnection
from rtcpeer.peerconnection.rtp import RTCTrackEvent


async def test_inbound_video_counts_key_frames_decoded(
    linked_pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    a, b = linked_pair
    a.addTrack(PatternVideoTrack())
    tracks: asyncio.Queue[RTCTrackEvent] = asyncio.Queue()
    b.on("track", tracks.put_nowait)
    await negotiate(a, b)
    event = await asyncio.wait_for(tracks.get(), TIMEOUT)
    collector = FrameCollector(event.track)
    try:
        await collector.wait_for(5)
    finally:
        await collector.close()

    async def inbound() -> dict[str, Any]:
        (entry,) = (await b.getStats(event.receiver)).of_type("inbound-rtp")
        return dict(entry)

    entry = await inbound()
    assert entry["kind"] == "video"
    # The encoder starts with a key frame; later frames are deltas.
    assert 1 <= entry["keyFramesDecoded"] <= entry["framesDecoded"]
    assert entry["keyFramesDecoded"] < entry["framesDecoded"]
