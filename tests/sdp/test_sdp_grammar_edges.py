"""Edge cases of the value grammars and line handling: exactly what is accepted,
which error is reported first, and on which line."""

from __future__ import annotations

import pytest
from tests.support.sdp import GOOD

from rtcpeer.sdp import Fingerprint, Group, SdpParseError, SdpValueError, parse_sdp
from rtcpeer.sdp.candidate import check_candidate_value, parse_candidate_value
from rtcpeer.sdp.grammar import (
    ConnectionData,
    MediaLine,
    connection_fields,
    fingerprint_fields,
    group_fields,
    is_token,
    media_line_fields,
    parse_connection,
    parse_fingerprint,
    parse_group,
    parse_media_line,
    uint,
)


def sdp_with(replacements: dict[int, str], eol: str = "\r\n") -> str:
    """GOOD with the given 1-based lines replaced."""
    lines = [replacements.get(number, line) for number, line in enumerate(GOOD, start=1)]
    return eol.join(lines) + eol


def parse_error(text: str) -> SdpParseError:
    with pytest.raises(SdpParseError) as info:
        parse_sdp(text)
    return info.value


CANDIDATE = "a=candidate:1 1 udp 1 1.2.3.4 5 typ host"


@pytest.mark.parametrize(
    ("line_number", "replacement", "reason"),
    [
        # Only ASCII digits are numbers, though str.isdigit() accepts more.
        (2, "o=- \u0661 1 IN IP4 0.0.0.0", "session id must be a decimal number"),
        (4, "t=\u0660 0", "start time must be a decimal number"),
        (6, "m=application \uff19 UDP/DTLS/SCTP webrtc-datachannel", "port must be a decimal"),
        (13, "a=sctp-port:\u00b2", "sctp-port must be a decimal number"),
        (13, "a=sctp-port:\uff15\uff10\uff10\uff10", "sctp-port must be a decimal number"),
        (13, "a=max-message-size:1\u00b9", "max-message-size must be a decimal number"),
        (13, "a=candidate:1 \u0661 udp 1 1.2.3.4 5 typ host", "component id must be a decimal"),
        (13, "a=candidate:1 1 udp \u0661 1.2.3.4 5 typ host", "priority must be a decimal"),
        (13, "a=candidate:1 1 udp 1 1.2.3.4 \u0665 typ host", "port must be a decimal"),
        (13, CANDIDATE.replace("host", "relay raddr 1.2.3.4 rport \u0665"), "rport"),
        # Tokens are ASCII.
        (5, "a=gr\u00f6up:x", "invalid attribute name"),
        (5, "a=\u00e9", "invalid attribute name"),
        (5, "a=group:BUND\u00c6 0", "invalid group semantics"),
        (6, "m=\u00e4udio 9 RTP/AVP 0", "invalid media type"),
        (6, "m=application 9 UDP/DT\u00c4S/SCTP webrtc-datachannel", "transport protocol"),
        (10, "a=fingerprint:sh\u00e4 AB:CD", "invalid fingerprint hash function"),
        (13, CANDIDATE.replace("udp", "\u00fcdp"), "invalid candidate transport"),
        (13, CANDIDATE.replace("host", "h\u00f6st"), "invalid candidate type"),
        (13, CANDIDATE + " \u00e9xt 1", "invalid candidate extension name"),
        (13, CANDIDATE.replace(":1 ", ":" + "f" * 33 + " "), "invalid candidate foundation"),
        (13, CANDIDATE.replace(":1 ", ":f\u00f6o "), "invalid candidate foundation"),
        # Every line starts with a lower-case ASCII letter and "=".
        (5, "\u00e1=x", "<letter>="),
        (5, "\uff41=x", "<letter>="),
        (5, "a", "<letter>="),
        (5, "=a", "<letter>="),
        (5, "ab=x", "<letter>="),
        (5, "{=x", "<letter>="),
        (5, "`=x", "<letter>="),
        # Checked attributes need a value; the others need not.
        (13, "a=candidate", "a=candidate needs a value"),
        (13, "a=group", "a=group needs a value"),
    ],
)
def test_rejected_line(line_number: int, replacement: str, reason: str) -> None:
    error = parse_error(sdp_with({line_number: replacement}))
    assert error.line_number == line_number
    assert reason in error.reason


@pytest.mark.parametrize(
    "replacement",
    [
        "a=candidate:" + "f" * 32 + " 1 udp 1 1.2.3.4 5 typ host",
        "a=candidate:a+/Z9 1 udp 1 1.2.3.4 5 typ host raddr 0.0.0.0 rport 0 generation 0",
        "a=max-message-size:00000000000000000009",
        "a=x-unknown:\u00e9 anything \u0661",
        "a=sctpmap",
        "y=anything",
    ],
)
def test_accepted_line(replacement: str) -> None:
    parsed = parse_sdp(sdp_with({13: replacement}))
    assert replacement in parsed.to_sdp().split("\r\n")


def test_line_endings() -> None:
    lf = sdp_with({}, eol="\n")
    assert parse_sdp(lf) == parse_sdp(sdp_with({}))
    # A last line without LF may still end in CR; a line of just CR is blank.
    assert parse_sdp(lf[:-1] + "\r") == parse_sdp(lf)
    assert parse_sdp(lf.replace("\nt=", "\n\r\nt=")) == parse_sdp(lf)
    # CR CR LF leaves a CR inside the line.
    error = parse_error(lf.replace("a=mid:0\n", "a=mid:0\r\r\n"))
    assert (error.line_number, error.reason) == (12, "carriage return inside a line")


def test_which_error_comes_first() -> None:
    # A CR or NUL anywhere, in line order, before anything else.
    text = sdp_with({2: "o=bad", 5: "a=x\x00", 9: "a=ice-pwd:\rx"})
    assert parse_error(text).line_number == 5
    text = sdp_with({2: "o=bad", 5: "a=ice-pwd:\rx", 9: "a=x\x00"})
    assert parse_error(text).line_number == 5
    # Too few lines before a line that is not <letter>=<value>.
    assert parse_error("v=0\r\nbad\r\n").line_number == 0
    # A line that is not <letter>=<value>, anywhere, before the v/o/s lines...
    error = parse_error(sdp_with({1: "v=1", 13: "bad"}))
    assert error.line_number == 13
    # ...then the lines in order: the m= line before its section's lines.
    error = parse_error(sdp_with({6: "m=x", 10: "a=fingerprint:x"}))
    assert error.line_number == 6
    error = parse_error(sdp_with({4: "t=x", 5: "a=group:", 7: "t=0 0"}))
    assert error.line_number == 4
    error = parse_error(sdp_with({3: "s=-", 4: "i=no timing", 10: "a=fingerprint:x"}))
    assert (error.line_number, error.reason) == (0, "the session has no t= line")


def test_parsed_descriptions_share_common_attribute_names() -> None:
    first, second = parse_sdp(sdp_with({})), parse_sdp(sdp_with({}))
    for a, b in zip(first.media[0].attributes, second.media[0].attributes, strict=True):
        assert a.name is b.name
    unknown = [parse_sdp(sdp_with({13: "a=x-new:1"})).media[0].attributes[-1] for _ in "12"]
    assert unknown[0].name == unknown[1].name == "x-new"


@pytest.mark.parametrize(
    "text", ["", "1", "1 1 udp", "1 1 udp 1 1.2.3.4 5 typ", "1 1 udp 1 1.2.3.4 5 typ host x"]
)
def test_check_candidate_value_raises_like_parse(text: str) -> None:
    with pytest.raises(SdpValueError) as parsed:
        parse_candidate_value(text)
    with pytest.raises(SdpValueError) as checked:
        check_candidate_value(text)
    assert str(checked.value) == str(parsed.value)


def test_check_candidate_value_accepts_what_parse_accepts() -> None:
    text = "1 1 udp 2 1.2.3.4 5 typ srflx raddr 0.0.0.0 rport 9 generation 0"
    check_candidate_value(text)  # does not raise
    fields = parse_candidate_value(text)
    assert (fields.related_port, fields.extensions) == (9, (("generation", "0"),))


def test_field_splitters_match_the_typed_parsers() -> None:
    connection = "IN IP4 0.0.0.0"
    assert parse_connection(connection) == ConnectionData(*connection_fields(connection))
    fingerprint = "sha-256 AB:CD"
    assert parse_fingerprint(fingerprint) == Fingerprint(*fingerprint_fields(fingerprint))
    assert group_fields("BUNDLE 0 1") == ["BUNDLE", "0", "1"]
    assert parse_group("BUNDLE 0 1") == Group("BUNDLE", ("0", "1"))
    line = "audio 9/2 RTP/AVP 0 8"
    assert parse_media_line(line) == MediaLine(*media_line_fields(line))
    assert parse_media_line(line) == MediaLine("audio", 9, 2, "RTP/AVP", ("0", "8"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a", True), ("!#$%&'*+-.^_`{|}~09AZaz", True), ("", False), ("a b", False),
     ("\u00e9", False), ("a:b", False), ("a\x7f", False), ('"', False)],
)  # fmt: skip
def test_is_token(text: str, expected: bool) -> None:
    assert is_token(text) is expected


def test_uint_bounds_and_digits() -> None:
    assert uint("007", "x", max_digits=3) == 7
    for bad in ("", "-1", "+1", " 1", "1_0", "\u0661", "\u00b2", "1.0"):
        with pytest.raises(SdpValueError, match="must be a decimal number"):
            uint(bad, "x")
    with pytest.raises(SdpValueError, match="more than 3 digits"):
        uint("1000", "x", max_digits=3)
    with pytest.raises(SdpValueError, match="at most 9, got 10"):
        uint("10", "x", maximum=9)
