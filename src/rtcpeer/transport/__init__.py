"""The seam between rtcpeer and aiortc: DTLS/SCTP/data channels and RTP media over our ICE.

Every aiortc import and every use of an aiortc internal belongs in this package
(DESIGN.md), pinned by ``tests/transport/test_aiortc_contract.py``; the factories
in :mod:`rtcpeer.transport.parameters` and the re-exported track classes let the
layers above build what aiortc takes without importing it.
"""

from rtcpeer.transport.aiortc_adapter import (
    AIORTC_ICE_SURFACE,
    AiortcIceTransportAdapter,
    DatagramTransport,
    create_dtls_transport,
)
from rtcpeer.transport.media import (
    AudioStreamTrack,
    FeedbackCounts,
    MediaReceiver,
    MediaSender,
    MediaStreamTrack,
    RtcpFeedback,
    RtpCodec,
    RtpHeaderExtension,
    RtpReceiveSettings,
    RtpSendSettings,
    VideoStreamTrack,
    supported_codecs,
    supported_header_extensions,
)
from rtcpeer.transport.parameters import (
    aiortc_certificate,
    local_dtls_parameters,
    remote_dtls_parameters,
    sctp_capabilities,
)
from rtcpeer.transport.srtp import RtpDrops, SrtpUnavailableError

__all__ = [
    "AIORTC_ICE_SURFACE",
    "AiortcIceTransportAdapter",
    "AudioStreamTrack",
    "DatagramTransport",
    "FeedbackCounts",
    "MediaReceiver",
    "MediaSender",
    "MediaStreamTrack",
    "RtcpFeedback",
    "RtpCodec",
    "RtpDrops",
    "RtpHeaderExtension",
    "RtpReceiveSettings",
    "RtpSendSettings",
    "SrtpUnavailableError",
    "VideoStreamTrack",
    "aiortc_certificate",
    "create_dtls_transport",
    "local_dtls_parameters",
    "remote_dtls_parameters",
    "sctp_capabilities",
    "supported_codecs",
    "supported_header_extensions",
]
