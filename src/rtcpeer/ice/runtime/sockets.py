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
#: Datagrams read from a UDP socket per wake-up before yielding to the loop.
_READS_PER_WAKEUP = 16


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


class UdpSocket(RuntimeSocket):
    """An unconnected UDP socket: host candidates and their data path.

    A plain non-blocking socket read through ``loop.add_reader``: each
    readiness event reads what is queued (up to ``_READS_PER_WAKEUP``
    datagrams), where an asyncio datagram transport reads one datagram per
    event-loop iteration -- a burst of DTLS/SCTP packets costs one wake-up,
    not one each. A datagram the kernel cannot take now (a full send
    buffer) waits, in order, for the socket to become writable, as asyncio's
    transport would keep it.
    """

    def __init__(
        self,
        socket_id: int,
        on_receive: ReceiveHandler,
        on_closed: ClosedHandler,
        sock: socket.socket,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        super().__init__(socket_id, "udp", on_receive, on_closed)
        self._sock = sock
        self._loop = loop
        #: Datagrams waiting for the socket to be writable (None nearly always).
        self._backlog: list[tuple[bytes, Address]] | None = None
        sockname = sock.getsockname()
        self.local_address = (str(sockname[0]), int(sockname[1]))
        loop.add_reader(sock.fileno(), self._readable)

    def _readable(self) -> None:
        sock, on_receive, socket_id = self._sock, self._on_receive, self.socket_id
        for _ in range(_READS_PER_WAKEUP):
            if self.closed:
                return
            try:
                data, addr = sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # an ICMP error says nothing about an unconnected socket
            self.bytes_received += len(data)
            # An IPv4 address is already the (host, port) pair; IPv6 adds flow info and scope id.
            on_receive(socket_id, addr if len(addr) == 2 else (addr[0], addr[1]), data)

    def send(self, data: bytes, destination: Address) -> None:
        if self.closed:
            return
        self.bytes_sent += len(data)
        if self._backlog is not None:
            self._backlog.append((data, destination))
            return
        try:
            self._sock.sendto(data, destination)
        except (BlockingIOError, InterruptedError):
            self._backlog = [(data, destination)]
            self._loop.add_writer(self._sock.fileno(), self._writable)
        except OSError:
            pass  # unroutable, or an ICMP error: lost, as UDP may lose it

    def _writable(self) -> None:
        backlog = self._backlog
        if backlog is None or self.closed:
            return
        while backlog:
            data, destination = backlog[0]
            try:
                self._sock.sendto(data, destination)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                pass
            del backlog[0]
        self._backlog = None
        self._loop.remove_writer(self._sock.fileno())

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._backlog = None
            self._loop.remove_reader(self._sock.fileno())
            self._loop.remove_writer(self._sock.fileno())
            self._sock.close()


class ServerUdpSocket(UdpSocket):
    """A UDP socket to one STUN/TURN server (a TURN/UDP allocation's socket).

    A :class:`UdpSocket` connected to the server and opened synchronously
    (:func:`open_server_udp`): gathering from N TURN servers opens N of
    these at once, and an asyncio datagram endpoint (plus the task awaiting
    it and a second socket to find the source address) cost ~40-45 µs each
    against ~21 µs this way. Connected, it hears only the server, which is
    all the gathering listens to on it; an ICMP error the connection
    surfaces is skipped like any other.
    """


def open_server_udp(
    socket_id: int,
    remote: Address | None,
    on_receive: ReceiveHandler,
    on_closed: ClosedHandler,
    loop: asyncio.AbstractEventLoop,
) -> ServerUdpSocket:
    """A :class:`ServerUdpSocket` to ``remote``, now; :class:`SocketOpenError` with a reason.

    Connecting it binds it to the local address that routes to ``remote``
    (so a relay candidate's related address is a real one); with no route
    (or no ``remote``) it is bound to the wildcard address instead.
    """
    family = socket.AF_INET6 if remote is not None and ":" in remote[0] else socket.AF_INET
    wildcard = "::" if family == socket.AF_INET6 else "0.0.0.0"
    try:
        sock = socket.socket(family, socket.SOCK_DGRAM)
    except OSError as exc:
        raise SocketOpenError(f"cannot open a UDP socket: {exc}") from exc
    try:
        sock.setblocking(False)
        try:
            if remote is None:
                raise OSError("no server address")
            sock.connect(remote)
        except OSError:
            sock.bind((wildcard, 0))
        return ServerUdpSocket(socket_id, on_receive, on_closed, sock, loop)
    except (OSError, ValueError) as exc:
        sock.close()
        raise SocketOpenError(f"cannot bind a UDP socket on {wildcard}: {exc}") from exc


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
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        sock.bind((host, port))
        udp = UdpSocket(socket_id, on_receive, on_closed, sock, loop)
    except BaseException:
        sock.close()
        raise
    # One loop turn, as opening an asyncio endpoint took: callers (gather())
    # have always let listeners that are still being set up run first.
    await asyncio.sleep(0)
    return udp


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
        return open_server_udp(socket_id, remote, on_receive, on_closed, asyncio.get_running_loop())
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
