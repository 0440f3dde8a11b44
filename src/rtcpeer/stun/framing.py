"""ChannelData frames (RFC 8656 §12.4), stream framing over TCP/TLS, and the
RFC 7983 first-byte demultiplexer for STUN, ChannelData, DTLS and RTP."""

from __future__ import annotations

import struct
from enum import Enum

from rtcpeer.stun.constants import HEADER_LENGTH
from rtcpeer.stun.errors import StunDecodeError, StunValueError

CHANNEL_MIN = 0x4000
CHANNEL_MAX = 0x4FFF


class PacketKind(Enum):
    """What the first byte says a datagram is (RFC 7983 §7)."""

    STUN = "stun"
    ZRTP = "zrtp"
    DTLS = "dtls"
    CHANNEL_DATA = "channel-data"
    RTP = "rtp"
    UNKNOWN = "unknown"


def classify(data: bytes) -> PacketKind:
    """Demultiplex by the first byte: 0-3 STUN, 16-19 ZRTP, 20-63 DTLS,
    64-79 TURN ChannelData, 128-191 RTP/RTCP."""
    if not data:
        return PacketKind.UNKNOWN
    first = data[0]
    if first <= 3:
        return PacketKind.STUN
    if 16 <= first <= 19:
        return PacketKind.ZRTP
    if 20 <= first <= 63:
        return PacketKind.DTLS
    if 64 <= first <= 79:
        return PacketKind.CHANNEL_DATA
    if 128 <= first <= 191:
        return PacketKind.RTP
    return PacketKind.UNKNOWN


def encode_channel_data(channel: int, data: bytes, *, pad: bool = False) -> bytes:
    """A ChannelData frame; ``pad`` to 4 bytes as required over TCP/TLS."""
    if not CHANNEL_MIN <= channel <= CHANNEL_MAX:
        raise StunValueError(f"channel number {channel:#x} outside 0x4000-0x4FFF")
    frame = struct.pack("!HH", channel, len(data)) + data
    if pad:
        frame += bytes((4 - len(data) % 4) % 4)
    return frame


def decode_channel_data(frame: bytes) -> tuple[int, bytes]:
    """Parse a ChannelData datagram (padding after the data is allowed)."""
    if len(frame) < 4:
        raise StunDecodeError("ChannelData shorter than its header")
    channel, length = struct.unpack("!HH", frame[:4])
    if not CHANNEL_MIN <= channel <= CHANNEL_MAX:
        raise StunDecodeError(f"channel number {channel:#x} outside 0x4000-0x4FFF")
    if len(frame) < 4 + length or len(frame) > 4 + length + 3:
        raise StunDecodeError("ChannelData length does not match the frame")
    return channel, bytes(frame[4 : 4 + length])


def frame_length(buffer: bytes | bytearray) -> int | None:
    """Bytes taken by the STUN message or ChannelData frame starting the stream
    buffer (RFC 8656 §12.5), or None until the header has arrived."""
    if len(buffer) < 4:
        return None
    first = buffer[0]
    length: int = struct.unpack("!H", buffer[2:4])[0]
    if first <= 3:
        return HEADER_LENGTH + length
    if 64 <= first <= 79:
        return 4 + length + (4 - length % 4) % 4
    raise StunDecodeError(f"stream byte {first:#x} starts neither STUN nor ChannelData")


class StreamFramer:
    """Cuts a TCP/TLS byte stream into whole STUN messages and ChannelData frames."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes of a frame begun but not complete (at most one frame's worth
        after :meth:`feed`: 4 + 65,535 + 3 bytes)."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return every frame now complete (ChannelData
        frames are returned without their stream padding)."""
        self._buffer += data
        frames: list[bytes] = []
        while True:
            size = frame_length(self._buffer)
            if size is None or len(self._buffer) < size:
                return frames
            frame = bytes(self._buffer[:size])
            del self._buffer[:size]
            if frame[0] >= 64:
                frame = frame[: 4 + struct.unpack("!H", frame[2:4])[0]]
            frames.append(frame)


_COOKIE = b"\x21\x12\xa4\x42"


def carries_stun(data: bytes) -> bool:
    """A STUN message, or TURN ChannelData whose payload is one (cheap: first
    byte and magic cookie only). False means application data: it cannot
    start or answer a transaction, so the per-packet paths skip that work."""
    if len(data) >= 20 and data[0] < 2:
        return data[4:8] == _COOKIE
    if len(data) >= 24 and 0x40 <= data[0] <= 0x4F and data[4] < 2:
        return data[8:12] == _COOKIE
    return False
