"""addIceCandidate's placement checks and recording candidates in descriptions."""

from __future__ import annotations

import pytest
from tests.support.jsep import read_sample

from rtcpeer.errors import OperationError
from rtcpeer.jsep import RTCIceCandidate, add_candidate, locate_remote_candidate
from rtcpeer.sdp import Attribute, parse_candidate_value, parse_sdp

CHROME = parse_sdp(read_sample("chrome_av_data_offer.sdp"))
CAND = "candidate:77 1 udp 1686052607 203.0.113.8 50000 typ srflx raddr 0.0.0.0 rport 0"
VALUE = CAND[len("candidate:") :]


def test_by_mid_then_recorded() -> None:
    located = locate_remote_candidate(
        CHROME, {"candidate": CAND, "sdpMid": "2", "usernameFragment": "Ly0K"}
    )
    assert (located.indexes, located.value) == ((2,), VALUE)
    updated = add_candidate(CHROME, located)
    assert updated.media[2].candidates[-1] == VALUE
    assert updated.media[0] == CHROME.media[0]
    assert add_candidate(updated, located) == updated  # no duplicates
    assert parse_sdp(updated.to_sdp()) == updated


def test_what_is_already_recorded_leaves_the_same_description() -> None:
    # A browser trickles the candidates its offer already listed: recording
    # one again builds nothing (the peer connection then keeps what it has).
    located = locate_remote_candidate(CHROME, {"candidate": CAND, "sdpMid": "2"})
    updated = add_candidate(CHROME, located)
    assert updated is not CHROME
    assert add_candidate(updated, located) is updated
    end = locate_remote_candidate(updated, {"candidate": "", "sdpMid": "2"})
    ended = add_candidate(updated, end)
    assert ended is not updated and ended.media[2].end_of_candidates
    assert add_candidate(ended, end) is ended


def test_by_index_and_the_mid_wins() -> None:
    assert locate_remote_candidate(CHROME, {"candidate": CAND, "sdpMLineIndex": 1}).indexes == (1,)
    both = locate_remote_candidate(CHROME, {"candidate": CAND, "sdpMid": "0", "sdpMLineIndex": 2})
    assert both.indexes == (0,)
    obj = RTCIceCandidate({"candidate": CAND, "sdpMid": "1"})
    assert locate_remote_candidate(CHROME, obj).indexes == (1,)


def test_end_of_candidates() -> None:
    one = locate_remote_candidate(CHROME, {"candidate": "", "sdpMid": "2"})
    assert one.value is None and one.indexes == (2,)
    updated = add_candidate(CHROME, one)
    assert updated.media[2].end_of_candidates and not updated.media[0].end_of_candidates
    assert updated.media[2].attributes[-1] == Attribute("end-of-candidates")
    everywhere = add_candidate(CHROME, locate_remote_candidate(CHROME, {"candidate": ""}))
    assert all(s.end_of_candidates for s in everywhere.media)
    # a later candidate goes before the end marker
    later = add_candidate(
        updated, locate_remote_candidate(CHROME, {"candidate": CAND, "sdpMid": "2"})
    )
    names = [a.name for a in later.media[2].attributes]
    assert names.index("candidate", names.index("candidate") + 2) < names.index("end-of-candidates")


@pytest.mark.parametrize(
    ("init", "error", "match"),
    [
        ({"candidate": CAND}, TypeError, "both null"),
        ({"candidate": CAND, "sdpMid": "9"}, OperationError, "no media section"),
        ({"candidate": CAND, "sdpMLineIndex": 3}, OperationError, "out of range"),
        ({"candidate": CAND, "sdpMid": "0", "usernameFragment": "old1"}, OperationError, "old1"),
        ({"candidate": "candidate:1 1 udp", "sdpMid": "0"}, OperationError, "invalid candidate"),
        ({"candidate": "", "sdpMid": "0", "usernameFragment": "x"}, OperationError, "'x'"),
    ],
)
def test_errors(init: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        locate_remote_candidate(CHROME, init)


def test_prefix_forms_are_accepted() -> None:
    for text in (CAND, "a=" + CAND, VALUE):
        assert locate_remote_candidate(CHROME, {"candidate": text, "sdpMid": "0"}).value == VALUE


def test_with_candidate_without_existing_candidates() -> None:
    section = parse_sdp(read_sample("chrome_datachannel_answer.sdp")).media[0]
    added = section.with_candidate(VALUE)
    assert added.attributes[-1] == Attribute("candidate", VALUE)
    assert added.with_end_of_candidates().with_end_of_candidates().end_of_candidates
    assert added.without_attributes("candidate") == section


def test_a_located_candidate_carries_its_parsed_fields() -> None:
    # addIceCandidate parses the value once, here; the ICE agent builds its
    # candidate from these fields (Candidate.from_fields) instead of again.
    located = locate_remote_candidate(CHROME, {"candidate": CAND, "sdpMid": "2"})
    assert located.fields == parse_candidate_value(VALUE)
    assert locate_remote_candidate(CHROME, {"candidate": "", "sdpMid": "2"}).fields is None
