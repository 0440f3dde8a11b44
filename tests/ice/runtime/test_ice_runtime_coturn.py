"""IceTransport against coturn (a separate process, stopped by its PID):
relay candidates over UDP, TCP, TLS and DTLS, and a relay-only connection
through each. A missing ``turnserver`` fails these tests, it never skips them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.coturn import Coturn, start_coturn
from tests.support.ice_runtime import TIMEOUT, connect, transport, wait_for_event
from tests.support.ice_turn import ice_url

from rtcpeer.testing.pki import CertificateFiles


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    server = start_coturn(Path(tmp_path_factory.mktemp("coturn")))
    try:
        yield server
    finally:
        server.stop()


def _url(server: Coturn, protocol: str) -> str:
    target = server.target(protocol)
    return target.url


@pytest.mark.parametrize("protocol", ["udp", "tcp", "tls", "dtls"])
async def test_relay_only_connect_through_coturn(coturn: Coturn, protocol: str) -> None:
    url = ice_url(_url(coturn, protocol))
    certs: CertificateFiles = coturn.certs
    kwargs = {"servers": [url], "policy": "relay", "cafile": str(certs.ca)}
    a, b = transport(True, **kwargs), transport(False, **kwargs)
    errors: list[object] = []
    a.on("icecandidateerror", errors.append)
    try:
        await connect(a, b)
        assert errors == [], coturn.log()
        for t in (a, b):
            assert t.selected_pair is not None
            local, remote = t.selected_pair
            assert local.type == remote.type == "relay"
            assert coturn.min_port <= local.port <= coturn.max_port
        stats = [s for s in a.get_stats() if s["type"] == "local-candidate"]
        assert stats[0]["relayProtocol"] == protocol and stats[0]["url"] == url.url
        a.send(b"via coturn")
        b.send(b"back")
        assert await asyncio.wait_for(b.receive(), TIMEOUT) == b"via coturn"
        assert await asyncio.wait_for(a.receive(), TIMEOUT) == b"back"
    finally:
        await a.close()
        await b.close()


async def test_coturn_wrong_password_is_a_401(coturn: Coturn) -> None:
    url = ice_url(_url(coturn, "udp"), credential="wrong")
    t = transport(True, servers=[url])
    try:
        error_future = asyncio.ensure_future(wait_for_event(t, "icecandidateerror"))
        await t.gather()
        (error,) = await error_future
        assert error.error_code == 401 and error.url == url.url
    finally:
        await t.close()
