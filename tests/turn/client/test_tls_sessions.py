"""TURN-over-TLS links resume the server's last TLS session (coturn and our server).

The first link to a server runs the full handshake; the next one offers the
session it got and the server accepts it, so no key exchange and no
certificate check happen again. A session the server does not know (another
server on the same host, or one restarted) only costs a full handshake.
"""

from __future__ import annotations

import asyncio
import os
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.coturn import Coturn, start_coturn

from rtcpeer.testing.pki import CertificateFiles, make_certificates
from rtcpeer.turn.client import TurnServer
from rtcpeer.turn.client.links import Link, open_link
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings
from rtcpeer.turn.server.runtime import TurnServer as EmbeddedTurnServer

WAIT = 5.0
_BINDING_REQUEST = struct.pack("!HHI", 0x0001, 0, 0x2112A442)


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    server = start_coturn(tmp_path_factory.mktemp("coturn-tls-sessions"))
    yield server
    server.stop()


async def _link_and_answer(port: int, ca: str) -> tuple[Link, bool]:
    """Open a TLS link, get one STUN answer over it; (link, resumed?)."""
    target = TurnServer("127.0.0.1", port, "tcp", secure=True)
    link = await open_link(target, server_hostname="localhost", cafile=ca, timeout=WAIT)
    answered: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def answer(frame: bytes) -> None:
        if not answered.done():
            answered.set_result(frame)

    link.on_frame = answer
    link.send(_BINDING_REQUEST + os.urandom(12))
    await asyncio.wait_for(answered, WAIT)
    ssl_object = link._transport.get_extra_info("ssl_object")  # type: ignore[union-attr]
    return link, bool(ssl_object.session_reused)


async def _resumption_sequence(port: int, ca: str) -> list[bool]:
    resumed = []
    for _ in range(3):
        link, reused = await _link_and_answer(port, ca)
        resumed.append(reused)
        link.close()
    return resumed


@pytest.mark.interop
async def test_coturn_sessions_are_resumed(coturn: Coturn) -> None:
    assert await _resumption_sequence(coturn.tls_port, str(coturn.certs.ca)) == [
        False,
        True,
        True,
    ]


async def test_our_server_sessions_are_resumed(tmp_path: Path) -> None:
    certificates: CertificateFiles = make_certificates(tmp_path / "pki")
    server = EmbeddedTurnServer(
        TurnServerConfig(realm="example.test", users={"user": "pass"}),
        ListenSettings(
            host="127.0.0.1", port=0, tls_port=0, cert=certificates.cert, key=certificates.key,
            dtls=False,
        ),
    )  # fmt: skip
    await server.start()
    try:
        _, port = server.addresses["tls"]
        assert await _resumption_sequence(port, str(certificates.ca)) == [False, True, True]
    finally:
        await server.close()


async def test_a_session_from_another_server_costs_only_a_full_handshake(
    coturn: Coturn, tmp_path: Path
) -> None:
    # Two servers behind the same name and CA: sessions are kept per host and
    # port, so neither is offered the other's, and both still connect.
    other = start_coturn(tmp_path / "other", certs=coturn.certs)
    try:
        ca = str(coturn.certs.ca)
        first, _ = await _link_and_answer(coturn.tls_port, ca)
        first.close()
        second, reused = await _link_and_answer(other.tls_port, ca)
        second.close()
        assert reused is False
        third, reused = await _link_and_answer(coturn.tls_port, ca)
        third.close()
        assert reused is True
    finally:
        other.stop()
