"""RTCPeerConnection and the W3C objects it hands out.

``from rtcpeer.peerconnection import RTCPeerConnection`` (or ``from rtcpeer
import RTCPeerConnection``). The class lives in :mod:`.connection`; JSEP
bookkeeping, the operations chain, transports (and their W3C views in
:mod:`.w3c_transports`), data channels, states and stats each have their own
module here.
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
from rtcpeer.peerconnection.w3c_transports import (
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
