"""The real sockets under the agent: host UDP sockets and server connections.

Every socket carries whole datagrams or whole frames and reports them with
the socket id the agent knows it by. UDP sockets send where the agent says;
TCP, TLS and DTLS sockets are connections to one server, so a send goes to
that server whatever the destination. Stream framing, TLS and DTLS come from
the TURN client's links (:mod:`rtcpeer.turn.client.links`): the agent only
ever sees plaintext STUN messages and ChannelData frames.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable
from typing import Any, cast

from rtcpeer.ice.errors import IceError
from rtcpeer.sansio import Address
from rtcpeer.turn.client.links import Link, open_link
from rtcpeer.turn.client.target import TurnServer
from rtcpeer.turn.errors import TurnError
from rtcpeer.turn.trust import TurnTls

#: (socket id, source address, datagram or frame)
ReceiveHandler = Callable[[int, Address, bytes], None]
#: (socket id, reason) — the socket went away without being asked to.
ClosedHandler = Callable[[int, str], None]

SOCKET_TRANSPORTS = ("udp", "tcp", "tls", "dtls")


class SocketOpenError(IceError):
    """A requested socket could not be opened (the reason is the message)."""


class RuntimeSocket:
    """A socket registered with the agent under ``socket_id``."""

    def __init__(
        self, socket_id: int, transport: str, on_receive: ReceiveHandler, on_closed: ClosedHandler
    ) -> None:
        self.socket_id = socket_id
        self.transport = transport
        self.local_address: Address = ("0.0.0.0", 0)
        #: The server a connection goes to (None for plain UDP sockets).
        self.remote: Address | None = None
        self.closed = False
        self.bytes_sent = 0
        self.bytes_received = 0
        self._on_receive = on_receive
        self._on_closed = on_closed

    def send(self, data: bytes, destination: Address) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.closed = True

    def _deliver(self, source: Address, data: bytes) -> None:
        if not self.closed:
            self.bytes_received += len(data)
            self._on_receive(self.socket_id, source, data)

    def _lost(self, reason: str) -> None:
        if not self.closed:
            self.closed = True
            self._on_closed(self.socket_id, reason)


class UdpSocket(RuntimeSocket, asyncio.DatagramProtocol):
    """An unconnected UDP socket: host candidates, STUN and TURN over UDP."""

    _transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        # Runs for every datagram: _deliver inlined, and an IPv4 address is
        # already the (host, port) pair; IPv6 adds flow info and scope id.
        if not self.closed:
            self.bytes_received += len(data)
            self._on_receive(self.socket_id, addr if len(addr) == 2 else (addr[0], addr[1]), data)

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP errors on an unconnected socket say nothing about the socket

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost("socket closed" if exc is None else f"socket error: {exc}")

    def send(self, data: bytes, destination: Address) -> None:
        if self._transport is not None and not self.closed:
            self.bytes_sent += len(data)
            self._transport.sendto(data, destination)

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()


class LinkSocket(RuntimeSocket):
    """A connection to one server over TCP, TLS or DTLS (a TURN client link)."""

    def __init__(
        self,
        socket_id: int,
        transport: str,
        on_receive: ReceiveHandler,
        on_closed: ClosedHandler,
        link: Link,
        remote: Address,
    ) -> None:
        super().__init__(socket_id, transport, on_receive, on_closed)
        self._link = link
        self.remote = remote
        self.local_address = link.local_address
        link.on_frame = lambda frame: self._deliver(remote, frame)
        link.on_lost = self._lost

    def send(self, data: bytes, destination: Address) -> None:
        if not self.closed:
            self.bytes_sent += len(data)
            self._link.send(data)

    def close(self) -> None:
        self.closed = True
        self._link.close()


def source_address_for(remote: Address) -> str:
    """The local IP the kernel routes ``remote`` from (a connect() that sends nothing)."""
    family = socket.AF_INET6 if ":" in remote[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(remote)
        except OSError:
            return "::" if family == socket.AF_INET6 else "0.0.0.0"
        return str(probe.getsockname()[0])


async def open_udp(
    socket_id: int, host: str, on_receive: ReceiveHandler, on_closed: ClosedHandler, port: int = 0
) -> UdpSocket:
    """A UDP socket bound to ``host`` (a specific local IP) on a free port."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    _, protocol = await loop.create_datagram_endpoint(
        lambda: UdpSocket(socket_id, "udp", on_receive, on_closed),
        local_addr=(host, port),
        family=family,
    )
    sockname = cast(asyncio.DatagramTransport, protocol._transport).get_extra_info("sockname")
    protocol.local_address = (str(sockname[0]), int(sockname[1]))
    return protocol


async def open_requested(
    socket_id: int,
    transport: str,
    remote: Address | None,
    server_name: str,
    on_receive: ReceiveHandler,
    on_closed: ClosedHandler,
    *,
    cafile: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 10.0,
    trust: TurnTls | None = None,
) -> RuntimeSocket:
    """Open what the agent asked for; raise :class:`SocketOpenError` with a reason.

    UDP binds to the local address that routes to ``remote`` (so a relay
    candidate's related address is a real one). TLS and DTLS verify the
    server's certificate for ``server_name`` against ``cafile`` or
    ``ssl_context``, else the system trust store; ``trust`` overrides both.
    """
    if transport not in SOCKET_TRANSPORTS:
        raise SocketOpenError(f"unknown socket transport {transport!r}")
    if transport == "udp":
        host = "0.0.0.0" if remote is None else source_address_for(remote)
        try:
            return await open_udp(socket_id, host, on_receive, on_closed)
        except OSError as exc:
            raise SocketOpenError(f"cannot bind a UDP socket on {host}: {exc}") from exc
    if remote is None:
        raise SocketOpenError(f"a {transport} socket needs a server address")
    target = TurnServer(
        remote[0],
        remote[1],
        "udp" if transport == "dtls" else "tcp",
        transport in ("tls", "dtls"),
        f"{transport}:{server_name}",
    )
    try:
        link = await open_link(
            target,
            server_hostname=server_name or remote[0],
            ssl_context=ssl_context if transport == "tls" else None,
            cafile=cafile,
            timeout=timeout,
            trust=trust,
        )
    except TurnError as exc:
        raise SocketOpenError(exc.reason) from exc
    return LinkSocket(socket_id, transport, on_receive, on_closed, link, remote)
