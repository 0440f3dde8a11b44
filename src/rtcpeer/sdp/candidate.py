"""The ``a=candidate`` value grammar (RFC 8839 §5.1), parsed lightly.

The SDP model keeps candidates as raw strings; the ICE agent owns their
meaning. This parser only splits a value into the fields the grammar names,
so that the codec can reject malformed lines and the W3C RTCIceCandidate can
expose its read-only fields ("parse a candidate attribute" in webrtc-pc).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rtcpeer.sdp.errors import SdpValueError
from rtcpeer.sdp.grammar import is_token, uint

_ICE_CHARS = re.compile(r"[A-Za-z0-9+/]{1,32}")


@dataclass(frozen=True)
class CandidateFields:
    """The fields of one candidate attribute value, as written."""

    foundation: str
    component: int
    transport: str
    priority: int
    address: str
    port: int
    type: str
    related_address: str | None = None
    related_port: int | None = None
    #: Extension attributes in order, e.g. ``("generation", "0")``, ``("tcptype", "passive")``.
    extensions: tuple[tuple[str, str], ...] = ()

    def extension(self, name: str) -> str | None:
        """The first extension value called ``name``, or None."""
        for key, value in self.extensions:
            if key == name:
                return value
        return None


def parse_candidate_value(text: str) -> CandidateFields:
    """Parse the text after ``a=candidate:`` (no ``candidate:`` prefix)."""
    words = text.split()
    if len(words) < 8:
        raise SdpValueError("a candidate needs at least 8 fields")
    if words[6] != "typ":
        raise SdpValueError("the 7th candidate field must be 'typ'")
    foundation, component, transport, priority, address, port = words[:6]
    if _ICE_CHARS.fullmatch(foundation) is None:
        raise SdpValueError(f"invalid candidate foundation {foundation!r}")
    if not is_token(transport):
        raise SdpValueError(f"invalid candidate transport {transport!r}")
    if not is_token(words[7]):
        raise SdpValueError(f"invalid candidate type {words[7]!r}")
    rest = words[8:]
    if len(rest) % 2:
        raise SdpValueError("candidate extensions must come in name/value pairs")
    related_address: str | None = None
    related_port: int | None = None
    extensions: list[tuple[str, str]] = []
    for name, value in zip(rest[::2], rest[1::2], strict=True):
        if name == "raddr" and related_address is None:
            related_address = value
        elif name == "rport" and related_port is None:
            related_port = uint(value, "rport", max_digits=5, maximum=65535)
        elif is_token(name):
            extensions.append((name, value))
        else:
            raise SdpValueError(f"invalid candidate extension name {name!r}")
    return CandidateFields(
        foundation=foundation,
        component=uint(component, "component id", max_digits=3),
        transport=transport,
        priority=uint(priority, "priority", max_digits=10),
        address=address,
        port=uint(port, "port", max_digits=5, maximum=65535),
        type=words[7],
        related_address=related_address,
        related_port=related_port,
        extensions=tuple(extensions),
    )


__all__ = ["CandidateFields", "parse_candidate_value"]
