"""STUN (RFC 8489) with the ICE and TURN attributes: a pure codec, ChannelData
framing, demultiplexing, and transactions on a caller-supplied clock."""

from rtcpeer.stun.attributes import Address
from rtcpeer.stun.constants import (
    MAGIC_COOKIE,
    REASONS,
    TRANSPORT_TCP,
    TRANSPORT_UDP,
    Attr,
    ErrorCode,
    MessageClass,
    Method,
)
from rtcpeer.stun.errors import StunDecodeError, StunError, StunValueError
from rtcpeer.stun.framing import (
    PacketKind,
    StreamFramer,
    classify,
    decode_channel_data,
    encode_channel_data,
)
from rtcpeer.stun.message import (
    StunMessage,
    decode_message,
    is_stun,
    long_term_key,
    short_term_key,
)

__all__ = [
    "MAGIC_COOKIE",
    "REASONS",
    "TRANSPORT_TCP",
    "TRANSPORT_UDP",
    "Address",
    "Attr",
    "ErrorCode",
    "MessageClass",
    "Method",
    "PacketKind",
    "StreamFramer",
    "StunDecodeError",
    "StunError",
    "StunMessage",
    "StunValueError",
    "classify",
    "decode_channel_data",
    "decode_message",
    "encode_channel_data",
    "is_stun",
    "long_term_key",
    "short_term_key",
]
