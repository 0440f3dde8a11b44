"""The TURN client against coturn on loopback: allocate, permission, channel,
data both ways to a UDP echo peer, over UDP, TCP, TLS and DTLS, with static
and REST API credentials; and the failures (401, 701 unreachable, 701 TLS)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.coturn import Coturn, start_coturn
from tests.support.waiting import poll

from rtcpeer.stun import Attr, decode_message
from rtcpeer.testing.pki import make_certificates
from rtcpeer.turn.client import TurnClient, TurnError, TurnServer
from rtcpeer.turn.credentials import rest_api_credentials

pytestmark = pytest.mark.interop

TRANSPORTS = ["udp", "tcp", "tls", "dtls"]
SECRET = "s3cr3t-shared-with-coturn"
WAIT = 5.0


@pytest.fixture(scope="module")
def static_coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    server = start_coturn(tmp_path_factory.mktemp("coturn-static"), users={"alice": "wonder"})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def rest_coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    server = start_coturn(tmp_path_factory.mktemp("coturn-rest"), secret=SECRET)
    yield server
    server.stop()


class _Echo(asyncio.DatagramProtocol):
    """A plain UDP peer that sends every datagram back with a prefix."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.received: list[tuple[bytes, Any]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.received.append((data, addr))
        assert self.transport is not None
        self.transport.sendto(b"echo:" + data, addr)


@pytest.fixture
async def echo() -> AsyncIterator[tuple[tuple[str, int], _Echo]]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(_Echo, local_addr=("127.0.0.1", 0))
    yield transport.get_extra_info("sockname")[:2], protocol
    transport.close()


def _context_for(server: Coturn, transport: str) -> dict[str, Any]:
    if transport == "tls":
        return {"ssl_context": ssl.create_default_context(cafile=str(server.certs.ca))}
    if transport == "dtls":
        return {"cafile": server.certs.ca}
    return {}


async def _exercise(
    client: TurnClient, server: Coturn, echo: tuple[tuple[str, int], _Echo]
) -> None:
    """Permission, data by Send indication, channel, data by ChannelData."""
    (peer, protocol) = echo
    relayed_host, relayed_port = client.relayed_address
    assert relayed_host == "127.0.0.1"
    assert server.min_port <= relayed_port <= server.max_port
    assert client.mapped_address == client.local_address

    await asyncio.wait_for(client.create_permission(peer[0]), WAIT)
    client.send_to(b"via-indication", peer)
    data, source = await asyncio.wait_for(client.recv_from(), WAIT)
    assert (data, source) == (b"echo:via-indication", peer)
    # The peer saw the datagram come from the relayed address.
    assert protocol.received[-1] == (b"via-indication", client.relayed_address)

    channel = await asyncio.wait_for(client.bind_channel(peer), WAIT)
    assert 0x4000 <= channel <= 0x4FFF
    assert client.connection.channel_for(peer) == channel
    for size in (1, 3, 100):  # odd sizes exercise ChannelData padding on streams
        payload = bytes([size]) * size
        client.send_to(payload, peer)
        data, source = await asyncio.wait_for(client.recv_from(), WAIT)
        assert (data, source) == (b"echo:" + payload, peer)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_static_credentials(
    static_coturn: Coturn, echo: tuple[tuple[str, int], _Echo], transport: str
) -> None:
    server = static_coturn
    try:
        client = await TurnClient.connect(
            server.target(transport),
            "alice",
            "wonder",
            timeout=WAIT,
            **_context_for(server, transport),
        )
        await _exercise(client, server, echo)
        await client.close()
        assert client.connection.state.value == "closed"  # release was answered
    except BaseException:
        print(server.log())
        raise


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_rest_api_credentials(
    rest_coturn: Coturn, echo: tuple[tuple[str, int], _Echo], transport: str
) -> None:
    server = rest_coturn
    username, password = rest_api_credentials(SECRET, "bob", expires_at=time.time() + 3600)
    try:
        client = await TurnClient.connect(
            server.target(transport),
            username,
            password,
            timeout=WAIT,
            **_context_for(server, transport),
        )
        await _exercise(client, server, echo)
        await client.close()
        assert client.connection.state.value == "closed"
    except BaseException:
        print(server.log())
        raise


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_wrong_password_is_401(static_coturn: Coturn, transport: str) -> None:
    target = static_coturn.target(transport)
    with pytest.raises(TurnError) as info:
        await TurnClient.connect(target, "alice", "not-the-password", timeout=WAIT)
    assert info.value.code == 401
    assert info.value.url == target.url


async def test_expired_rest_credentials_are_401(rest_coturn: Coturn) -> None:
    username, password = rest_api_credentials(SECRET, "bob", expires_at=time.time() - 60)
    with pytest.raises(TurnError) as info:
        await TurnClient.connect(rest_coturn.target("udp"), username, password, timeout=WAIT)
    assert info.value.code == 401


def _unused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_unreachable_port_is_701(transport: str) -> None:
    target = TurnServer("127.0.0.1", _unused_port(), transport)
    started = time.monotonic()
    with pytest.raises(TurnError) as info:
        await TurnClient.connect(target, "u", "p", timeout=WAIT)
    assert info.value.code == 701
    assert info.value.url == target.url
    assert time.monotonic() - started < WAIT  # refused, not timed out


async def test_silent_server_times_out_with_701() -> None:
    """A UDP socket that never answers: the overall timeout gives 701."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        target = TurnServer("127.0.0.1", silent.getsockname()[1], "udp")
        with pytest.raises(TurnError) as info:
            await TurnClient.connect(target, "u", "p", timeout=0.6)
    assert info.value.code == 701


@pytest.mark.parametrize("transport", ["tls", "dtls"])
async def test_untrusted_certificate_is_701(
    static_coturn: Coturn, transport: str, tmp_path: Path
) -> None:
    """Verification is on by default: a CA we do not trust fails with 701."""
    stranger = make_certificates(tmp_path / "stranger")
    target = static_coturn.target(transport)
    with pytest.raises(TurnError) as info:
        await TurnClient.connect(target, "alice", "wonder", timeout=WAIT, cafile=stranger.ca)
    assert info.value.code == 701
    assert info.value.url == target.url


@pytest.mark.parametrize("transport", ["tls", "dtls"])
async def test_system_trust_store_rejects_test_ca(static_coturn: Coturn, transport: str) -> None:
    """With no CA given the system store is used, which does not know ours."""
    with pytest.raises(TurnError) as info:
        await TurnClient.connect(static_coturn.target(transport), "alice", "wonder", timeout=WAIT)
    assert info.value.code == 701


class _Redirector(asyncio.DatagramProtocol):
    """Answers every Allocate with 300 Try Alternate pointing at ``alternate``."""

    def __init__(self, alternate: tuple[str, int]) -> None:
        self.alternate = alternate
        self.transport: asyncio.DatagramTransport | None = None
        self.requests = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        request = decode_message(data)
        self.requests += 1
        reply = request.error(300).add(Attr.ALTERNATE_SERVER, self.alternate)
        assert self.transport is not None
        self.transport.sendto(reply.encode(None), addr)


async def test_try_alternate_is_followed(
    static_coturn: Coturn, echo: tuple[tuple[str, int], _Echo]
) -> None:
    loop = asyncio.get_running_loop()
    transport, redirector = await loop.create_datagram_endpoint(
        lambda: _Redirector(("127.0.0.1", static_coturn.port)), local_addr=("127.0.0.1", 0)
    )
    try:
        port = transport.get_extra_info("sockname")[1]
        target = TurnServer("127.0.0.1", port, "udp")
        client = await TurnClient.connect(target, "alice", "wonder", timeout=WAIT)
        assert redirector.requests == 1
        assert static_coturn.min_port <= client.relayed_address[1] <= static_coturn.max_port
        assert client.url == target.url  # errors keep naming the configured URL
        await _exercise(client, static_coturn, echo)
        await client.close()
    finally:
        transport.close()


async def test_redirect_loop_is_cut_with_300() -> None:
    loop = asyncio.get_running_loop()
    transport, redirector = await loop.create_datagram_endpoint(
        lambda: _Redirector(("127.0.0.1", 0)), local_addr=("127.0.0.1", 0)
    )
    try:
        port = transport.get_extra_info("sockname")[1]
        redirector.alternate = ("127.0.0.1", port)  # points at itself
        with pytest.raises(TurnError) as info:
            await TurnClient.connect(TurnServer("127.0.0.1", port, "udp"), "u", "p", timeout=WAIT)
        assert info.value.code == 300
        assert redirector.requests == 3
    finally:
        transport.close()


async def test_on_data_callback_and_release_seen_by_coturn(
    static_coturn: Coturn, echo: tuple[tuple[str, int], _Echo]
) -> None:
    received: asyncio.Queue[tuple[tuple[str, int], bytes]] = asyncio.Queue()
    client = await TurnClient.connect(
        static_coturn.target("udp"),
        "alice",
        "wonder",
        timeout=WAIT,
        on_data=lambda peer, data: received.put_nowait((peer, data)),
    )
    peer, _ = echo
    await client.create_permission(peer[0])
    client.send_to(b"cb", peer)
    assert await asyncio.wait_for(received.get(), WAIT) == (peer, b"echo:cb")
    port = client.local_address[1]
    await client.close()

    def released() -> bool:
        return any("lifetime=0" in line for line in static_coturn.log(400).splitlines())

    # coturn writes its log on its own schedule: under load the line can
    # trail the Refresh response that close() waited for.
    try:
        await poll(released, WAIT)
    except TimeoutError:
        raise AssertionError(static_coturn.log()) from None
    assert client.connection.state.value == "closed"
    assert port > 0


async def test_server_dying_reports_701_through_on_error(tmp_path: Path) -> None:
    server = start_coturn(tmp_path / "dying")
    try:
        client = await TurnClient.connect(server.target("tcp"), "user", "pass", timeout=WAIT)
        lost: asyncio.Future[TurnError] = asyncio.get_running_loop().create_future()
        client.on_error = lost.set_result
        server.stop()
        error = await asyncio.wait_for(lost, WAIT)
        assert error.code == 701
        assert error.url == server.target("tcp").url
        assert client.error == error
        assert not client.allocated
        with pytest.raises(TurnError) as info:
            client.send_to(b"x", ("127.0.0.1", 9))
        assert info.value == error
        await client.close()
    finally:
        server.stop()
