"""A renegotiation that changes the send codec switches the running sender: the next
frame goes out in the new codec on the same SSRC, over the same DTLS session (no
new handshake), and the receiver decodes it."""

from __future__ import annotations

import asyncio

import pytest
from tests.support.media import FrameCollector, PatternVideoTrack
from tests.support.peer_connections import TIMEOUT, negotiate, poll

from rtcpeer import RTCPeerConnection
from rtcpeer.peerconnection.rtp import RTCRtpReceiver, RTCTrackEvent
from rtcpeer.transport import AudioStreamTrack


@pytest.fixture
def pair(
    linked_pair: tuple[RTCPeerConnection, RTCPeerConnection],
) -> tuple[RTCPeerConnection, RTCPeerConnection]:
    return linked_pair


def _received_payload_type(receiver: RTCRtpReceiver) -> int | None:
    types = dict(receiver._media.payload_types)
    assert len(types) <= 1, types  # one SSRC all along
    return next(iter(types.values()), None)


@pytest.mark.parametrize(
    ("kind", "first", "then"),
    [("audio", "audio/opus", "audio/PCMA"), ("video", "video/VP8", "video/H264")],
)
async def test_a_renegotiated_codec_switches_the_running_sender(
    pair: tuple[RTCPeerConnection, RTCPeerConnection], kind: str, first: str, then: str
) -> None:
    a, b = pair
    transceiver = a.addTransceiver(
        AudioStreamTrack() if kind == "audio" else PatternVideoTrack(), {"direction": "sendonly"}
    )
    events: asyncio.Queue[RTCTrackEvent] = asyncio.Queue()
    b.on("track", events.put_nowait)
    await negotiate(a, b)
    event = await asyncio.wait_for(events.get(), TIMEOUT)
    sent = transceiver.sender.getParameters().codecs
    assert sent[0].mimeType == first
    by_mime: dict[str, int] = {}
    for codec in sent:  # the first of each (H264 comes in two profiles)
        by_mime.setdefault(codec.mimeType, codec.payloadType)
    assert then in by_mime  # negotiated all along, not the one sent
    collector = FrameCollector(event.track)
    try:
        await collector.wait_for(5)
        await poll(lambda: _received_payload_type(event.receiver) == by_mime[first])
        assert a._transports is not None
        ssl = a._transports.dtls._ssl
        ssrc = transceiver.sender._media.ssrc

        capabilities = transceiver.sender.getCapabilities(kind)
        assert capabilities is not None
        preferred = [c for c in capabilities.codecs if c.mimeType == then]
        transceiver.setCodecPreferences(
            preferred + [c for c in capabilities.codecs if c.mimeType != then]
        )
        await negotiate(a, b)
        assert transceiver.sender.getParameters().codecs[0].mimeType == then
        # The receiver decodes the new codec's payload type, same SSRC, same DTLS session.
        await poll(lambda: _received_payload_type(event.receiver) == by_mime[then])
        count = len(collector.frames)
        await collector.more(5)
        if kind == "audio":  # aiortc decodes PCMA to 8 kHz frames, Opus to 48 kHz
            assert collector.frames[count - 1].sample_rate in (8000, 48000)
            assert collector.frames[-1].sample_rate == 8000
        assert transceiver.sender._media.ssrc == ssrc
        assert list(event.receiver._media.payload_types) == [ssrc]
        assert a._transports.dtls._ssl is ssl
        report = await a.getStats()
        (outbound,) = report.of_type("outbound-rtp")
        assert outbound["ssrc"] == ssrc
        assert report[outbound["codecId"]]["mimeType"] == then
    finally:
        await collector.close()
