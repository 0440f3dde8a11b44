"""Value grammars for the fields and attributes the codec understands.

Each function takes the raw text after ``x=`` (or after ``a=name:``) and
returns a typed value, or raises :class:`SdpValueError`. The parser calls
them once to validate, and the model's typed views call them again, so a
description that parsed can never fail when read. Where building the typed
value costs more than checking it, a ``*_fields`` function does the checking
and returns the plain parts: the parser validates with it, and ``parse_*``
builds on it, so both accept exactly the same text.
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass

from rtcpeer.sdp.errors import SdpValueError

# RFC 8866 token: visible ASCII except a few separators. A set, not a regex:
# tokens are short and membership is cheaper than a match call.
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`{|}~")
_HEX_PAIRS = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*")

SETUP_ROLES = frozenset({"active", "passive", "actpass", "holdconn"})
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


def is_token(text: str) -> bool:
    """True when ``text`` is an RFC 8866 token."""
    return text != "" and _TOKEN_CHARS.issuperset(text)


def uint(text: str, what: str, *, max_digits: int = 20, maximum: int | None = None) -> int:
    """An unsigned decimal integer (ASCII digits only, bounded length)."""
    # isdigit() alone would also accept non-ASCII digits such as "\u0661".
    if not (text.isascii() and text.isdigit()):
        raise SdpValueError(f"{what} must be a decimal number, got {text!r}")
    if len(text) > max_digits:
        raise SdpValueError(f"{what} has more than {max_digits} digits")
    value = int(text)
    if maximum is not None and value > maximum:
        raise SdpValueError(f"{what} must be at most {maximum}, got {value}")
    return value


def tokens(text: str, what: str) -> list[str]:
    """Whitespace-separated words; at least one."""
    words = text.split()
    if not words:
        raise SdpValueError(f"{what} is empty")
    return words


@dataclass(frozen=True, slots=True)
class Origin:
    """The ``o=`` line: who made the description and its id/version."""

    username: str
    session_id: int
    session_version: int
    net_type: str = "IN"
    addr_type: str = "IP4"
    address: str = "0.0.0.0"

    def __str__(self) -> str:
        return (
            f"{self.username} {self.session_id} {self.session_version} "
            f"{self.net_type} {self.addr_type} {self.address}"
        )


def parse_origin(text: str) -> Origin:
    """``o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>``."""
    words = text.split()
    if len(words) != 6:
        raise SdpValueError(f"o= needs 6 fields, got {len(words)}")
    return Origin(
        username=words[0],
        session_id=uint(words[1], "session id"),
        session_version=uint(words[2], "session version"),
        net_type=words[3],
        addr_type=words[4],
        address=words[5],
    )


@dataclass(frozen=True)
class ConnectionData:
    """A ``c=`` line: network type, address type and address."""

    net_type: str
    addr_type: str
    address: str

    def __str__(self) -> str:
        return f"{self.net_type} {self.addr_type} {self.address}"


def connection_fields(text: str) -> list[str]:
    """The fields of a ``c=`` value, checked (what :func:`parse_connection` builds from)."""
    words = text.split()
    if len(words) != 3:
        raise SdpValueError(f"c= needs 3 fields, got {len(words)}")
    return words


def parse_connection(text: str) -> ConnectionData:
    """``c=<nettype> <addrtype> <connection-address>``."""
    return ConnectionData(*connection_fields(text))


def parse_timing(text: str) -> tuple[int, int]:
    """``t=<start-time> <stop-time>``."""
    words = text.split()
    if len(words) != 2:
        raise SdpValueError(f"t= needs 2 fields, got {len(words)}")
    return uint(words[0], "start time"), uint(words[1], "stop time")


@dataclass(frozen=True)
class MediaLine:
    """The ``m=`` line of a media section."""

    kind: str
    port: int
    port_count: int | None
    proto: str
    formats: tuple[str, ...]


def media_line_fields(text: str) -> tuple[str, int, int | None, str, tuple[str, ...]]:
    """The fields of an ``m=`` value, checked, in :class:`MediaLine` order."""
    words = text.split()
    if len(words) < 4:
        raise SdpValueError("m= needs media, port, proto and at least one format")
    kind, port_text, proto = words[:3]
    if not is_token(kind):
        raise SdpValueError(f"invalid media type {kind!r}")
    port_part, slash, count_part = port_text.partition("/")
    port = uint(port_part, "port", max_digits=5, maximum=65535)
    count = uint(count_part, "port count", max_digits=5) if slash else None
    for part in proto.split("/"):
        if not is_token(part):
            raise SdpValueError(f"invalid transport protocol {proto!r}")
    return kind, port, count, proto, tuple(words[3:])


def parse_media_line(text: str) -> MediaLine:
    """``m=<media> <port>[/<count>] <proto> <fmt> ...`` (at least one fmt)."""
    return MediaLine(*media_line_fields(text))


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """One ``a=fingerprint`` value: hash function and colon-separated hex.

    SDP writes the value in upper case; comparisons should go through
    :meth:`matches`, which ignores case as RFC 8122 allows.
    """

    algorithm: str
    value: str

    def __str__(self) -> str:
        return f"{self.algorithm} {self.value}"

    def matches(self, other: Fingerprint) -> bool:
        """Same hash function and digest, ignoring case."""
        return (
            self.algorithm.lower() == other.algorithm.lower()
            and self.value.upper() == other.value.upper()
        )


def fingerprint_fields(text: str) -> tuple[str, str]:
    """The hash function and value of an ``a=fingerprint`` value, checked."""
    words = text.split()
    if len(words) != 2:
        raise SdpValueError("fingerprint needs a hash function and a value")
    algorithm, value = words
    if not is_token(algorithm):
        raise SdpValueError(f"invalid fingerprint hash function {algorithm!r}")
    if _HEX_PAIRS.fullmatch(value) is None:
        raise SdpValueError("fingerprint value must be colon-separated hex pairs")
    return algorithm, value


# Remembered: a peer's fingerprint is read for every description it sends,
# and connections sharing a certificate send the same text; the value is
# frozen, and a text that does not parse raises every time (never kept).
@functools.lru_cache(maxsize=256)
def parse_fingerprint(text: str) -> Fingerprint:
    """``a=fingerprint:<hash-func> <XX:XX:...>`` (RFC 8122)."""
    return Fingerprint(*fingerprint_fields(text))


def parse_setup(text: str) -> str:
    """``a=setup:`` one of active, passive, actpass, holdconn (RFC 4145)."""
    role = text.strip()
    if role not in SETUP_ROLES:
        raise SdpValueError(f"unknown setup role {role!r}")
    return role


@dataclass(frozen=True)
class Group:
    """An ``a=group`` line (RFC 5888): semantics and the mids it groups."""

    semantics: str
    mids: tuple[str, ...]

    def __str__(self) -> str:
        return " ".join((self.semantics, *self.mids))


def group_fields(text: str) -> list[str]:
    """The semantics and mids of an ``a=group`` value, checked."""
    words = tokens(text, "group")
    if not is_token(words[0]):
        raise SdpValueError(f"invalid group semantics {words[0]!r}")
    return words


def parse_group(text: str) -> Group:
    """``a=group:<semantics> <mid> ...``."""
    words = group_fields(text)
    return Group(words[0], tuple(words[1:]))


def parse_single_word(text: str, what: str) -> str:
    """A value that is one non-empty word (mid, ice-ufrag, ice-pwd)."""
    words = text.split()
    if len(words) != 1 or words[0] != text:
        raise SdpValueError(f"{what} must be a single word, got {text!r}")
    return text


def parse_ice_options(text: str) -> tuple[str, ...]:
    """``a=ice-options:<option> ...`` (RFC 8839)."""
    return tuple(tokens(text, "ice-options"))


def parse_sctp_port(text: str) -> int:
    """``a=sctp-port:<port>`` (RFC 8841)."""
    return uint(text.strip(), "sctp-port", max_digits=5, maximum=65535)


def parse_max_message_size(text: str) -> int:
    """``a=max-message-size:<bytes>`` (RFC 8841); 0 means no limit."""
    return uint(text.strip(), "max-message-size")


__all__ = [
    "DIRECTIONS",
    "SETUP_ROLES",
    "ConnectionData",
    "Fingerprint",
    "Group",
    "MediaLine",
    "Origin",
    "connection_fields",
    "fingerprint_fields",
    "group_fields",
    "is_token",
    "media_line_fields",
    "parse_connection",
    "parse_fingerprint",
    "parse_group",
    "parse_ice_options",
    "parse_max_message_size",
    "parse_media_line",
    "parse_origin",
    "parse_sctp_port",
    "parse_setup",
    "parse_single_word",
    "parse_timing",
    "tokens",
    "uint",
]
