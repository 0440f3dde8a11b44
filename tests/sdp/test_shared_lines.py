"""Lines that repeat across descriptions are one shared object each (issue 19).

Descriptions live as long as their connection and every full garbage
collection walks the objects they hold: ``a=setup:actpass``, ``a=mid:0``,
``c=IN IP4 0.0.0.0`` and the like are one object per process, not one per
description. Values that differ per connection (credentials, candidates,
fingerprints) are not shared, and the table of shared lines is bounded.
"""

from __future__ import annotations

import pytest

from rtcpeer.sdp import Attribute, Field, model, parse_sdp, shared_attribute, shared_field

OFFER = (
    "v=0\r\no=- {session} 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0\r\na=ice-options:trickle\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:{ufrag}\r\na=ice-pwd:{ufrag}pwdpwdpwdpwdpwdpwd\r\n"
    "a=fingerprint:sha-256 {fingerprint}\r\n"
    "a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n"
    "a=end-of-candidates\r\n"
)
FINGERPRINT = ":".join(["AB"] * 32)


def _offer(session: int, ufrag: str) -> str:
    return OFFER.format(session=session, ufrag=ufrag, fingerprint=FINGERPRINT)


def test_two_parsed_descriptions_share_their_common_lines_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for table in ("_shared_attributes", "_shared_fields", "_shared_field_tuples"):
        monkeypatch.setattr(model, table, {})  # as in a fresh process (no seeds either)
    first, second = parse_sdp(_offer(1, "aaaa")), parse_sdp(_offer(2, "bbbb"))
    a, b = first.media[0], second.media[0]
    shared = {"setup", "mid", "sctp-port", "max-message-size", "end-of-candidates"}
    for x, y in zip(a.attributes, b.attributes, strict=True):
        if x.name in shared:
            assert x is y, x
        else:
            assert x is not y, x  # ice-ufrag, ice-pwd, fingerprint: per description
    for x, y in zip(first.attributes, second.attributes, strict=True):
        assert x is y  # a=group:BUNDLE 0, a=ice-options:trickle
    assert a.fields is b.fields and first.fields is second.fields  # (c=,) and (t=,)
    assert first.to_sdp() == _offer(1, "aaaa")  # serialised exactly as given


def test_shared_lines_are_equal_to_fresh_ones() -> None:
    assert shared_attribute("setup", "active") == Attribute("setup", "active")
    assert shared_attribute("end-of-candidates") == Attribute("end-of-candidates")
    assert shared_attribute("ice-ufrag", "abcd") == Attribute("ice-ufrag", "abcd")
    assert shared_attribute("ice-ufrag", "abcd") is not shared_attribute("ice-ufrag", "abcd")
    assert shared_field("t", "0 0") == Field("t", "0 0")
    assert shared_field("b", "AS:30") is not shared_field("b", "AS:30")


def test_the_table_of_shared_lines_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "_shared_attributes", {})
    for index in range(model.SHARED_LINES_MAX + 50):
        shared_attribute("mid", str(index))
    assert len(model._shared_attributes) == model.SHARED_LINES_MAX
    assert shared_attribute("mid", "x" * (model.SHARED_VALUE_MAX + 1)) is not shared_attribute(
        "mid", "x" * (model.SHARED_VALUE_MAX + 1)
    )
    late = shared_attribute("mid", "late")  # the table is full: still correct, not shared
    assert late == Attribute("mid", "late") and late is not shared_attribute("mid", "late")
    # Valueless lines (a fixed set of names) are shared even then.
    assert shared_attribute("end-of-candidates") is shared_attribute("end-of-candidates")
