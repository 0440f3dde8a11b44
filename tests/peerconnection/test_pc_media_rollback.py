"""Rolling back a remote audio/video re-offer (webrtc-pc §4.4.1.5, "rollback"):
every transceiver gets back its mid, receiving state and remote streams,
those the offer created are removed (kept without a mid once addTrack used
one), currentDirection never moves, and media keeps flowing as before."""

from __future__ import annotations

import asyncio

import pytest
from tests.support.media import FrameCollector, PatternVideoTrack
from tests.support.peer_connections import TIMEOUT, negotiate, poll

from rtcpeer import RTCPeerConnection
from rtcpeer.peerconnection.rtp import MediaStream, MediaStreamTrackEvent, RTCTrackEvent
from rtcpeer.transport import AudioStreamTrack, MediaStreamTrack

ROLLBACK = {"type": "rollback", "sdp": ""}


@pytest.fixture
def pair(
    linked_pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> tuple[RTCPeerConnection, RTCPeerConnection]:
    return linked_pair


class Recorder:
    """Track events of a peer, and mute/unmute and stream events of tracks/streams."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.tracks: list[RTCTrackEvent] = []
        self.log: list[tuple[str, str]] = []
        pc.on("track", self._on_track)

    def _on_track(self, event: RTCTrackEvent) -> None:
        self.tracks.append(event)

    def watch_track(self, track: MediaStreamTrack, name: str) -> None:
        for kind in ("mute", "unmute", "ended"):
            track.on(kind, lambda kind=kind: self.log.append((kind, name)))

    def watch_stream(self, stream: MediaStream, names: dict[MediaStreamTrack, str]) -> None:
        for kind in ("addtrack", "removetrack"):

            def on_event(event: MediaStreamTrackEvent, kind: str = kind) -> None:
                self.log.append((kind, f"{stream.id}:{names.get(event.track, 'new')}"))

            stream.on(kind, on_event)

    def take(self) -> list[tuple[str, str]]:
        log, self.log = self.log, []
        return log


def _state(pc: RTCPeerConnection) -> list[tuple[object, ...]]:
    return [(t.kind, t.mid, t.direction, t.currentDirection) for t in pc.getTransceivers()]


def _muted(track: MediaStreamTrack) -> bool:
    return bool(getattr(track, "muted"))  # noqa: B009 (rtcpeer's member on aiortc's track)


async def test_rollback_of_a_re_offer_restores_streams_directions_and_media(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    a, b = pair
    stream = MediaStream(id="s")
    a.addTrack(PatternVideoTrack(), stream)
    a.addTrack(AudioStreamTrack(), stream)
    b.addTrack(PatternVideoTrack())
    recorder = Recorder(b)
    await negotiate(a, b)
    await poll(lambda: len(recorder.tracks) == 2)
    video = next(e.track for e in recorder.tracks if e.track.kind == "video")
    audio = next(e.track for e in recorder.tracks if e.track.kind == "audio")
    remote = recorder.tracks[0].streams[0]
    assert remote.id == "s" and set(remote.getTracks()) == {video, audio}
    assert not _muted(video) and not _muted(audio)
    names: dict[MediaStreamTrack, str] = {video: "video", audio: "audio"}
    recorder.watch_track(video, "video")
    recorder.watch_stream(remote, names)
    before = _state(b)
    assert before == [
        ("video", "0", "sendrecv", "sendrecv"),
        ("audio", "1", "recvonly", "recvonly"),
    ]
    collector = FrameCollector(video)
    try:
        await collector.wait_for(3)

        # a's re-offer stops sending video (direction) and adds a track in a new stream.
        a.getTransceivers()[0].direction = "recvonly"
        a.addTrack(AudioStreamTrack(), MediaStream(id="s2"))
        offer = await a.createOffer()
        await a.setLocalDescription(offer)
        await b.setRemoteDescription(offer)
        assert len(recorder.tracks) == 3
        added = recorder.tracks[2]
        added_track = added.track
        assert [s.id for s in added.streams] == ["s2"]
        names[added_track] = "added"
        recorder.watch_track(added_track, "added")
        recorder.watch_stream(added.streams[0], names)
        assert recorder.take() == [("mute", "video"), ("removetrack", "s:video")]
        assert _muted(video) and remote.getTracks() == [audio]
        assert [t.mid for t in b.getTransceivers()] == ["0", "1", "2"]
        assert [t.currentDirection for t in b.getTransceivers()] == ["sendrecv", "recvonly", None]

        await b.setRemoteDescription(ROLLBACK)
        assert b.signalingState == "stable"
        assert _state(b) == before
        assert recorder.take() == [
            ("mute", "added"),
            ("removetrack", "s2:added"),
            ("addtrack", "s:video"),
            ("unmute", "video"),
            ("ended", "added"),
        ]
        assert not _muted(video) and set(remote.getTracks()) == {video, audio}
        assert added_track.readyState == "ended"
        assert added.streams[0].getTracks() == []
        assert len(recorder.tracks) == 3  # a rollback fires no track event
        assert added.transceiver not in b.getTransceivers()
        await a.setLocalDescription(ROLLBACK)

        # The media of the last stable state keeps flowing...
        await collector.more(10)
        # ...and the state is one a new negotiation builds on.
        await negotiate(a, b)
        assert [(t.mid, t.currentDirection) for t in b.getTransceivers()] == [
            ("0", "sendonly"),
            ("1", "recvonly"),
            ("2", "recvonly"),
        ]
        assert recorder.take() == [
            ("mute", "video"),
            ("removetrack", "s:video"),
            ("addtrack", "s2:new"),  # the same remote stream object as before the rollback
        ]
        assert len(recorder.tracks) == 4 and recorder.tracks[3].track is not added_track
    finally:
        await collector.close()


async def test_rollback_keeps_add_track_transceivers_without_a_mid(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    """webrtc-pc: a transceiver the offer associated (an earlier addTrack one) or created
    and addTrack then used stays, with its mid back to null; it is offered next time."""
    a, b = pair
    a.addTrack(AudioStreamTrack())
    a.addTrack(PatternVideoTrack())
    mine = b.addTrack(AudioStreamTrack())
    recorder = Recorder(b)
    offer = await a.createOffer()
    await a.setLocalDescription(offer)
    await b.setRemoteDescription(offer)
    audio_t, video_t = b.getTransceivers()
    assert audio_t.sender is mine and audio_t.mid == "0" and video_t.mid == "1"
    later = b.addTrack(PatternVideoTrack())  # reuses the transceiver the offer made
    assert video_t.sender is later
    assert len(recorder.tracks) == 2

    await b.setRemoteDescription(ROLLBACK)
    assert b.getTransceivers() == [audio_t, video_t]
    assert [(t.mid, t.currentDirection) for t in b.getTransceivers()] == [(None, None)] * 2
    assert all(_muted(t.receiver.track) for t in b.getTransceivers())
    assert video_t.receiver.track.readyState == "live"
    await a.setLocalDescription(ROLLBACK)

    # b offers them now; a answers and receives both.
    received: asyncio.Queue[RTCTrackEvent] = asyncio.Queue()
    a.on("track", received.put_nowait)
    await negotiate(b, a)
    assert [t.currentDirection for t in b.getTransceivers()] == ["sendrecv", "sendrecv"]
    first = await asyncio.wait_for(received.get(), TIMEOUT)
    second = await asyncio.wait_for(received.get(), TIMEOUT)
    video = next(e.track for e in (first, second) if e.track.kind == "video")
    collector = FrameCollector(video)
    try:
        await collector.wait_for(3)
    finally:
        await collector.close()
