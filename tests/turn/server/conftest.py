"""Fixtures for the TURN server tests: certificates, a running server, a peer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.support.turn_server import PASSWORD, REALM, USER, PeerProtocol

from rtcpeer.testing.pki import CertificateFiles, make_certificates
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(Path(tmp_path_factory.mktemp("turn-certs")))


@pytest.fixture
async def turn_server(certificates: CertificateFiles) -> AsyncIterator[TurnServer]:
    """A server on free loopback ports with UDP, TCP, TLS and DTLS."""
    config = TurnServerConfig(
        realm=REALM,
        users={USER: PASSWORD},
        allow_loopback_peers=True,
        legacy_channel_numbers=True,
    )
    settings = ListenSettings(
        host="127.0.0.1", port=0, tls_port=0, cert=certificates.cert, key=certificates.key
    )
    server = TurnServer(config, settings)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def peer() -> AsyncIterator[PeerProtocol]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        PeerProtocol, local_addr=("127.0.0.1", 0)
    )
    try:
        yield protocol
    finally:
        transport.close()
