"""aiortc's DTLS and SCTP with a data channel over two ICE transports of ours.

Shared by the tests that run aiortc's stack over an ``IceTransport`` (real
sockets) or over an in-memory stand-in: the adapter is made, DTLS completes
(client on ``a``), SCTP starts, and ``a`` opens a channel named "chat".
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc import RTCDataChannel, RTCDataChannelParameters, RTCSctpTransport
from aiortc.rtcdtlstransport import RTCDtlsTransport
from tests.support.waiting import TIMEOUT, opened

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import create_dtls_transport, local_dtls_parameters


async def connected_dtls(
    a: Any, b: Any, certificates: tuple[RTCCertificate, RTCCertificate], *, media: bool = False
) -> list[Any]:
    """Our DTLS transports over ``a`` (client) and ``b`` (server), both connected."""
    dtls_a = create_dtls_transport(a, certificates[0], dtls_role="client", media=media)
    dtls_b = create_dtls_transport(b, certificates[1], dtls_role="server", media=media)
    await asyncio.wait_for(
        asyncio.gather(
            dtls_a.start(local_dtls_parameters(certificates[1])),
            dtls_b.start(local_dtls_parameters(certificates[0])),
        ),
        TIMEOUT,
    )
    assert dtls_a.state == dtls_b.state == "connected"
    return [dtls_a, dtls_b]


async def open_channel_on(
    dtls_a: Any, dtls_b: Any
) -> tuple[RTCDataChannel, asyncio.Queue[RTCDataChannel]]:
    """SCTP over two connected DTLS transports, and ``a``'s channel "chat" open;
    ``b``'s end arrives on the returned queue."""
    sctp_a, sctp_b = RTCSctpTransport(dtls_a), RTCSctpTransport(dtls_b)
    incoming: asyncio.Queue[RTCDataChannel] = asyncio.Queue()
    sctp_b.on("datachannel", incoming.put_nowait)
    await sctp_a.start(sctp_b.getCapabilities(), sctp_b.port)
    await sctp_b.start(sctp_a.getCapabilities(), sctp_a.port)
    channel = RTCDataChannel(sctp_a, RTCDataChannelParameters(label="chat"))
    await opened(channel)
    return channel, incoming


async def open_channel_over(
    a: Any, b: Any, certificates: tuple[RTCCertificate, RTCCertificate]
) -> tuple[list[RTCDtlsTransport], RTCDataChannel, asyncio.Queue[RTCDataChannel]]:
    """DTLS (both connected), SCTP, and ``a``'s channel open; ``b``'s end
    arrives on the returned queue."""
    dtls = await connected_dtls(a, b, certificates)
    channel, incoming = await open_channel_on(*dtls)
    return dtls, channel, incoming
