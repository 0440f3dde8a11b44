"""The RTP attribute grammars of rtcpeer.sdp.media: good values, bad values, line numbers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rtcpeer.sdp import SdpParseError, SdpValueError, parse_sdp
from rtcpeer.sdp.media import (
    Extmap,
    Fmtp,
    Msid,
    Rid,
    RtcpFb,
    Rtpmap,
    SdpAttributeError,
    Simulcast,
    SsrcAttribute,
    SsrcGroup,
    check_rtp_sections,
    parse_extmap,
    parse_fmtp,
    parse_media_sdp,
    parse_msid,
    parse_rid,
    parse_rtcp_fb,
    parse_rtpmap,
    parse_simulcast,
    parse_ssrc,
    parse_ssrc_group,
    read_rtp_attributes,
)

SAMPLES = Path(__file__).parent / "samples"

AV = [
    "v=0",
    "o=- 1 1 IN IP4 0.0.0.0",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
    "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:abcd",
    "a=ice-pwd:abcdefghijklmnopqrstuv",
    "a=fingerprint:sha-256 AB:CD",
    "a=setup:actpass",
    "a=mid:0",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=sendrecv",
    "a=rtcp-mux",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 nack pli",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=ssrc:1 cname:x",
]
#: 1-based line numbers of AV's RTP attribute lines.
EXTMAP, RTPMAP, RTCP_FB, FMTP, SSRC = 13, 16, 17, 19, 20


def av_with(line_number: int, replacement: str) -> str:
    lines = list(AV)
    lines[line_number - 1] = replacement
    return "\r\n".join(lines) + "\r\n"


# -- good values ------------------------------------------------------------------


def test_rtpmap_values() -> None:
    assert parse_rtpmap("111 opus/48000/2") == Rtpmap(111, "opus", 48000, 2)
    assert parse_rtpmap("96 VP8/90000") == Rtpmap(96, "VP8", 90000)
    assert parse_rtpmap("9 G722/8000/1").channels == 1
    assert str(parse_rtpmap("111 opus/48000/2")) == "111 opus/48000/2"


def test_fmtp_values() -> None:
    fmtp = parse_fmtp("102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f")
    assert fmtp.payload_type == 102
    assert fmtp.get("PROFILE-LEVEL-ID") == "42001f" and fmtp.get("x") is None
    assert parse_fmtp("63 111/111") == Fmtp(63, (("111/111", None),))
    assert parse_fmtp("101 0-15").parameters == (("0-15", None),)
    assert parse_fmtp("111 minptime=10; useinbandfec=1;").parameters == (
        ("minptime", "10"),
        ("useinbandfec", "1"),
    )
    assert str(parse_fmtp("97 apt=96")) == "97 apt=96"


def test_rtcp_fb_values() -> None:
    assert parse_rtcp_fb("96 nack pli") == RtcpFb(96, "nack", "pli")
    assert parse_rtcp_fb("* transport-cc") == RtcpFb(None, "transport-cc")
    assert parse_rtcp_fb("96 ccm tmmbr smaxpr=120").parameter == "tmmbr smaxpr=120"
    assert str(parse_rtcp_fb("* nack")) == "* nack"


def test_extmap_values() -> None:
    assert parse_extmap("1 urn:ietf:params:rtp-hdrext:sdes:mid") == Extmap(
        1, "urn:ietf:params:rtp-hdrext:sdes:mid"
    )
    ext = parse_extmap("2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level vad=on")
    assert (ext.id, ext.direction, ext.attributes) == (2, "recvonly", "vad=on")
    assert str(ext) == "2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level vad=on"
    assert parse_extmap("200 urn:x:y").id == 200


def test_ssrc_msid_rid_simulcast_values() -> None:
    assert parse_ssrc("1801632150 cname:Zq9mXk2vB7tRf1Yw") == SsrcAttribute(
        1801632150, "cname", "Zq9mXk2vB7tRf1Yw"
    )
    assert parse_ssrc("1 msid:s t").value == "s t"
    assert parse_ssrc("4294967295 label").value is None
    assert parse_ssrc_group("FID 1 2") == SsrcGroup("FID", (1, 2))
    assert parse_msid("- 839e5ac7") == Msid("-", "839e5ac7")
    assert parse_msid("{a-b}") == Msid("{a-b}")
    assert parse_rid("h send") == Rid("h", "send")
    assert parse_rid("f recv max-width=1280;max-height=720").restrictions == (
        "max-width=1280;max-height=720"
    )
    assert parse_simulcast("send h;m;l") == Simulcast("h;m;l", None)
    assert parse_simulcast("recv a;b send c") == Simulcast("c", "a;b")


# -- bad values ---------------------------------------------------------------------

BAD = [
    (parse_rtpmap, "opus/48000", "payload type and a value"),
    (parse_rtpmap, "128 opus/48000", "at most 127"),
    (parse_rtpmap, "x opus/48000", "payload type must be a decimal"),
    (parse_rtpmap, "111 opus", "<encoding>/<clock rate>"),
    (parse_rtpmap, "111 opus/48000/2/1", "<encoding>/<clock rate>"),
    (parse_rtpmap, "111 opus/0", "clock rate must not be 0"),
    (parse_rtpmap, "111 opus/fast", "clock rate must be a decimal"),
    (parse_rtpmap, "111 opus/48000/0", "channels must not be 0"),
    (parse_rtpmap, "111 op(us/48000", "invalid encoding name"),
    (parse_fmtp, "111", "payload type and a value"),
    (parse_fmtp, "111 a=1;;b=2", "malformed fmtp parameter"),
    (parse_fmtp, "111 =1", "without a name"),
    (parse_fmtp, "111 apt=1;APT=2", "given twice"),
    (parse_fmtp, "111 " + ";".join(f"k{i}=1" for i in range(65)), "more than 64"),
    (parse_fmtp, "300 apt=1", "at most 127"),
    (parse_rtcp_fb, "96", "payload type and a value"),
    (parse_rtcp_fb, "96 na(ck", "invalid rtcp-fb type"),
    (parse_rtcp_fb, "-1 nack", "payload type must be a decimal"),
    (parse_extmap, "0 urn:x:y", "extmap id must be 1-255"),
    (parse_extmap, "5000 urn:x:y", "extmap id must be 1-255"),
    (parse_extmap, "1/both urn:x:y", "unknown extmap direction"),
    (parse_extmap, "one urn:x:y", "extmap id must be a decimal"),
    (parse_extmap, "1 not-a-uri", "extmap needs a URI"),
    (parse_extmap, "1", "payload type and a value"),
    (parse_ssrc, "4294967296 cname:x", "at most 4294967295"),
    (parse_ssrc, "1 :x", "invalid ssrc attribute name"),
    (parse_ssrc_group, "FID", "at least one ssrc"),
    (parse_ssrc_group, "FID 1 x", "ssrc must be a decimal"),
    (parse_ssrc_group, "FID " + " ".join(["1"] * 33), "more than 32"),
    (parse_msid, "a b c", "at most one track id"),
    (parse_msid, "x" * 65, "1-64 visible"),
    (parse_rid, "h", "an id and a direction"),
    (parse_rid, "h both", "send or recv"),
    (parse_rid, "h/1 send", "invalid rid id"),
    (parse_simulcast, "send", "once or twice"),
    (parse_simulcast, "send a recv", "once or twice"),
    (parse_simulcast, "send a send b", "invalid simulcast direction"),
    (parse_rtpmap, "1 " + "a" * 2000, "longer than 1024"),
]


@pytest.mark.parametrize(("parser", "value", "message"), BAD)
def test_malformed_values_raise_a_specific_error(parser: object, value: str, message: str) -> None:
    assert callable(parser)
    with pytest.raises(SdpValueError, match=message.replace("(", r"\(")):
        parser(value)


# -- a whole description: line numbers -------------------------------------------


def test_the_base_av_sdp_is_valid() -> None:
    description = parse_media_sdp(av_with(1, "v=0"))
    attrs = read_rtp_attributes(description.media[0])
    assert set(attrs.rtpmaps) == {96, 97} and attrs.fmtps[97].get("apt") == "96"
    assert attrs.rtcp_feedback_for(96) == (RtcpFb(96, "nack", "pli"),)
    assert attrs.rtcp_mux and not attrs.rtcp_rsize and attrs.direction == "sendrecv"


LINE_CASES = [
    (RTPMAP, "a=rtpmap:96 VP8", "a=rtpmap"),
    (RTPMAP, "a=rtpmap:96 VP8/ninety", "clock rate"),
    (RTPMAP, "a=rtpmap", "needs a value"),
    (FMTP, "a=fmtp:97 apt=96;;", "malformed fmtp parameter"),
    (FMTP, "a=fmtp:97", "payload type and a value"),
    (RTCP_FB, "a=rtcp-fb:96", "payload type and a value"),
    (RTCP_FB, "a=rtcp-fb:nine nack", "payload type"),
    (EXTMAP, "a=extmap:0 urn:ietf:params:rtp-hdrext:sdes:mid", "extmap id"),
    (EXTMAP, "a=extmap:1", "payload type and a value"),
    (SSRC, "a=ssrc:x cname:y", "ssrc must be a decimal"),
    (SSRC, "a=ssrc:1 msid:a b c", "at most one track id"),
    (SSRC, "a=rtpmap:96 VP9/90000", "a second rtpmap for payload type 96"),
    (SSRC, "a=fmtp:97 apt=97", "a second fmtp for payload type 97"),
    (SSRC, "a=extmap:1 urn:x:y", "extmap id 1 used twice"),
    (SSRC, "a=msid:a b c", "at most one track id"),
    (SSRC, "a=ssrc-group:FID", "at least one ssrc"),
]


@pytest.mark.parametrize(("number", "line", "message"), LINE_CASES)
def test_malformed_lines_name_their_line(number: int, line: str, message: str) -> None:
    text = av_with(number, line)
    parse_sdp(text)  # the session-level codec alone accepts it
    with pytest.raises(SdpParseError, match=message) as caught:
        parse_media_sdp(text)
    assert caught.value.line_number == number
    assert caught.value.line == line
    # without the text, numbers count the description's own lines (the same here)
    with pytest.raises(SdpParseError) as again:
        check_rtp_sections(parse_sdp(text))
    assert again.value.line_number == number


def test_blank_lines_count_in_line_numbers() -> None:
    lines = list(AV)
    lines[RTPMAP - 1] = "a=rtpmap:96 VP8"
    lines.insert(2, "")
    with pytest.raises(SdpParseError) as caught:
        parse_media_sdp("\n".join(lines) + "\n")
    assert caught.value.line_number == RTPMAP + 1


def test_attribute_error_names_the_attribute() -> None:
    description = parse_sdp(av_with(RTPMAP, "a=rtpmap:96 VP8"))
    with pytest.raises(SdpAttributeError) as caught:
        read_rtp_attributes(description.media[0])
    assert caught.value.attribute.name == "rtpmap"
    assert description.media[0].attributes[caught.value.index] == caught.value.attribute


def test_data_sections_are_not_checked() -> None:
    text = (SAMPLES / "chrome_datachannel_offer.sdp").read_text()
    assert parse_media_sdp(text).media[0].is_data_channel


def test_rtp_lines_in_a_data_section_are_ignored() -> None:
    text = (SAMPLES / "chrome_datachannel_offer.sdp").read_text() + "a=rtpmap:garbage\n"
    parse_media_sdp(text)


@pytest.mark.parametrize(
    "name",
    [
        "chrome_av_data_offer.sdp",
        "chromium156_av_data_offer.sdp",
        "chrome_simulcast_offer.sdp",
        "firefox_av_simulcast_offer.sdp",
    ],
)
def test_browser_samples_pass_the_rtp_checks(name: str) -> None:
    text = (SAMPLES / name).read_text()
    description = parse_media_sdp(text)
    for section in description.media:
        if section.is_rtp:
            attrs = read_rtp_attributes(section)
            assert attrs.rtcp_mux
            assert set(attrs.rtpmaps) <= {int(f) for f in section.formats}


def test_firefox_sample_values() -> None:
    description = parse_media_sdp((SAMPLES / "firefox_av_simulcast_offer.sdp").read_text())
    video = read_rtp_attributes(description.media[1])
    assert [r.id for r in video.rids] == ["h", "m", "l"]
    assert video.simulcast == Simulcast("h;m;l", None)
    assert len(video.ssrc_groups) == 3
    assert video.extmaps[3] == Extmap(
        6, "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay", "recvonly"
    )


# -- cost and fuzzing ------------------------------------------------------------------


def test_huge_lines_are_rejected_quickly() -> None:
    started = time.perf_counter()
    for parser in (parse_rtpmap, parse_fmtp, parse_rtcp_fb, parse_extmap, parse_ssrc_group):
        with pytest.raises(SdpValueError):
            parser("96 " + "a=1;" * 250_000)
    # A generous outer bound (this takes ~10 ms): backtracking on a 1 MB line
    # would take minutes; the exception types are what the test checks.
    assert time.perf_counter() - started < 20.0


def test_many_lines_are_read_in_linear_time() -> None:
    lines = list(AV[:-1])
    lines += [f"a=ssrc:{n} cname:x" for n in range(20_000)]
    lines += [f"a=rtcp-fb:96 nack{n}" for n in range(20_000)]
    text = "\n".join(lines) + "\n"
    started = time.perf_counter()
    attrs = read_rtp_attributes(parse_media_sdp(text).media[0])
    assert len(attrs.ssrcs) == 20_000
    assert len(attrs.rtcp_fbs) == 1 + 20_000  # the sample's own and those added
    # A generous outer bound (this takes ~0.3 s): work quadratic in Python
    # over 40,000 lines would take minutes.
    assert time.perf_counter() - started < 20.0


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PARSERS = [
    parse_rtpmap,
    parse_fmtp,
    parse_rtcp_fb,
    parse_extmap,
    parse_ssrc,
    parse_ssrc_group,
    parse_msid,
    parse_rid,
    parse_simulcast,
]
ALPHABET = st.sampled_from([*"0123456789 /;=:*-abcxyzAPT\t{}", "\u0661", "é"])


@FUZZ
@given(st.sampled_from(PARSERS), st.text(ALPHABET, max_size=40))
def test_value_parsers_raise_only_sdp_value_error(parser: object, text: str) -> None:
    assert callable(parser)
    try:
        value = parser(text)
    except SdpValueError:
        return
    # what parsed writes back to text that parses to the same value
    again = parser(str(value)) if not isinstance(value, Rid | Simulcast) else value
    assert again == value


@FUZZ
@given(st.integers(min_value=12, max_value=len(AV)), st.text(ALPHABET, max_size=30))
def test_mutated_rtp_lines_raise_only_sdp_parse_error(number: int, tail: str) -> None:
    line = AV[number - 1]
    name = line.partition(":")[0]
    text = av_with(number, f"{name}:{tail}")
    try:
        description = parse_media_sdp(text)
    except SdpParseError as error:
        assert 0 <= error.line_number <= len(AV)
        return
    read_rtp_attributes(description.media[0])
