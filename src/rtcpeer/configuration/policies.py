"""The RTCConfiguration enums (webrtc-pc §4.2).

They are ``str`` enums so that a value read from ``getConfiguration()``
compares equal to the plain strings a browser application uses
(``config.iceTransportPolicy == "relay"``) and serialises to JSON as-is.
"""

from __future__ import annotations

from enum import Enum


class _StrEnum(str, Enum):
    """A str enum whose ``str()`` is its value on every Python >= 3.10."""

    def __str__(self) -> str:
        return str(self.value)


class RTCIceTransportPolicy(_StrEnum):
    """Which candidates the ICE agent may use."""

    RELAY = "relay"
    ALL = "all"


class RTCBundlePolicy(_StrEnum):
    """Which media-bundling policy to use when gathering candidates."""

    BALANCED = "balanced"
    MAX_COMPAT = "max-compat"
    MAX_BUNDLE = "max-bundle"


class RTCRtcpMuxPolicy(_StrEnum):
    """The rtcp-mux policy; the spec defines only ``"require"``."""

    REQUIRE = "require"


__all__ = ["RTCBundlePolicy", "RTCIceTransportPolicy", "RTCRtcpMuxPolicy"]
