"""RTCConfiguration (webrtc-pc §4.2.1, plus webrtc-identity's peerIdentity).

A configuration may be given as our :class:`RTCConfiguration`, as a W3C
dictionary, or as an object with an ``iceServers`` attribute -- aiortc's
``RTCConfiguration`` dataclass, whose W3C-named attributes are read as the
dictionary's members (its enums as their strings). This layer recognises
aiortc's objects by those names and never imports aiortc.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rtcpeer.errors import NotSupportedError

from .certificate import RTCCertificate
from .ice_server import IceServerLike, RTCIceServer, convert_ice_servers
from .policies import RTCBundlePolicy, RTCIceTransportPolicy, RTCRtcpMuxPolicy
from .webidl import (
    MISSING,
    convert_enum,
    convert_octet,
    convert_sequence,
    convert_string,
    get_member,
    object_members,
    type_name,
)

#: The RTCConfiguration members, in WebIDL's (lexicographic) conversion order.
_MEMBERS = (
    "bundlePolicy",
    "certificates",
    "iceCandidatePoolSize",
    "iceServers",
    "iceTransportPolicy",
    "peerIdentity",
    "rtcpMuxPolicy",
)


class ConfigurationObject(Protocol):
    """An RTCConfiguration given as an object (aiortc's ``RTCConfiguration`` is one)."""

    @property
    def iceServers(self) -> Sequence[object] | None: ...


def configuration_members(value: object, member: str = "configuration") -> Mapping[object, object]:
    """The members of an RTCConfiguration given as a dictionary or as an object.

    An object is recognised by its ``iceServers`` attribute; its attributes
    with W3C member names are read (aiortc's ``iceTransportPolicy`` and
    ``bundlePolicy`` enums become their strings). aiortc's own
    ``alwaysNegotiateDataChannels`` has no equivalent here: ``True`` is a
    NotSupportedError rather than being silently dropped. Anything else is
    a TypeError naming ``member`` and saying what is accepted.
    """
    if isinstance(value, Mapping):
        return value
    if isinstance(value, (str, bytes, bytearray)) or not hasattr(value, "iceServers"):
        raise TypeError(
            f"{member}: expected an RTCConfiguration dictionary such as "
            f"{{'iceServers': [{{'urls': 'stun:stun.example.org'}}]}} (or an object with an "
            f"'iceServers' attribute, as aiortc's RTCConfiguration), got {type_name(value)}"
        )
    if getattr(value, "alwaysNegotiateDataChannels", False) is True:
        raise NotSupportedError(
            "alwaysNegotiateDataChannels: aiortc's option has no rtcpeer equivalent; "
            "create a data channel before the first offer to negotiate one"
        )
    return object_members(value, _MEMBERS)


def _convert_certificates(value: object, member: str) -> tuple[RTCCertificate, ...]:
    items = convert_sequence(value, member)
    for index, item in enumerate(items):
        if not isinstance(item, RTCCertificate):
            raise TypeError(f"{member}[{index}]: expected an RTCCertificate, got {type_name(item)}")
    return tuple(items)  # type: ignore[arg-type]


@dataclass(frozen=True, init=False)
class RTCConfiguration:
    """An immutable, type-checked RTCConfiguration.

    Field names are the W3C member names. Constructing one performs the WebIDL
    type conversions (TypeError naming the member); the spec's semantic rules
    (URLs, credentials, what may change) run in the RTCPeerConnection.
    ``iceServers`` items may be RTCIceServer objects or W3C dictionaries;
    enum members may be given as strings.
    """

    iceServers: tuple[RTCIceServer, ...]
    iceTransportPolicy: RTCIceTransportPolicy
    bundlePolicy: RTCBundlePolicy
    rtcpMuxPolicy: RTCRtcpMuxPolicy
    certificates: tuple[RTCCertificate, ...]
    iceCandidatePoolSize: int
    peerIdentity: str | None

    def __init__(
        self,
        iceServers: Sequence[IceServerLike] | None = None,
        iceTransportPolicy: RTCIceTransportPolicy | str | None = None,
        bundlePolicy: RTCBundlePolicy | str | None = None,
        rtcpMuxPolicy: RTCRtcpMuxPolicy | str | None = None,
        certificates: Sequence[RTCCertificate] | None = None,
        iceCandidatePoolSize: int | None = None,
        peerIdentity: str | None = None,
    ) -> None:
        # WebIDL converts dictionary members in lexicographic order.
        # None is "not present" (JavaScript undefined): the member's default,
        # which is its own conversion.
        values = {
            "bundlePolicy": (
                RTCBundlePolicy.BALANCED
                if bundlePolicy is None
                else convert_enum(bundlePolicy, RTCBundlePolicy, "bundlePolicy")
            ),
            "certificates": (
                () if certificates is None else _convert_certificates(certificates, "certificates")
            ),
            "iceCandidatePoolSize": (
                0
                if iceCandidatePoolSize is None
                else convert_octet(iceCandidatePoolSize, "iceCandidatePoolSize")
            ),
            "iceServers": () if iceServers is None else convert_ice_servers(iceServers),
            "iceTransportPolicy": (
                RTCIceTransportPolicy.ALL
                if iceTransportPolicy is None
                else convert_enum(iceTransportPolicy, RTCIceTransportPolicy, "iceTransportPolicy")
            ),
            "peerIdentity": (
                None if peerIdentity is None else convert_string(peerIdentity, "peerIdentity")
            ),
            "rtcpMuxPolicy": (
                RTCRtcpMuxPolicy.REQUIRE
                if rtcpMuxPolicy is None
                else convert_enum(rtcpMuxPolicy, RTCRtcpMuxPolicy, "rtcpMuxPolicy")
            ),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_dict(cls, value: object) -> RTCConfiguration:
        """Convert a W3C RTCConfiguration dictionary or aiortc's RTCConfiguration.

        Our own RTCConfiguration is passed through. ``None`` means "no
        configuration" (``{}``), as for the constructor's optional argument.
        Unknown keys are ignored, as WebIDL does, and a member whose value is
        ``None`` is not present (its default applies).
        """
        if isinstance(value, RTCConfiguration):
            return value
        if value is None:
            return cls()
        mapping = configuration_members(value)
        # The constructor converts each member present, in WebIDL's order.
        kwargs: dict[str, Any] = {}
        for name in _MEMBERS:
            member = get_member(mapping, name)
            if member is not MISSING:
                kwargs[name] = member
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """The W3C dictionary: camelCase keys, enum values as strings.

        ``certificates`` holds the RTCCertificate objects themselves (they
        have no JSON form); :meth:`toJSON` replaces them with fingerprints.
        """
        result: dict[str, Any] = {
            "iceServers": [server.to_dict() for server in self.iceServers],
            "iceTransportPolicy": self.iceTransportPolicy.value,
            "bundlePolicy": self.bundlePolicy.value,
            "rtcpMuxPolicy": self.rtcpMuxPolicy.value,
            "certificates": list(self.certificates),
            "iceCandidatePoolSize": self.iceCandidatePoolSize,
        }
        if self.peerIdentity is not None:
            result["peerIdentity"] = self.peerIdentity
        return result

    def toJSON(self) -> dict[str, Any]:
        """A JSON-ready dictionary; certificates appear as their fingerprints."""
        result = self.to_dict()
        result["certificates"] = [
            {"expires": cert.expires, "fingerprints": [f.to_dict() for f in cert.getFingerprints()]}
            for cert in self.certificates
        ]
        return result


#: What RTCPeerConnection() and setConfiguration() accept.
ConfigurationLike = RTCConfiguration | Mapping[str, Any] | ConfigurationObject

__all__ = [
    "ConfigurationLike",
    "ConfigurationObject",
    "IceServerLike",
    "RTCConfiguration",
    "configuration_members",
]
