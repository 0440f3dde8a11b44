"""webrtc-pc "process the removal/addition of a remote track": when a description
stops a section receiving (the peer's removeTrack or direction), the remote track
is muted and leaves its MediaStreams (``removetrack``); when it receives again,
``track`` fires once more for the same track, which is unmuted and rejoins."""

from __future__ import annotations

import asyncio

import pytest
from tests.support.media import FrameCollector, PatternVideoTrack
from tests.support.peer_connections import TIMEOUT, negotiate

from rtcpeer import RTCPeerConnection
from rtcpeer.peerconnection.rtp import MediaStream, MediaStreamTrackEvent, RTCTrackEvent
from rtcpeer.transport import MediaStreamTrack


@pytest.fixture
def pair(
    linked_pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> tuple[RTCPeerConnection, RTCPeerConnection]:
    return linked_pair


def _muted(track: MediaStreamTrack) -> bool:
    return bool(getattr(track, "muted"))  # noqa: B009 (rtcpeer's member on aiortc's track)


class Watch:
    """Track events of a peer; mute/unmute of its first remote track; its stream's events."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.events: asyncio.Queue[RTCTrackEvent] = asyncio.Queue()
        self.log: list[str] = []
        pc.on("track", self.events.put_nowait)

    async def first(self) -> RTCTrackEvent:
        event = await asyncio.wait_for(self.events.get(), TIMEOUT)
        for kind in ("mute", "unmute"):
            event.track.on(kind, lambda kind=kind: self.log.append(kind))
        for stream in event.streams:
            for kind in ("addtrack", "removetrack"):

                def on_event(e: MediaStreamTrackEvent, kind: str = kind) -> None:
                    assert e.track is event.track
                    self.log.append(kind)

                stream.on(kind, on_event)
        return event

    def take(self) -> list[str]:
        log, self.log = self.log, []
        return log


@pytest.mark.parametrize("how", ["removeTrack", "direction"])
async def test_a_remote_track_is_removed_and_added_again(
    pair: tuple[RTCPeerConnection, RTCPeerConnection], how: str
) -> None:
    a, b = pair
    sender = a.addTrack(PatternVideoTrack(), MediaStream(id="cam"))
    watch = Watch(b)
    await negotiate(a, b)
    event = await watch.first()
    track, (stream,) = event.track, event.streams
    assert stream.getTracks() == [track] and not _muted(track)
    collector = FrameCollector(track)
    try:
        await collector.wait_for(3)

        if how == "removeTrack":
            a.removeTrack(sender)
        else:
            a.getTransceivers()[0].direction = "inactive"
        await negotiate(a, b)
        assert watch.take() == ["mute", "removetrack"]
        assert _muted(track) and stream.getTracks() == []
        assert event.transceiver.currentDirection == "inactive"
        assert event.receiver.track is track and track.readyState == "live"
        assert watch.events.empty()

        # Receiving again: the same receiver track fires `track` again, unmuted, in its stream.
        if how == "removeTrack":
            await sender.replaceTrack(PatternVideoTrack())
        a.getTransceivers()[0].direction = "sendonly"
        await negotiate(a, b)
        again = await asyncio.wait_for(watch.events.get(), TIMEOUT)
        assert again.track is track and again.receiver is event.receiver
        assert again.streams == (stream,) and stream.getTracks() == [track]
        assert watch.take() == ["addtrack", "unmute"]
        assert not _muted(track)
        await collector.more(5)
    finally:
        await collector.close()


async def test_our_answer_that_stops_receiving_removes_the_remote_track(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    """The removal also runs for a local answer whose direction does not receive."""
    a, b = pair
    a.addTrack(PatternVideoTrack(), MediaStream(id="cam"))
    watch = Watch(b)
    await negotiate(a, b)
    event = await watch.first()
    event.transceiver.direction = "inactive"
    await negotiate(a, b)  # a re-offers sendonly; b answers inactive
    assert event.transceiver.currentDirection == "inactive"
    assert watch.take() == ["mute", "removetrack"]
    assert _muted(event.track) and event.streams[0].getTracks() == []
    assert watch.events.empty()


async def test_a_changed_msid_moves_the_track_and_fires_track_again(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    """Still sending, other a=msid streams: the track leaves the old stream and joins
    the new one (``track`` fires for the join, webrtc-pc), without being muted."""
    a, b = pair
    a.addTrack(PatternVideoTrack(), MediaStream(id="cam"))
    watch = Watch(b)
    await negotiate(a, b)
    event = await watch.first()
    offer = await a.createOffer()
    await a.setLocalDescription(offer)
    await b.setRemoteDescription(
        {"type": "offer", "sdp": offer.sdp.replace("msid:cam ", "msid:desk ")}
    )
    assert watch.take() == ["removetrack"]
    again = await asyncio.wait_for(watch.events.get(), TIMEOUT)
    assert again.track is event.track and [s.id for s in again.streams] == ["desk"]
    assert again.streams[0].getTracks() == [event.track] and not _muted(event.track)


async def test_a_remote_answer_that_stops_sending_removes_the_remote_track(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    """The offerer processes the removal from the peer's answer (no longer sending)."""
    a, b = pair
    a.addTransceiver("video", {"direction": "recvonly"})
    b.addTrack(PatternVideoTrack(), MediaStream(id="cam"))
    watch = Watch(a)
    await negotiate(b, a)  # b offers its video; a's recvonly transceiver stays apart
    event = await watch.first()
    stream = event.streams[0]
    assert stream.getTracks() == [event.track]
    transceiver = b.getTransceivers()[0]
    transceiver.direction = "recvonly"
    await negotiate(a, b)  # a re-offers; b's answer no longer sends on the section
    assert transceiver.currentDirection == "inactive"
    assert event.transceiver.currentDirection == "inactive"
    assert watch.take() == ["mute", "removetrack"]
    assert _muted(event.track) and stream.getTracks() == []
