"""rtcpeer <-> rtcpeer audio and video: tracks, transceivers, track events, frames decoded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.support.media import FrameCollector, PatternVideoTrack
from tests.support.peer_connections import TIMEOUT, Link, negotiate, opened, peer

from rtcpeer import RTCPeerConnection
from rtcpeer.peerconnection.rtp import MediaStream, RTCTrackEvent
from rtcpeer.transport import AudioStreamTrack


class Tracks:
    """The track events a peer fired, to await by count."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.events: list[RTCTrackEvent] = []
        self._queue: asyncio.Queue[RTCTrackEvent] = asyncio.Queue()

        @pc.on("track")
        def on_track(event: RTCTrackEvent) -> None:
            self.events.append(event)
            self._queue.put_nowait(event)

    async def next(self) -> RTCTrackEvent:
        return await asyncio.wait_for(self._queue.get(), TIMEOUT)


@pytest.fixture
async def pair() -> AsyncIterator[tuple[RTCPeerConnection, RTCPeerConnection, Link]]:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    yield a, b, link
    await a.close()
    await b.close()


async def test_audio_video_and_data_flow_both_ways(
    pair: tuple[RTCPeerConnection, RTCPeerConnection, Link],
) -> None:
    a, b, link = pair
    stream = MediaStream(id="a-stream")
    a_video, a_audio = PatternVideoTrack(), AudioStreamTrack()
    a.addTrack(a_audio, stream)
    a.addTrack(a_video, stream)
    b.addTrack(PatternVideoTrack())
    b_audio = b.addTrack(AudioStreamTrack())
    channel = a.createDataChannel("chat")
    b_tracks, a_tracks = Tracks(b), Tracks(a)
    far: asyncio.Queue[Any] = asyncio.Queue()
    b.on("datachannel", lambda event: far.put_nowait(event.channel))

    await negotiate(a, b)

    # b's addTrack transceivers took a's sections: one transceiver per kind each side.
    assert [t.mid for t in a.getTransceivers()] == ["0", "1"]
    assert [(t.mid, t.currentDirection) for t in b.getTransceivers()] == [
        ("1", "sendrecv"),
        ("0", "sendrecv"),
    ]
    first, second = await b_tracks.next(), await b_tracks.next()
    assert {first.track.kind, second.track.kind} == {"audio", "video"}
    assert [s.id for s in first.streams] == ["a-stream"]
    assert first.streams[0] is second.streams[0]
    assert set(first.streams[0].getTracks()) == {first.track, second.track}
    assert first.transceiver.receiver is first.receiver
    video_at_b = next(e.track for e in (first, second) if e.track.kind == "video")
    audio_at_b = next(e.track for e in (first, second) if e.track.kind == "audio")
    a_events = [await a_tracks.next(), await a_tracks.next()]
    video_at_a = next(e.track for e in a_events if e.track.kind == "video")
    audio_at_a = next(e.track for e in a_events if e.track.kind == "audio")

    collectors = [FrameCollector(t) for t in (video_at_b, audio_at_b, video_at_a, audio_at_a)]
    try:
        for collector in collectors:
            await collector.wait_for(5)
    finally:
        for collector in collectors:
            await collector.close()
    assert collectors[0].frames[0].width == a_video.width

    await opened(channel)
    remote = await asyncio.wait_for(far.get(), TIMEOUT)
    got: asyncio.Queue[object] = asyncio.Queue()
    remote.on("message", got.put_nowait)
    channel.send("hello")
    assert await asyncio.wait_for(got.get(), TIMEOUT) == "hello"
    await link.settle()

    # Senders and receivers share the one DTLS transport with the data channels.
    assert a.sctp is not None
    transport = a.sctp.transport
    assert all(s.transport is transport for s in a.getSenders())
    assert all(r.transport is transport for r in a.getReceivers())
    assert b_audio.track is not None and b_audio.track.kind == "audio"


async def test_media_without_data_channel_connects(
    pair: tuple[RTCPeerConnection, RTCPeerConnection, Link],
) -> None:
    a, b, link = pair
    a.addTransceiver(PatternVideoTrack(), {"direction": "sendonly"})
    tracks = Tracks(b)
    await negotiate(a, b)
    assert a.localDescription is not None
    assert "m=application" not in a.localDescription.sdp
    event = await tracks.next()
    assert event.transceiver.currentDirection == "recvonly"
    assert a.getTransceivers()[0].currentDirection == "sendonly"
    collector = FrameCollector(event.track)
    try:
        await collector.wait_for(3)
    finally:
        await collector.close()
    assert a.sctp is None
    assert a.connectionState == "connected"
    await link.settle()


async def test_data_only_application_answers_media_recvonly(
    pair: tuple[RTCPeerConnection, RTCPeerConnection, Link],
) -> None:
    """An offer with audio+video+data to a peer that only uses data channels."""
    a, b, link = pair
    a.addTrack(AudioStreamTrack())
    a.addTrack(PatternVideoTrack())
    channel = a.createDataChannel("chat")
    tracks = Tracks(b)
    await negotiate(a, b)
    assert b.localDescription is not None
    answer = b.localDescription.sdp
    assert answer.count("a=recvonly") == 2
    assert "m=audio 0" not in answer and "m=video 0" not in answer
    assert [t.currentDirection for t in b.getTransceivers()] == ["recvonly", "recvonly"]
    assert [t.currentDirection for t in a.getTransceivers()] == ["sendonly", "sendonly"]
    await tracks.next()
    await tracks.next()
    await opened(channel)
    await link.settle()
