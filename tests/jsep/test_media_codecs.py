"""Codec matching and selection (rtcpeer.jsep.codecs): H264 profiles, RTX, preferences."""

from __future__ import annotations

import pytest

from rtcpeer.errors import InvalidModificationError
from rtcpeer.jsep.codecs import (
    H264_LEVEL_1B,
    Codec,
    H264Profile,
    H264ProfileLevel,
    HeaderExtension,
    MediaCapabilities,
    RtcpFeedback,
    answer_codecs,
    check_codec_preferences,
    codecs_match,
    make_parameters,
    negotiated_codecs,
    offer_codecs,
    offer_header_extensions,
    parse_profile_level_id,
    with_level,
)
from rtcpeer.transport.media_capabilities import local_capabilities

NACK, PLI, REMB = RtcpFeedback("nack"), RtcpFeedback("nack", "pli"), RtcpFeedback("goog-remb")
TCC = RtcpFeedback("transport-cc")


def h264(pt: int | None, plid: str | None, mode: str | None = "1", **extra: str) -> Codec:
    params: dict[str, str] = {}
    if mode is not None:
        params["packetization-mode"] = mode
    if plid is not None:
        params["profile-level-id"] = plid
    params.update(extra)
    return Codec("video/H264", 90000, None, pt, make_parameters(params), (NACK, PLI, REMB))


def rtx(pt: int, apt: int) -> Codec:
    return Codec("video/rtx", 90000, None, pt, (("apt", str(apt)),))


def vp8(pt: int | None, feedback: tuple[RtcpFeedback, ...] = (NACK, PLI, REMB)) -> Codec:
    return Codec("video/VP8", 90000, None, pt, (), feedback)


VIDEO = local_capabilities("video")
AUDIO = local_capabilities("audio")


# -- H264 profile-level-id -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "profile", "level"),
    [
        ("42e01f", H264Profile.CONSTRAINED_BASELINE, 31),
        ("42E01F", H264Profile.CONSTRAINED_BASELINE, 31),
        ("42c01f", H264Profile.CONSTRAINED_BASELINE, 31),
        ("4d801f", H264Profile.CONSTRAINED_BASELINE, 31),
        ("58c01f", H264Profile.CONSTRAINED_BASELINE, 31),
        ("42001f", H264Profile.BASELINE, 31),
        ("58801f", H264Profile.BASELINE, 31),
        ("4d001f", H264Profile.MAIN, 31),
        ("640c1f", H264Profile.CONSTRAINED_HIGH, 31),
        ("640032", H264Profile.HIGH, 50),
        ("f4001f", H264Profile.PREDICTIVE_HIGH_444, 31),
        ("42f00b", H264Profile.CONSTRAINED_BASELINE, H264_LEVEL_1B),
        ("42e00b", H264Profile.CONSTRAINED_BASELINE, 11),
        ("640009", H264Profile.HIGH, H264_LEVEL_1B),
        ("42e034", H264Profile.CONSTRAINED_BASELINE, 52),
    ],
)
def test_profile_level_id_parsing(text: str, profile: H264Profile, level: int) -> None:
    assert parse_profile_level_id(text) == H264ProfileLevel(profile, level)


@pytest.mark.parametrize("text", ["", "42e01", "42e01fa", "zze01f", "42e0ff", "ff001f", "6401"])
def test_bad_profile_level_ids(text: str) -> None:
    with pytest.raises(ValueError):
        parse_profile_level_id(text)


def test_with_level_rewrites_level_and_1b() -> None:
    assert with_level("42e01f", 0x0C) == "42e00c"
    assert with_level("42e01f", H264_LEVEL_1B) == "42f00b"
    assert with_level("42f00b", 31) == "42e01f"
    assert with_level("640c1f", H264_LEVEL_1B) == "640c09"
    for text in ("42e01f", "42f00b", "640c1f", "4d001f"):
        parsed = parse_profile_level_id(text)
        assert parse_profile_level_id(with_level(text, parsed.level)) == parsed


# -- matching -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        (h264(1, "42e01f"), h264(2, "42e01f"), True),
        (h264(1, "42e01f"), h264(2, "42e034"), True),  # level is not part of the match
        (h264(1, "42e01f"), h264(2, "42c01f"), True),  # both constrained baseline
        (h264(1, "42e01f"), h264(2, "4d801f"), True),
        (h264(1, "42e01f"), h264(2, "42001f"), False),  # baseline is another profile
        (h264(1, "42e01f"), h264(2, "640c1f"), False),
        (h264(1, "42e01f", "1"), h264(2, "42e01f", "0"), False),
        (h264(1, "42e01f", None), h264(2, "42e01f", "0"), True),  # absent mode is 0
        (h264(1, None), h264(2, "42e01f"), True),  # absent id: constrained baseline 3.1
        (h264(1, "42e01f"), h264(2, "nothex"), False),
        (vp8(1), vp8(2, ()), True),
        (vp8(1), Codec("video/vp8", 90000, None, 5), True),
        (vp8(1), Codec("video/VP8", 48000), False),
        (Codec("audio/opus", 48000, 2), Codec("audio/OPUS", 48000, 2), True),
        (Codec("audio/opus", 48000, 2), Codec("audio/opus", 48000, 1), False),
        (Codec("audio/PCMU", 8000), Codec("audio/PCMU", 8000, 1), True),
        (
            Codec("video/VP9", 90000, parameters=(("profile-id", "0"),)),
            Codec("video/VP9", 90000, parameters=(("profile-id", "2"),)),
            False,
        ),
    ],
)
def test_codecs_match(a: Codec, b: Codec, match: bool) -> None:
    assert codecs_match(a, b) is match
    assert codecs_match(b, a) is match


# -- answers ---------------------------------------------------------------------


def test_answer_keeps_offerer_payload_types_and_order() -> None:
    offered = [h264(102, "42e01f"), rtx(103, 102), vp8(96), rtx(97, 96)]
    answer = answer_codecs(offered, VIDEO)
    assert [c.payload_type for c in answer] == [102, 103, 96, 97]
    assert answer[1].apt == 102 and answer[3].apt == 96


def test_answer_h264_takes_the_lower_level() -> None:
    caps = MediaCapabilities("video", (h264(99, "42e01f"),))
    (low,) = answer_codecs([h264(120, "42e00c")], caps)  # offer level 1.2 < our 3.1
    assert low.parameter("profile-level-id") == "42e00c"
    (high,) = answer_codecs([h264(120, "42e034")], caps)  # offer 5.2 > our 3.1
    assert high.parameter("profile-level-id") == "42e01f"
    (one_b,) = answer_codecs([h264(120, "42f00b")], caps)
    assert one_b.parameter("profile-level-id") == "42f00b"
    assert one_b.parameter("packetization-mode") == "1"


def test_answer_drops_other_profiles_and_modes() -> None:
    offered = [h264(104, "42e01f", "0"), h264(108, "4d001f"), h264(110, "640c1f")]
    assert answer_codecs(offered, VIDEO) == ()
    # aiortc lists baseline (42001f) as well as constrained baseline
    (baseline,) = answer_codecs([h264(102, "42001f")], VIDEO)
    assert baseline.parameter("profile-level-id") == "42001f"


def test_rtx_kept_only_for_kept_primaries() -> None:
    offered = [vp8(96), rtx(97, 96), Codec("video/VP9", 90000, None, 98), rtx(99, 98), rtx(100, 5)]
    answer = answer_codecs(offered, VIDEO)
    assert [c.payload_type for c in answer] == [96, 97]
    audio_rtx = MediaCapabilities("video", (vp8(96),))  # no RTX of ours: none answered
    assert [c.payload_type for c in answer_codecs(offered, audio_rtx)] == [96]


def test_rtcp_feedback_is_intersected() -> None:
    (codec,) = answer_codecs([vp8(96, (REMB, TCC, RtcpFeedback("ccm", "fir"), NACK, PLI))], VIDEO)
    assert codec.rtcp_feedback == (REMB, NACK, PLI)


def test_answer_with_codec_preferences() -> None:
    offered = [vp8(96), rtx(97, 96), h264(102, "42e01f"), rtx(103, 102)]
    prefs = (h264(None, "42e01f"), Codec("video/rtx", 90000))
    answer = answer_codecs(offered, VIDEO, prefs)
    assert [c.payload_type for c in answer] == [102, 103]
    no_rtx = answer_codecs(offered, VIDEO, (vp8(None), h264(None, "42e01f")))
    assert [c.payload_type for c in no_rtx] == [96, 102]


def test_no_codec_in_common_is_empty() -> None:
    assert answer_codecs([Codec("video/AV1", 90000, None, 45)], VIDEO) == ()
    assert answer_codecs([rtx(97, 96)], VIDEO) == ()


def test_negotiated_codecs_from_an_answer() -> None:
    offered = offer_codecs(VIDEO)
    answered = [c for c in offered if c.payload_type in (99, 100)] + [vp8(50)]
    result = negotiated_codecs(answered, offered)
    assert [c.payload_type for c in result] == [99, 100]


# -- offers ------------------------------------------------------------------------


def test_offer_lists_our_capabilities_with_their_payload_types() -> None:
    codecs = offer_codecs(VIDEO)
    assert [(c.name, c.payload_type) for c in codecs] == [
        ("VP8", 97),
        ("rtx", 98),
        ("H264", 99),
        ("rtx", 100),
        ("H264", 101),
        ("rtx", 102),
    ]
    assert [c.name for c in offer_codecs(AUDIO)] == ["opus", "G722", "PCMU", "PCMA"]


def test_offer_with_codec_preferences_orders_and_filters() -> None:
    prefs = (h264(None, "42e01f"), vp8(None))
    codecs = offer_codecs(VIDEO, prefs)
    assert [(c.name, c.payload_type) for c in codecs] == [("H264", 101), ("VP8", 97)]
    with_rtx = offer_codecs(VIDEO, (*prefs, Codec("video/rtx", 90000)))
    assert [c.payload_type for c in with_rtx] == [101, 102, 97, 98]
    pcma = offer_codecs(AUDIO, (Codec("audio/PCMA", 8000),))
    assert [c.payload_type for c in pcma] == [8]


def test_reoffer_keeps_payload_types_in_use() -> None:
    # A browser's offer gave VP8 PT 120 and its RTX 124; our answer used them.
    in_use = (vp8(120), rtx(124, 120), Codec("video/H264", 90000, None, 97))
    codecs = offer_codecs(VIDEO, (), in_use)
    by_name = [(c.name, c.payload_type, c.apt) for c in codecs]
    assert by_name[0] == ("VP8", 120, None)
    assert by_name[1] == ("rtx", 124, 120)
    pts = [c.payload_type for c in codecs]
    assert 97 not in pts and len(set(pts)) == len(pts)  # H264 pm=0 is not ours
    for codec in codecs:
        if codec.is_rtx:
            assert codec.apt in pts


def test_reoffer_keeps_a_payload_type_the_peer_answered_with_other_fmtp() -> None:
    """Chromium answers our opus (96) with minptime/useinbandfec: the re-offer must
    still say 96 -- a new number made Chromium switch its audio to a PT our
    running receiver did not know (issue 14: audio lost after our own re-offer)."""
    answered = Codec("audio/opus", 48000, 2, 96, (("minptime", "10"), ("useinbandfec", "1")))
    in_use = (answered, Codec("audio/G722", 8000, 1, 9))
    codecs = offer_codecs(AUDIO, (), in_use)
    assert [(c.name, c.payload_type) for c in codecs][:2] == [("opus", 96), ("G722", 9)]


def test_offer_payload_type_conflicts_get_fresh_ones() -> None:
    in_use = (Codec("video/AV1", 90000, None, 97), Codec("video/AV1", 90000, None, 99))
    codecs = offer_codecs(VIDEO, (), in_use)
    pts = [c.payload_type for c in codecs]
    assert 97 not in pts and 99 not in pts and len(set(pts)) == len(pts)
    vp8_pt = codecs[0].payload_type
    assert codecs[1].is_rtx and codecs[1].apt == vp8_pt


def test_check_codec_preferences() -> None:
    check_codec_preferences((), VIDEO)
    check_codec_preferences((vp8(None), Codec("video/rtx", 90000)), VIDEO)
    with pytest.raises(InvalidModificationError):
        check_codec_preferences((Codec("video/AV1", 90000),), VIDEO)
    with pytest.raises(InvalidModificationError):
        check_codec_preferences((Codec("video/rtx", 90000),), VIDEO)
    with pytest.raises(InvalidModificationError):
        check_codec_preferences((Codec("audio/opus", 48000, 2),), VIDEO)


def test_codec_helpers() -> None:
    codec = h264(99, "42e01f", **{"level-asymmetry-allowed": "1"})
    assert codec.kind == "video" and codec.name == "H264" and not codec.is_rtx
    assert codec.fmtp == "packetization-mode=1;profile-level-id=42e01f;level-asymmetry-allowed=1"
    assert codec.with_parameter("PROFILE-LEVEL-ID", "42e00c").parameter("profile-level-id") == (
        "42e00c"
    )
    assert (
        rtx(98, 97).apt == 97 and Codec("video/rtx", 90000, parameters=(("apt", "x"),)).apt is None
    )
    assert make_parameters({"apt": 97, "flag": None}) == (("apt", "97"), ("flag", None))
    assert str(PLI) == "nack pli"


def test_local_capabilities_from_aiortc() -> None:
    assert AUDIO.kind == "audio" and VIDEO.kind == "video"
    assert {c.name for c in AUDIO.codecs} == {"opus", "G722", "PCMU", "PCMA"}
    opus = AUDIO.codecs[0]
    assert (opus.clock_rate, opus.channels) == (48000, 2)
    h264s = [c for c in VIDEO.codecs if c.name == "H264"]
    assert {c.parameter("profile-level-id") for c in h264s} == {"42001f", "42e01f"}
    assert all(c.parameter("packetization-mode") == "1" for c in h264s)
    for codec in VIDEO.codecs:
        if codec.is_rtx:
            assert any(p.payload_type == codec.apt for p in VIDEO.codecs)
        else:
            assert set(codec.rtcp_feedback) == {NACK, PLI, REMB}
    uris = {e.uri for e in VIDEO.header_extensions}
    assert "urn:ietf:params:rtp-hdrext:sdes:mid" in uris
    with pytest.raises(ValueError):
        local_capabilities("application")


MID, LEVEL = "urn:ietf:params:rtp-hdrext:sdes:mid", "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
ABS = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"


def test_a_first_offer_uses_our_own_extension_ids() -> None:
    caps = MediaCapabilities("audio", (), (HeaderExtension(1, MID), HeaderExtension(2, LEVEL)))
    assert offer_header_extensions(caps) == caps.header_extensions


def test_a_re_offer_keeps_the_ids_the_peer_chose_and_never_reuses_one() -> None:
    """RFC 9429 §5.2.2, RFC 8843 §9.2: an id negotiated in the BUNDLE group keeps
    its URI (Chromium refuses the re-offer otherwise: "RTP extension ID
    reassignment not supported")."""
    caps = MediaCapabilities(
        "audio", (), (HeaderExtension(1, MID), HeaderExtension(2, LEVEL), HeaderExtension(3, ABS))
    )
    in_use = (HeaderExtension(1, LEVEL), HeaderExtension(4, MID), HeaderExtension(3, "urn:x"))
    offered = offer_header_extensions(caps, in_use)
    assert offered == (HeaderExtension(4, MID), HeaderExtension(1, LEVEL), HeaderExtension(2, ABS))
    assert len({e.id for e in offered} | {3}) == 4  # 3 stays "urn:x"'s


def test_with_every_one_byte_id_taken_a_new_extension_is_left_out() -> None:
    caps = MediaCapabilities("video", (), (HeaderExtension(1, MID),))
    in_use = tuple(HeaderExtension(i, f"urn:x:{i}") for i in range(1, 15))
    assert offer_header_extensions(caps, in_use) == ()
