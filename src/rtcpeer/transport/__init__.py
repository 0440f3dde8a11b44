"""The seam between rtcpeer's ICE layer and aiortc's DTLS/SCTP/data channels."""

from rtcpeer.transport.aiortc_adapter import (
    AIORTC_ICE_SURFACE,
    AiortcIceTransportAdapter,
    DatagramTransport,
    create_dtls_transport,
)

__all__ = [
    "AIORTC_ICE_SURFACE",
    "AiortcIceTransportAdapter",
    "DatagramTransport",
    "create_dtls_transport",
]
