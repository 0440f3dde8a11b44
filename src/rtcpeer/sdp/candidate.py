"""The ``a=candidate`` value grammar (RFC 8839 §5.1), parsed lightly.

The SDP model keeps candidates as raw strings; the ICE agent owns their
meaning. This parser only splits a value into the fields the grammar names,
so that the codec can reject malformed lines and the W3C RTCIceCandidate can
expose its read-only fields ("parse a candidate attribute" in webrtc-pc).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from rtcpeer.sdp.errors import SdpValueError
from rtcpeer.sdp.grammar import is_token, uint
from rtcpeer.sdp.ice import is_foundation


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


def _parse(text: str, *, build: bool) -> CandidateFields | None:
    """Check ``text`` against the grammar; build the fields only when asked.

    The SDP parser checks every ``a=candidate`` value but keeps it raw, so it
    skips building the dataclass. Errors come in the same order either way.
    """
    words = text.split()
    if len(words) < 8:
        raise SdpValueError("a candidate needs at least 8 fields")
    if words[6] != "typ":
        raise SdpValueError("the 7th candidate field must be 'typ'")
    foundation, component, transport, priority, address, port, _, type_ = words[:8]
    if not is_foundation(foundation):
        raise SdpValueError(f"invalid candidate foundation {foundation!r}")
    if not is_token(transport):
        raise SdpValueError(f"invalid candidate transport {transport!r}")
    if not is_token(type_):
        raise SdpValueError(f"invalid candidate type {type_!r}")
    if len(words) % 2:  # 8 fixed fields, then name/value pairs
        raise SdpValueError("candidate extensions must come in name/value pairs")
    related_address: str | None = None
    related_port: int | None = None
    extensions: list[tuple[str, str]] = []
    for index in range(8, len(words), 2):
        name = words[index]
        value = words[index + 1]
        if name == "raddr" and related_address is None:
            related_address = value
        elif name == "rport" and related_port is None:
            related_port = uint(value, "rport", max_digits=5, maximum=65535)
        elif is_token(name):
            extensions.append((name, value))
        else:
            raise SdpValueError(f"invalid candidate extension name {name!r}")
    component_id = uint(component, "component id", max_digits=3)
    priority_value = uint(priority, "priority", max_digits=10)
    port_number = uint(port, "port", max_digits=5, maximum=65535)
    if not build:
        return None
    return CandidateFields(
        foundation=foundation,
        component=component_id,
        transport=transport,
        priority=priority_value,
        address=address,
        port=port_number,
        type=type_,
        related_address=related_address,
        related_port=related_port,
        extensions=tuple(extensions),
    )


# Remembered, as the fingerprint grammar is: a candidate a peer's description
# lists (the ICE agent parses it from there) is often trickled as well, and
# is then read again; the fields are frozen, and a text that does not parse
# raises every time (never kept).
@functools.lru_cache(maxsize=256)
def parse_candidate_value(text: str) -> CandidateFields:
    """Parse the text after ``a=candidate:`` (no ``candidate:`` prefix)."""
    fields = _parse(text, build=True)
    assert fields is not None
    return fields


def check_candidate_value(text: str) -> None:
    """Raise :class:`SdpValueError` exactly when :func:`parse_candidate_value` would."""
    _parse(text, build=False)


__all__ = ["CandidateFields", "check_candidate_value", "parse_candidate_value"]
