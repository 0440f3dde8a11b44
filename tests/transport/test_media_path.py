"""Audio and video through rtcpeer.transport.media over our DTLS transport.

aiortc's RTP sender encodes a synthetic track (VP8, Opus), SRTP carries it
over the same DTLS session as a data channel, aiortc's receiver routes,
reassembles and decodes it into the remote track. SRTP sessions exist only
once media is in use; RTP that fails authentication, does not parse, or
belongs to no receiver is dropped and counted without ending the session.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiortc.rtp import RtcpReceiverInfo, RtcpRrPacket, RtpPacket
from av import AudioFrame, VideoFrame
from tests.support.aiortc_stack import connected_dtls, open_channel_on
from tests.support.media import (
    OPUS,
    VP8,
    VP8_RTX,
    PatternVideoTrack,
    audio_receive,
    audio_send,
    video_receive,
    video_send,
)
from tests.support.memory_path import Wire
from tests.support.waiting import TIMEOUT

from rtcpeer.configuration import RTCCertificate
from rtcpeer.errors import InvalidStateError
from rtcpeer.transport import (
    AudioStreamTrack,
    MediaReceiver,
    MediaSender,
    RtpCodec,
    RtpDrops,
    RtpReceiveSettings,
    RtpSendSettings,
    create_dtls_transport,
    local_dtls_parameters,
    supported_codecs,
    supported_header_extensions,
)
from rtcpeer.transport.media import receive_parameters, send_parameters


@pytest.fixture(scope="module")
def certificates() -> tuple[RTCCertificate, RTCCertificate]:
    return RTCCertificate.generate("ECDSA"), RTCCertificate.generate("ECDSA")


@pytest.fixture
async def wire() -> AsyncIterator[Wire]:
    made = Wire()
    try:
        yield made
    finally:
        await made.close()


async def test_vp8_and_opus_flow_beside_a_data_channel_on_one_dtls_session(
    wire: Wire, certificates: tuple[RTCCertificate, RTCCertificate]
) -> None:
    wire.dtls = dtls_a, dtls_b = await connected_dtls(
        wire.left, wire.right, certificates, media=True
    )
    channel, incoming = await open_channel_on(dtls_a, dtls_b)
    remote_channel = await asyncio.wait_for(incoming.get(), TIMEOUT)

    video_out = wire.sender(dtls_a, PatternVideoTrack())
    audio_out = wire.sender(dtls_a, AudioStreamTrack())
    # Video's SSRC is not signalled: the receiver learns it from the MID extension.
    video_in, video_frames = wire.receiver(dtls_b, "video")
    audio_in, audio_frames = wire.receiver(dtls_b, "audio")
    await video_in.start(video_receive("1"))
    await audio_in.start(audio_receive("0", ssrc=audio_out.ssrc))
    await video_out.start(video_send("1"))
    await audio_out.start(audio_send("0"))
    assert video_out.sending and audio_out.sending

    await asyncio.gather(video_frames.wait_for(10), audio_frames.wait_for(20))
    video = video_frames.frames[0]
    assert isinstance(video, VideoFrame) and (video.width, video.height) == (160, 120)
    audio = audio_frames.frames[0]
    assert isinstance(audio, AudioFrame) and audio.sample_rate == 48000

    # The data channel on the same DTLS session is untouched by media.
    echoed = asyncio.get_running_loop().create_future()
    remote_channel.on("message", lambda message: echoed.set_result(message))
    channel.send("beside the media")
    assert await asyncio.wait_for(echoed, TIMEOUT) == "beside the media"

    outbound = {entry["type"]: entry for entry in await video_out.stats(transport_id="T01")}
    assert outbound["outbound-rtp"]["ssrc"] == video_out.ssrc
    assert outbound["outbound-rtp"]["kind"] == "video"
    assert outbound["outbound-rtp"]["mid"] == "1"
    assert outbound["outbound-rtp"]["transportId"] == "T01"
    assert outbound["outbound-rtp"]["packetsSent"] > 0
    assert outbound["outbound-rtp"]["framesEncoded"] >= 10
    assert isinstance(outbound["outbound-rtp"]["timestamp"], float)
    assert "transport" not in outbound
    inbound = [e for e in await video_in.stats() if e["type"] == "inbound-rtp"]
    assert [entry["ssrc"] for entry in inbound] == [video_out.ssrc]
    assert inbound[0]["packetsReceived"] > 0 and inbound[0]["framesDecoded"] >= 10
    assert isinstance(inbound[0]["jitter"], float) and inbound[0]["jitter"] < 1.0
    assert video_in.payload_types == {video_out.ssrc: VP8.payload_type}
    audio_inbound = [e for e in await audio_in.stats() if e["type"] == "inbound-rtp"]
    assert audio_inbound[0]["ssrc"] == audio_out.ssrc
    assert audio_inbound[0]["totalSamplesReceived"] > 0
    assert dtls_b.rtp_drops == RtpDrops()
    assert channel.readyState == remote_channel.readyState == "open"


async def test_data_only_sessions_build_no_srtp_until_media_arrives(
    wire: Wire, certificates: tuple[RTCCertificate, RTCCertificate]
) -> None:
    wire.dtls = dtls_a, dtls_b = await connected_dtls(wire.left, wire.right, certificates)
    assert all(d._rx_srtp is None and d._tx_srtp is None for d in wire.dtls)
    # A re-offer adds the first track to the connected session: SRTP starts now.
    sender = wire.sender(dtls_a, PatternVideoTrack())
    receiver, frames = wire.receiver(dtls_b, "video")
    assert all(d._rx_srtp is not None and d._tx_srtp is not None for d in wire.dtls)
    await receiver.start(video_receive("v", ssrc=sender.ssrc, rtx_ssrc=sender.rtx_ssrc))
    await sender.start(video_send("v"))
    await frames.wait_for(5)
    assert receiver.frames_decoded >= 5


async def test_a_sender_started_before_dtls_connects_sends_once_it_does(
    wire: Wire, certificates: tuple[RTCCertificate, RTCCertificate]
) -> None:
    dtls_a = create_dtls_transport(wire.left, certificates[0], dtls_role="client")
    dtls_b = create_dtls_transport(wire.right, certificates[1], dtls_role="server")
    wire.dtls = [dtls_a, dtls_b]
    sender = wire.sender(dtls_a, PatternVideoTrack(), ssrc=1111, rtx_ssrc=2222)
    receiver, frames = wire.receiver(dtls_b, "video", rtcp_ssrc=3333)
    await receiver.start(video_receive())
    await sender.start(video_send())
    assert not sender.sending  # aiortc would stop a sender that sends before DTLS connects
    await asyncio.wait_for(
        asyncio.gather(
            dtls_a.start(local_dtls_parameters(certificates[1])),
            dtls_b.start(local_dtls_parameters(certificates[0])),
        ),
        TIMEOUT,
    )
    await frames.wait_for(5)
    assert sender.sending and (sender.ssrc, sender.rtx_ssrc) == (1111, 2222)
    assert receiver.payload_types == {1111: VP8.payload_type}
    assert dtls_a.listeners("statechange") == []  # the waiting start let go


async def test_a_sender_stopped_while_waiting_for_dtls_never_starts(
    wire: Wire, certificates: tuple[RTCCertificate, RTCCertificate]
) -> None:
    dtls_a = create_dtls_transport(wire.left, certificates[0], dtls_role="client")
    sender = wire.sender(dtls_a, PatternVideoTrack())
    await sender.start(video_send())
    assert len(dtls_a.listeners("statechange")) == 1
    await sender.stop()
    assert dtls_a.listeners("statechange") == [] and not sender.sending


def _malformed_extension_rtp(ssrc: int) -> bytes:
    """RTP whose abs-send-time extension (id 3) has 2 bytes, not 3: aiortc's parser
    raises struct.error for it, not ValueError."""
    header = struct.pack("!BBHLL", 0x90, VP8.payload_type, 7, 1234, ssrc)
    extension = b"\xbe\xde\x00\x01" + bytes([0x31, 0x01, 0x02, 0x00])
    return header + extension + b"\x10\x00payload"


async def test_forged_malformed_and_unclaimed_rtp_is_dropped_counted_and_media_goes_on(
    wire: Wire,
    certificates: tuple[RTCCertificate, RTCCertificate],
    caplog: pytest.LogCaptureFixture,
) -> None:
    wire.dtls = dtls_a, dtls_b = await connected_dtls(
        wire.left, wire.right, certificates, media=True
    )
    sender = wire.sender(dtls_a, PatternVideoTrack())
    receiver, frames = wire.receiver(dtls_b, "video")
    await receiver.start(video_receive(ssrc=sender.ssrc, rtx_ssrc=sender.rtx_ssrc))
    await sender.start(video_send())
    await frames.wait_for(3)

    tx = dtls_a._tx_srtp  # the left side's real SRTP session: authenticated input
    # SRTP and SRTCP that fail authentication (an attacker's, or after a key change).
    wire.left.send(bytes([0x80, VP8.payload_type]) + bytes(range(40)))
    wire.left.send(bytes([0x80, 200]) + bytes(range(40)))
    # Authenticated RTP of an SSRC and payload type no receiver knows.
    wire.left.send(tx.protect(RtpPacket(payload_type=120, ssrc=0xDEAD).serialize()))
    # Authenticated RTP that aiortc cannot parse.
    wire.left.send(tx.protect(_malformed_extension_rtp(0xBEEF)))
    # Authenticated RTCP garbage: a sender report one word long.
    wire.left.send(tx.protect_rtcp(struct.pack("!BBHL", 0x80, 200, 1, sender.ssrc)))
    # A receiver that raises on the next packet of its stream.
    aiortc_receiver: Any = receiver._receiver

    async def broken(packet: RtpPacket, arrival_time_ms: int) -> None:
        del aiortc_receiver._handle_rtp_packet
        raise RuntimeError("receiver bug")

    aiortc_receiver._handle_rtp_packet = broken
    with caplog.at_level(logging.ERROR, logger="rtcpeer.transport.srtp"):
        # Every datagram queued above is handled before those of these frames.
        await frames.more(10)

    assert dtls_b.rtp_drops == RtpDrops(
        srtp_unprotect=2, malformed_rtp=1, unrouted_rtp=1, malformed_rtcp=1, handler_errors=1
    )
    assert "receiver bug" in caplog.text
    # The packet the receiver lost came back: NACK, then retransmission over RTX.
    assert receiver.feedback_sent.nack >= 1 and sender.feedback_received.nack >= 1
    assert dtls_b.state == "connected" and not dtls_b._task.done()
    # Statistics stay on the media stream once RTX has arrived (aiortc's own report
    # keeps only the SSRC seen last, whose count then stands still), RTX folded in.
    (first,) = [e for e in await receiver.stats() if e["type"] == "inbound-rtp"]
    assert first["ssrc"] == sender.ssrc and first["retransmittedPacketsReceived"] >= 1
    await frames.more(5)
    (later,) = [e for e in await receiver.stats() if e["type"] == "inbound-rtp"]
    assert later["ssrc"] == sender.ssrc
    assert later["packetsReceived"] > first["packetsReceived"]


async def test_senders_and_receivers_refuse_a_closed_transport_and_unknown_kinds(
    wire: Wire, certificates: tuple[RTCCertificate, RTCCertificate]
) -> None:
    dtls = create_dtls_transport(wire.left, certificates[0], dtls_role="client")
    with pytest.raises(ValueError, match="kind"):
        MediaSender(dtls, "text")
    with pytest.raises(ValueError, match="kind"):
        MediaReceiver(dtls, "data")
    sender = wire.sender(dtls, "video")
    with pytest.raises(TypeError, match="audio track"):
        sender.replace_track(AudioStreamTrack())
    await sender.stop()
    with pytest.raises(InvalidStateError):
        await sender.start(video_send())
    dtls._set_state(type(dtls._state).CLOSED)
    with pytest.raises(InvalidStateError):
        MediaSender(dtls, "audio")
    with pytest.raises(InvalidStateError):
        MediaReceiver(dtls, "audio")


def test_settings_become_aiortc_parameters_as_its_sender_and_receiver_read_them() -> None:
    red = RtpCodec(payload_type=63, mime_type="audio/red", clock_rate=48000, channels=2)
    rtx_first = RtpSendSettings(codecs=(VP8_RTX, VP8), mid="v", cname="c")
    sending = send_parameters(rtx_first, ssrc=42)
    assert [codec.payloadType for codec in sending.codecs] == [96, 97]  # sent codec first
    assert sending.codecs[1].parameters == {"apt": 96}  # a number, as aiortc compares it
    assert sending.muxId == "v" and sending.rtcp.cname == "c" and sending.rtcp.ssrc == 42
    assert sending.codecs[0].rtcpFeedback[1].parameter == "pli"
    with pytest.raises(ValueError, match="no media codec"):
        send_parameters(RtpSendSettings(codecs=(VP8_RTX,)), ssrc=1)

    receiving = receive_parameters(video_receive("v", ssrc=5, rtx_ssrc=6))
    assert [(e.ssrc, e.payloadType, e.rtx and e.rtx.ssrc) for e in receiving.encodings] == [
        (5, 96, 6)
    ]
    mid_extension = receiving.headerExtensions[0]
    assert (mid_extension.id, mid_extension.uri) == (1, "urn:ietf:params:rtp-hdrext:sdes:mid")
    assert receive_parameters(video_receive("v")).encodings == []  # SSRC to be learned
    opus = receive_parameters(audio_receive(ssrc=9)).codecs[0]
    assert (opus.channels, opus.parameters) == (2, {"minptime": 10, "useinbandfec": 1})
    two = receive_parameters(RtpReceiveSettings(codecs=(OPUS, red), ssrc=9))
    assert [(e.ssrc, e.payloadType, e.rtx) for e in two.encodings] == [
        (9, 111, None),
        (9, 63, None),
    ]


def test_aiortc_capabilities_as_plain_values() -> None:
    video = supported_codecs("video")
    assert [codec.mime_type for codec in video][:2] == ["video/VP8", "video/rtx"]
    assert video[1].is_rtx and video[1].parameters["apt"] == video[0].payload_type
    assert any(fb.parameter == "pli" for fb in video[0].rtcp_feedback)
    audio = supported_codecs("audio")
    assert audio[0].mime_type == "audio/opus" and audio[0].channels == 2
    uris = {ext.uri for ext in supported_header_extensions("video")}
    assert "urn:ietf:params:rtp-hdrext:sdes:mid" in uris
    with pytest.raises(ValueError, match="kind"):
        supported_codecs("data")


async def test_a_receiver_report_becomes_remote_inbound_rtp_of_our_stream(
    wire: Wire, certificates: tuple[RTCCertificate, RTCCertificate]
) -> None:
    dtls = create_dtls_transport(wire.left, certificates[0], dtls_role="client")
    sender = wire.sender(dtls, PatternVideoTrack(), ssrc=4242)
    await sender.start(video_send())  # waits for DTLS; the codec is known
    report = RtcpReceiverInfo(
        ssrc=4242,
        fraction_lost=0,
        packets_lost=3,
        highest_sequence=100,
        jitter=9000,
        lsr=0,
        dlsr=0,
    )
    await sender._sender._handle_rtcp_packet(RtcpRrPacket(ssrc=77, reports=[report]))
    remote = [e for e in await sender.stats() if e["type"] == "remote-inbound-rtp"]
    assert len(remote) == 1
    assert (remote[0]["ssrc"], remote[0]["packetsLost"]) == (4242, 3)
    assert remote[0]["jitter"] == pytest.approx(0.1)  # 9000 ticks of VP8's 90 kHz clock


async def test_an_unread_remote_track_keeps_a_bounded_queue() -> None:
    """A receiver nobody reads (a data-only application answering media recvonly)
    drops its oldest decoded frames instead of keeping them all."""
    from rtcpeer.transport.media import _DecodedFrames

    queue = _DecodedFrames()
    frame = VideoFrame(width=16, height=16, format="yuv420p")
    for _ in range(_DecodedFrames.LIMIT + 5):
        await queue.put(frame)
    await queue.put(None)  # the end of the track is never dropped
    assert queue.qsize() == _DecodedFrames.LIMIT + 1
    assert queue.dropped == 5
    assert queue.frames == _DecodedFrames.LIMIT + 5
