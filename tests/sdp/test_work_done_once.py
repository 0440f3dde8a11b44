"""Work a description does not need done twice (issue 19): a line that repeats
across descriptions is checked once per process, a fingerprint or a candidate
is parsed once, and the copies a getter or a trickled candidate make are built directly --
with the same text and the same errors as before."""

from __future__ import annotations

import pytest
from tests.support.sdp import count_candidate_parses

from rtcpeer.ice import Candidate
from rtcpeer.sdp import SdpParseError, SdpValueError, parse_candidate_value, parse_sdp, parser
from rtcpeer.sdp.grammar import parse_fingerprint
from rtcpeer.sdp.model import SHARED_LINES_MAX, Attribute, MediaSection

HEAD = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
SECTION = (
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdabcdabcdabcdabcdabcd\r\n"
    "a=fingerprint:sha-256 " + ":".join(["CD"] * 32) + "\r\n"
)


def test_a_repeated_line_is_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser, "_checked_lines", {})
    checked: list[str] = []
    check = parser._KNOWN_ATTRIBUTES["sctp-port"][1]
    assert check is not None

    def counting(value: str) -> object:
        checked.append(value)
        return check(value)

    monkeypatch.setitem(parser._KNOWN_ATTRIBUTES, "sctp-port", ("sctp-port", counting))
    text = HEAD + SECTION + "a=sctp-port:5000\r\n"
    first, second = parse_sdp(text), parse_sdp(text)
    assert checked == ["5000"]
    assert first == second and first.to_sdp() == second.to_sdp() == text
    assert first.media[0].sctp_port == 5000


def test_a_bad_line_fails_with_its_number_after_a_good_one_was_remembered() -> None:
    parse_sdp(HEAD + SECTION + "a=sctp-port:5000\r\n")
    with pytest.raises(SdpParseError) as caught:
        parse_sdp(HEAD + SECTION + "a=sctp-port:5000\r\na=sctp-port:99999\r\n")
    assert caught.value.line_number == 11 and "sctp-port" in str(caught.value)


def test_only_lines_that_repeat_are_remembered_and_the_table_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parser, "_checked_lines", {})
    parse_sdp(HEAD + SECTION + "a=mid:0\r\n")
    assert "a=mid:0" in parser._checked_lines
    assert not any("ice-ufrag" in line or "fingerprint" in line for line in parser._checked_lines)
    for index in range(SHARED_LINES_MAX + 10):
        parse_sdp(HEAD + SECTION + f"a=mid:m{index}\r\n")
    assert len(parser._checked_lines) == SHARED_LINES_MAX


def test_a_fingerprint_text_is_parsed_once_and_a_bad_one_fails_every_time() -> None:
    text = "sha-256 " + ":".join(["EF"] * 32)
    assert parse_fingerprint(text) is parse_fingerprint(text)
    for _ in range(2):
        with pytest.raises(ValueError):
            parse_fingerprint("sha-256 E:F")


def test_a_candidate_is_parsed_once_for_the_ice_agent_and_the_trickle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The description's parser only checks the value (no fields built); the
    # ICE agent's parse of it is remembered for the same text trickled again.
    parsed = count_candidate_parses(monkeypatch)
    value = "7 1 udp 2130706431 192.0.2.7 4000 typ host generation 0"
    section = parse_sdp(HEAD + SECTION + f"a=candidate:{value}\r\n").media[0]
    assert section.candidates == (value,)
    ice = Candidate.from_sdp(section.candidates[0])  # the agent's model of it
    assert parse_candidate_value(value) is parse_candidate_value(value)  # trickled again
    assert parsed == [value, value]  # the parser's check, then the one parse
    assert (ice.host, ice.port, ice.generation) == ("192.0.2.7", 4000, 0)


def test_a_bad_candidate_fails_every_time_with_its_error() -> None:
    for _ in range(2):
        with pytest.raises(SdpValueError, match="port must be at most 65535"):
            parse_candidate_value("7 1 udp 1 192.0.2.7 70000 typ host")
        with pytest.raises(SdpParseError, match="line 10: a=candidate: a candidate needs"):
            parse_sdp(HEAD + SECTION + "a=candidate:7 1 udp\r\n")


def _section(*lines: str) -> MediaSection:
    return parse_sdp(HEAD + SECTION + "".join(f"{line}\r\n" for line in lines)).media[0]


@pytest.mark.parametrize(
    "lines",
    [
        (),
        ("a=mid:0",),
        ("a=candidate:1 1 udp 1 1.2.3.4 5 typ host", "a=mid:0"),
        ("a=mid:0", "a=end-of-candidates", "a=sctp-port:5000"),
        ("a=candidate:1 1 udp 1 1.2.3.4 5 typ host", "a=end-of-candidates", "a=mid:0"),
    ],
)
@pytest.mark.parametrize("complete", [False, True])
def test_with_candidates_is_with_candidate_then_end_of_candidates(
    lines: tuple[str, ...], complete: bool
) -> None:
    section = _section(*lines)
    values = (
        "1 1 udp 1 1.2.3.4 5 typ host",
        "2 1 udp 2 1.2.3.4 6 typ host",
        "2 1 udp 2 1.2.3.4 6 typ host",
    )
    expected = section
    for value in values:
        if value not in expected.candidates:
            expected = expected.with_candidate(value)
    if complete and not expected.end_of_candidates:
        expected = expected.with_end_of_candidates()
    assert section.with_candidates(values, end_of_candidates=complete).lines() == expected.lines()


def test_with_candidates_returns_the_section_itself_when_nothing_is_new() -> None:
    section = _section("a=candidate:1 1 udp 1 1.2.3.4 5 typ host", "a=end-of-candidates")
    same = section.with_candidates(["1 1 udp 1 1.2.3.4 5 typ host"], end_of_candidates=True)
    assert same is section


@pytest.mark.parametrize(
    ("session", "media"), [("", "a=setup:active"), ("a=setup:passive\r\n", ""), ("", "")]
)
def test_setup_of_is_the_setup_transport_attributes_gives(session: str, media: str) -> None:
    head = HEAD + session
    text = head + SECTION + (media + "\r\n" if media else "")
    description = parse_sdp(text)
    assert description.setup_of(0) == description.transport_attributes(0).setup


def test_copies_keep_every_other_field() -> None:
    section = _section("a=mid:0")
    copy = section.with_attributes(Attribute("rtcp-mux"))
    assert (copy.kind, copy.port, copy.proto, copy.formats, copy.port_count, copy.fields) == (
        section.kind,
        section.port,
        section.proto,
        section.formats,
        section.port_count,
        section.fields,
    )
    description = parse_sdp(HEAD + SECTION)
    replaced = description.with_media(0, copy)
    assert replaced.media == (copy,)
    assert (replaced.origin, replaced.name, replaced.fields, replaced.attributes) == (
        description.origin,
        description.name,
        description.fields,
        description.attributes,
    )
