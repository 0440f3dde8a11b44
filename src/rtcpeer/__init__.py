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
    RTCPeerConnection,
    RTCPeerConnectionIceErrorEvent,
    RTCPeerConnectionIceEvent,
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
    "RTCIceCandidate",
    "RTCIceCandidateInit",
    "RTCIceServer",
    "RTCIceTransportPolicy",
    "RTCPeerConnection",
    "RTCPeerConnectionIceErrorEvent",
    "RTCPeerConnectionIceEvent",
    "RTCRtcpMuxPolicy",
    "RTCSdpType",
    "RTCSessionDescription",
    "RTCStatsReport",
    "ice_server_urls",
]
