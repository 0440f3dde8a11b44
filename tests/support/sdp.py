"""A minimal valid data-channel offer, line by line, for SDP tests to break one line of."""

from __future__ import annotations

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
