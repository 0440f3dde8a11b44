"""Fuzzing the parser: whatever the input, parse_sdp either returns a description
that round-trips stably or raises SdpParseError -- never another exception."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Literal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rtcpeer.sdp import (
    Attribute,
    Field,
    MediaSection,
    Origin,
    SdpParseError,
    SessionDescription,
    parse_sdp,
)

SAMPLES = [
    p.read_text(encoding="utf-8").replace("\r\n", "\n").split("\n")
    for p in sorted((Path(__file__).parent / "samples").glob("*.sdp"))
]
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(text: str) -> SessionDescription | None:
    """The fuzz property: SdpParseError, or a description stable under round trip."""
    try:
        description = parse_sdp(text)
    except SdpParseError as error:
        assert error.line_number >= 0
        return None
    out = description.to_sdp()
    assert out.endswith("\r\n")
    again = parse_sdp(out)
    assert again == description
    assert again.to_sdp() == out
    # the typed views never fail on a parsed description
    for index, section in enumerate(description.media):
        description.transport_attributes(index)
        _ = (section.mid, section.candidates, section.sctp_port, section.max_message_size)
        _ = (section.direction, section.connection, section.is_data_channel)
    _ = (description.groups, description.connection, description.ice_lite)
    return description


@FUZZ
@given(st.text())
def test_random_text(text: str) -> None:
    check(text)


@FUZZ
@given(
    st.lists(
        st.sampled_from(["v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0"])
        | st.text(alphabet=st.sampled_from("vosticmab=: 0123456789-./\r\nx"), max_size=30),
        max_size=12,
    )
)
def test_sdp_shaped_text(lines: list[str]) -> None:
    check("\n".join(lines))


line_edit = st.tuples(
    st.sampled_from(["delete", "duplicate", "insert", "replace", "truncate", "swap"]),
    st.integers(min_value=0, max_value=200),
    st.text(max_size=12),
)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(range(len(SAMPLES))),
    st.lists(line_edit, min_size=1, max_size=4),
    st.sampled_from(["\n", "\r\n"]),
)
def test_mutated_samples(sample: int, edits: list[tuple[str, int, str]], eol: str) -> None:
    check(mutate(SAMPLES[sample], edits, eol))


def mutate(sample: list[str], edits: list[tuple[str, int, str]], eol: str) -> str:
    """``sample``'s lines with ``edits`` applied, joined with ``eol``."""
    lines = list(sample)
    for kind, position, text in edits:
        index = position % len(lines)
        if kind == "delete" and len(lines) > 1:
            del lines[index]
        elif kind == "duplicate":
            lines.insert(index, lines[index])
        elif kind == "insert":
            lines.insert(index, text)
        elif kind == "replace":
            line = lines[index]
            cut = position % (len(line) + 1)
            lines[index] = line[:cut] + text + line[cut + len(text) :]
        elif kind == "truncate":
            lines[index] = lines[index][: position % (len(lines[index]) + 1)]
        elif kind == "swap":
            other = (index * 7 + 3) % len(lines)
            lines[index], lines[other] = lines[other], lines[index]
    return eol.join(lines)


EDIT_KINDS = ("delete", "duplicate", "insert", "replace", "truncate", "swap")


def test_a_share_of_mutated_samples_still_parse() -> None:
    """The fuzz property holds for parsers that reject everything, so this
    counts: of 1,000 seeded mutations (1-4 edits each, as above), a share
    must parse -- the parser is lenient where RFC 8866 lets it be (unknown
    lines and attributes, a lost optional line) -- and a share must be
    rejected (the edits do break descriptions)."""
    rng = random.Random(8866)
    alphabet = "v=o-s t0 1IN IP4 a:c=m.x\t\x00\u00e9"
    outcomes = []
    for _ in range(1000):
        edits = [
            (
                rng.choice(EDIT_KINDS),
                rng.randrange(201),
                "".join(rng.choice(alphabet) for _ in range(rng.randrange(13))),
            )
            for _ in range(rng.randint(1, 4))
        ]
        text = mutate(rng.choice(SAMPLES), edits, rng.choice(["\n", "\r\n"]))
        outcomes.append(check(text) is not None)
    parsed = sum(outcomes)
    print(f"{parsed} of {len(outcomes)} mutated samples parse")
    assert 0.15 * len(outcomes) <= parsed <= 0.95 * len(outcomes)  # 318 parse today


def test_unmutated_samples_pass_the_property() -> None:
    for lines in SAMPLES:
        assert check("\n".join(lines)) is not None


_SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
_line_text = st.text(
    alphabet=st.characters(blacklist_characters="\r\n\x00", blacklist_categories=_SURROGATES),
    max_size=20,
)
_token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-0123456789", min_size=1, max_size=10)
_free_attribute = st.builds(
    Attribute,
    _token.filter(lambda n: n not in _CHECKED),
    st.none() | _line_text,
)
_known_attribute = st.sampled_from(
    [
        Attribute("mid", "0"),
        Attribute("ice-ufrag", "abcd"),
        Attribute("ice-pwd", "p" * 22),
        Attribute("ice-options", "trickle ice2"),
        Attribute("fingerprint", "sha-256 AB:CD:EF"),
        Attribute("setup", "actpass"),
        Attribute("group", "BUNDLE 0 1"),
        Attribute("sctp-port", "5000"),
        Attribute("max-message-size", "0"),
        Attribute("candidate", "1 1 udp 1 192.0.2.1 9 typ host generation 0"),
        Attribute("end-of-candidates"),
        Attribute("sendrecv"),
    ]
)
_CHECKED: set[str] = {"mid", "ice-ufrag", "ice-pwd", "ice-options", "fingerprint", "setup", "group",
                      "sctp-port", "max-message-size", "candidate"}  # fmt: skip
_attributes = st.lists(_free_attribute | _known_attribute, max_size=8).map(tuple)
_media_field = st.builds(Field, st.sampled_from("ibkx"), _line_text) | st.just(
    Field("c", "IN IP4 0.0.0.0")
)
_media = st.builds(
    MediaSection,
    kind=_token,
    port=st.integers(0, 65535),
    proto=st.sampled_from(["UDP/DTLS/SCTP", "UDP/TLS/RTP/SAVPF", "DTLS/SCTP", "RTP/AVP"]),
    formats=st.lists(_token, min_size=1, max_size=4).map(tuple),
    port_count=st.none() | st.integers(1, 9),
    fields=st.lists(_media_field, max_size=3).map(tuple),
    attributes=_attributes,
)
_description = st.builds(
    SessionDescription,
    origin=st.builds(
        Origin,
        username=_token,
        session_id=st.integers(0, 2**63),
        session_version=st.integers(0, 2**32),
    ),
    name=_line_text.map(str.strip),
    fields=st.lists(st.builds(Field, st.sampled_from("iuepbzkx"), _line_text), max_size=3).map(
        lambda f: (Field("t", "0 0"), *f)
    ),
    attributes=_attributes,
    media=st.lists(_media, max_size=3).map(tuple),
)


@FUZZ
@given(_description)
def test_generated_descriptions_round_trip(description: SessionDescription) -> None:
    assert parse_sdp(description.to_sdp()) == description
    assert check(description.to_sdp()) == description
