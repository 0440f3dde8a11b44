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
    MediaStream,
    RTCDataChannelEvent,
    RTCDtlsTransport,
    RTCErrorEvent,
    RTCIceCandidatePair,
    RTCIceParameters,
    RTCIceTransport,
    RTCPeerConnection,
    RTCPeerConnectionIceErrorEvent,
    RTCPeerConnectionIceEvent,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSctpTransport,
    RTCStatsReport,
    RTCTrackEvent,
)
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer
from rtcpeer.turn.trust import TurnTls, spki_pin
from rtcpeer.version import __version__

__all__ = [
    "DOMException",
    "DOMSyntaxError",
    "IceServerUrl",
    "InvalidAccessError",
    "InvalidCharacterError",
    "InvalidModificationError",
    "InvalidStateError",
    "ListenSettings",
    "MediaStream",
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
    "RTCRtpReceiver",
    "RTCRtpSender",
    "RTCRtpTransceiver",
    "RTCSctpTransport",
    "RTCSdpType",
    "RTCSessionDescription",
    "RTCStatsReport",
    "RTCTrackEvent",
    "TurnServer",
    "TurnServerConfig",
    "TurnTls",
    "__version__",
    "ice_server_urls",
    "spki_pin",
]
