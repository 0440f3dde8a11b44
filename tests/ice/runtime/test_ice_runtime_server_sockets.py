"""The UDP sockets the ICE runtime opens for TURN/UDP servers
(:class:`rtcpeer.ice.runtime.sockets.ServerUdpSocket`).

Opened at once when the agent asks (no task, no datagram endpoint: a
gathering from N servers opens N), connected to the server so that only
the server is heard, bound to the wildcard address when there is no route.
"""

from __future__ import annotations

import asyncio
import socket

from rtcpeer.configuration.urls import IceServerUrl
from rtcpeer.ice.candidate import Candidate
from rtcpeer.ice.runtime import IceTransport
from rtcpeer.ice.runtime import sockets as runtime_sockets
from rtcpeer.ice.runtime.sockets import ServerUdpSocket
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer

TIMEOUT = 5.0


async def test_hears_the_server_and_nobody_else() -> None:
    loop = asyncio.get_running_loop()
    received: list[tuple[tuple[str, int], bytes]] = []
    second = loop.create_future()

    def on_receive(socket_id: int, source: tuple[str, int], data: bytes) -> None:
        received.append((source, data))
        if data == b"server 2" and not second.done():
            second.set_result(None)

    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    stranger.bind(("127.0.0.1", 0))
    remote = server.getsockname()
    sock = runtime_sockets.open_server_udp(
        7, remote, on_receive, lambda socket_id, reason: None, loop
    )
    try:
        assert sock.local_address[0] == "127.0.0.1" and sock.local_address[1] > 0
        sock.send(b"request", remote)
        data, source = server.recvfrom(100)
        assert (data, source) == (b"request", sock.local_address)
        server.sendto(b"server 1", sock.local_address)
        stranger.sendto(b"stranger", sock.local_address)
        server.sendto(b"server 2", sock.local_address)
        await asyncio.wait_for(second, TIMEOUT)
        assert received == [(remote, b"server 1"), (remote, b"server 2")]
        assert sock.bytes_sent == len(b"request")
        assert sock.bytes_received == len(b"server 1") + len(b"server 2")
    finally:
        sock.close()
        server.close()
        stranger.close()
    assert sock.closed


async def test_without_a_server_address_binds_the_wildcard() -> None:
    loop = asyncio.get_running_loop()
    sock = runtime_sockets.open_server_udp(8, None, lambda *args: None, lambda *args: None, loop)
    try:
        assert sock.local_address[0] == "0.0.0.0" and sock.local_address[1] > 0
    finally:
        sock.close()


async def test_turn_udp_sockets_open_inside_gather() -> None:
    """When gather() returns, every TURN/UDP server's socket is open and its
    Allocate sent: no task had to run first (one per server, before)."""
    servers = []
    for _ in range(3):
        server = TurnServer(
            TurnServerConfig(realm="test", users={"user": "pass"}),
            ListenSettings(host="127.0.0.1", port=0, tcp=False),
        )
        await server.start()
        servers.append(server)
    urls = []
    for server in servers:
        port = server.addresses["udp"][1]
        text = f"turn:127.0.0.1:{port}?transport=udp"
        urls.append(IceServerUrl(text, "turn", "127.0.0.1", port, "udp", False, "user", "pass"))
    transport = IceTransport(
        controlling=True, servers=urls, addresses=["127.0.0.1"], include_loopback=True
    )
    done = asyncio.get_running_loop().create_future()
    relays: list[Candidate] = []

    def on_candidate(candidate: Candidate | None) -> None:
        if candidate is None:
            if not done.done():
                done.set_result(None)
        elif candidate.type == "relay":
            relays.append(candidate)

    transport.on("icecandidate", on_candidate)
    try:
        await transport.gather()
        opened = [s for s in transport.sockets.values() if isinstance(s, ServerUdpSocket)]
        assert len(opened) == 3
        assert all(s.bytes_sent > 0 for s in opened)  # the first Allocate is out
        await asyncio.wait_for(done, TIMEOUT)
        assert len(relays) == 3
        related = {(c.related_address, c.related_port) for c in relays}
        assert related == {s.local_address for s in opened}
    finally:
        await transport.close()
        for server in servers:
            await server.close()
