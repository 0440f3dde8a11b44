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
from rtcpeer.sdp.media import (
    Extmap,
    Fmtp,
    Msid,
    Rid,
    RtcpFb,
    RtpAttributes,
    Rtpmap,
    SdpAttributeError,
    Simulcast,
    SsrcAttribute,
    SsrcGroup,
    check_rtp_sections,
    parse_media_sdp,
    read_rtp_attributes,
)
from rtcpeer.sdp.model import (
    DATA_CHANNEL_PROTOS,
    LEGACY_DATA_CHANNEL_PROTO,
    Attribute,
    Field,
    MediaSection,
    SessionDescription,
    TransportAttributes,
    serialize_sdp,
    shared_attribute,
    shared_field,
    shared_fields,
)
from rtcpeer.sdp.parser import parse_sdp

__all__ = [
    "DATA_CHANNEL_PROTOS",
    "LEGACY_DATA_CHANNEL_PROTO",
    "Attribute",
    "CandidateFields",
    "ConnectionData",
    "Extmap",
    "Field",
    "Fingerprint",
    "Fmtp",
    "Group",
    "MediaSection",
    "Msid",
    "Origin",
    "Rid",
    "RtcpFb",
    "RtpAttributes",
    "Rtpmap",
    "SdpAttributeError",
    "SdpParseError",
    "SdpValueError",
    "SessionDescription",
    "Simulcast",
    "SsrcAttribute",
    "SsrcGroup",
    "TransportAttributes",
    "check_rtp_sections",
    "parse_candidate_value",
    "parse_media_sdp",
    "parse_sdp",
    "read_rtp_attributes",
    "serialize_sdp",
    "shared_attribute",
    "shared_field",
    "shared_fields",
]
