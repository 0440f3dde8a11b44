"""DTLS handshakes share one OpenSSL context per thread, each with its own identity.

``rtcpeer.transport.dtls_context`` relies on aiortc building the SSL
connection before it enters ``connecting`` (where the connection gets its
own certificate) and on OpenSSL letting a connection override the context's
identity. These tests fail if either stops holding: a connection that kept
the template's throwaway identity fails the peer's fingerprint check.
"""

from __future__ import annotations

import asyncio
import inspect

import aiortc.rtcdtlstransport
from aiortc.rtcdtlstransport import RTCDtlsParameters, RTCDtlsTransport
from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL
from tests.transport.test_aiortc_contract import TIMEOUT, MemoryPath, MemoryTransport

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import create_dtls_transport, local_dtls_parameters
from rtcpeer.transport.dtls_context import template_context


def _parameters(certificate: RTCCertificate) -> RTCDtlsParameters:
    return local_dtls_parameters(certificate)


def _pair(
    client: RTCCertificate, server: RTCCertificate
) -> tuple[RTCDtlsTransport, RTCDtlsTransport]:
    """A DTLS client and server over an in-memory path, not yet started."""
    path = MemoryPath()
    left, right = MemoryTransport("controlling", path), MemoryTransport("controlled", path)
    left.peer, right.peer = right, left
    return (
        create_dtls_transport(left, client, dtls_role="client"),
        create_dtls_transport(right, server, dtls_role="server"),
    )


async def _handshake(
    client: RTCCertificate, server: RTCCertificate
) -> tuple[RTCDtlsTransport, RTCDtlsTransport]:
    dtls_a, dtls_b = _pair(client, server)
    await asyncio.wait_for(
        asyncio.gather(dtls_a.start(_parameters(server)), dtls_b.start(_parameters(client))),
        TIMEOUT,
    )
    return dtls_a, dtls_b


def _der(certificate: object) -> bytes:
    assert certificate is not None
    return certificate.public_bytes(Encoding.DER)  # type: ignore[attr-defined,no-any-return]


async def test_every_connection_presents_its_own_certificate_from_the_shared_context() -> None:
    certificates = [RTCCertificate.generate("ECDSA") for _ in range(4)]
    first = await _handshake(certificates[0], certificates[1])
    second = await _handshake(certificates[2], certificates[3])
    transports = [*first, *second]
    assert [t.state for t in transports] == ["connected"] * 4

    # One context for all four ...
    connections = [t._ssl for t in transports]
    assert all(connection is not None for connection in connections)
    contexts = {id(c.get_context()) for c in connections if c is not None}
    assert len(contexts) == 1
    # ... yet each side saw exactly its peer's certificate, not the template's.
    for (a, b), (cert_a, cert_b) in zip((first, second), ((0, 1), (2, 3)), strict=True):
        assert a._ssl is not None and b._ssl is not None
        seen_by_a = a._ssl.get_peer_certificate(as_cryptography=True)
        seen_by_b = b._ssl.get_peer_certificate(as_cryptography=True)
        assert _der(seen_by_a) == _der(certificates[cert_b].x509)
        assert _der(seen_by_b) == _der(certificates[cert_a].x509)
    for transport in transports:
        await transport.stop()


def test_the_template_keeps_no_sessions() -> None:
    profiles = aiortc.rtcdtlstransport.SRTP_PROFILES
    context = template_context(profiles)
    assert context is template_context(profiles)
    assert context.get_session_cache_mode() == SSL.SESS_CACHE_OFF


def test_aiortc_builds_the_connection_before_entering_connecting() -> None:
    """The identity is installed on that state change; the handshake starts after it."""
    start = inspect.getsource(RTCDtlsTransport.start)
    built = start.index("self._ssl = SSL.Connection(")
    connecting = start.index("self._set_state(State.CONNECTING)")
    handshake = start.index("await self._do_handshake()")
    assert built < connecting < handshake
    assert "_create_ssl_context(" in start[built:connecting]


def test_without_srtp_sessions_aiortc_ignores_rtp_and_still_reports_connected() -> None:
    """A data-only ObservedDtlsTransport skips aiortc's SRTP setup (rtcpeer.transport.srtp)."""
    start = inspect.getsource(RTCDtlsTransport.start)
    assert "self._setup_srtp()" in start
    receive = inspect.getsource(RTCDtlsTransport._recv_next)
    assert "and self._rx_srtp:" in receive  # None: the datagram is ignored, not decrypted


class _Receiver:
    def __init__(self) -> None:
        self.data: asyncio.Queue[bytes] = asyncio.Queue()

    async def _handle_data(self, data: bytes) -> None:
        await self.data.put(data)


async def test_an_rtp_datagram_is_ignored_on_a_connection_without_media() -> None:
    client, server = RTCCertificate.generate("ECDSA"), RTCCertificate.generate("ECDSA")
    a, b = await _handshake(client, server)
    assert a._rx_srtp is None and b._rx_srtp is None
    receiver = _Receiver()
    b._data_receiver = receiver
    await a.transport._send(bytes([0x80, 96]) + bytes(30))  # looks like RTP
    await a._send_data(b"after")  # DTLS application data behind it, in order
    assert await asyncio.wait_for(receiver.data.get(), TIMEOUT) == b"after"
    assert a.state == b.state == "connected"
    for transport in (a, b):
        await transport.stop()


async def test_an_rsa_certificate_never_shares_the_template_nor_presents_its_identity() -> None:
    """RSA keeps aiortc's own context; its ECDSA-only ciphers then fail the handshake
    (as before the shared context): the throwaway certificate is never on the wire."""
    rsa = RTCCertificate.generate("RSASSA-PKCS1-v1_5")
    ecdsa = RTCCertificate.generate("ECDSA")
    client, server = _pair(ecdsa, rsa)
    await asyncio.wait_for(
        asyncio.gather(
            client.start(_parameters(rsa)),
            server.start(_parameters(ecdsa)),
            return_exceptions=True,
        ),
        TIMEOUT,
    )
    assert server._ssl is not None and client._ssl is not None
    assert server._ssl.get_context() is not template_context(aiortc.rtcdtlstransport.SRTP_PROFILES)
    assert client._ssl.get_peer_certificate() is None  # no certificate ever reached it
    assert "connected" not in (client.state, server.state)
    for transport in (client, server):
        await transport.stop()
