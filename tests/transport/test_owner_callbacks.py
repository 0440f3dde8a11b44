"""The owner's direct handlers on aiortc's DTLS and SCTP transports run before
pyee listeners, and the listeners still hear every event."""

from __future__ import annotations

import asyncio

from aiortc import RTCDataChannel, RTCDataChannelParameters
from aiortc.rtcdtlstransport import RTCDtlsParameters

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import CountingSctpTransport, create_dtls_transport, local_dtls_parameters

TIMEOUT = 10.0


class _Memory:
    """An in-memory DatagramTransport, wired to a peer."""

    def __init__(self, role: str) -> None:
        self._role = role
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.peer: _Memory | None = None

    @property
    def role(self) -> str:
        return self._role

    async def receive(self) -> bytes:
        return await self._queue.get()

    def send(self, data: bytes) -> None:
        assert self.peer is not None
        self.peer._queue.put_nowait(data)


async def test_dtls_and_sctp_owner_handlers_run_first_and_listeners_still_hear() -> None:
    certificates = RTCCertificate.generate(), RTCCertificate.generate()
    left, right = _Memory("controlling"), _Memory("controlled")
    left.peer, right.peer = right, left
    dtls_a = create_dtls_transport(left, certificates[0], dtls_role="client")
    dtls_b = create_dtls_transport(right, certificates[1], dtls_role="server")
    order: list[tuple[str, str]] = []
    dtls_a.on_statechange = lambda: order.append(("owner", dtls_a.state))
    dtls_a.on("statechange", lambda: order.append(("pyee", dtls_a.state)))

    def params(certificate: RTCCertificate) -> RTCDtlsParameters:
        return local_dtls_parameters(certificate)

    await asyncio.wait_for(
        asyncio.gather(
            dtls_a.start(params(certificates[1])), dtls_b.start(params(certificates[0]))
        ),
        TIMEOUT,
    )
    assert ("owner", "connected") in order
    assert order[0::2] == [("owner", state) for _, state in order[1::2]]
    assert order[1::2] == [("pyee", state) for _, state in order[0::2]]

    sctp_a, sctp_b = CountingSctpTransport(dtls_a), CountingSctpTransport(dtls_b)
    heard: list[tuple[str, RTCDataChannel]] = []
    arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def listener(channel: RTCDataChannel) -> None:
        heard.append(("pyee", channel))
        if not arrived.done():
            arrived.set_result(None)

    sctp_b.on_datachannel = lambda channel: heard.append(("owner", channel))
    sctp_b.on("datachannel", listener)
    await sctp_a.start(sctp_b.getCapabilities(), sctp_b.port)
    await sctp_b.start(sctp_a.getCapabilities(), sctp_a.port)
    RTCDataChannel(sctp_a, RTCDataChannelParameters(label="chat"))
    await asyncio.wait_for(arrived, TIMEOUT)
    assert [who for who, _ in heard] == ["owner", "pyee"]
    assert heard[0][1] is heard[1][1] and heard[0][1].label == "chat"
    await sctp_a.stop()
    await sctp_b.stop()
    await dtls_a.stop()
    await dtls_b.stop()
