"""Malformed SDP raises SdpParseError (a ValueError) with the right line number."""

from __future__ import annotations

import pytest
from tests.support.sdp import GOOD

from rtcpeer.sdp import SdpParseError, parse_sdp


def sdp_with(line_number: int, replacement: str | None) -> str:
    """GOOD with 1-based line ``line_number`` replaced (or removed when None)."""
    lines = list(GOOD)
    if replacement is None:
        del lines[line_number - 1]
    else:
        lines[line_number - 1] = replacement
    return "\r\n".join(lines) + "\r\n"


def test_the_base_sdp_is_valid() -> None:
    assert parse_sdp(sdp_with(1, "v=0")).media[0].mid == "0"


CASES = [
    (1, "v=1", "version"),
    (1, "x=0", "expected the v= line"),
    (2, "o=- 1 IN IP4 0.0.0.0", "6 fields"),
    (2, "o=- x 1 IN IP4 0.0.0.0", "session id"),
    (2, "o=- 1 99999999999999999999999 IN IP4 0.0.0.0", "session version has more than 20"),
    (3, "t=0 0", "expected the s= line"),
    (4, "t=0", "t="),
    (4, "t=now 0", "t="),
    (5, "a=group:", "group is empty"),
    (5, "a=", "attribute name"),
    (5, "a=:x", "attribute name"),
    (5, "a=bad name:x", "attribute name"),
    (5, "A=group:BUNDLE 0", "<letter>="),
    (5, "a group", "<letter>="),
    (5, "v=0", "a second v="),
    (6, "m=application 9 UDP/DTLS/SCTP", "at least one format"),
    (6, "m=application 70000 UDP/DTLS/SCTP webrtc-datachannel", "65535"),
    (6, "m=application nine UDP/DTLS/SCTP webrtc-datachannel", "port"),
    (6, "m=application 9/x UDP/DTLS/SCTP webrtc-datachannel", "port count"),
    (6, "m=application 9 UDP//SCTP webrtc-datachannel", "protocol"),
    (7, "c=IN IP4", "c="),
    (7, "t=0 0", "not allowed in a media section"),
    (7, "o=- 1 1 IN IP4 0.0.0.0", "not allowed in a media section"),
    (8, "a=ice-ufrag", "needs a value"),
    (8, "a=ice-ufrag:two words", "single word"),
    (9, "a=ice-pwd:", "single word"),
    (10, "a=fingerprint:sha-256", "hash function and a value"),
    (10, "a=fingerprint:sha-256 ZZ:CD", "hex"),
    (10, "a=fingerprint:sha-256 ABC", "hex"),
    (11, "a=setup:sometimes", "setup role"),
    (12, "a=mid:", "single word"),
    (13, "a=sctp-port:65536", "65535"),
    (13, "a=sctp-port:http", "decimal"),
    (13, "a=max-message-size:-1", "decimal"),
    (13, "a=max-message-size:\u0661\u0662", "decimal"),
    (13, "a=candidate:1 1 udp 1 1.2.3.4 5 host", "8 fields"),
    (13, "a=candidate:1 1 udp 1 1.2.3.4 5 type host", "'typ'"),
    (13, "a=candidate:1 1 udp x 1.2.3.4 5 typ host", "priority"),
    (13, "a=candidate:1 1 udp 1 1.2.3.4 99999 typ host", "65535"),
    (13, "a=candidate:1 1 udp 1 1.2.3.4 5 typ host generation", "pairs"),
    (13, "a=candidate:f*o 1 udp 1 1.2.3.4 5 typ host", "foundation"),
    (13, "a=candidate:1 1 udp 1 1.2.3.4 5 typ relay raddr 1.2.3.4 rport x", "rport"),
    (13, "a=sctp-port:5000\rx", "carriage return"),
    (13, "a=sctp-port:5000\x00", "NUL"),
]


@pytest.mark.parametrize(("line_number", "replacement", "reason"), CASES)
def test_malformed_line(line_number: int, replacement: str, reason: str) -> None:
    with pytest.raises(SdpParseError) as info:
        parse_sdp(sdp_with(line_number, replacement))
    assert info.value.line_number == line_number
    assert reason in info.value.reason
    assert isinstance(info.value, ValueError)
    assert f"line {line_number}" in str(info.value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "at least v=, o= and s="),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", "at least"),
        ("\n\n\n", "at least"),
        (sdp_with(4, None), "no t= line"),
    ],
)
def test_malformed_whole_description(text: str, reason: str) -> None:
    with pytest.raises(SdpParseError) as info:
        parse_sdp(text)
    assert info.value.line_number == 0
    assert reason in info.value.reason


def test_non_string_input_is_a_parse_error() -> None:
    with pytest.raises(SdpParseError, match="must be a string"):
        parse_sdp(b"v=0\r\n")  # type: ignore[arg-type]


def test_line_numbers_count_blank_lines() -> None:
    text = "v=0\n\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\n\na=setup:nope\n"
    with pytest.raises(SdpParseError) as info:
        parse_sdp(text)
    assert info.value.line_number == 7


def test_lenient_where_browsers_are() -> None:
    text = sdp_with(3, "s=") + "a=x-unknown\r\nx=anything goes\r\nb=AS:30\r\n"
    d = parse_sdp(text)
    assert d.name == ""
    assert d.media[0].attribute("x-unknown") is None and d.media[0].has_attribute("x-unknown")
    assert [f.type for f in d.media[0].fields] == ["c", "x", "b"]
    assert parse_sdp(d.to_sdp()) == d
