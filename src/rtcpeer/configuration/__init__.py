"""RTCConfiguration and friends: types, URL rules, the "set a configuration" algorithm.

A wrong SyntaxError lives here. The layer above (RTCPeerConnection) stores
what :func:`set_configuration` returns; the ICE agent and TURN client below
read the parsed :class:`IceServerUrl` list.
"""

from __future__ import annotations

from .algorithm import (
    MAX_ICE_SERVERS,
    AppliedConfiguration,
    Problem,
    check_certificates,
    find_problems,
    ice_server_urls,
    set_configuration,
    validate_ice_server_url,
)
from .certificate import AlgorithmIdentifier, RTCCertificate, RTCDtlsFingerprint
from .configuration import (
    ConfigurationLike,
    ConfigurationObject,
    IceServerLike,
    RTCConfiguration,
    configuration_members,
)
from .credentials import PrecisError, opaque_string, stun_username
from .ice_server import IceServerObject, RTCIceServer
from .policies import RTCBundlePolicy, RTCIceTransportPolicy, RTCRtcpMuxPolicy
from .urls import DEFAULT_PORTS, IceServerUrl, parse_ice_server_url

__all__ = [
    "DEFAULT_PORTS",
    "MAX_ICE_SERVERS",
    "AlgorithmIdentifier",
    "AppliedConfiguration",
    "ConfigurationLike",
    "ConfigurationObject",
    "IceServerLike",
    "IceServerObject",
    "IceServerUrl",
    "PrecisError",
    "Problem",
    "RTCBundlePolicy",
    "RTCCertificate",
    "RTCConfiguration",
    "RTCDtlsFingerprint",
    "RTCIceServer",
    "RTCIceTransportPolicy",
    "RTCRtcpMuxPolicy",
    "check_certificates",
    "configuration_members",
    "find_problems",
    "ice_server_urls",
    "opaque_string",
    "parse_ice_server_url",
    "set_configuration",
    "stun_username",
    "validate_ice_server_url",
]
