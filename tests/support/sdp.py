"""A minimal valid data-channel offer, line by line, for SDP tests to break
one line of; and a count of the candidate grammar's parses."""

from __future__ import annotations

import pytest

from rtcpeer.sdp import candidate as sdp_candidate

#: Each line of a valid offer (no CRLF); tests replace or drop one and expect an error.
GOOD = [
    "v=0",
    "o=- 1 1 IN IP4 0.0.0.0",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:abcd",
    "a=ice-pwd:abcdefghijklmnopqrstuv",
    "a=fingerprint:sha-256 AB:CD",
    "a=setup:actpass",
    "a=mid:0",
    "a=sctp-port:5000",
]


def count_candidate_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every candidate value the grammar parses from now on (the parse cache
    emptied first, so a remembered parse does not hide one)."""
    sdp_candidate.parse_candidate_value.cache_clear()
    parsed: list[str] = []
    parse = sdp_candidate._parse

    def counted(text: str, *, build: bool) -> sdp_candidate.CandidateFields | None:
        parsed.append(text)
        return parse(text, build=build)

    monkeypatch.setattr(sdp_candidate, "_parse", counted)
    return parsed
