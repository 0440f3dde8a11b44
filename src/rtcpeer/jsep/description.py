"""RTCSessionDescription and RTCSdpType (webrtc-pc §4.8)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Protocol, runtime_checkable


class RTCSdpType(StrEnum):
    """The type of a session description."""

    OFFER = "offer"
    PRANSWER = "pranswer"
    ANSWER = "answer"
    ROLLBACK = "rollback"


@runtime_checkable
class _DescriptionLike(Protocol):
    """Anything with ``type`` and ``sdp`` (e.g. aiortc's RTCSessionDescription)."""

    @property
    def type(self) -> object: ...

    @property
    def sdp(self) -> object: ...


DescriptionInit = Mapping[str, object] | _DescriptionLike

_MISSING = object()


#: Every RTCSdpType by its string (a dict: this runs for every description and candidate).
_SDP_TYPES = {item.value: item for item in RTCSdpType}


def convert_sdp_type(value: object, member: str = "type") -> RTCSdpType:
    """The RTCSdpType enum conversion: an exact string, else TypeError naming ``member``."""
    if not isinstance(value, str):
        got = "None" if value is None else type(value).__name__
        raise TypeError(f"{member}: expected a string, got {got}")
    item = _SDP_TYPES.get(value)
    if item is not None:
        return item
    allowed = ", ".join(repr(item.value) for item in RTCSdpType)
    raise TypeError(f"{member}: {value!r} is not a valid RTCSdpType (expected one of {allowed})")


def _convert_sdp(value: object) -> str:
    if not isinstance(value, str):
        got = "None" if value is None else type(value).__name__
        raise TypeError(f"sdp: expected a string, got {got}")
    return value


def _members(init: object) -> tuple[object, object]:
    """``(type, sdp)`` of a dictionary or of an object with those attributes.

    aiortc's RTCSessionDescription is such an object (``type`` a string).
    An object with only one of the two names is a TypeError naming the
    missing member; anything else says what is accepted.
    """
    if type(init) is RTCSessionDescription:  # ours: skip the ABC and Protocol checks (~100 µs)
        return init._type, init._sdp
    if isinstance(init, Mapping):
        return init.get("type", _MISSING), init.get("sdp", "")
    if isinstance(init, _DescriptionLike):
        return init.type, init.sdp
    got = type(init).__name__
    for present, missing in (("sdp", "type"), ("type", "sdp")):
        if hasattr(init, present):
            raise TypeError(
                f"{missing}: required member is missing ({got} has '{present}' but no "
                f"'{missing}'; a description needs both, as aiortc's RTCSessionDescription has)"
            )
    raise TypeError(
        f"description: expected an RTCSessionDescription or an RTCSessionDescriptionInit "
        f"dictionary such as {{'type': 'offer', 'sdp': '...'}} (aiortc's "
        f"RTCSessionDescription is accepted too), got {got}"
    )


class RTCSessionDescription:
    """An immutable (type, sdp) pair, as webrtc-pc defines it.

    ``RTCSessionDescription({"type": "offer", "sdp": "..."})``, another
    description object (ours or aiortc's), or ``RTCSessionDescription("offer",
    sdp)`` / ``RTCSessionDescription(sdp=..., type=...)``. ``type`` is
    required; ``sdp`` defaults to ``""``. A missing or unknown ``type`` is a
    TypeError naming the member.
    """

    __slots__ = ("_sdp", "_type")

    def __init__(self, type: str | DescriptionInit, sdp: str | None = None) -> None:
        if isinstance(type, str):
            kind: object = type
            text: object = "" if sdp is None else sdp
        else:
            if sdp is not None:
                raise TypeError("pass either an RTCSessionDescriptionInit or (type, sdp)")
            kind, text = _members(type)
        if kind is _MISSING:
            raise TypeError("type: required member of RTCSessionDescriptionInit is missing")
        self._type = convert_sdp_type(kind)
        self._sdp = _convert_sdp(text)

    @property
    def type(self) -> RTCSdpType:
        """offer, pranswer, answer or rollback (a str enum: compares equal to the string)."""
        return self._type

    @property
    def sdp(self) -> str:
        """The SDP text (may be empty, e.g. for rollback)."""
        return self._sdp

    def toJSON(self) -> dict[str, str]:
        """The RTCSessionDescriptionInit dictionary: ``{"type": ..., "sdp": ...}``."""
        return {"type": self._type.value, "sdp": self._sdp}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RTCSessionDescription):
            return NotImplemented
        return (self._type, self._sdp) == (other._type, other._sdp)

    def __hash__(self) -> int:
        return hash((self._type, self._sdp))

    def __repr__(self) -> str:
        return f"RTCSessionDescription(type={self._type.value!r}, sdp={self._sdp!r})"


def local_description_init(init: DescriptionInit | None) -> tuple[RTCSdpType | None, str]:
    """Convert setLocalDescription()'s RTCLocalSessionDescriptionInit: type is optional.

    Returns ``(None, sdp)`` when ``type`` is absent (the implicit form that
    creates an offer or answer itself).
    """
    if init is None:
        return None, ""
    kind, text = _members(init)
    sdp_text = _convert_sdp(text)
    if kind is _MISSING:
        return None, sdp_text
    return convert_sdp_type(kind), sdp_text


__all__ = [
    "DescriptionInit",
    "RTCSdpType",
    "RTCSessionDescription",
    "convert_sdp_type",
    "local_description_init",
]
