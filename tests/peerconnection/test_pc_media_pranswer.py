"""Offer -> provisional answer -> final answer with audio and video (RFC 9429 §4.1.10,
webrtc-pc §4.4.1.5): media starts as the pranswer says, the final answer decides
what flows in the end, and each of them sets currentDirection (webrtc-pc: "applying
a local answer or pranswer ... set transceiver.[[CurrentDirection]]")."""

from __future__ import annotations

import asyncio

import pytest
from tests.support.media import FrameCollector, PatternVideoTrack
from tests.support.peer_connections import TIMEOUT

from rtcpeer import RTCPeerConnection
from rtcpeer.peerconnection.rtp import RTCTrackEvent
from rtcpeer.transport import AudioStreamTrack


@pytest.fixture
def pair(
    linked_pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> tuple[RTCPeerConnection, RTCPeerConnection]:
    return linked_pair


def _directions(pc: RTCPeerConnection) -> list[tuple[str, str | None]]:
    return [(t.kind, t.currentDirection) for t in pc.getTransceivers()]


async def test_offer_pranswer_answer_with_audio_and_video(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    a, b = pair
    a.addTrack(PatternVideoTrack())
    a.addTrack(AudioStreamTrack())
    b_video = b.addTrack(PatternVideoTrack())
    at_a: asyncio.Queue[RTCTrackEvent] = asyncio.Queue()
    at_b: asyncio.Queue[RTCTrackEvent] = asyncio.Queue()
    a.on("track", at_a.put_nowait)
    b.on("track", at_b.put_nowait)

    offer = await a.createOffer()
    await a.setLocalDescription(offer)
    await b.setRemoteDescription(offer)
    video_b = next(t for t in b.getTransceivers() if t.sender is b_video)
    video_b.direction = "recvonly"  # the provisional answer does not send video yet
    provisional = await b.createAnswer()
    pranswer = {"type": "pranswer", "sdp": provisional.sdp}
    await b.setLocalDescription(pranswer)
    await a.setRemoteDescription(pranswer)
    assert (a.signalingState, b.signalingState) == ("have-remote-pranswer", "have-local-pranswer")
    assert _directions(a) == [("video", "sendonly"), ("audio", "sendonly")]
    assert _directions(b) == [("video", "recvonly"), ("audio", "recvonly")]

    # Media flows as the pranswer says: a -> b only.
    events = [await asyncio.wait_for(at_b.get(), TIMEOUT) for _ in range(2)]
    video_at_b = next(e.track for e in events if e.track.kind == "video")
    audio_at_b = next(e.track for e in events if e.track.kind == "audio")
    collectors = [FrameCollector(video_at_b), FrameCollector(audio_at_b)]
    try:
        for collector in collectors:
            await collector.wait_for(3)
        assert at_a.empty()
        assert not a.getTransceivers()[0].receiver._media.frames_decoded

        # The final answer sends video from b as well.
        video_b.direction = "sendrecv"
        final = await b.createAnswer()
        await b.setLocalDescription(final)
        await a.setRemoteDescription(final)
        assert a.signalingState == b.signalingState == "stable"
        assert _directions(a) == [("video", "sendrecv"), ("audio", "sendonly")]
        assert _directions(b) == [("video", "sendrecv"), ("audio", "recvonly")]
        back = await asyncio.wait_for(at_a.get(), TIMEOUT)
        assert back.track.kind == "video" and at_a.empty()
        collectors.append(FrameCollector(back.track))
        await collectors[2].wait_for(3)
        # What flowed since the pranswer keeps flowing on the same SSRC.
        await collectors[0].more(5)
        report = await b.getStats()
        assert len(report.of_type("inbound-rtp")) == 2
    finally:
        for collector in collectors:
            await collector.close()
