"""JSEP for audio/video in RTCPeerConnection: negotiation-needed, re-offers that add,
remove, re-direct and stop tracks, codec preferences, malformed remote RTP lines,
rollback, and the W3C sender/receiver/transceiver surface."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.support.media import FrameCollector, PatternVideoTrack
from tests.support.peer_connections import TIMEOUT, negotiate, negotiation_needed_settled, opened

from rtcpeer import RTCPeerConnection
from rtcpeer.errors import InvalidAccessError, InvalidModificationError, InvalidStateError
from rtcpeer.jsep import RTCError
from rtcpeer.peerconnection.rtp import RTCRtpSender, RTCTrackEvent
from rtcpeer.transport import AudioStreamTrack


@pytest.fixture
def pair(
    linked_pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> tuple[RTCPeerConnection, RTCPeerConnection]:
    return linked_pair


async def _negotiation_needed(pc: RTCPeerConnection) -> None:
    fired = asyncio.get_running_loop().create_future()
    pc.once("negotiationneeded", lambda: fired.set_result(None))
    await asyncio.wait_for(fired, TIMEOUT)


def _tracks(pc: RTCPeerConnection) -> asyncio.Queue[RTCTrackEvent]:
    queue: asyncio.Queue[RTCTrackEvent] = asyncio.Queue()
    pc.on("track", queue.put_nowait)
    return queue


def _sections(pc: RTCPeerConnection) -> list[str]:
    """(m= line, direction) of the local description's sections, as text."""
    assert pc.localDescription is not None
    out: list[str] = []
    for block in pc.localDescription.sdp.split("m=")[1:]:
        lines = block.splitlines()
        direction = next(
            (x[2:] for x in lines if x[2:] in ("sendrecv", "sendonly", "recvonly", "inactive")),
            "-",
        )
        out.append(" ".join(lines[0].split(" ")[:2]) + " " + direction)
    return out


async def test_add_track_fires_negotiation_needed_and_the_answer_associates_it(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    a, b = pair
    needed = asyncio.ensure_future(_negotiation_needed(a))
    sender = a.addTrack(AudioStreamTrack())
    await needed
    assert isinstance(sender, RTCRtpSender)
    (transceiver,) = a.getTransceivers()
    assert transceiver.mid is None and transceiver.currentDirection is None
    assert sender.transport is None
    await negotiate(a, b)
    assert transceiver.mid == "0"
    assert transceiver.currentDirection == "sendonly"
    assert b.getTransceivers()[0].currentDirection == "recvonly"
    assert sender.transport is not None
    # No data channel, no m=application; one BUNDLE group.
    assert [s.split(" ")[0] for s in _sections(a)] == ["audio"]
    assert a.localDescription is not None and "a=group:BUNDLE 0\r\n" in a.localDescription.sdp


async def test_data_session_then_add_track_in_a_re_offer(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    a, b = pair
    channel = a.createDataChannel("chat")
    await negotiate(a, b)
    await opened(channel)
    ssl = a._transports.dtls._ssl  # type: ignore[union-attr]
    tracks = _tracks(b)
    needed = asyncio.ensure_future(_negotiation_needed(a))
    a.addTrack(PatternVideoTrack())
    await needed
    await negotiate(a, b)
    # The data section keeps mid 0 and its place; video is appended with a fresh mid.
    assert [s.split(" ")[0] for s in _sections(a)] == ["application", "video"]
    assert a.getTransceivers()[0].mid == "1"
    event = await asyncio.wait_for(tracks.get(), TIMEOUT)
    collector = FrameCollector(event.track)
    try:
        await collector.wait_for(3)
    finally:
        await collector.close()
    assert a._transports.dtls._ssl is ssl  # type: ignore[union-attr]
    assert channel.readyState == "open"


async def test_remove_track_re_directs_the_section(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    a, b = pair
    a.addTrack(PatternVideoTrack())
    b.addTrack(PatternVideoTrack())
    await negotiate(a, b)
    (ta,), (tb,) = a.getTransceivers(), b.getTransceivers()
    assert ta.currentDirection == tb.currentDirection == "sendrecv"
    needed = asyncio.ensure_future(_negotiation_needed(a))
    a.removeTrack(ta.sender)
    await needed
    assert ta.sender.track is None and ta.direction == "recvonly"
    await negotiate(a, b)
    assert ta.currentDirection == "recvonly"
    assert tb.currentDirection == "sendonly"
    # Sending again from the same transceiver: a new track, the direction set back.
    await ta.sender.replaceTrack(PatternVideoTrack())
    needed = asyncio.ensure_future(_negotiation_needed(a))
    ta.direction = "sendrecv"
    await needed
    await negotiate(a, b)
    assert ta.currentDirection == tb.currentDirection == "sendrecv"


async def test_direction_setter_fires_only_on_change(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    a, b = pair
    transceiver = a.addTransceiver("audio", {"direction": "recvonly"})
    await negotiate(a, b)
    assert transceiver.currentDirection == "inactive"  # b has nothing to send
    fired: list[None] = []
    a.on("negotiationneeded", lambda: fired.append(None))
    transceiver.direction = "recvonly"
    await negotiation_needed_settled(a)
    assert fired == [] and not a._negotiation_needed
    needed = asyncio.ensure_future(_negotiation_needed(a))
    transceiver.direction = "sendrecv"
    await needed
    with pytest.raises(TypeError):
        transceiver.direction = "sideways"


async def test_stop_rejects_the_section_on_both_sides(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    a, b = pair
    video = a.addTransceiver(PatternVideoTrack())
    a.addTrack(AudioStreamTrack())
    await negotiate(a, b)
    needed = asyncio.ensure_future(_negotiation_needed(a))
    video.stop()
    await needed
    assert video.direction == "stopped"
    await negotiate(a, b)
    assert _sections(a)[0].startswith("video 0")
    assert _sections(b)[0].startswith("video 0")
    assert video.currentDirection == "stopped"
    assert b.getTransceivers()[0].currentDirection == "stopped"
    assert [s.track.kind for s in a.getSenders() if s.track] == ["audio"]
    with pytest.raises(InvalidStateError):
        video.direction = "sendrecv"


async def test_codec_preferences_limit_the_offer(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    a, b = pair
    transceiver = a.addTransceiver("video")
    capabilities = RTCRtpSender.getCapabilities("video")
    assert capabilities is not None
    names = [c.mimeType for c in capabilities.codecs]
    assert "video/VP8" in names and "video/H264" in names and "video/rtx" in names
    assert RTCRtpSender.getCapabilities("text") is None
    vp8 = [c for c in capabilities.codecs if c.mimeType in ("video/VP8", "video/rtx")]
    transceiver.setCodecPreferences(vp8)
    with pytest.raises(InvalidModificationError):
        transceiver.setCodecPreferences([{"mimeType": "video/AV1X", "clockRate": 90000}])
    offer = await a.createOffer()
    assert "H264" not in offer.sdp and "VP8/90000" in offer.sdp
    await a.setLocalDescription(offer)
    await b.setRemoteDescription(offer)
    await b.setLocalDescription()
    assert b.localDescription is not None
    await a.setRemoteDescription(b.localDescription)
    parameters = b.getTransceivers()[0].sender.getParameters()
    assert [c.mimeType for c in parameters.codecs] == ["video/VP8", "video/rtx"]


async def test_malformed_rtp_lines_in_a_remote_offer_are_an_rtc_error(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    a, b = pair
    a.addTrack(AudioStreamTrack())
    offer = await a.createOffer()
    lines = offer.sdp.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("a=rtpmap:"))
    lines[index] = "a=rtpmap:96 opus"  # no clock rate
    bad = {"type": "offer", "sdp": "\r\n".join(lines) + "\r\n"}
    with pytest.raises(RTCError) as caught:
        await b.setRemoteDescription(bad)
    assert caught.value.errorDetail == "sdp-syntax-error"
    assert caught.value.sdpLineNumber == index + 1
    assert b.signalingState == "stable" and b.remoteDescription is None
    assert b.getTransceivers() == []


async def test_a_remote_offer_rolled_back_removes_the_transceivers_it_made(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    a, b = pair
    a.addTrack(AudioStreamTrack())
    mine = b.addTransceiver("video")
    offer = await a.createOffer()
    await b.setRemoteDescription(offer)
    assert [t.kind for t in b.getTransceivers()] == ["video", "audio"]
    await b.setRemoteDescription({"type": "rollback", "sdp": ""})
    assert b.getTransceivers() == [mine]


async def test_sender_parameters_replace_track_and_validation(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    a, b = pair
    track = AudioStreamTrack()
    sender = a.addTrack(track)
    with pytest.raises(InvalidAccessError):
        a.addTrack(track)
    with pytest.raises(TypeError):
        a.addTransceiver("text")
    await negotiate(a, b)
    parameters = sender.getParameters()
    assert parameters.codecs[0].mimeType == "audio/opus"
    assert len(parameters.encodings) == 1 and parameters.encodings[0].active
    parameters.encodings[0].active = False
    await sender.setParameters(parameters)
    with pytest.raises(InvalidStateError):
        await sender.setParameters(parameters)  # used once already
    assert sender.getParameters().encodings[0].active is False
    assert sender._media.active is False
    stale = sender.getParameters()
    sender.getParameters()
    with pytest.raises(InvalidModificationError):
        await sender.setParameters(stale)
    with pytest.raises(TypeError):
        await sender.replaceTrack(PatternVideoTrack())
    fired: list[None] = []
    a.on("negotiationneeded", lambda: fired.append(None))
    other = AudioStreamTrack()
    await sender.replaceTrack(other)
    assert sender.track is other
    await negotiation_needed_settled(a)
    assert fired == [] and not a._negotiation_needed


async def test_stats_entries_and_selectors(
    pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> None:
    a, b = pair
    video = PatternVideoTrack()
    sender = a.addTrack(video)
    a.addTrack(AudioStreamTrack())
    tracks = _tracks(b)
    await negotiate(a, b)
    events = [await asyncio.wait_for(tracks.get(), TIMEOUT) for _ in range(2)]
    collectors = [FrameCollector(e.track) for e in events]
    try:
        for collector in collectors:
            await collector.wait_for(5)
    finally:
        for collector in collectors:
            await collector.close()

    report: Any = await a.getStats()
    outbound = report.of_type("outbound-rtp")
    assert {e["kind"] for e in outbound} == {"audio", "video"}
    for entry in outbound:
        assert entry["transportId"] in report
        assert report[entry["codecId"]]["type"] == "codec"
        assert report[entry["mediaSourceId"]]["type"] == "media-source"
        assert entry["packetsSent"] > 0
    (video_out,) = [e for e in outbound if e["kind"] == "video"]
    assert video_out["framesEncoded"] > 0
    assert report[video_out["mediaSourceId"]]["trackIdentifier"] == video.id

    selected: Any = await sender.getStats()
    assert [e["kind"] for e in selected.of_type("outbound-rtp")] == ["video"]
    assert selected.of_type("inbound-rtp") == []
    assert len(selected.of_type("transport")) == 1
    assert len(selected.of_type("codec")) == 1
    by_track: Any = await a.getStats(video)
    assert by_track.keys() == selected.keys()

    receiver = events[0].receiver
    inbound: Any = await b.getStats(receiver)
    (entry,) = inbound.of_type("inbound-rtp")
    assert entry["kind"] == events[0].track.kind
    assert entry["packetsReceived"] > 0
    assert inbound[entry["codecId"]]["mimeType"].lower().startswith(entry["kind"])
    assert inbound.of_type("outbound-rtp") == []
    with pytest.raises(InvalidAccessError):
        await a.getStats(AudioStreamTrack())
    with pytest.raises(TypeError):
        await a.getStats("video")
