"""DTLS handshakes that present one certificate share one OpenSSL context.

``rtcpeer.transport.dtls_context`` builds a context per certificate (per
thread) with aiortc's own settings and keeps it while the certificate
lives; aiortc takes each connection's context from the certificate's
``_create_ssl_context``. These tests fail if connections stop sharing it,
if one ever presents another connection's certificate, or if a context
outlives its certificate.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
from typing import Any

import aiortc.rtcdtlstransport
import pytest
from aiortc.rtcdtlstransport import RTCDtlsParameters, RTCDtlsTransport
from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL
from tests.support.memory_path import MemoryPath, MemoryTransport
from tests.support.waiting import TIMEOUT

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import create_dtls_transport, local_dtls_parameters
from rtcpeer.transport.dtls_context import SharedContextCertificate, cached_context_count


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


async def test_connections_presenting_one_certificate_share_its_context() -> None:
    """Two handshakes between the same two certificates: two contexts in all,
    one per certificate, and each side sees exactly its peer's certificate."""
    client, server = RTCCertificate.generate("ECDSA"), RTCCertificate.generate("ECDSA")
    first = await _handshake(client, server)
    second = await _handshake(client, server)
    transports = [*first, *second]
    assert [t.state for t in transports] == ["connected"] * 4
    for a, b in (first, second):
        assert a._ssl is not None and b._ssl is not None
        assert _der(a._ssl.get_peer_certificate(as_cryptography=True)) == _der(server.x509)
        assert _der(b._ssl.get_peer_certificate(as_cryptography=True)) == _der(client.x509)
    assert first[0]._ssl is not None and second[0]._ssl is not None
    assert first[1]._ssl is not None and second[1]._ssl is not None
    assert first[0]._ssl.get_context() is second[0]._ssl.get_context()
    assert first[1]._ssl.get_context() is second[1]._ssl.get_context()
    assert first[0]._ssl.get_context() is not first[1]._ssl.get_context()
    for transport in transports:
        await transport.stop()


async def test_a_key_is_loaded_into_openssl_once_for_all_its_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Loading a key into OpenSSL (a DER round trip, ~0.2 ms) happens once per
    certificate, not once per connection: three handshakes between the same
    two certificates load two keys."""
    loaded: list[object] = []
    for cls in (SSL.Context, SSL.Connection):
        original = cls.use_privatekey

        def counting(self: object, pkey: object, original: Any = original) -> None:
            loaded.append(pkey)
            original(self, pkey)

        monkeypatch.setattr(cls, "use_privatekey", counting)
    client, server = RTCCertificate.generate("ECDSA"), RTCCertificate.generate("ECDSA")
    transports = [t for _ in range(3) for t in await _handshake(client, server)]
    assert [t.state for t in transports] == ["connected"] * 6
    assert len(loaded) == 2
    for transport in transports:
        await transport.stop()


def test_a_context_keeps_no_sessions_and_is_made_once() -> None:
    profiles = aiortc.rtcdtlstransport.SRTP_PROFILES
    certificate = SharedContextCertificate(RTCCertificate.generate("ECDSA"))
    context = certificate._create_ssl_context(profiles)
    assert context is certificate._create_ssl_context(profiles)
    assert context.get_session_cache_mode() == SSL.SESS_CACHE_OFF
    assert context.set_mode(0) & SSL.MODE_RELEASE_BUFFERS  # idle connections hold no buffers
    other = profiles[-1:]
    assert certificate._create_ssl_context(other) is not context  # other SRTP profiles


def test_a_context_lives_no_longer_than_its_certificate() -> None:
    profiles = aiortc.rtcdtlstransport.SRTP_PROFILES
    gc.collect()
    before = cached_context_count()
    certificates = [RTCCertificate.generate("ECDSA") for _ in range(3)]
    contexts = [SharedContextCertificate(c)._create_ssl_context(profiles) for c in certificates]
    connections = [SSL.Connection(context, None) for context in contexts]
    assert cached_context_count() == before + 3
    del certificates, contexts, connections
    gc.collect()
    assert cached_context_count() == before


def test_aiortc_takes_the_connection_context_from_the_certificate() -> None:
    """The SSL connection is built from ``_create_ssl_context`` before the handshake."""
    start = inspect.getsource(RTCDtlsTransport.start)
    built = start.index("self._ssl = SSL.Connection(")
    handshake = start.index("await self._do_handshake()")
    assert built < handshake
    assert "_create_ssl_context(" in start[built:handshake]


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


async def test_an_rsa_certificate_builds_but_cannot_complete_a_handshake() -> None:
    """RSA gets a context of its own certificate with aiortc's settings, whose
    ECDSA-only ciphers then fail the handshake (as with aiortc's own context)."""
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
    assert server._ssl.get_context() is not client._ssl.get_context()
    assert client._ssl.get_peer_certificate() is None  # no certificate ever reached it
    assert "connected" not in (client.state, server.state)
    for transport in (client, server):
        await transport.stop()
