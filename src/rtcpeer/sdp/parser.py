"""Parse SDP text (RFC 8866) into the model, or raise :class:`SdpParseError`.

Accepts CRLF or bare LF line endings and skips blank lines. The first three
lines must be ``v=0``, ``o=`` and ``s=``; a session needs a ``t=`` line;
every ``a=`` value the model exposes through a typed view is checked here
against its grammar, so reading a parsed description never fails. Anything
else unknown is kept verbatim.
"""

from __future__ import annotations

from collections.abc import Callable

from rtcpeer.sdp.candidate import parse_candidate_value
from rtcpeer.sdp.errors import SdpParseError, SdpValueError
from rtcpeer.sdp.grammar import (
    DIRECTIONS,
    is_token,
    parse_connection,
    parse_fingerprint,
    parse_group,
    parse_ice_options,
    parse_max_message_size,
    parse_media_line,
    parse_origin,
    parse_sctp_port,
    parse_setup,
    parse_single_word,
    parse_timing,
)
from rtcpeer.sdp.model import Attribute, Field, MediaSection, SessionDescription

#: Line types allowed only at session level (RFC 8866 §5).
_SESSION_ONLY = frozenset("vosuepzrt")
_FIELD_CHECKS: dict[str, Callable[[str], object]] = {
    "c": parse_connection,
    "t": parse_timing,
}


_ATTRIBUTE_CHECKS: dict[str, Callable[[str], object]] = {
    "mid": lambda v: parse_single_word(v, "mid"),
    "ice-ufrag": lambda v: parse_single_word(v, "ice-ufrag"),
    "ice-pwd": lambda v: parse_single_word(v, "ice-pwd"),
    "ice-options": parse_ice_options,
    "fingerprint": parse_fingerprint,
    "setup": parse_setup,
    "group": parse_group,
    "sctp-port": parse_sctp_port,
    "max-message-size": parse_max_message_size,
    "candidate": parse_candidate_value,
}
#: Attributes that must carry a value when present.
_NEEDS_VALUE = frozenset(_ATTRIBUTE_CHECKS)


def _split_lines(text: str) -> list[tuple[int, str]]:
    numbered: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line:
            continue
        if "\r" in line:
            raise SdpParseError(number, "carriage return inside a line", line)
        if "\x00" in line:
            raise SdpParseError(number, "NUL character in a line", line)
        numbered.append((number, line))
    return numbered


def _split_type(number: int, line: str) -> tuple[str, str]:
    if len(line) < 2 or line[1] != "=" or not ("a" <= line[0] <= "z"):
        raise SdpParseError(number, "expected '<letter>=<value>'", line)
    return line[0], line[2:]


#: Attribute names a WebRTC description repeats: a parsed one shares these
#: strings instead of holding its own copy of each name (parsed descriptions
#: stay in memory for the life of a connection).
_COMMON_NAMES = {
    name: name
    for name in (
        *_ATTRIBUTE_CHECKS,
        "end-of-candidates",
        "extmap-allow-mixed",
        "ice-lite",
        "msid-semantic",
        "rtcp-mux",
        "bundle-only",
        "sctpmap",
        *DIRECTIONS,
    )
}


def _attribute(number: int, line: str, value: str) -> Attribute:
    name, colon, rest = value.partition(":")
    name = _COMMON_NAMES.get(name, name)
    if not is_token(name):
        raise SdpParseError(number, "invalid attribute name", line)
    if not colon:
        if name in _NEEDS_VALUE:
            raise SdpParseError(number, f"a={name} needs a value", line)
        return Attribute(name)
    check = _ATTRIBUTE_CHECKS.get(name)
    if check is not None:
        try:
            check(rest)
        except SdpValueError as error:
            raise SdpParseError(number, f"a={name}: {error}", line) from None
    return Attribute(name, rest)


def _field(number: int, line: str, type_: str, value: str) -> Field:
    check = _FIELD_CHECKS.get(type_)
    if check is not None:
        try:
            check(value)
        except SdpValueError as error:
            raise SdpParseError(number, f"{type_}=: {error}", line) from None
    return Field(type_, value)


def _media_section(number: int, line: str, value: str, body: list[tuple[int, str]]) -> MediaSection:
    try:
        m_line = parse_media_line(value)
    except SdpValueError as error:
        raise SdpParseError(number, f"m=: {error}", line) from None
    fields: list[Field] = []
    attributes: list[Attribute] = []
    for body_number, body_line in body:
        type_, body_value = _split_type(body_number, body_line)
        if type_ == "a":
            attributes.append(_attribute(body_number, body_line, body_value))
        elif type_ in _SESSION_ONLY:
            reason = f"{type_}= is not allowed in a media section"
            raise SdpParseError(body_number, reason, body_line)
        else:
            fields.append(_field(body_number, body_line, type_, body_value))
    return MediaSection(
        kind=m_line.kind,
        port=m_line.port,
        port_count=m_line.port_count,
        proto=m_line.proto,
        formats=m_line.formats,
        fields=tuple(fields),
        attributes=tuple(attributes),
    )


def parse_sdp(text: str) -> SessionDescription:
    """Parse ``text`` into a :class:`SessionDescription`.

    Raises :class:`SdpParseError` (a ValueError) for malformed input and
    never anything else.
    """
    if not isinstance(text, str):
        raise SdpParseError(0, f"SDP must be a string, got {type(text).__name__}")
    lines = _split_lines(text)
    if len(lines) < 3:
        raise SdpParseError(0, "an SDP needs at least v=, o= and s= lines")
    typed = [(number, line, *_split_type(number, line)) for number, line in lines]
    for (number, line, type_, _), expected in zip(typed[:3], "vos", strict=True):
        if type_ != expected:
            raise SdpParseError(number, f"expected the {expected}= line here", line)
    v_number, v_line, _, version = typed[0]
    if version != "0":
        raise SdpParseError(v_number, "only SDP version 0 is defined", v_line)
    o_number, o_line, _, o_value = typed[1]
    try:
        origin = parse_origin(o_value)
    except SdpValueError as error:
        raise SdpParseError(o_number, f"o=: {error}", o_line) from None
    name = typed[2][3]

    fields: list[Field] = []
    attributes: list[Attribute] = []
    index = 3
    while index < len(typed) and typed[index][2] != "m":
        number, line, type_, value = typed[index]
        if type_ in "vos":
            raise SdpParseError(number, f"a second {type_}= line", line)
        if type_ == "a":
            attributes.append(_attribute(number, line, value))
        else:
            fields.append(_field(number, line, type_, value))
        index += 1
    if not any(f.type == "t" for f in fields):
        raise SdpParseError(0, "the session has no t= line")

    media: list[MediaSection] = []
    while index < len(typed):
        number, line, _, value = typed[index]
        end = index + 1
        while end < len(typed) and typed[end][2] != "m":
            end += 1
        body = [(n, raw) for n, raw, _, _ in typed[index + 1 : end]]
        media.append(_media_section(number, line, value, body))
        index = end
    return SessionDescription(
        origin=origin,
        name=name,
        fields=tuple(fields),
        attributes=tuple(attributes),
        media=tuple(media),
    )


__all__ = ["parse_sdp"]
