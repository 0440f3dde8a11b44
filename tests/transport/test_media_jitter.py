"""The video jitter buffer releases a frame once it is complete, and knows key frames.

Unit tests drive :class:`CompleteFrameJitterBuffer` with hand-made packets
(in order, reordered, lost and retransmitted, starting mid-frame); the end
to end tests send real VP8 over our DTLS/SRTP transport: a lone frame is
decoded without a next one behind it, a lost packet is NACKed and the
frames behind it wait for its retransmission, and ``keyFramesDecoded``
counts key frames.
"""

from __future__ import annotations

import asyncio
import fractions
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiortc.codecs import get_encoder
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket
from av import VideoFrame
from tests.support.aiortc_stack import connected_dtls
from tests.support.media import VP8, PatternVideoTrack, video_receive, video_send
from tests.support.memory_path import Wire
from tests.support.waiting import TIMEOUT

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import MediaSender, VideoStreamTrack
from rtcpeer.transport.jitter import (
    CompleteFrameJitterBuffer,
    KeyedJitterFrame,
    KeyFrameCounter,
    h264_nal_types,
    key_frame,
    starts_frame,
    vp8_key_frame,
)

PT = 96


def vp8(seq: int, timestamp: int, *, start: bool, marker: bool, key: bool = False) -> RtpPacket:
    """A VP8 packet: a one-octet descriptor (S bit when ``start``), then a
    payload header whose P bit is clear for a key frame."""
    descriptor = 0x10 if start else 0x00
    body = bytes([0x00 if key else 0x01, seq & 0xFF])
    packet = RtpPacket(
        payload_type=PT, marker=int(marker), sequence_number=seq, timestamp=timestamp
    )
    packet.payload = bytes([descriptor]) + body
    packet._data = body  # type: ignore[attr-defined]  # what aiortc's depayloader sets
    return packet


def buffer() -> CompleteFrameJitterBuffer:
    return CompleteFrameJitterBuffer({PT: "vp8"})


def test_a_one_packet_frame_is_released_by_its_own_packet() -> None:
    ours = buffer()
    _, frame = ours.add(vp8(0, 3000, start=True, marker=True, key=True))
    assert isinstance(frame, KeyedJitterFrame)
    assert frame.timestamp == 3000 and frame.data == bytes([0x00, 0]) and frame.key
    assert ours.released_complete == 1
    # aiortc's buffer holds the same frame until the next frame's first packet.
    theirs = JitterBuffer(capacity=512, is_video=True)
    assert theirs.add(vp8(0, 3000, start=True, marker=True)) == (False, None)
    _, late = theirs.add(vp8(1, 6000, start=True, marker=True))
    assert late is not None and late.timestamp == 3000


def test_a_frame_comes_out_when_its_last_missing_packet_arrives_in_any_order() -> None:
    ours = buffer()
    first, middle, last = (
        vp8(10, 90, start=True, marker=False),
        vp8(11, 90, start=False, marker=False),
        vp8(12, 90, start=False, marker=True),
    )
    assert ours.add(first) == (False, None)
    assert ours.add(last) == (False, None)  # marker in, but 11 is missing
    _, frame = ours.add(middle)
    assert frame is not None and frame.data == bytes([1, 10, 1, 11, 1, 12])
    # The next frame, delivered last packet first, comes out complete too.
    assert ours.add(vp8(14, 180, start=False, marker=True)) == (False, None)
    _, frame = ours.add(vp8(13, 180, start=True, marker=False))
    assert frame is not None and frame.timestamp == 180 and frame.data == bytes([1, 13, 1, 14])


def test_a_lost_packet_holds_its_frame_and_the_ones_behind_until_retransmitted() -> None:
    ours = buffer()
    assert ours.add(vp8(20, 100, start=True, marker=False))[1] is None
    # 21 (the end of frame 100) is lost; frame 200 arrives whole behind the gap.
    assert ours.add(vp8(22, 200, start=True, marker=True))[1] is None
    assert ours.add(vp8(23, 300, start=True, marker=True))[1] is None
    # The retransmission (after a NACK) completes frame 100 ...
    _, frame = ours.add(vp8(21, 100, start=False, marker=True))
    assert frame is not None and frame.timestamp == 100
    # ... and the frames behind it follow, one per arriving packet, in order.
    _, frame = ours.add(vp8(24, 400, start=True, marker=True))
    assert frame is not None and frame.timestamp == 200
    # A late duplicate of a released packet is dropped, not released again.
    assert ours.add(vp8(21, 100, start=False, marker=True))[1] is None


def test_a_frame_whose_start_was_never_seen_waits_for_the_next_frame_as_in_aiortc() -> None:
    ours = buffer()
    # The stream is joined mid-frame: 30 is not a frame's first packet.
    assert ours.add(vp8(30, 500, start=False, marker=True))[1] is None
    _, frame = ours.add(vp8(31, 600, start=True, marker=True))
    assert isinstance(frame, KeyedJitterFrame) and frame.timestamp == 500 and not frame.key
    # From there on, frames start where the last one ended.
    _, frame = ours.add(vp8(32, 700, start=True, marker=True))
    assert frame is not None and frame.timestamp == 600


def test_packets_of_unknown_payload_types_follow_aiortcs_rule() -> None:
    ours = CompleteFrameJitterBuffer()  # no codec known
    assert ours.add(vp8(0, 10, start=True, marker=True))[1] is None
    _, frame = ours.add(vp8(1, 20, start=True, marker=True))
    assert frame is not None and frame.timestamp == 10


def test_vp8_frame_starts_and_key_frames_read_through_every_descriptor_form() -> None:
    assert starts_frame("vp8", bytes([0x10, 0x00]))
    assert not starts_frame("vp8", bytes([0x00, 0x00]))  # no S bit
    assert not starts_frame("vp8", bytes([0x11, 0x00]))  # partition 1
    assert not starts_frame("vp8", b"") and not starts_frame("opus", bytes([0x10]))
    # X with a 15-bit picture id (M bit), TL0PICIDX and TID/KEYIDX: 5 octets.
    extended = bytes([0x90, 0xF0, 0x80 | 0x12, 0x34, 0x07, 0x40])
    assert vp8_key_frame(extended + bytes([0x00])) and not vp8_key_frame(extended + bytes([0x01]))
    # X with a 7-bit picture id only.
    assert vp8_key_frame(bytes([0x90, 0x80, 0x12, 0x50])) is True
    assert vp8_key_frame(bytes([0x90, 0x80, 0x12, 0x51])) is False
    assert not vp8_key_frame(bytes([0x90, 0x80]))  # cut short
    # A key frame is read from the frame's first packet only.
    assert key_frame("vp8", [bytes([0x10, 0x00]), bytes([0x00, 0x01])])
    assert not key_frame("vp8", [bytes([0x00, 0x00])])


def test_h264_idr_units_are_found_alone_aggregated_and_fragmented() -> None:
    sps, pps, idr, slice_ = 0x67, 0x68, 0x65, 0x41
    stap_a = bytes([0x78]) + b"".join(
        len(unit).to_bytes(2, "big") + unit for unit in (bytes([sps, 1]), bytes([pps, 2]))
    )
    assert h264_nal_types(stap_a) == [7, 8]
    fu_a_start = bytes([0x7C, 0x80 | 5, 0xAA])
    fu_a_end = bytes([0x7C, 0x40 | 5, 0xBB])
    assert starts_frame("h264", stap_a) and starts_frame("h264", fu_a_start)
    assert not starts_frame("h264", fu_a_end)
    assert key_frame("h264", [stap_a, fu_a_start, fu_a_end])
    assert key_frame("h264", [bytes([idr, 0])])
    assert not key_frame("h264", [bytes([slice_, 0]), stap_a])
    aggregated_idr = bytes([0x78, 0, 2, idr, 0])
    assert key_frame("h264", [aggregated_idr])
    assert not key_frame("opus", [bytes([idr])])


def test_key_frames_are_counted_when_decoded_and_skipped_when_decoding_failed() -> None:
    counter = KeyFrameCounter()
    for timestamp, key in ((0, True), (3000, False), (6000, True), (9000, True)):
        counter.submitted(KeyedJitterFrame(b"", timestamp, key=key))
    counter.decoded_frame(0)
    counter.decoded_frame(3000)
    counter.decoded_frame(9000)  # 6000 failed to decode
    counter.decoded_frame(None)
    assert counter.decoded == 2


# -- end to end, over our DTLS/SRTP transport ------------------------------------------


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


class OneFrameTrack(VideoStreamTrack):
    """Sends one frame, then nothing: no next frame ever pushes it out."""

    def __init__(self) -> None:
        super().__init__()
        self._sent = False
        self._never = asyncio.Event()

    async def recv(self) -> VideoFrame:
        if self._sent:
            await self._never.wait()
        self._sent = True
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=160, height=120, format="yuv420p")
        for plane in frame.planes:
            plane.update(bytes([128]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, time_base
        return frame


async def test_a_lone_frame_is_decoded_without_a_next_frame_behind_it(
    wire: Wire, certificates: tuple[RTCCertificate, RTCCertificate]
) -> None:
    wire.dtls = dtls_a, dtls_b = await connected_dtls(
        wire.left, wire.right, certificates, media=True
    )
    sender = wire.sender(dtls_a, OneFrameTrack())
    receiver, frames = wire.receiver(dtls_b, "video")
    await receiver.start(video_receive(ssrc=sender.ssrc, rtx_ssrc=sender.rtx_ssrc))
    await sender.start(video_send())
    await frames.wait_for(1)
    assert receiver.frames_decoded == 1 and receiver.key_frames_decoded == 1
    (inbound,) = [e for e in await receiver.stats() if e["type"] == "inbound-rtp"]
    assert inbound["framesDecoded"] == inbound["keyFramesDecoded"] == 1


def _noisy_frames(count: int) -> list[VideoFrame]:
    """640x480 frames of noise: the VP8 key frame spans many packets."""
    rng = random.Random(7)
    frames = []
    for index in range(count):
        frame = VideoFrame(width=640, height=480, format="yuv420p")
        for plane in frame.planes:
            plane.update(rng.randbytes(plane.buffer_size))
        frame.pts, frame.time_base = index * 3000, fractions.Fraction(1, 90000)
        frames.append(frame)
    return frames


async def test_a_lost_packet_is_nacked_and_its_frame_decoded_once_retransmitted(
    wire: Wire, certificates: tuple[RTCCertificate, RTCCertificate]
) -> None:
    wire.dtls = dtls_a, dtls_b = await connected_dtls(
        wire.left, wire.right, certificates, media=True
    )
    ssrc = 0x1234
    receiver, frames = wire.receiver(dtls_b, "video")
    await receiver.start(video_receive(ssrc=ssrc))
    encoder: Any = get_encoder(
        RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=PT)
    )
    packets: list[RtpPacket] = []
    for frame in _noisy_frames(4):
        payloads, timestamp = encoder.encode(frame)
        for index, payload in enumerate(payloads):
            packet = RtpPacket(
                payload_type=VP8.payload_type,
                sequence_number=len(packets),
                timestamp=timestamp,
                ssrc=ssrc,
                marker=int(index == len(payloads) - 1),
            )
            packet.payload = payload
            packets.append(packet)
    timestamps = sorted({p.timestamp for p in packets})
    fourth = [p for p in packets if p.timestamp == timestamps[3]]
    assert sum(1 for p in packets if p.timestamp == timestamps[0]) > 2 and len(fourth) > 2
    lost = packets[1]  # inside the key frame
    tx = dtls_a._tx_srtp
    for packet in packets:
        if packet is not lost and packet not in fourth:
            wire.left.send(tx.protect(packet.serialize()))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while receiver.feedback_sent.nack == 0:  # NACK goes out as the gap is seen
        assert loop.time() < deadline, "no NACK for the lost packet"
        await asyncio.sleep(0.005)  # nothing to wait on: feedback has no event
    assert receiver.frames_decoded == 0  # everything waits behind the gap
    wire.left.send(tx.protect(lost.serialize()))  # the retransmission
    await frames.wait_for(1)  # the key frame, complete now
    assert receiver.key_frames_decoded == 1
    # As in aiortc, one frame leaves per arriving packet: frames 2 and 3,
    # already whole, follow with the next frame's packets.
    for packet in fourth:
        wire.left.send(tx.protect(packet.serialize()))
    await frames.wait_for(4)
    (inbound,) = [e for e in await receiver.stats() if e["type"] == "inbound-rtp"]
    assert inbound["framesDecoded"] == 4 and inbound["keyFramesDecoded"] == 1


async def test_key_frames_decoded_counts_only_key_frames_of_a_running_stream(
    wire: Wire, certificates: tuple[RTCCertificate, RTCCertificate]
) -> None:
    wire.dtls = dtls_a, dtls_b = await connected_dtls(
        wire.left, wire.right, certificates, media=True
    )
    sender: MediaSender = wire.sender(dtls_a, PatternVideoTrack())
    receiver, frames = wire.receiver(dtls_b, "video")
    await receiver.start(video_receive(ssrc=sender.ssrc, rtx_ssrc=sender.rtx_ssrc))
    await sender.start(video_send())
    await frames.wait_for(10)
    (inbound,) = [e for e in await receiver.stats() if e["type"] == "inbound-rtp"]
    assert inbound["keyFramesDecoded"] == 1 and inbound["framesDecoded"] >= 10
