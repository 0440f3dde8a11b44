"""Parse SDP text (RFC 8866) into the model, or raise :class:`SdpParseError`.

Accepts CRLF or bare LF line endings and skips blank lines. The first three
lines must be ``v=0``, ``o=`` and ``s=``; a session needs a ``t=`` line;
every ``a=`` value the model exposes through a typed view is checked here
against its grammar, so reading a parsed description never fails. Anything
else unknown is kept verbatim.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterator

from rtcpeer.sdp.candidate import check_candidate_value
from rtcpeer.sdp.errors import SdpParseError, SdpValueError
from rtcpeer.sdp.grammar import (
    DIRECTIONS,
    connection_fields,
    group_fields,
    is_token,
    media_line_fields,
    parse_fingerprint,
    parse_ice_options,
    parse_max_message_size,
    parse_origin,
    parse_sctp_port,
    parse_setup,
    parse_single_word,
    parse_timing,
)
from rtcpeer.sdp.model import (
    SHARED_ATTRIBUTE_NAMES,
    SHARED_LINES_MAX,
    Attribute,
    Field,
    MediaSection,
    SessionDescription,
    shared_attribute,
    shared_field,
    shared_fields,
)

#: Line types allowed only at session level (RFC 8866 §5).
_SESSION_ONLY = frozenset("vosuepzrt")

# The checks raise SdpValueError for a value the model's typed view could not
# read; they check without building the typed value where the grammar allows.
_FIELD_CHECKS: dict[str, Callable[[str], object]] = {
    "c": connection_fields,
    "t": parse_timing,
}


_ATTRIBUTE_CHECKS: dict[str, Callable[[str], object]] = {
    "mid": lambda v: parse_single_word(v, "mid"),
    "ice-ufrag": lambda v: parse_single_word(v, "ice-ufrag"),
    "ice-pwd": lambda v: parse_single_word(v, "ice-pwd"),
    "ice-options": parse_ice_options,
    "fingerprint": parse_fingerprint,  # remembered: the typed view reads it again
    "setup": parse_setup,
    "group": group_fields,
    "sctp-port": parse_sctp_port,
    "max-message-size": parse_max_message_size,
    "candidate": check_candidate_value,
}


def _split_lines(text: str) -> list[tuple[int, str]]:
    """The non-blank lines with their 1-based numbers, line endings (CRLF or LF) removed."""
    # Drop the CR of every CRLF (and of a last line without LF); any CR or
    # NUL left is inside a line, which the slow loop below locates.
    stripped = text.replace("\r\n", "\n")
    if stripped.endswith("\r"):
        stripped = stripped[:-1]
    lines = stripped.split("\n")
    if "\r" in stripped or "\x00" in stripped:
        for number, line in enumerate(lines, start=1):
            if "\r" in line:
                raise SdpParseError(number, "carriage return inside a line", line)
            if "\x00" in line:
                raise SdpParseError(number, "NUL character in a line", line)
    return [(number, line) for number, line in enumerate(lines, start=1) if line]


#: How every line starts: a lower-case type letter and "=".
_LINE_STARTS = frozenset(f"{letter}=" for letter in string.ascii_lowercase)


def _check_line_types(lines: list[tuple[int, str]]) -> None:
    """Every line is ``<letter>=<value>``.

    After this check, ``line[0]`` is a line's type and ``line[2:]`` its value.
    """
    for number, line in lines:
        if line[:2] not in _LINE_STARTS:
            raise SdpParseError(number, "expected '<letter>=<value>'", line)


#: Attribute names a WebRTC description repeats, each with the string a
#: parsed description shares instead of holding its own copy (descriptions
#: stay in memory for the life of a connection) and its value check, if any.
#: A checked attribute must carry a value.
_KNOWN_ATTRIBUTES: dict[str, tuple[str, Callable[[str], object] | None]] = {
    name: (name, _ATTRIBUTE_CHECKS.get(name))
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


#: The lines of :data:`SHARED_ATTRIBUTE_NAMES` read so far, checked, each
#: with its shared attribute: the same text always reads to the same checked
#: value, so a line that repeats across descriptions (``a=setup:actpass``,
#: ``a=mid:0``) is checked once. Only lines that passed their check are here;
#: bounded like the shared lines.
_checked_lines: dict[str, Attribute] = {}


def _attribute(number: int, line: str) -> Attribute:
    checked = _checked_lines.get(line)
    if checked is not None:
        return checked
    head, colon, rest = line.partition(":")  # the first colon ends the name
    name = head[2:]
    known = _KNOWN_ATTRIBUTES.get(name)
    if known is not None:
        name, check = known  # a known name is a token
    elif is_token(name):
        check = None
    else:
        raise SdpParseError(number, "invalid attribute name", line)
    if not colon:
        if check is not None:
            raise SdpParseError(number, f"a={name} needs a value", line)
        return _remember(line, shared_attribute(name, line=line))
    if check is not None:
        try:
            check(rest)
        except SdpValueError as error:
            raise SdpParseError(number, f"a={name}: {error}", line) from None
    return _remember(line, shared_attribute(name, rest, line=line))


def _remember(line: str, attribute: Attribute) -> Attribute:
    """``attribute``, read from ``line`` and checked: kept in :data:`_checked_lines`
    when its name is one whose lines repeat."""
    if attribute.name in SHARED_ATTRIBUTE_NAMES and len(_checked_lines) < SHARED_LINES_MAX:
        _checked_lines[line] = attribute
    return attribute


def _field(number: int, line: str) -> Field:
    type_ = line[0]
    value = line[2:]
    check = _FIELD_CHECKS.get(type_)
    if check is not None:
        try:
            check(value)
        except SdpValueError as error:
            raise SdpParseError(number, f"{type_}=: {error}", line) from None
    return shared_field(type_, value)


def _media_line(number: int, line: str) -> tuple[str, int, int | None, str, tuple[str, ...]]:
    try:
        return media_line_fields(line[2:])
    except SdpValueError as error:
        raise SdpParseError(number, f"m=: {error}", line) from None


def _read_lines(
    lines: Iterator[tuple[int, str]],
    fields: list[Field],
    attributes: list[Attribute],
    *,
    media_level: bool,
) -> tuple[int, str] | None:
    """Read ``lines`` into ``fields`` and ``attributes`` up to the next m= line.

    Returns that m= line, or None when ``lines`` ran out.
    """
    for number, line in lines:
        type_ = line[0]
        if type_ == "a":
            attributes.append(_attribute(number, line))
        elif type_ == "m":
            return number, line
        elif media_level and type_ in _SESSION_ONLY:
            raise SdpParseError(number, f"{type_}= is not allowed in a media section", line)
        elif not media_level and type_ in "vos":
            raise SdpParseError(number, f"a second {type_}= line", line)
        else:
            fields.append(_field(number, line))
    return None


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
    _check_line_types(lines)
    for (number, line), expected in zip(lines[:3], "vos", strict=True):
        if line[0] != expected:
            raise SdpParseError(number, f"expected the {expected}= line here", line)
    v_number, v_line = lines[0]
    if v_line[2:] != "0":
        raise SdpParseError(v_number, "only SDP version 0 is defined", v_line)
    o_number, o_line = lines[1]
    try:
        origin = parse_origin(o_line[2:])
    except SdpValueError as error:
        raise SdpParseError(o_number, f"o=: {error}", o_line) from None
    name = lines[2][1][2:]

    # One pass over the other lines: the session's, then each m= line's section.
    remaining = iter(lines[3:])
    fields: list[Field] = []
    attributes: list[Attribute] = []
    m_line = _read_lines(remaining, fields, attributes, media_level=False)
    if not any(f.type == "t" for f in fields):
        raise SdpParseError(0, "the session has no t= line")

    media: list[MediaSection] = []
    while m_line is not None:
        kind, port, port_count, proto, formats = _media_line(*m_line)
        section_fields: list[Field] = []
        section_attributes: list[Attribute] = []
        m_line = _read_lines(remaining, section_fields, section_attributes, media_level=True)
        media.append(
            MediaSection(
                kind=kind,
                port=port,
                port_count=port_count,
                proto=proto,
                formats=formats,
                fields=shared_fields(tuple(section_fields)),
                attributes=tuple(section_attributes),
            )
        )
    return SessionDescription(
        origin=origin,
        name=name,
        fields=shared_fields(tuple(fields)),
        attributes=tuple(attributes),
        media=tuple(media),
    )


__all__ = ["parse_sdp"]
