"""The RTCConfiguration enums (webrtc-pc §4.2).

They are ``str`` enums so that a value read from ``getConfiguration()``
compares equal to the plain strings a browser application uses
(``config.iceTransportPolicy == "relay"``) and serialises to JSON as-is.
"""

from __future__ import annotations

from enum import StrEnum


class RTCIceTransportPolicy(StrEnum):
    """Which candidates the ICE agent may use."""

    RELAY = "relay"
    ALL = "all"


class RTCBundlePolicy(StrEnum):
    """Which media-bundling policy to use when gathering candidates."""

    BALANCED = "balanced"
    MAX_COMPAT = "max-compat"
    MAX_BUNDLE = "max-bundle"


class RTCRtcpMuxPolicy(StrEnum):
    """The rtcp-mux policy; the spec defines only ``"require"``."""

    REQUIRE = "require"


__all__ = ["RTCBundlePolicy", "RTCIceTransportPolicy", "RTCRtcpMuxPolicy"]
