"""Our offers and answers: they parse back, answer every sample offer, and follow JSEP."""

from __future__ import annotations

from typing import Any

import pytest
from aiortc import sdp as aiortc_sdp
from tests.support.jsep import (
    FINGERPRINT,
    LOCAL_CREDENTIALS,
    OFFER_SAMPLES,
    local_parameters,
    read_sample,
)

from rtcpeer.configuration import RTCDtlsFingerprint
from rtcpeer.errors import InvalidAccessError, OperationError
from rtcpeer.jsep import (
    LocalParameters,
    answer_setup,
    create_answer,
    create_offer,
    default_candidate,
    new_session_id,
    parse_remote_description,
    sdp_fingerprints,
)
from rtcpeer.sdp import Fingerprint, Group, parse_sdp

HOST = "1 1 udp 2130706431 192.0.2.5 50000 typ host"
HOST6 = "2 1 udp 2130706175 2001:db8::5 50001 typ host"
MDNS = "3 1 udp 2130706431 0a1b2c3d-0000-4000-8000-000000000000.local 50002 typ host"
SRFLX = "4 1 udp 1694498815 203.0.113.9 61000 typ srflx raddr 192.0.2.5 rport 50000"
RELAY_LOW = "5 1 udp 16777215 198.51.100.1 40000 typ relay raddr 203.0.113.9 rport 61000"
RELAY_UDP = "6 1 udp 33562623 198.51.100.1 40002 typ relay raddr 203.0.113.9 rport 61000"
RTCP = "7 2 udp 33562622 198.51.100.1 40003 typ relay raddr 203.0.113.9 rport 61001"


def test_initial_offer(params: LocalParameters) -> None:
    offer = create_offer(params)
    assert not offer.restarted and offer.credentials == LOCAL_CREDENTIALS
    d = parse_sdp(offer.sdp)
    assert d == offer.description
    assert offer.sdp.endswith("\r\n") and "\n" not in offer.sdp.replace("\r\n", "")
    assert (d.origin.session_id, d.origin.session_version) == (1234567890123, 1)
    assert d.bundle_groups == (Group("BUNDLE", ("0",)),)
    assert d.ice_options == ("trickle",) and not d.ice_lite
    (data,) = d.media
    assert (data.kind, data.port, data.proto, data.formats) == (
        "application",
        9,
        "UDP/DTLS/SCTP",
        ("webrtc-datachannel",),
    )
    assert data.connection is not None and str(data.connection) == "IN IP4 0.0.0.0"
    assert (data.mid, data.setup, data.sctp_port, data.max_message_size) == (
        "0",
        "actpass",
        5000,
        262144,
    )
    assert (data.ice_ufrag, data.ice_pwd) == (LOCAL_CREDENTIALS.ufrag, LOCAL_CREDENTIALS.pwd)
    assert data.fingerprints == (FINGERPRINT,)
    assert data.candidates == () and not data.end_of_candidates
    # the offer passes our own remote-description validation
    remote = parse_remote_description({"type": "offer", "sdp": offer.sdp})
    assert remote.data_channel is not None and remote.supports_trickle


@pytest.mark.parametrize("policy", ["balanced", "max-compat", "max-bundle"])
def test_offer_is_the_same_for_every_bundle_policy(policy: str) -> None:
    assert (
        create_offer(local_parameters(bundle_policy=policy)).sdp
        == create_offer(local_parameters()).sdp
    )


def test_offer_with_candidates_and_end_of_candidates() -> None:
    params = local_parameters(candidates=(HOST, MDNS, SRFLX), complete=True)
    (data,) = parse_sdp(create_offer(params).sdp).media
    assert data.candidates == (HOST, MDNS, SRFLX)
    assert data.end_of_candidates
    assert (data.port, str(data.connection)) == (61000, "IN IP4 203.0.113.9")


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        ((), None),
        ((MDNS,), None),
        ((HOST, MDNS), ("192.0.2.5", 50000)),
        ((HOST6,), ("2001:db8::5", 50001)),
        ((HOST, SRFLX), ("203.0.113.9", 61000)),
        ((HOST, SRFLX, RELAY_LOW, RELAY_UDP), ("198.51.100.1", 40002)),
        ((RTCP,), None),
        (("garbage",), None),
    ],
)
def test_default_candidate(candidates: tuple[str, ...], expected: object) -> None:
    assert default_candidate(candidates) == expected


def test_ipv6_default_candidate_writes_ip6_connection_line() -> None:
    (data,) = parse_sdp(create_offer(local_parameters(candidates=(HOST6,))).sdp).media
    assert str(data.connection) == "IN IP6 2001:db8::5"


def test_aiortc_parses_our_offer() -> None:
    offer = create_offer(local_parameters(candidates=(HOST,), complete=True)).sdp
    parsed: Any = aiortc_sdp.SessionDescription.parse(offer)
    (media,) = parsed.media
    assert media.kind == "application" and media.sctp_port == 5000
    assert media.ice.usernameFragment == LOCAL_CREDENTIALS.ufrag
    assert media.dtls.fingerprints[0].value == FINGERPRINT.value
    assert media.ice_candidates[0].ip == "192.0.2.5" and media.ice_candidates_complete


def test_sdp_fingerprints_from_certificate_fingerprints() -> None:
    w3c = RTCDtlsFingerprint("sha-256", "ab:cd:ef")
    assert sdp_fingerprints([w3c]) == (Fingerprint("sha-256", "AB:CD:EF"),)
    with pytest.raises(TypeError):
        sdp_fingerprints([object()])


def test_new_session_id_is_below_2_63() -> None:
    ids = {new_session_id() for _ in range(50)}
    assert len(ids) == 50 and all(0 < i < 2**63 for i in ids)


# -- answers ---------------------------------------------------------------


@pytest.mark.parametrize("name", OFFER_SAMPLES)
def test_answer_every_sample_offer(name: str, params: LocalParameters) -> None:
    offer = parse_sdp(read_sample(name))
    answer = create_answer(offer, params)
    text = answer.to_sdp()
    parsed = parse_sdp(text)
    assert parsed == answer
    assert len(parsed.media) == len(offer.media)
    # the answer is valid against the offer by our own remote rules
    remote = parse_remote_description({"type": "answer", "sdp": text}, offer=offer)
    assert remote.data_channel is not None
    assert remote.data_channel.mid == offer.media[remote.data_channel.index].mid
    assert remote.transports[0].setup == "active"
    assert remote.transports[0].credentials == LOCAL_CREDENTIALS
    for ours, theirs in zip(parsed.media, offer.media, strict=True):
        assert (ours.kind, ours.proto, ours.mid) == (theirs.kind, theirs.proto, theirs.mid)
        assert ours.is_rejected != ours.is_data_channel
    # aiortc understands it
    aiortc_sdp.SessionDescription.parse(text)


def test_answer_to_chrome_av_data_offer_rejects_media(params: LocalParameters) -> None:
    offer = parse_sdp(read_sample("chrome_av_data_offer.sdp"))
    answer = create_answer(offer, params)
    audio, video, data = answer.media
    assert (audio.port, audio.formats, audio.mid, audio.direction) == (
        0,
        offer.media[0].formats,
        "0",
        "inactive",
    )
    assert audio.is_rejected and video.is_rejected and video.mid == "1"
    assert audio.ice_ufrag is None and audio.fingerprints == () and not audio.candidates
    assert not data.is_rejected and data.mid == "2" and data.sctp_port == 5000
    assert answer.bundle_groups == (Group("BUNDLE", ("2",)),)


def test_answer_to_legacy_offer_keeps_the_legacy_form(params: LocalParameters) -> None:
    answer = create_answer(parse_sdp(read_sample("legacy_sctpmap_offer.sdp")), params)
    (data,) = answer.media
    assert (data.proto, data.formats, data.mid) == ("DTLS/SCTP", ("5000",), "data")
    assert data.attribute("sctpmap") == "5000 webrtc-datachannel 65535"
    assert data.attribute("sctp-port") is None and data.sctp_port == 5000


def test_answer_with_tcp_dtls_sctp_keeps_the_proto(params: LocalParameters) -> None:
    text = read_sample("chrome_datachannel_offer.sdp").replace("UDP/DTLS/SCTP", "TCP/DTLS/SCTP")
    (data,) = create_answer(parse_sdp(text), params).media
    assert data.proto == "TCP/DTLS/SCTP" and data.formats == ("webrtc-datachannel",)


@pytest.mark.parametrize(
    ("offer_setup", "existing", "expected"),
    [
        ("actpass", None, "active"),
        ("passive", None, "active"),
        ("active", None, "passive"),
        (None, None, "active"),
        ("actpass", "passive", "passive"),
        ("actpass", "active", "active"),
        ("active", "passive", "passive"),
    ],
)
def test_answer_setup(offer_setup: str | None, existing: str | None, expected: str) -> None:
    assert answer_setup(offer_setup, existing) == expected


def test_answer_setup_errors() -> None:
    with pytest.raises(OperationError):
        answer_setup("holdconn")
    with pytest.raises(InvalidAccessError):
        answer_setup("active", "active")
    with pytest.raises(ValueError):
        answer_setup("actpass", "actpass")


def test_answer_to_active_offer_is_passive(params: LocalParameters) -> None:
    text = read_sample("firefox_datachannel_offer.sdp").replace("setup:actpass", "setup:active")
    (data,) = create_answer(parse_sdp(text), params).media
    assert data.setup == "passive"


def _unbundled_av_data_offer() -> str:
    return read_sample("chrome_av_data_offer.sdp").replace("a=group:BUNDLE 0 1 2\n", "")


@pytest.mark.parametrize(
    ("policy", "text", "accepted"),
    [
        ("balanced", read_sample("chrome_av_data_offer.sdp"), True),
        ("max-bundle", read_sample("chrome_av_data_offer.sdp"), True),
        ("max-compat", read_sample("chrome_av_data_offer.sdp"), True),
        ("balanced", _unbundled_av_data_offer(), True),
        ("max-compat", _unbundled_av_data_offer(), True),
        # max-bundle: not the first section and not bundled with it -> rejected
        ("max-bundle", _unbundled_av_data_offer(), False),
    ],
)
def test_answer_bundle_policy(policy: str, text: str, accepted: bool) -> None:
    answer = create_answer(parse_sdp(text), local_parameters(bundle_policy=policy))
    assert answer.media[2].is_rejected is not accepted
    assert all(s.is_rejected for s in answer.media[:2])
    expected_groups = (Group("BUNDLE", ("2",)),) if accepted and "BUNDLE" in text else ()
    assert answer.bundle_groups == expected_groups


def test_answer_accepts_only_the_first_data_section(params: LocalParameters) -> None:
    text = read_sample("chrome_datachannel_offer.sdp")
    second = text[text.index("m=application") :].replace("a=mid:0", "a=mid:1")
    text = text.replace("BUNDLE 0", "BUNDLE 0 1") + second
    answer = create_answer(parse_sdp(text), params)
    assert [s.is_rejected for s in answer.media] == [False, True]
    assert answer.media[1].mid == "1" and answer.media[1].direction is None


def test_answer_rejects_offer_without_data(params: LocalParameters) -> None:
    text = read_sample("chrome_av_data_offer.sdp")
    text = text[: text.index("m=application")].replace("BUNDLE 0 1 2", "BUNDLE 0 1")
    answer = create_answer(parse_sdp(text), params)
    assert [s.is_rejected for s in answer.media] == [True, True]
    assert answer.bundle_groups == ()


def test_answer_rejects_data_section_the_offer_rejected(params: LocalParameters) -> None:
    text = read_sample("chrome_datachannel_offer.sdp").replace(
        "m=application 56143", "m=application 0"
    )
    assert create_answer(parse_sdp(text), params).media[0].is_rejected


def test_answer_with_existing_dtls_role(params: LocalParameters) -> None:
    offer = parse_sdp(read_sample("chrome_datachannel_offer.sdp"))
    answer = create_answer(offer, params, existing_setup="passive")
    assert answer.media[0].setup == "passive"


# -- subsequent offers ---------------------------------------------------------


def test_reoffer_after_answering_av_data_keeps_sections(params: LocalParameters) -> None:
    offer = parse_sdp(read_sample("chrome_av_data_offer.sdp"))
    answer = create_answer(offer, params)
    reoffer = create_offer(local_parameters(version=2), previous=answer).description
    assert [(s.kind, s.mid, s.is_rejected) for s in reoffer.media] == [
        ("audio", "0", True),
        ("video", "1", True),
        ("application", "2", False),
    ]
    assert reoffer.media[2].setup == "actpass"
    assert reoffer.bundle_groups == (Group("BUNDLE", ("2",)),)
    assert reoffer.origin.session_version == 2
    # the peer's view: same m-line count, same kinds -> a valid answer to our reoffer
    parse_remote_description({"type": "offer", "sdp": reoffer.to_sdp()})


def test_reoffer_when_previous_has_no_live_data_section(params: LocalParameters) -> None:
    text = read_sample("chrome_av_data_offer.sdp")
    text = text[: text.index("m=application")].replace("BUNDLE 0 1 2", "BUNDLE 0 1")
    answer = create_answer(parse_sdp(text), params)
    reoffer = create_offer(params, previous=answer).description
    assert [s.mid for s in reoffer.media] == ["0", "1", "2"]
    assert reoffer.media[2].is_data_channel and not reoffer.media[2].is_rejected


def test_reoffer_keeps_legacy_form(params: LocalParameters) -> None:
    answer = create_answer(parse_sdp(read_sample("legacy_sctpmap_offer.sdp")), params)
    (data,) = create_offer(params, previous=answer).description.media
    assert (data.proto, data.mid, data.setup) == ("DTLS/SCTP", "data", "actpass")


def test_unknown_bundle_policy_is_rejected(params: LocalParameters) -> None:
    offer = parse_sdp(read_sample("chrome_datachannel_offer.sdp"))
    with pytest.raises(ValueError):
        create_answer(offer, local_parameters(bundle_policy="max-fun"))
