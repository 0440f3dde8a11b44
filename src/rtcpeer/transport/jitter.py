"""The video jitter buffer: aiortc's, releasing a frame as soon as it is complete.

aiortc's ``JitterBuffer`` hands a video frame to the decoder only when a
packet of the *next* frame arrives (a change of RTP timestamp ends the
frame), so every frame waits one frame interval (33 ms at 30 fps) after its
last packet came in. :class:`CompleteFrameJitterBuffer` also releases a
frame the moment it is known complete: its first packet starts a frame
(read from the codec's payload descriptor), every packet from there to the
one with the RTP marker bit (the frame's last) is in, with no gap in
sequence numbers. Anything else -- a frame whose start is unknown, a gap
waiting for a retransmission -- follows aiortc's rule unchanged.

It also tells key frames apart from the payload (libvpx through FFmpeg
flags no decoded frame as a key frame): VP8's inverse key frame bit, an
H.264 IDR NAL unit, alone or inside a STAP-A or FU-A packet.

The frame-level functions are pure: bytes in, answers out.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping

from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket

#: H.264 NAL unit types (RFC 6184): IDR slice, STAP-A, FU-A.
_H264_IDR, _H264_STAP_A, _H264_FU_A = 5, 24, 28


def starts_frame(codec: str, payload: bytes) -> bool:
    """True when an RTP ``payload`` of ``codec`` ("vp8", "h264") is the first of a frame.

    VP8 (RFC 7741): the S bit set and partition index 0. H.264 (RFC 6184):
    a single NAL unit or a STAP-A packet, or an FU-A fragment with its start
    bit. False for other codecs and for anything too short to tell.
    """
    if not payload:
        return False
    if codec == "vp8":
        return bool(payload[0] & 0x10) and payload[0] & 0x07 == 0
    if codec == "h264":
        nal_type = payload[0] & 0x1F
        if nal_type == _H264_FU_A:
            return len(payload) > 1 and bool(payload[1] & 0x80)
        return 1 <= nal_type <= _H264_STAP_A
    return False


def vp8_key_frame(payload: bytes) -> bool:
    """True when the first RTP payload of a VP8 frame carries a key frame.

    Skips the payload descriptor (RFC 7741 section 4.2: X, then I/L/T/K
    with a 7- or 15-bit picture id) and reads the P bit of the VP8 payload
    header, which is 0 for a key frame.
    """
    if not payload:
        return False
    offset = 1
    if payload[0] & 0x80:  # X: an extension octet follows
        if len(payload) < 2:
            return False
        extension = payload[1]
        offset = 2
        if extension & 0x80:  # I: picture id, M bit for 15 bits
            if len(payload) <= offset:
                return False
            offset += 2 if payload[offset] & 0x80 else 1
        if extension & 0x40:  # L: TL0PICIDX
            offset += 1
        if extension & 0x30:  # T or K: one octet for both
            offset += 1
    return len(payload) > offset and not payload[offset] & 0x01


def h264_nal_types(payload: bytes) -> list[int]:
    """The NAL unit types an H.264 RTP payload carries (those inside a STAP-A;
    the fragmented unit's own for an FU-A)."""
    if not payload:
        return []
    nal_type = payload[0] & 0x1F
    if nal_type == _H264_FU_A:
        return [payload[1] & 0x1F] if len(payload) > 1 else []
    if nal_type != _H264_STAP_A:
        return [nal_type]
    types = []
    offset = 1
    while offset + 2 < len(payload):
        size = int.from_bytes(payload[offset : offset + 2], "big")
        types.append(payload[offset + 2] & 0x1F)
        offset += 2 + size
    return types


def key_frame(codec: str, payloads: list[bytes]) -> bool:
    """True when a frame of ``codec`` made of these RTP ``payloads`` (in order) is a key frame."""
    if codec == "vp8":
        return bool(payloads) and starts_frame(codec, payloads[0]) and vp8_key_frame(payloads[0])
    if codec == "h264":
        return any(_H264_IDR in h264_nal_types(payload) for payload in payloads)
    return False


class KeyedJitterFrame(JitterFrame):
    """aiortc's reassembled frame, marked as a key frame or not."""

    def __init__(self, data: bytes, timestamp: int, *, key: bool) -> None:
        super().__init__(data=data, timestamp=timestamp)
        self.key = key


class CompleteFrameJitterBuffer(JitterBuffer):
    """aiortc's video jitter buffer, releasing each frame once its last packet is in.

    ``codecs`` maps the media payload types to codec names ("vp8", "h264");
    packets of other payload types follow aiortc's rule only. Frames come out
    as :class:`KeyedJitterFrame`.
    """

    #: aiortc's capacity for video (packets; a power of 2).
    CAPACITY = 512

    def __init__(self, codecs: Mapping[int, str] | None = None) -> None:
        super().__init__(capacity=self.CAPACITY, is_video=True)
        self.codecs: dict[int, str] = dict(codecs or {})
        #: Frames released by their marker bit, before the next frame began.
        self.released_complete = 0

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        """The frame at the head of the buffer, if it is complete (replaces
        aiortc's scan, which waits for the next frame's first packet)."""
        origin = self._origin
        if origin is None:
            return None
        packets: list[RtpPacket] = []
        for count in range(self._capacity):
            packet = self._packets[(origin + count) % self._capacity]
            if packet is None:
                return None  # a gap (or nothing more yet): wait
            if packets and packet.timestamp != packets[0].timestamp:
                return self._release(packets, count)  # the next frame began (aiortc's rule)
            packets.append(packet)
            if packet.marker and self._starts_frame(packets[0]):
                self.released_complete += 1
                return self._release(packets, count + 1)
        return None

    def _starts_frame(self, packet: RtpPacket) -> bool:
        codec = self.codecs.get(packet.payload_type)
        return codec is not None and starts_frame(codec, packet.payload)

    def _release(self, packets: list[RtpPacket], count: int) -> KeyedJitterFrame:
        self.remove(count)
        codec = self.codecs.get(packets[0].payload_type, "")
        return KeyedJitterFrame(
            data=b"".join(packet._data for packet in packets),  # type: ignore[attr-defined]
            timestamp=packets[0].timestamp,
            key=key_frame(codec, [packet.payload for packet in packets]),
        )


class KeyFrameCounter:
    """Counts decoded key frames: the decoder's output matched, by timestamp,
    to the key frames handed to it (frames are decoded in order; a key frame
    that failed to decode is passed over and not counted)."""

    def __init__(self) -> None:
        self.decoded = 0
        self._pending: collections.deque[int] = collections.deque()

    def submitted(self, frame: JitterFrame) -> None:
        """``frame`` (its timestamp as the decoder will stamp its output) goes to the decoder."""
        if getattr(frame, "key", False):
            self._pending.append(frame.timestamp)

    def decoded_frame(self, pts: int | None) -> None:
        """The decoder produced a frame stamped ``pts``."""
        if pts is None:
            return
        while self._pending and self._pending[0] < pts:
            self._pending.popleft()  # never decoded
        if self._pending and self._pending[0] == pts:
            self._pending.popleft()
            self.decoded += 1


__all__ = [
    "CompleteFrameJitterBuffer",
    "KeyFrameCounter",
    "KeyedJitterFrame",
    "h264_nal_types",
    "key_frame",
    "starts_frame",
    "vp8_key_frame",
]
