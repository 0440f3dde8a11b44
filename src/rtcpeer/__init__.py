"""rtcpeer: an asyncio WebRTC peer connection with a spec-exact RTCConfiguration."""

from __future__ import annotations

from rtcpeer.configuration import (
    IceServerUrl,
    RTCBundlePolicy,
    RTCCertificate,
    RTCConfiguration,
    RTCDtlsFingerprint,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCRtcpMuxPolicy,
    ice_server_urls,
)
from rtcpeer.errors import (
    DOMException,
    DOMSyntaxError,
    InvalidAccessError,
    InvalidCharacterError,
    InvalidModificationError,
    InvalidStateError,
    NotSupportedError,
    OperationError,
)
from rtcpeer.jsep import RTCIceCandidate, RTCIceCandidateInit, RTCSdpType, RTCSessionDescription
from rtcpeer.peerconnection import (
    RTCDataChannelEvent,
    RTCDtlsTransport,
    RTCErrorEvent,
    RTCIceCandidatePair,
    RTCIceParameters,
    RTCIceTransport,
    RTCPeerConnection,
    RTCPeerConnectionIceErrorEvent,
    RTCPeerConnectionIceEvent,
    RTCSctpTransport,
    RTCStatsReport,
)

__all__ = [
    "DOMException",
    "DOMSyntaxError",
    "IceServerUrl",
    "InvalidAccessError",
    "InvalidCharacterError",
    "InvalidModificationError",
    "InvalidStateError",
    "NotSupportedError",
    "OperationError",
    "RTCBundlePolicy",
    "RTCCertificate",
    "RTCConfiguration",
    "RTCDataChannelEvent",
    "RTCDtlsFingerprint",
    "RTCDtlsTransport",
    "RTCErrorEvent",
    "RTCIceCandidate",
    "RTCIceCandidateInit",
    "RTCIceCandidatePair",
    "RTCIceParameters",
    "RTCIceServer",
    "RTCIceTransport",
    "RTCIceTransportPolicy",
    "RTCPeerConnection",
    "RTCPeerConnectionIceErrorEvent",
    "RTCPeerConnectionIceEvent",
    "RTCRtcpMuxPolicy",
    "RTCSctpTransport",
    "RTCSdpType",
    "RTCSessionDescription",
    "RTCStatsReport",
    "ice_server_urls",
]
