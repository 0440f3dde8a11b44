"""RTCPeerConnection and the W3C objects it hands out.

``from rtcpeer.peerconnection import RTCPeerConnection`` (or ``from rtcpeer
import RTCPeerConnection``). The class lives in :mod:`.connection`; JSEP
bookkeeping, the operations chain, the ICE/DTLS/SCTP stack
(:mod:`.transport_stack`) and its W3C views (:mod:`.transport_views`), data
channels, states and stats each have their own module here.
"""

from __future__ import annotations

from rtcpeer.peerconnection.connection import RTCPeerConnection
from rtcpeer.peerconnection.events import (
    RTCDataChannelEvent,
    RTCErrorEvent,
    RTCPeerConnectionIceErrorEvent,
    RTCPeerConnectionIceEvent,
)
from rtcpeer.peerconnection.rtp import (
    MediaStream,
    RTCRtpCapabilities,
    RTCRtpCodec,
    RTCRtpEncodingParameters,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpSendParameters,
    RTCRtpTransceiver,
    RTCRtpTransceiverInit,
    RTCTrackEvent,
)
from rtcpeer.peerconnection.stats import RTCStatsReport
from rtcpeer.peerconnection.transport_views import (
    RTCDtlsTransport,
    RTCIceCandidatePair,
    RTCIceParameters,
    RTCIceTransport,
    RTCSctpTransport,
)

__all__ = [
    "MediaStream",
    "RTCDataChannelEvent",
    "RTCDtlsTransport",
    "RTCErrorEvent",
    "RTCIceCandidatePair",
    "RTCIceParameters",
    "RTCIceTransport",
    "RTCPeerConnection",
    "RTCPeerConnectionIceErrorEvent",
    "RTCPeerConnectionIceEvent",
    "RTCRtpCapabilities",
    "RTCRtpCodec",
    "RTCRtpEncodingParameters",
    "RTCRtpReceiver",
    "RTCRtpSendParameters",
    "RTCRtpSender",
    "RTCRtpTransceiver",
    "RTCRtpTransceiverInit",
    "RTCSctpTransport",
    "RTCStatsReport",
    "RTCTrackEvent",
]
