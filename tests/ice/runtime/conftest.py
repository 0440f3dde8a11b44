"""Fixtures for the IceTransport tests: certificates and TURN servers on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.support.coturn import relay_range
from tests.support.ice_turn import start_turn_server

from rtcpeer.testing.pki import CertificateFiles, make_certificates
from rtcpeer.turn.server.runtime import TurnServer


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(Path(tmp_path_factory.mktemp("ice-runtime-certs")))


@pytest.fixture
async def turn_a(
    certificates: CertificateFiles,
) -> AsyncIterator[tuple[TurnServer, tuple[int, int]]]:
    """TURN server "A" relaying from its own port range."""
    ports = relay_range()
    server = await start_turn_server(certificates, ports)
    try:
        yield server, ports
    finally:
        await server.close()


@pytest.fixture
async def turn_b(
    certificates: CertificateFiles,
) -> AsyncIterator[tuple[TurnServer, tuple[int, int]]]:
    """TURN server "B", a second region with a disjoint relay port range."""
    ports = relay_range()
    server = await start_turn_server(certificates, ports)
    try:
        yield server, ports
    finally:
        await server.close()
