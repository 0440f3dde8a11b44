"""RTCIceServer: one STUN/TURN server entry (webrtc-pc §4.2.2).

An entry may be our :class:`RTCIceServer`, a W3C dictionary, or an object
with a ``urls`` attribute -- aiortc's ``RTCIceServer`` dataclass, whose
``username``, ``credential`` and ``credentialType`` attributes are read too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .webidl import (
    MISSING,
    convert_sequence,
    convert_string,
    get_member,
    object_members,
    type_name,
    usv_string,
)


class IceServerObject(Protocol):
    """An RTCIceServer given as an object (aiortc's ``RTCIceServer`` is one)."""

    @property
    def urls(self) -> str | Sequence[str]: ...


#: The attributes read from an :class:`IceServerObject` (aiortc's names).
_OBJECT_MEMBERS = ("credential", "credentialType", "urls", "username")


def ice_server_members(value: object, member: str) -> Mapping[object, object]:
    """The members of an RTCIceServer given as a dictionary or as an object.

    An object is recognised by its ``urls`` attribute. aiortc's
    ``credentialType`` (webrtc-pc dropped the member) must be ``"password"``,
    the only kind of credential there is. Anything else is a TypeError
    naming ``member`` and saying what is accepted.
    """
    if isinstance(value, Mapping):
        return value
    if isinstance(value, (str, bytes, bytearray)) or not hasattr(value, "urls"):
        raise TypeError(
            f"{member}: expected an RTCIceServer dictionary such as "
            f"{{'urls': 'stun:stun.example.org'}} (or an object with a 'urls' attribute, "
            f"as aiortc's RTCIceServer), got {type_name(value)}"
        )
    members = object_members(value, _OBJECT_MEMBERS)
    kind = members.pop("credentialType", "password")
    if kind != "password":
        raise TypeError(
            f"{member}.credentialType: {kind!r} is not supported (only 'password': "
            f"give the TURN password as 'credential')"
        )
    return members


def _convert_urls(value: object, member: str) -> str | tuple[str, ...]:
    """``(USVString or sequence<USVString>)``: a string stays a string, a list a tuple."""
    if isinstance(value, str):
        return usv_string(value)
    if isinstance(value, (bytes, bytearray, Mapping)) or not isinstance(value, Sequence):
        raise TypeError(f"{member}: expected a string or a list of strings, got {type_name(value)}")
    urls: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise TypeError(f"{member}[{index}]: expected a string, got {type_name(item)}")
        urls.append(usv_string(item))
    return tuple(urls)


@dataclass(frozen=True, init=False)
class RTCIceServer:
    """A STUN or TURN server: its URL(s) and, for TURN, the credentials.

    ``urls`` may be given as one string or a list, and keeps that form: a
    string stays a string, a list is stored as a tuple and reported as a
    list (getConfiguration returns what was given, as browsers do);
    :attr:`url_list` is always the tuple of URLs. ``username`` and
    ``credential`` are ``None`` when absent. Only WebIDL *type* checks happen
    here (TypeError); the URL and credential rules belong to the
    RTCPeerConnection's "set a configuration" algorithm.
    """

    urls: str | tuple[str, ...]
    username: str | None
    credential: str | None

    def __init__(
        self,
        urls: str | Sequence[str],
        username: str | None = None,
        credential: str | None = None,
    ) -> None:
        object.__setattr__(self, "urls", _convert_urls(urls, "urls"))
        if username is not None:
            convert_string(username, "username")
        if credential is not None:
            convert_string(credential, "credential")
        object.__setattr__(self, "username", username)
        object.__setattr__(self, "credential", credential)

    @property
    def url_list(self) -> tuple[str, ...]:
        """Every URL of this server, in order (a string ``urls`` is one URL)."""
        urls = self.urls
        return (urls,) if isinstance(urls, str) else urls

    @classmethod
    def from_dict(cls, value: object, member: str = "RTCIceServer") -> RTCIceServer:
        """Convert a W3C dictionary or aiortc's RTCIceServer (ours: returned unchanged).

        Members are converted in WebIDL's lexicographic order (credential,
        urls, username); unknown keys are ignored; ``urls`` is required. A
        member whose value is ``None`` is absent (JavaScript ``undefined``).
        """
        if isinstance(value, RTCIceServer):
            return value
        mapping = ice_server_members(value, member)
        credential = get_member(mapping, "credential")
        if credential is not MISSING:
            credential = convert_string(credential, f"{member}.credential")
        urls = get_member(mapping, "urls")
        if urls is MISSING:
            hint = (
                " (this dictionary has 'url', the legacy name: the member is 'urls')"
                if get_member(mapping, "url") is not MISSING
                else ""
            )
            raise TypeError(f"{member}.urls: required member is missing{hint}")
        converted_urls = _convert_urls(urls, f"{member}.urls")
        username = get_member(mapping, "username")
        if username is not MISSING:
            username = convert_string(username, f"{member}.username")
        return cls(
            converted_urls,
            username=None if username is MISSING else str(username),
            credential=None if credential is MISSING else str(credential),
        )

    def to_dict(self) -> dict[str, object]:
        """The W3C RTCIceServer dictionary (absent members are left out)."""
        urls = self.urls
        result: dict[str, object] = {"urls": urls if isinstance(urls, str) else list(urls)}
        if self.username is not None:
            result["username"] = self.username
        if self.credential is not None:
            result["credential"] = self.credential
        return result

    toJSON = to_dict


#: What an ``iceServers`` item may be.
IceServerLike = RTCIceServer | Mapping[str, Any] | IceServerObject


def convert_ice_servers(value: object, member: str = "iceServers") -> tuple[RTCIceServer, ...]:
    """``sequence<RTCIceServer>``: RTCIceServers, dictionaries or aiortc's RTCIceServers."""
    items = convert_sequence(value, member)
    return tuple(RTCIceServer.from_dict(item, f"{member}[{i}]") for i, item in enumerate(items))


__all__ = [
    "IceServerLike",
    "IceServerObject",
    "RTCIceServer",
    "convert_ice_servers",
    "ice_server_members",
]
