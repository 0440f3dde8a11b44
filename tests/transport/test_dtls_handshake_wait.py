"""During the DTLS handshake, ``ObservedDtlsTransport._recv_next`` waits for
the next datagram on the transport's own future (no ``asyncio.wait_for``),
and DTLS's retransmission timer still fires when a flight is lost: the
handshake then completes on the retransmitted flight."""

from __future__ import annotations

import asyncio
import sys

import pytest
from tests.support.aiortc_stack import connected_dtls
from tests.support.waiting import TIMEOUT

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import create_dtls_transport, local_dtls_parameters


class FutureTransport:
    """An in-memory datagram path end that hands out futures (``receive_soon``),
    as rtcpeer's ICE transport does; it can lose the next datagrams it sends."""

    def __init__(self, role: str) -> None:
        self._role = role
        self.peer: FutureTransport | None = None
        self._inbox: list[bytes] = []
        self._readers: list[asyncio.Future[bytes]] = []
        #: How many of the next datagrams sent are lost.
        self.lose = 0
        self.sent = 0

    @property
    def role(self) -> str:
        return self._role

    def receive_soon(self) -> asyncio.Future[bytes]:
        taker: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        if self._inbox:
            taker.set_result(self._inbox.pop(0))
        else:
            self._readers.append(taker)
        return taker

    async def receive(self) -> bytes:
        return await self.receive_soon()

    def send(self, data: bytes) -> None:
        assert self.peer is not None
        self.sent += 1
        if self.lose:
            self.lose -= 1
            return
        self.peer._arrive(data)

    def _arrive(self, data: bytes) -> None:
        while self._readers:
            taker = self._readers.pop(0)
            if not taker.done():  # one a timer resolved (or a cancelled one) is skipped
                taker.set_result(data)
                return
        self._inbox.append(data)


def _pair() -> tuple[FutureTransport, FutureTransport]:
    a, b = FutureTransport("controlling"), FutureTransport("controlled")
    a.peer, b.peer = b, a
    return a, b


async def test_the_handshake_reads_without_wait_for(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    wait_for = asyncio.wait_for

    async def counting_wait_for(awaitable: object, timeout: float | None) -> object:
        if "rtcdtlstransport" in sys._getframe(1).f_code.co_filename:  # aiortc's own
            calls.append(awaitable)
        return await wait_for(awaitable, timeout)  # type: ignore[arg-type]

    monkeypatch.setattr(asyncio, "wait_for", counting_wait_for)
    certificate = RTCCertificate.process_default()
    a, b = _pair()
    await connected_dtls(a, b, (certificate, certificate))
    assert calls == []


async def test_a_lost_flight_is_retransmitted_on_dtls_timer() -> None:
    certificate = RTCCertificate.process_default()
    a, b = _pair()
    a.lose = 1  # the client's first ClientHello
    dtls_a = create_dtls_transport(a, certificate, dtls_role="client")
    dtls_b = create_dtls_transport(b, certificate, dtls_role="server")
    await asyncio.wait_for(
        asyncio.gather(
            dtls_a.start(local_dtls_parameters(certificate)),
            dtls_b.start(local_dtls_parameters(certificate)),
        ),
        TIMEOUT,
    )
    assert dtls_a.state == dtls_b.state == "connected"
    assert a.lose == 0
    await dtls_a.stop()
    await dtls_b.stop()
