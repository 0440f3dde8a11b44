"""The seam between rtcpeer and aiortc: DTLS/SCTP/data channels and RTP media over our ICE.

Every aiortc import and every use of an aiortc internal belongs in this package
(DESIGN.md), pinned by ``tests/transport/test_aiortc_contract.py`` (and
``tests/transport/test_aiortc_boundary.py`` checks that nothing outside it
imports aiortc). The layers above build what aiortc takes through this
surface without importing it:

- DTLS: :func:`create_dtls_transport` gives an :class:`ObservedDtlsTransport`
  (``set_role``, ``start(remote_dtls_parameters(...))``, ``peer_certificates()``);
- SCTP and data channels: :func:`create_sctp_transport`
  (``start(sctp_capabilities(...), port)``), :func:`open_data_channel` with
  :class:`DataChannelOptions`, :func:`close_data_channel_quietly`, per-channel
  :class:`ChannelCounters`;
- RTP: :class:`MediaSender`, :class:`MediaReceiver` and the track classes.
"""

from rtcpeer.transport.aiortc_adapter import (
    AIORTC_ICE_SURFACE,
    AiortcIceTransportAdapter,
    DatagramTransport,
    ObservedDtlsTransport,
    create_dtls_transport,
)
from rtcpeer.transport.datachannel import (
    ChannelCounters,
    CountingSctpTransport,
    DataChannelOptions,
    RTCDataChannel,
    close_data_channel_quietly,
    create_sctp_transport,
    open_data_channel,
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
    "ChannelCounters",
    "CountingSctpTransport",
    "DataChannelOptions",
    "DatagramTransport",
    "FeedbackCounts",
    "MediaReceiver",
    "MediaSender",
    "MediaStreamTrack",
    "ObservedDtlsTransport",
    "RTCDataChannel",
    "RtcpFeedback",
    "RtpCodec",
    "RtpDrops",
    "RtpHeaderExtension",
    "RtpReceiveSettings",
    "RtpSendSettings",
    "SrtpUnavailableError",
    "VideoStreamTrack",
    "aiortc_certificate",
    "close_data_channel_quietly",
    "create_dtls_transport",
    "create_sctp_transport",
    "local_dtls_parameters",
    "open_data_channel",
    "remote_dtls_parameters",
    "sctp_capabilities",
    "supported_codecs",
    "supported_header_extensions",
]
