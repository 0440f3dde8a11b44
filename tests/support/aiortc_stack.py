"""aiortc's DTLS and SCTP with a data channel over two ICE transports of ours.

Shared by the tests that run aiortc's stack over an ``IceTransport`` (real
sockets) or over an in-memory stand-in: the adapter is made, DTLS completes
(client on ``a``), SCTP starts, and ``a`` opens a channel named "chat".
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc import RTCDataChannel, RTCDataChannelParameters, RTCSctpTransport
from aiortc.rtcdtlstransport import RTCDtlsParameters, RTCDtlsTransport

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import create_dtls_transport

from .waiting import TIMEOUT, opened


def _params(certificate: RTCCertificate) -> RTCDtlsParameters:
    return RTCDtlsParameters(fingerprints=certificate._to_aiortc().getFingerprints())


async def open_channel_over(
    a: Any, b: Any, certificates: tuple[RTCCertificate, RTCCertificate]
) -> tuple[list[RTCDtlsTransport], RTCDataChannel, asyncio.Queue[RTCDataChannel]]:
    """DTLS (both connected), SCTP, and ``a``'s channel open; ``b``'s end
    arrives on the returned queue."""
    dtls_a = create_dtls_transport(a, certificates[0], dtls_role="client")
    dtls_b = create_dtls_transport(b, certificates[1], dtls_role="server")
    await asyncio.wait_for(
        asyncio.gather(
            dtls_a.start(_params(certificates[1])), dtls_b.start(_params(certificates[0]))
        ),
        TIMEOUT,
    )
    assert dtls_a.state == dtls_b.state == "connected"
    sctp_a, sctp_b = RTCSctpTransport(dtls_a), RTCSctpTransport(dtls_b)
    incoming: asyncio.Queue[RTCDataChannel] = asyncio.Queue()
    sctp_b.on("datachannel", incoming.put_nowait)
    await sctp_a.start(sctp_b.getCapabilities(), sctp_b.port)
    await sctp_b.start(sctp_a.getCapabilities(), sctp_a.port)
    channel = RTCDataChannel(sctp_a, RTCDataChannelParameters(label="chat"))
    await opened(channel)
    return [dtls_a, dtls_b], channel, incoming
