"""The W3C RTCSessionDescription and RTCIceCandidate objects."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtcpeer.jsep import (
    RTCIceCandidate,
    RTCIceCandidateInit,
    RTCSdpType,
    RTCSessionDescription,
    local_description_init,
)

SDP = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"

# -- RTCSessionDescription ----------------------------------------------------


@pytest.mark.parametrize("kind", ["offer", "answer", "pranswer", "rollback"])
def test_description_json_round_trip(kind: str) -> None:
    browser_json = json.dumps({"type": kind, "sdp": SDP})
    description = RTCSessionDescription(json.loads(browser_json))
    assert description.type == kind and description.type is RTCSdpType(kind)
    assert description.sdp == SDP
    assert json.loads(json.dumps(description.toJSON())) == {"type": kind, "sdp": SDP}
    assert RTCSessionDescription(description) == description
    assert RTCSessionDescription(kind, SDP) == description
    assert RTCSessionDescription(sdp=SDP, type=kind) == description


def test_description_sdp_defaults_to_empty() -> None:
    assert RTCSessionDescription({"type": "rollback"}).sdp == ""
    assert RTCSessionDescription("rollback").toJSON() == {"type": "rollback", "sdp": ""}


def test_description_accepts_duck_typed_objects() -> None:
    aiortc_like = SimpleNamespace(type="answer", sdp=SDP)
    assert RTCSessionDescription(aiortc_like).toJSON() == {"type": "answer", "sdp": SDP}


@pytest.mark.parametrize(
    ("init", "message"),
    [
        ({"sdp": SDP}, "type: required"),
        ({"type": "Offer", "sdp": SDP}, "type: 'Offer' is not a valid RTCSdpType"),
        ({"type": "bogus"}, "type: 'bogus'"),
        ({"type": None}, "type: expected a string"),
        ({"type": 1}, "type: expected a string"),
        ({"type": "offer", "sdp": None}, "sdp: expected a string"),
        ({"type": "offer", "sdp": b"v=0"}, "sdp: expected a string"),
    ],
)
def test_description_type_errors(init: dict[str, object], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        RTCSessionDescription(init)


def test_description_is_read_only_and_hashable() -> None:
    description = RTCSessionDescription("offer", SDP)
    with pytest.raises(AttributeError):
        description.sdp = "x"  # type: ignore[misc]
    assert len({description, RTCSessionDescription({"type": "offer", "sdp": SDP})}) == 1
    assert "offer" in repr(description)
    with pytest.raises(TypeError):
        RTCSessionDescription(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        RTCSessionDescription({"type": "offer"}, SDP)


def test_local_description_init_type_is_optional() -> None:
    assert local_description_init(None) == (None, "")
    assert local_description_init({}) == (None, "")
    assert local_description_init({"sdp": SDP}) == (None, SDP)
    assert local_description_init({"type": "answer"}) == (RTCSdpType.ANSWER, "")
    with pytest.raises(TypeError, match="type"):
        local_description_init({"type": "nope"})


# -- RTCIceCandidate ------------------------------------------------------------

CHROME_HOST = (
    "candidate:2999745851 1 udp 2122260223 e1f2d8a6-4c3b-4b8e-9f21-7a6d5c4b3a21.local "
    "56143 typ host generation 0 ufrag Hx9s network-id 1 network-cost 10"
)
SRFLX = "candidate:842163049 1 udp 1686052607 203.0.113.7 56143 typ srflx raddr 0.0.0.0 rport 0"
FIREFOX_TCP = "candidate:2 2 TCP 2105524479 fd00::2 9 typ host tcptype active"
RELAY = "candidate:9 1 udp 41885439 198.51.100.40 3478 typ relay raddr 203.0.113.7 rport 56143"


def test_candidate_from_browser_json_round_trips() -> None:
    browser = {
        "candidate": CHROME_HOST,
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "Hx9s",
    }
    candidate = RTCIceCandidate(json.loads(json.dumps(browser)))
    assert candidate.toJSON() == browser
    assert RTCIceCandidate(candidate) == candidate
    assert RTCIceCandidate(candidate.toJSON()) == candidate
    assert candidate.foundation == "2999745851"
    assert candidate.component == "rtp"
    assert candidate.priority == 2122260223
    assert candidate.address == "e1f2d8a6-4c3b-4b8e-9f21-7a6d5c4b3a21.local"
    assert candidate.protocol == "udp"
    assert candidate.port == 56143
    assert candidate.type == "host"
    assert candidate.tcpType is None
    assert candidate.relatedAddress is None and candidate.relatedPort is None
    assert candidate.usernameFragment == "Hx9s"
    assert candidate.sdp_value == CHROME_HOST[len("candidate:") :]
    assert candidate.relayProtocol is None and candidate.url is None


@pytest.mark.parametrize(
    ("members", "match"),
    [
        ({"candidate": 5, "sdpMid": "0"}, "candidate: expected a string"),
        ({"candidate": SRFLX, "sdpMid": 0}, "sdpMid: expected a string"),
        ({"candidate": SRFLX, "sdpMLineIndex": True}, "sdpMLineIndex: expected an integer"),
        ({"candidate": SRFLX, "sdpMLineIndex": 70000}, "outside the range"),
        ({"candidate": SRFLX, "sdpMid": "0", "usernameFragment": 1}, "usernameFragment"),
        ({"candidate": SRFLX}, "both null"),
        ({}, "both null"),
    ],
)
def test_candidate_members_as_keywords_are_checked_as_the_dictionary_is(
    members: dict[str, object], match: str
) -> None:
    with pytest.raises(TypeError, match=match):
        RTCIceCandidate(members)
    with pytest.raises(TypeError, match=match):
        RTCIceCandidate(**members)  # type: ignore[arg-type]


def test_candidate_fields_are_read_from_the_string_when_asked() -> None:
    made = RTCIceCandidate(candidate=SRFLX, sdpMid="0", sdpMLineIndex=0, usernameFragment="u")
    assert made == RTCIceCandidate(
        {"candidate": SRFLX, "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "u"}
    )
    assert (made.type, made.port, made.relatedAddress) == ("srflx", 56143, "0.0.0.0")
    bad = RTCIceCandidate(candidate="candidate:not a candidate", sdpMid="0")
    assert bad.type is None and bad.foundation is None
    end = RTCIceCandidate(candidate="", sdpMLineIndex=0)
    assert end.is_end_of_candidates and end.address is None


def test_candidate_related_address_and_tcp_fields() -> None:
    srflx = RTCIceCandidate({"candidate": SRFLX, "sdpMLineIndex": 0})
    assert (srflx.type, srflx.relatedAddress, srflx.relatedPort) == ("srflx", "0.0.0.0", 0)
    assert srflx.sdpMid is None and srflx.usernameFragment is None
    tcp = RTCIceCandidate({"candidate": FIREFOX_TCP, "sdpMid": "data"})
    assert (tcp.protocol, tcp.tcpType, tcp.component, tcp.address) == (
        "tcp",
        "active",
        "rtcp",
        "fd00::2",
    )
    relay = RTCIceCandidate(candidate=RELAY, sdpMid="0", relayProtocol="tls", url="turns:x")
    assert (relay.type, relay.relatedPort, relay.relayProtocol, relay.url) == (
        "relay",
        56143,
        "tls",
        "turns:x",
    )


@pytest.mark.parametrize(
    "text",
    [
        SRFLX[len("candidate:") :],  # no "candidate:" prefix: not the grammar
        "candidate:1 3 udp 1 1.2.3.4 5 typ host",  # component 3 is not rtp/rtcp
        "candidate:1 1 sctp 1 1.2.3.4 5 typ host",  # not udp/tcp
        "candidate:1 1 udp 1 1.2.3.4 5 typ weird",  # unknown type
        "candidate:1 1 udp 4294967296 1.2.3.4 5 typ host",  # > unsigned long
        "candidate:1 1 tcp 1 1.2.3.4 5 typ host tcptype sideways",
        "candidate:garbage",
    ],
)
def test_unparseable_candidate_leaves_fields_null(text: str) -> None:
    candidate = RTCIceCandidate({"candidate": text, "sdpMid": "0"})
    assert candidate.candidate == text
    fields = (
        candidate.foundation,
        candidate.component,
        candidate.priority,
        candidate.address,
        candidate.protocol,
        candidate.port,
        candidate.type,
        candidate.tcpType,
        candidate.relatedAddress,
        candidate.relatedPort,
    )
    assert fields == (None,) * 10


def test_end_of_candidates_form() -> None:
    end = RTCIceCandidate({"candidate": "", "sdpMid": "0"})
    assert end.is_end_of_candidates and end.sdp_value is None and end.type is None
    assert end.toJSON() == {
        "candidate": "",
        "sdpMid": "0",
        "sdpMLineIndex": None,
        "usernameFragment": None,
    }
    assert RTCIceCandidateInit.from_value({"candidate": ""}).is_end_of_candidates


@pytest.mark.parametrize(
    "init",
    [
        {},
        {"candidate": ""},
        {"candidate": SRFLX},
        {"candidate": SRFLX, "sdpMid": None, "sdpMLineIndex": None},
    ],
)
def test_both_mid_and_index_null_is_type_error(init: dict[str, object]) -> None:
    with pytest.raises(TypeError, match="sdpMid and sdpMLineIndex are both null"):
        RTCIceCandidate(init)


@pytest.mark.parametrize(
    ("init", "member"),
    [
        ({"candidate": 5, "sdpMid": "0"}, "candidate"),
        ({"candidate": None, "sdpMid": "0"}, "candidate"),
        ({"sdpMid": 0}, "sdpMid"),
        ({"sdpMLineIndex": "0"}, "sdpMLineIndex"),
        ({"sdpMLineIndex": True}, "sdpMLineIndex"),
        ({"sdpMLineIndex": 65536}, "sdpMLineIndex"),
        ({"sdpMLineIndex": -1}, "sdpMLineIndex"),
        ({"sdpMid": "0", "usernameFragment": 1}, "usernameFragment"),
    ],
)
def test_candidate_member_type_errors(init: dict[str, object], member: str) -> None:
    with pytest.raises(TypeError, match=member):
        RTCIceCandidate(init)


def test_candidate_keyword_form_and_equality() -> None:
    a = RTCIceCandidate(candidate=SRFLX, sdpMid="0", sdpMLineIndex=0)
    b = RTCIceCandidate({"candidate": SRFLX, "sdpMid": "0", "sdpMLineIndex": 0})
    assert a == b and hash(a) == hash(b)
    assert a != RTCIceCandidate({"candidate": SRFLX, "sdpMid": "1"})
    with pytest.raises(AttributeError):
        a.candidate = ""  # type: ignore[misc]
    init = RTCIceCandidateInit.from_value(a)
    assert init.toJSON() == a.toJSON()
    assert RTCIceCandidateInit.from_value(None) == RTCIceCandidateInit()
    with pytest.raises(TypeError):
        RTCIceCandidateInit.from_value("candidate:...")  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    st.text()
    | st.lists(
        st.sampled_from(
            [
                "candidate:1",
                "1",
                "2",
                "udp",
                "TCP",
                "typ",
                "host",
                "raddr",
                "rport",
                "tcptype",
                "so",
                "1.2.3.4",
                "99999",
                "4294967296",
                "x.local",
            ]
        ),
        max_size=14,
    ).map(" ".join)
)
def test_any_candidate_string_constructs(text: str) -> None:
    candidate = RTCIceCandidate({"candidate": text, "sdpMid": "0"})
    assert candidate.candidate == text
    if candidate.type is not None:
        assert candidate.protocol in ("udp", "tcp") and candidate.component in ("rtp", "rtcp")
        assert candidate.port is not None and 0 <= candidate.port <= 65535
    else:
        assert candidate.foundation is None and candidate.port is None
