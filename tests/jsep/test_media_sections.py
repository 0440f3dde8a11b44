"""Audio/video m-sections in offers and answers (rtcpeer.jsep.media, media_session)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from aiortc import sdp as aiortc_sdp
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tests.support.jsep import LOCAL_CREDENTIALS, local_parameters, read_sample

from rtcpeer.jsep import RTCError, parse_remote_description
from rtcpeer.jsep.codecs import Codec, HeaderExtension, MediaCapabilities
from rtcpeer.jsep.media import (
    LocalSender,
    MediaSectionPlan,
    SectionTransport,
    answer_direction,
    media_answer_section,
    media_offer_section,
    negotiate_from_answer,
    remote_media,
    remote_media_section,
)
from rtcpeer.jsep.media_session import create_media_answer, create_media_offer
from rtcpeer.sdp import Fingerprint, MediaSection, SessionDescription, parse_sdp
from rtcpeer.sdp.media import parse_media_sdp, read_rtp_attributes
from rtcpeer.transport.media_capabilities import all_local_capabilities

CAPS = all_local_capabilities()
AV_SAMPLES = [
    "chrome_av_data_offer.sdp",
    "chromium156_av_data_offer.sdp",
    "chrome_simulcast_offer.sdp",
    "firefox_av_simulcast_offer.sdp",
]
FINGERPRINT = Fingerprint("sha-256", ":".join(f"{i:02X}" for i in range(32)))
TRANSPORT = SectionTransport(LOCAL_CREDENTIALS, (FINGERPRINT,), "actpass")


def audio_plan(mid: str = "0", direction: str = "sendrecv", **kw: Any) -> MediaSectionPlan:
    sender = LocalSender(1111, "our-cname", "audio-track", ("stream",))
    return replace(MediaSectionPlan("audio", mid, CAPS["audio"], direction, sender), **kw)


def video_plan(mid: str = "1", direction: str = "sendrecv", **kw: Any) -> MediaSectionPlan:
    sender = LocalSender(2222, "our-cname", "video-track", ("stream",), rtx_ssrc=3333)
    return replace(MediaSectionPlan("video", mid, CAPS["video"], direction, sender), **kw)


def rtp_lines(section: MediaSection, name: str) -> tuple[str, ...]:
    return section.attribute_values(name)


# -- the direction table ------------------------------------------------------------


@pytest.mark.parametrize(
    ("offered", "local", "answer"),
    [
        ("sendrecv", None, "recvonly"),  # no transceiver/track of ours
        ("sendrecv", "recvonly", "recvonly"),
        ("sendrecv", "sendrecv", "sendrecv"),
        ("sendrecv", "sendonly", "sendonly"),
        ("sendrecv", "inactive", "inactive"),
        ("sendonly", "sendrecv", "recvonly"),
        ("sendonly", None, "recvonly"),
        ("sendonly", "sendonly", "inactive"),
        ("recvonly", "sendrecv", "sendonly"),
        ("recvonly", "sendonly", "sendonly"),
        ("recvonly", None, "inactive"),
        ("recvonly", "recvonly", "inactive"),
        ("inactive", "sendrecv", "inactive"),
        ("inactive", None, "inactive"),
    ],
)
def test_answer_direction_table(offered: str, local: str | None, answer: str) -> None:
    assert answer_direction(offered, local) == answer


# -- browser offers answered ---------------------------------------------------------


@pytest.mark.parametrize("name", AV_SAMPLES)
def test_browser_offers_are_answered_cleanly(name: str) -> None:
    text = read_sample(name)
    offer = parse_media_sdp(text)
    remote_media(offer, text)
    plans = {"0": audio_plan("0"), "1": video_plan("1")}
    answer = create_media_answer(offer, local_parameters(), plans, CAPS)
    out = answer.sdp
    parsed = parse_media_sdp(out)
    assert parsed == answer.description
    # valid against the offer by our own remote rules, and by aiortc's parser
    remote = parse_remote_description({"type": "answer", "sdp": out}, offer=offer)
    assert remote.data_channel is not None and len(remote.transports) == 1
    aiortc_sdp.SessionDescription.parse(out)
    audio, video, data = parsed.media
    assert parsed.bundle_groups[0].mids == ("0", "1", "2")
    assert (audio.port, video.port) == (9, 9) and data.is_data_channel
    for ours, theirs in zip((audio, video), offer.media[:2], strict=True):
        assert set(ours.formats) <= set(theirs.formats)
        assert ours.rtcp_mux and not ours.has_attribute("rid")
        assert not ours.has_attribute("simulcast")
        offered_ids = {(e.id, e.uri) for e in read_rtp_attributes(theirs).extmaps}
        assert {(e.id, e.uri) for e in read_rtp_attributes(ours).extmaps} <= offered_ids
    (neg_audio, neg_video) = answer.negotiated
    assert neg_audio.send_codec is not None and neg_audio.send_codec.name.lower() == "opus"
    assert neg_video.send_codec is not None and neg_video.send_codec.name == "VP8"
    assert neg_video.rtx_for(neg_video.send_codec.payload_type) is not None
    assert neg_audio.direction == neg_video.direction == "sendrecv"
    assert neg_video.sending and neg_video.receiving
    # our sender announced: msid and ssrc-group:FID with RTX
    assert rtp_lines(video, "msid") == ("stream video-track",)
    assert rtp_lines(video, "ssrc-group") == ("FID 2222 3333",)
    assert rtp_lines(audio, "ssrc") == ("1111 cname:our-cname",)


def test_chrome_offer_answered_without_tracks_is_recvonly() -> None:
    offer = parse_sdp(read_sample("chrome_av_data_offer.sdp"))
    answer = create_media_answer(offer, local_parameters(), {}, CAPS)
    audio, video, _ = answer.description.media
    assert audio.direction == video.direction == "recvonly"
    assert not audio.has_attribute("msid") and not video.has_attribute("ssrc")
    neg_audio, neg_video = answer.negotiated
    assert neg_audio.receiving and not neg_audio.sending and neg_audio.sender is None
    # what our receivers need to know about Chrome's streams
    assert (neg_video.remote.ssrc, neg_video.remote.rtx_ssrc) == (1801632150, 2437617466)
    assert neg_video.remote.cname == "Zq9mXk2vB7tRf1Yw"
    assert neg_video.remote.stream_ids == ("4c1d1f7e-5b7a-4f0e-9d3c-2a8b6e1f0c93",)
    assert neg_video.remote.track_id == "f3b2a1c0-9d8e-4f7a-b6c5-d4e3f2a1b0c9"
    assert neg_audio.remote.ssrc == 3528519624 and neg_audio.remote.rtx_ssrc is None
    assert [(e.id, e.uri) for e in neg_audio.header_extensions] == [
        (1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
        (4, "urn:ietf:params:rtp-hdrext:sdes:mid"),
    ]
    assert [c.payload_type for c in neg_audio.codecs] == [111, 9, 0, 8]
    assert [c.payload_type for c in neg_video.codecs] == [96, 97, 102, 103, 106, 107]
    assert neg_video.rtcp_rsize


def test_firefox_simulcast_offer_details() -> None:
    text = read_sample("firefox_av_simulcast_offer.sdp")
    offer = parse_sdp(text)
    remote_audio, remote_video, _ = remote_media(offer, text)
    assert remote_video is not None and remote_audio is not None
    assert [r.id for r in remote_video.rids] == ["h", "m", "l"]
    assert remote_video.simulcast is not None and remote_video.simulcast.send == "h;m;l"
    assert (remote_video.ssrc, remote_video.rtx_ssrc) == (1414213562, 2645751311)
    assert len(remote_video.ssrcs) == 6
    assert remote_audio.stream_ids == ("{5f0c3a91-7e2d-4b86-a1c4-93d8e6f20b7a}",)
    assert [c.name for c in remote_audio.codecs] == [
        "opus",
        "G722",
        "PCMU",
        "PCMA",
        "telephone-event",
    ]
    assert remote_audio.codecs[0].parameter("stereo") == "1"
    answer = create_media_answer(offer, local_parameters(), {"1": video_plan("1")}, CAPS)
    audio_answered, video_answered, _ = answer.media
    assert video_answered is not None and video_answered.negotiated is not None
    assert video_answered.declined == (
        "a=rid:h send",
        "a=rid:m send",
        "a=rid:l send",
        "a=simulcast:send h;m;l",
    )
    # VP8 + RTX, H264 pm=1 + RTX; not VP9, not H264 pm=0, not red/ulpfec or red's RTX
    assert video_answered.section.formats == ("120", "124", "126", "127")
    attrs = read_rtp_attributes(video_answered.section)
    assert attrs.fmtps[126].get("profile-level-id") == "42e01f"
    assert [e.id for e in attrs.extmaps] == [3, 4]
    assert audio_answered is not None and audio_answered.section.direction == "recvonly"
    assert audio_answered.section.formats == ("109", "9", "0", "8")
    # Firefox's recvonly extmap would be answered sendonly; none of those are ours
    assert all(e.direction is None for e in attrs.extmaps)


def test_extmap_direction_is_reversed_in_the_answer() -> None:
    offer = parse_sdp(read_sample("firefox_av_simulcast_offer.sdp"))
    csrc = HeaderExtension(99, "urn:ietf:params:rtp-hdrext:csrc-audio-level")
    caps = replace(CAPS["audio"], header_extensions=(*CAPS["audio"].header_extensions, csrc))
    answered = media_answer_section(offer.media[0], None, caps, TRANSPORT)
    assert "2/sendonly urn:ietf:params:rtp-hdrext:csrc-audio-level" in rtp_lines(
        answered.section, "extmap"
    )


# -- rejections instead of exceptions -------------------------------------------------


def test_no_codec_in_common_rejects_the_section() -> None:
    offer = parse_sdp(read_sample("chrome_av_data_offer.sdp"))
    only_h265 = {"video": MediaCapabilities("video", (Codec("video/H265", 90000, None, 45),))}
    answer = create_media_answer(offer, local_parameters(), {}, {**CAPS, **only_h265})
    audio, video, data = answer.description.media
    assert video.port == 0 and video.mid == "1" and video.direction == "inactive"
    assert audio.port == 9 and data.port == 9
    assert answer.description.bundle_groups[0].mids == ("0", "2")
    answered = answer.media[1]
    assert answered is not None and answered.negotiated is None
    assert answered.rejected_because == "no codec in common"
    parse_remote_description({"type": "answer", "sdp": answer.sdp}, offer=offer)


def test_stopped_transceiver_rejects_the_section() -> None:
    offer = parse_sdp(read_sample("chrome_av_data_offer.sdp"))
    plans = {"0": audio_plan("0", stopped=True)}
    answer = create_media_answer(offer, local_parameters(), plans, CAPS)
    assert answer.description.media[0].port == 0
    assert answer.media[0] is not None and answer.media[0].rejected_because is not None


def test_malformed_offer_line_is_a_syntax_error_or_a_rejected_section() -> None:
    text = read_sample("chrome_av_data_offer.sdp")
    lines = text.split("\n")
    number = lines.index("a=rtpmap:96 VP8/90000")
    lines[number] = "a=rtpmap:96 VP8"
    bad = "\n".join(lines)
    offer = parse_sdp(bad)
    # setRemoteDescription's check: RTCError with the line number
    with pytest.raises(RTCError) as caught:
        remote_media(offer, bad)
    assert caught.value.errorDetail == "sdp-syntax-error"
    assert caught.value.sdpLineNumber == number + 1
    # createAnswer never raises for it: the section is rejected
    answer = create_media_answer(offer, local_parameters(), {}, CAPS)
    assert answer.description.media[1].port == 0
    assert answer.media[1] is not None
    assert "malformed" in (answer.media[1].rejected_because or "")
    assert answer.description.media[0].port == 9


def test_sections_outside_the_answered_bundle_are_rejected() -> None:
    text = read_sample("chrome_av_data_offer.sdp").replace(
        "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 1 2"
    )
    offer = parse_sdp(text)
    answer = create_media_answer(offer, local_parameters(), {}, CAPS)
    audio, video, _ = answer.description.media
    assert audio.port == 0 and video.port == 9
    assert answer.description.bundle_groups[0].mids == ("1", "2")


def test_rejected_offered_section_stays_rejected() -> None:
    offer = parse_sdp(read_sample("chrome_av_data_offer.sdp"))
    rejected = replace(offer.media[0], port=0)
    offer = offer.with_media(0, rejected)
    answer = create_media_answer(offer, local_parameters(), {"0": audio_plan("0")}, CAPS)
    assert answer.description.media[0].port == 0


# -- our offers, round trips -------------------------------------------------------------


def offer_answer(
    offer_plans: list[MediaSectionPlan], answer_plans: dict[str, MediaSectionPlan]
) -> tuple[SessionDescription, SessionDescription]:
    offer = create_media_offer(local_parameters(), offer_plans)
    text = offer.sdp
    parsed = parse_media_sdp(text)
    remote_media(parsed, text)
    answer = create_media_answer(parsed, local_parameters(version=3), answer_plans, CAPS)
    return parsed, parse_media_sdp(answer.sdp)


def test_our_offer_shape() -> None:
    offer = create_media_offer(local_parameters(), [audio_plan("0"), video_plan("1")])
    text = offer.sdp
    description = parse_media_sdp(text)
    assert [s.kind for s in description.media] == ["audio", "video", "application"]
    assert [s.mid for s in description.media] == ["0", "1", "2"]
    assert description.bundle_groups[0].mids == ("0", "1", "2")
    audio, video, _ = description.media
    assert audio.proto == "UDP/TLS/RTP/SAVPF" and audio.setup == "actpass"
    assert audio.formats == ("96", "9", "0", "8")
    assert rtp_lines(audio, "rtpmap")[0] == "96 opus/48000/2"
    assert video.formats == ("97", "98", "99", "100", "101", "102")
    assert "98 apt=97" in rtp_lines(video, "fmtp")
    assert "97 nack pli" in rtp_lines(video, "rtcp-fb")
    assert video.has_attribute("rtcp-rsize") and video.rtcp_mux
    assert rtp_lines(video, "extmap") == (
        "1 urn:ietf:params:rtp-hdrext:sdes:mid",
        "3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    )
    assert rtp_lines(video, "ssrc-group") == ("FID 2222 3333",)
    assert rtp_lines(video, "ssrc") == ("2222 cname:our-cname", "3333 cname:our-cname")
    assert video.direction == "sendrecv"
    # aiortc reads our offer's codecs the same way
    theirs = aiortc_sdp.SessionDescription.parse(text)
    assert [c.payloadType for c in theirs.media[1].rtp.codecs] == [97, 98, 99, 100, 101, 102]
    assert theirs.media[1].ssrc_group[0].semantic == "FID"
    parse_remote_description({"type": "offer", "sdp": text})


def test_offer_without_sender_or_receiving_only() -> None:
    plan = MediaSectionPlan("video", "0", CAPS["video"], "recvonly")
    section = media_offer_section(plan, TRANSPORT)
    assert section.direction == "recvonly" and not section.has_attribute("ssrc")
    sending = media_offer_section(replace(video_plan("0"), direction="recvonly"), TRANSPORT)
    assert not sending.has_attribute("msid") and not sending.has_attribute("ssrc")
    stopped = media_offer_section(replace(plan, stopped=True), TRANSPORT)
    assert stopped.port == 0 and stopped.mid == "0"


def test_offer_with_codec_preferences() -> None:
    prefs = (
        Codec(
            "video/H264",
            90000,
            parameters=(("packetization-mode", "1"), ("profile-level-id", "42e01f")),
        ),
    )
    section = media_offer_section(replace(video_plan("0"), codec_preferences=prefs), TRANSPORT)
    assert section.formats == ("101",)
    assert not section.has_attribute("ssrc-group")  # no RTX offered


@pytest.mark.parametrize(
    ("offer_dir", "answer_dir", "offerer_sees", "answerer_sees"),
    [
        ("sendrecv", "sendrecv", "sendrecv", "sendrecv"),
        ("sendrecv", "recvonly", "sendonly", "recvonly"),
        ("sendonly", "sendrecv", "sendonly", "recvonly"),
        ("recvonly", "sendrecv", "recvonly", "sendonly"),
        ("inactive", "sendrecv", "inactive", "inactive"),
    ],
)
def test_rtcpeer_to_rtcpeer_round_trip(
    offer_dir: str, answer_dir: str, offerer_sees: str, answerer_sees: str
) -> None:
    offer_plans = [audio_plan("0", offer_dir), video_plan("1", offer_dir)]
    answerer_audio = MediaSectionPlan(
        "audio", "0", CAPS["audio"], answer_dir, LocalSender(5, "them", "a2", ("s2",))
    )
    answerer_video = MediaSectionPlan(
        "video", "1", CAPS["video"], answer_dir, LocalSender(6, "them", "v2", ("s2",), 7)
    )
    offer, answer = offer_answer(offer_plans, {"0": answerer_audio, "1": answerer_video})
    for index, plan in enumerate(offer_plans):
        negotiated = negotiate_from_answer(
            offer.media[index], answer.media[index], plan, index=index
        )
        assert negotiated is not None
        assert negotiated.direction == offerer_sees
        answered = remote_media_section(answer.media[index])
        assert answered.direction == answerer_sees
        # both sides use the same payload types; the first is what we offered first
        assert negotiated.codecs[0].payload_type == (96 if plan.kind == "audio" else 97)
        if _sends(answerer_sees):
            assert negotiated.remote.ssrc == (5 if plan.kind == "audio" else 6)
            assert negotiated.remote.stream_ids == ("s2",)
        if plan.kind == "video" and _sends(answerer_sees):
            assert negotiated.remote.rtx_ssrc == 7
        assert {e.uri for e in negotiated.header_extensions} == {
            e.uri for e in plan.capabilities.header_extensions
        }


def _sends(direction: str) -> bool:
    return direction in ("sendrecv", "sendonly")


def test_answer_rejecting_our_section() -> None:
    offer, answer = offer_answer([audio_plan("0")], {"0": audio_plan("0", stopped=True)})
    assert negotiate_from_answer(offer.media[0], answer.media[0], audio_plan("0")) is None


def test_reoffer_keeps_order_mids_and_payload_types() -> None:
    first = create_media_offer(local_parameters(), [audio_plan("0"), video_plan("1")])
    # the browser answered; its PTs are now in use for video (say VP8 = 120)
    in_use = (
        Codec("video/VP8", 90000, None, 120),
        Codec("video/rtx", 90000, None, 124, (("apt", "120"),)),
    )
    plans = [
        audio_plan("0", stopped=True),
        video_plan("1", codecs_in_use=in_use),
        video_plan("3", direction="sendonly"),
    ]
    again = create_media_offer(local_parameters(version=2), plans, previous=first.description)
    description = parse_media_sdp(again.sdp)
    assert [(s.kind, s.mid) for s in description.media] == [
        ("audio", "0"),
        ("video", "1"),
        ("application", "2"),
        ("video", "3"),
    ]
    audio, video, data, new_video = description.media
    assert audio.port == 0 and data.is_data_channel and new_video.direction == "sendonly"
    assert video.formats[:2] == ("120", "124") and "124 apt=120" in rtp_lines(video, "fmtp")
    assert description.bundle_groups[0].mids == ("1", "2", "3")
    assert again.credentials == first.credentials


def test_ice_restart_reaches_media_sections() -> None:
    first = create_media_offer(local_parameters(), [audio_plan("0")])
    again = create_media_offer(
        local_parameters(), [audio_plan("0")], previous=first.description, ice_restart=True
    )
    assert again.restarted and again.credentials != first.credentials
    for section in again.description.media:
        assert section.ice_ufrag == again.credentials.ufrag


def test_offer_without_data_section() -> None:
    offer = create_media_offer(local_parameters(), [audio_plan("0")], data=False)
    assert [s.kind for s in offer.description.media] == ["audio"]
    assert offer.description.bundle_groups[0].mids == ("0",)


def test_candidates_and_default_address() -> None:
    candidate = "1 1 udp 2122260223 192.0.2.10 50000 typ host"
    transport = replace(TRANSPORT, candidates=(candidate,), gathering_complete=True)
    section = media_offer_section(audio_plan("0"), transport)
    assert section.port == 50000 and section.connection is not None
    assert section.connection.address == "192.0.2.10"
    assert section.end_of_candidates and section.candidates == (candidate,)


def test_remote_media_skips_unknown_formats() -> None:
    text = read_sample("chrome_av_data_offer.sdp").replace(
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 63", "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 77 x"
    )
    audio = remote_media(parse_sdp(text))[0]
    assert audio is not None
    assert 77 not in [c.payload_type for c in audio.codecs]
    assert audio.codecs[0].rtcp_feedback[0].type == "transport-cc"


# -- fuzzing: answering never raises for the offer's media lines --------------------------

CHROME_LINES = read_sample("chrome_av_data_offer.sdp").split("\n")
RTP_LINE_NUMBERS = [
    i
    for i, line in enumerate(CHROME_LINES)
    if line.partition(":")[0][2:]
    in ("rtpmap", "fmtp", "rtcp-fb", "extmap", "ssrc", "ssrc-group", "msid")
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(RTP_LINE_NUMBERS),
    st.text(st.sampled_from([*"0123456789 /;=:*-abcAPT{}"]), max_size=24),
)
@example(index=29, value="0 0/1")  # line 30 maps PT 0 too: line 33 is then the second
def test_mutated_offers_are_rejected_or_answered_never_raised(index: int, value: str) -> None:
    lines = list(CHROME_LINES)
    lines[index] = lines[index].partition(":")[0] + ":" + value
    text = "\n".join(lines)
    offer = parse_sdp(text)  # the session-level codec does not look at these lines
    try:
        remote_media(offer, text)
        well_formed = True
    except RTCError as error:
        # A mutation that duplicates an id or a payload type's rtpmap/fmtp is
        # reported at the second line with it, which may be the original line
        # after the mutated one.
        duplicate = "used twice" in str(error) or "a second " in str(error)
        assert error.sdpLineNumber == index + 1 or (duplicate and error.sdpLineNumber is not None)
        well_formed = False
    answer = create_media_answer(offer, local_parameters(), {"1": video_plan("1")}, CAPS)
    parsed = parse_media_sdp(answer.sdp)
    assert len(parsed.media) == 3 and parsed.media[2].port == 9
    if not well_formed:
        video_start = next(i for i, line in enumerate(CHROME_LINES) if line.startswith("m=video"))
        assert parsed.media[0 if index < video_start else 1].port == 0
