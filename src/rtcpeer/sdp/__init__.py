"""SDP (RFC 8866) codec: parse browser descriptions, keep every line, write them back.

``parse_sdp(text)`` gives a :class:`SessionDescription` or raises
:class:`SdpParseError`; ``description.to_sdp()`` writes CRLF-terminated text.
Typed views (ICE credentials, fingerprints, setup, BUNDLE groups, SCTP port,
raw candidates...) read the preserved lines.
"""

from __future__ import annotations

from rtcpeer.sdp.candidate import CandidateFields, parse_candidate_value
from rtcpeer.sdp.errors import SdpParseError, SdpValueError
from rtcpeer.sdp.grammar import ConnectionData, Fingerprint, Group, Origin
from rtcpeer.sdp.model import (
    DATA_CHANNEL_PROTOS,
    LEGACY_DATA_CHANNEL_PROTO,
    Attribute,
    Field,
    MediaSection,
    SessionDescription,
    TransportAttributes,
    serialize_sdp,
)
from rtcpeer.sdp.parser import parse_sdp

__all__ = [
    "DATA_CHANNEL_PROTOS",
    "LEGACY_DATA_CHANNEL_PROTO",
    "Attribute",
    "CandidateFields",
    "ConnectionData",
    "Field",
    "Fingerprint",
    "Group",
    "MediaSection",
    "Origin",
    "SdpParseError",
    "SdpValueError",
    "SessionDescription",
    "TransportAttributes",
    "parse_candidate_value",
    "parse_sdp",
    "serialize_sdp",
]
