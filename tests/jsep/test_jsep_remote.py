"""Extracting transport parameters from remote descriptions, and rejecting bad ones."""

from __future__ import annotations

import pytest
from tests.support.jsep import ANSWER_SAMPLES, OFFER_SAMPLES, read_sample

from rtcpeer.errors import InvalidAccessError, OperationError
from rtcpeer.jsep import (
    IceCredentials,
    LocalParameters,
    RTCError,
    RTCSessionDescription,
    create_offer,
    parse_remote_description,
)
from rtcpeer.sdp import parse_sdp


@pytest.mark.parametrize("name", OFFER_SAMPLES + ANSWER_SAMPLES)
def test_every_sample_is_a_valid_remote_description(name: str) -> None:
    kind = "offer" if name in OFFER_SAMPLES else "answer"
    remote = parse_remote_description(RTCSessionDescription(kind, read_sample(name)))
    assert remote.type == kind
    assert remote.data_channel is not None
    assert remote.data_channel.transport in remote.transports
    assert remote.transports[0].setup == ("actpass" if kind == "offer" else "active")
    assert not remote.ice_lite


def test_chrome_av_data_offer_is_one_bundle_transport() -> None:
    remote = parse_remote_description(
        {"type": "offer", "sdp": read_sample("chrome_av_data_offer.sdp")}
    )
    (transport,) = remote.transports
    assert transport.indexes == (0, 1, 2) and transport.mids == ("0", "1", "2")
    assert transport.credentials == IceCredentials("Ly0K", "lcVbG2e9S/nXq1t+Hk3pWd8Z")
    assert transport.fingerprints[0].value.startswith("D4:1B")
    assert transport.supports_trickle and remote.supports_trickle
    assert len(transport.candidates) == 2 and not transport.end_of_candidates
    assert remote.data_channel is not None
    assert (remote.data_channel.index, remote.data_channel.mid) == (2, "2")
    assert remote.transport_for(2) is transport


def test_firefox_offer_session_level_values() -> None:
    remote = parse_remote_description(
        {"type": "offer", "sdp": read_sample("firefox_datachannel_offer.sdp")}
    )
    (transport,) = remote.transports
    assert transport.fingerprints[0].value.startswith("4A:E1")
    assert transport.supports_trickle and transport.end_of_candidates
    assert remote.data_channel is not None
    assert remote.data_channel.max_message_size == 1073741823


def test_aiortc_offer_does_not_trickle() -> None:
    remote = parse_remote_description(
        {"type": "offer", "sdp": read_sample("aiortc_datachannel_offer.sdp")}
    )
    assert not remote.supports_trickle
    assert remote.transports[0].end_of_candidates
    assert len(remote.transports[0].fingerprints) == 3


def test_defaults_when_sctp_attributes_are_absent() -> None:
    text = read_sample("chrome_datachannel_offer.sdp")
    text = text.replace("a=sctp-port:5000\n", "").replace("a=max-message-size:262144\n", "")
    remote = parse_remote_description({"type": "offer", "sdp": text})
    assert remote.data_channel is not None
    assert (remote.data_channel.sctp_port, remote.data_channel.max_message_size) == (5000, 65536)


def test_ice_lite_peer() -> None:
    text = read_sample("chrome_datachannel_answer.sdp").replace("t=0 0\n", "t=0 0\na=ice-lite\n")
    assert parse_remote_description({"type": "answer", "sdp": text}).ice_lite


def test_syntax_error_is_rtc_error_with_line_number() -> None:
    text = read_sample("chrome_datachannel_offer.sdp").replace("a=setup:actpass", "a=setup:x")
    with pytest.raises(RTCError) as info:
        parse_remote_description({"type": "offer", "sdp": text})
    assert info.value.name == "OperationError"
    assert info.value.errorDetail == "sdp-syntax-error"
    assert info.value.sdpLineNumber == text.split("\n").index("a=setup:x") + 1


def test_rollback_has_no_description_to_parse() -> None:
    with pytest.raises(TypeError):
        parse_remote_description({"type": "rollback"})


def _edit(name: str, old: str, new: str) -> str:
    text = read_sample(name)
    assert old in text
    return text.replace(old, new)


INVALID = [
    ("chrome_datachannel_offer.sdp", "a=ice-ufrag:Hx9s\n", "", "missing ice-ufrag"),
    ("chrome_datachannel_offer.sdp", "a=ice-pwd:3wEt7h0fL/PbQkXcZ+2yM1rN\n", "", "missing ice-pwd"),
    ("chrome_datachannel_offer.sdp", "a=ice-ufrag:Hx9s", "a=ice-ufrag:Hx9", "ice-ufrag must be"),
    ("chrome_datachannel_offer.sdp", "a=ice-ufrag:Hx9s", "a=ice-ufrag:Hx-s", "ice-ufrag must be"),
    ("chrome_datachannel_offer.sdp", "a=ice-pwd:3wEt7h0fL/", "a=ice-pwd:", "ice-pwd must be"),
    ("chrome_datachannel_offer.sdp", "a=fingerprint:sha-256 7B", "a=x:sha-256 7B", "fingerprint"),
    ("firefox_datachannel_offer.sdp", "a=fingerprint:sha-256 4A", "a=x:sha-256 4A", "fingerprint"),
    ("chrome_datachannel_offer.sdp", "a=setup:actpass\n", "", "no a=setup"),
    ("chrome_datachannel_offer.sdp", "a=mid:0", "a=mid:1", "unknown mid '0'"),
    ("chrome_av_data_offer.sdp", "a=mid:1", "a=mid:0", "duplicate a=mid:0"),
    ("chrome_av_data_offer.sdp", "BUNDLE 0 1 2", "BUNDLE 0 1 2\na=group:BUNDLE 2", "two BUNDLE"),
    ("chrome_av_data_offer.sdp", "a=rtcp-mux\n", "", "rtcp-mux"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "old", "new", "reason"), INVALID)
def test_invalid_content_is_invalid_access_error(
    name: str, old: str, new: str, reason: str
) -> None:
    with pytest.raises(InvalidAccessError, match=reason) as info:
        parse_remote_description({"type": "offer", "sdp": _edit(name, old, new)})
    assert info.value.name == "InvalidAccessError"


def test_rejected_sections_need_no_transport_values() -> None:
    text = _edit("chrome_av_data_offer.sdp", "a=rtcp-mux\n", "")
    text = text.replace("m=audio 9", "m=audio 0").replace("m=video 9", "m=video 0")
    remote = parse_remote_description({"type": "offer", "sdp": text})
    assert remote.transports[0].indexes == (2,)
    assert remote.transport_for(0) is None


def test_answer_with_actpass_is_invalid() -> None:
    text = _edit("chrome_datachannel_answer.sdp", "a=setup:active", "a=setup:actpass")
    with pytest.raises(InvalidAccessError, match="active or passive"):
        parse_remote_description({"type": "answer", "sdp": text})
    with pytest.raises(InvalidAccessError, match="active or passive"):
        parse_remote_description({"type": "pranswer", "sdp": text})


def test_holdconn_is_operation_error() -> None:
    text = _edit("chrome_datachannel_offer.sdp", "a=setup:actpass", "a=setup:holdconn")
    with pytest.raises(OperationError) as info:
        parse_remote_description({"type": "offer", "sdp": text})
    assert type(info.value) is OperationError


def test_answer_must_match_our_offer(params: LocalParameters) -> None:
    offer = create_offer(params).description
    good = read_sample("chrome_datachannel_answer.sdp")
    assert parse_remote_description({"type": "answer", "sdp": good}, offer=offer).data_channel
    wrong_proto = good.replace("UDP/DTLS/SCTP", "TCP/DTLS/SCTP")
    with pytest.raises(InvalidAccessError, match="offered as application UDP/DTLS/SCTP"):
        parse_remote_description({"type": "answer", "sdp": wrong_proto}, offer=offer)
    wrong_mid = good.replace("a=mid:0", "a=mid:9").replace("BUNDLE 0", "BUNDLE 9")
    with pytest.raises(InvalidAccessError, match="mid"):
        parse_remote_description({"type": "answer", "sdp": wrong_mid}, offer=offer)
    two = parse_sdp(read_sample("chrome_av_data_offer.sdp"))
    with pytest.raises(InvalidAccessError, match="1 m-sections, the offer 3"):
        parse_remote_description({"type": "answer", "sdp": good}, offer=two)
