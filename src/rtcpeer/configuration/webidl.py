"""WebIDL value conversions, translated to Python values.

The spec's dictionaries arrive either as dataclasses or as plain mappings
(JSON from a browser application). Converting a mapping follows WebIDL:
members are read in lexicographic order, unknown keys are ignored, and a
value of the wrong type is a :class:`TypeError` naming the member. A member
whose value is Python ``None`` is treated as not present: ``None`` is the
Python spelling of JavaScript's ``undefined`` (a keyword argument left at
its default), so ``{"iceServers": None}`` means the default and
``{"urls": "turn:…", "credential": None}`` is a TURN server without a
credential. ``None`` inside a sequence is still a TypeError.

A dictionary may also arrive as an object whose attributes carry the
members -- aiortc's ``RTCConfiguration`` and ``RTCIceServer`` dataclasses,
recognised by their attribute names so that this layer never imports
aiortc. :func:`object_members` reads such an object into a mapping and the
usual conversions run on that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import TypeVar

_E = TypeVar("_E", bound=Enum)

#: Sentinel for "member not present" (JavaScript ``undefined``).
MISSING: object = object()


def type_name(value: object) -> str:
    """A short description of ``value``'s type for error messages."""
    return "None" if value is None else type(value).__name__


def get_member(mapping: Mapping[object, object], key: str) -> object:
    """The member's value, or :data:`MISSING` when the key is absent or ``None``."""
    value = mapping.get(key)
    return MISSING if value is None else value


def usv_string(value: str) -> str:
    """WebIDL USVString conversion: lone surrogates become U+FFFD."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def convert_string(value: object, member: str) -> str:
    """DOMString: a Python ``str`` and nothing else."""
    if not isinstance(value, str):
        raise TypeError(f"{member}: expected a string, got {type_name(value)}")
    return value


def convert_enum(value: object, enum: type[_E], member: str) -> _E:
    """An IDL enum: one of the listed strings, exactly (case matters)."""
    if not isinstance(value, str):
        raise TypeError(f"{member}: expected a string, got {type_name(value)}")
    item = enum._value2member_map_.get(value)  # the Enum's own value → member table
    if item is not None and isinstance(item, enum):
        return item
    allowed = ", ".join(repr(item.value) for item in enum)
    raise TypeError(f"{member}: {value!r} is not a valid value (expected one of {allowed})")


def convert_octet(value: object, member: str) -> int:
    """``[EnforceRange] octet``: an ``int`` (not ``bool``) in 0..255."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{member}: expected an integer, got {type_name(value)}")
    if not 0 <= value <= 255:
        raise TypeError(f"{member}: {value} is outside the range 0..255")
    return value


def convert_sequence(value: object, member: str) -> Sequence[object]:
    """``sequence<T>``: a list or tuple-like sequence, never a string or mapping."""
    if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Sequence):
        raise TypeError(f"{member}: expected a list, got {type_name(value)}")
    return value


def convert_mapping(value: object, member: str) -> Mapping[object, object]:
    """A dictionary type given as a mapping."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{member}: expected a dictionary, got {type_name(value)}")
    return value


def object_members(value: object, names: Iterable[str]) -> dict[object, object]:
    """The named attributes of a dictionary given as an object, as a mapping.

    Attributes the object lacks are absent. A plain :class:`~enum.Enum`
    (aiortc's policies are ``Enum``s of the W3C strings) becomes its value,
    so the enum conversion sees the string it would see in JSON.
    """
    members: dict[object, object] = {}
    for name in names:
        item = getattr(value, name, None)
        if isinstance(item, Enum) and not isinstance(item, str):
            item = item.value
        if item is not None:
            members[name] = item
    return members


def enum_values(items: Iterable[Enum]) -> list[str]:
    """The string values of enum members (for messages and help text)."""
    return [str(item.value) for item in items]
