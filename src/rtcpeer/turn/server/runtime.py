"""The asyncio runtime around :class:`TurnServerCore`: sockets and one timer.

It binds the listeners and relayed sockets, passes every datagram/frame to
the core with the loop's clock as ``now`` and the wall clock for REST
usernames, carries out the core's outputs, and calls ``handle_timer`` when
``get_timer()`` comes due. All TURN logic stays in the core.

ChannelData takes a shorter way both ways: the runtime looks each frame up
in the core's channel routes (:meth:`TurnServerCore.channel_route`,
:meth:`TurnServerCore.peer_route`) and sends what a usable route says, with
no STUN message, output object or timer check per packet; a frame without a
usable route goes to the core's general inputs, which decide as before.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from rtcpeer.sansio import Address
from rtcpeer.turn.dtls import server_context
from rtcpeer.turn.errors import TurnValueError
from rtcpeer.turn.server.allocation import ChannelRoute
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.core import TurnServerCore
from rtcpeer.turn.server.dtls_listener import DtlsListener
from rtcpeer.turn.server.events import ClientKey, Output, SendToClient
from rtcpeer.turn.server.listeners import Sender, StreamConnection, UdpListener
from rtcpeer.turn.server.relay_sockets import DEFAULT_MAX_PORT, DEFAULT_MIN_PORT, UdpRelayPool
from rtcpeer.turn.server.stream_listener import StreamLimits, StreamListener

_PORT_ATTEMPTS = 50
_BACKLOG = 128

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ListenSettings:
    """Where the server listens and relays. A port of 0 picks a free one
    (the same number for UDP and TCP, and for TLS and DTLS); None turns
    that pair of listeners off."""

    #: Listening IP (one address; IPv4 or IPv6).
    host: str = "127.0.0.1"
    #: TURN over UDP and TCP.
    port: int | None = 3478
    #: TURN over TLS and DTLS (needs ``cert`` and ``key``).
    tls_port: int | None = None
    #: PEM certificate chain for TLS/DTLS.
    cert: Path | None = None
    #: PEM private key for TLS/DTLS.
    key: Path | None = None
    #: IP of the relayed sockets, or one IPv4 and one IPv6 for a dual-stack
    #: relay (default: ``host``, which then must be specific).
    relay_ip: str | tuple[str, ...] | None = None
    #: Relay port range (coturn's by default); 0 and 0 let the kernel choose.
    min_port: int = DEFAULT_MIN_PORT
    max_port: int = DEFAULT_MAX_PORT
    #: Caps and timeouts of TCP/TLS client connections.
    stream_limits: StreamLimits = field(default_factory=StreamLimits)
    #: Turn single listeners off.
    udp: bool = True
    tcp: bool = True
    tls: bool = True
    dtls: bool = True


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class TurnServer:
    """An embedded TURN server: ``await start()``, ``urls()``, ``await close()``."""

    def __init__(self, config: TurnServerConfig, settings: ListenSettings | None = None) -> None:
        self.config = config
        self.settings = settings or ListenSettings()
        self.core: TurnServerCore | None = None
        #: Bound listening addresses by transport ("udp", "tcp", "tls", "dtls").
        self.addresses: dict[str, Address] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._relays: UdpRelayPool | None = None
        self._udp: dict[Address, UdpListener] = {}
        self._dtls: DtlsListener | None = None
        self._datagram_transports: list[asyncio.DatagramTransport] = []
        self._streams: list[StreamListener] = []
        self._stream_protocols: set[StreamConnection] = set()
        self._connections: dict[ClientKey, Sender] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        #: Seconds :meth:`start` took (for benchmarks and logs).
        self.startup_seconds = 0.0

    # -- lifecycle ----------------------------------------------------------
    async def start(self) -> None:
        """Bind every configured listener; raise OSError if a port is taken."""
        began = time.perf_counter()
        settings = self.settings
        self._loop = loop = asyncio.get_running_loop()
        relay_ip = settings.relay_ip or settings.host
        relay_ips = (relay_ip,) if isinstance(relay_ip, str) else relay_ip
        if any(ipaddress.ip_address(ip).is_unspecified for ip in relay_ips):
            raise TurnValueError("relay_ip must be a specific address when host is unspecified")
        self._relays = UdpRelayPool(
            loop, relay_ips, self._from_peer, min_port=settings.min_port, max_port=settings.max_port
        )
        self.core = TurnServerCore(self.config, self._relays, wall_offset=time.time() - loop.time())
        try:
            if settings.port is not None and (settings.udp or settings.tcp):
                await self._bind_pair(settings.port, secure=False)
            if settings.tls_port is not None and (settings.tls or settings.dtls):
                if settings.cert is None or settings.key is None:
                    raise TurnValueError("tls_port needs cert and key")
                await self._bind_pair(settings.tls_port, secure=True)
        except BaseException:
            await self.close()
            raise
        for address in self.addresses.values():
            self.core.add_listening_address(address)
        self.startup_seconds = time.perf_counter() - began
        logger.info(
            "TURN server listening: %s",
            ", ".join(f"{name} {host}:{port}" for name, (host, port) in self.addresses.items()),
        )

    async def _bind_pair(self, port: int, *, secure: bool) -> None:
        """Bind the datagram and the stream listener on one port number."""
        settings = self.settings
        want_dgram = settings.dtls if secure else settings.udp
        want_stream = settings.tls if secure else settings.tcp
        attempts = _PORT_ATTEMPTS if port == 0 else 1
        for attempt in range(attempts):
            dgram: asyncio.DatagramTransport | None = None
            try:
                chosen = port
                if want_dgram:
                    dgram = await self._bind_datagram(chosen, secure=secure)
                    chosen = int(dgram.get_extra_info("sockname")[1])
                if want_stream:
                    await self._bind_stream(chosen, secure=secure)
                return
            except OSError:
                if dgram is not None:
                    self._forget_datagram(dgram)
                if attempt == attempts - 1:
                    raise

    async def _bind_datagram(self, port: int, *, secure: bool) -> asyncio.DatagramTransport:
        assert self._loop is not None
        host = self.settings.host
        if secure:
            assert self.settings.cert is not None and self.settings.key is not None
            dtls = DtlsListener(self, server_context(self.settings.cert, self.settings.key))
            transport, _ = await self._loop.create_datagram_endpoint(
                lambda: dtls, local_addr=(host, port)
            )
            self._dtls = dtls
            self.addresses["dtls"] = dtls.local
        else:
            udp = UdpListener(self)
            transport, _ = await self._loop.create_datagram_endpoint(
                lambda: udp, local_addr=(host, port)
            )
            self._udp[udp.local] = udp
            self.addresses["udp"] = udp.local
            assert self.core is not None
            udp.channel_data = self._channel_data_path(self.core.routes_from("udp", udp.local))
        self._datagram_transports.append(transport)
        return transport

    def _forget_datagram(self, transport: asyncio.DatagramTransport) -> None:
        transport.close()
        self._datagram_transports.remove(transport)
        sockname = transport.get_extra_info("sockname")
        local: Address = (str(sockname[0]), int(sockname[1]))
        self._udp.pop(local, None)
        for name in ("udp", "dtls"):
            if self.addresses.get(name) == local:
                del self.addresses[name]

    async def _bind_stream(self, port: int, *, secure: bool) -> None:
        assert self._loop is not None
        name = "tls" if secure else "tcp"
        context: ssl.SSLContext | None = None
        if secure:
            assert self.settings.cert is not None and self.settings.key is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.settings.cert, self.settings.key)
        family = socket.AF_INET6 if ":" in self.settings.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((self.settings.host, port))
            sock.listen(_BACKLOG)
        except OSError:
            sock.close()
            raise
        limits = self.settings.stream_limits

        def protocol(release: Callable[[], None]) -> StreamConnection:
            def closed() -> None:
                self._stream_protocols.discard(connection)
                release()

            connection = StreamConnection(self, name, limits, on_close=closed)
            self._stream_protocols.add(connection)
            return connection

        listener = StreamListener(self._loop, sock, protocol, ssl_context=context, limits=limits)
        self._streams.append(listener)
        sockname = sock.getsockname()
        self.addresses[name] = (str(sockname[0]), int(sockname[1]))

    async def close(self) -> None:
        """Stop listening, drop every client and release every relayed socket."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._dtls is not None:
            self._dtls.close_sessions()
        if self.core is not None:
            self.core.close()
        if self._relays is not None:
            self._relays.close_all()
        for listener in self._streams:
            listener.close()
        for connection in list(self._stream_protocols):
            connection.abort()
        for transport in self._datagram_transports:
            transport.close()
        self._streams.clear()
        self._stream_protocols.clear()
        await asyncio.sleep(0)  # let the transports' deferred closes run
        self._datagram_transports.clear()
        self._udp.clear()
        self._connections.clear()

    async def __aenter__(self) -> TurnServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- what the server offers -----------------------------------------------
    @property
    def stream_connections(self) -> int:
        """TCP and TLS client connections open now."""
        return sum(listener.connections for listener in self._streams)

    @property
    def refused_connections(self) -> int:
        """TCP/TLS connections closed at once because a cap was reached."""
        return sum(listener.refused for listener in self._streams)

    @property
    def accept_failures(self) -> int:
        """accept() calls that failed for want of file descriptors."""
        return sum(listener.accept_failures for listener in self._streams)

    @property
    def relay_count(self) -> int:
        """Relayed sockets currently open."""
        return 0 if self._relays is None else len(self._relays)

    def urls(self, host: str | None = None) -> list[str]:
        """ICE-server URLs for every listener, e.g. ``turn:127.0.0.1:3478``."""
        urls: list[str] = []
        schemes = {
            "udp": "turn:{}?transport=udp",
            "tcp": "turn:{}?transport=tcp",
            "tls": "turns:{}?transport=tcp",
            "dtls": "turns:{}?transport=udp",
        }
        for name, pattern in schemes.items():
            address = self.addresses.get(name)
            if address is not None:
                urls.append(pattern.format(f"{_url_host(host or address[0])}:{address[1]}"))
        return urls

    # -- the data path -------------------------------------------------------------
    def _channel_data_path(
        self, routes: Mapping[Address, Mapping[int, ChannelRoute]]
    ) -> Callable[[bytes, Address], bool]:
        """For one UDP listener: relay a datagram from a client on a usable
        channel route and say True, or say False (the general path's turn)."""
        assert self.core is not None and self._loop is not None and self._relays is not None
        clients, route_of, clock, send = (
            routes.get,
            self.core.channel_route,
            self._loop.time,
            self._relays.send,
        )

        def relay(data: bytes, remote: Address) -> bool:
            route = route_of(clients(remote), data, clock())
            if route is None:
                return False
            payload = route.unwrap(data)
            if payload is None:
                return False
            send(route.relay, route.peer, payload)
            return True

        return relay

    # -- listener callbacks (ClientSink) -----------------------------------------
    def from_client(self, client: ClientKey, data: bytes) -> None:
        core = self.core
        if core is None or self._loop is None:
            return
        now = self._loop.time()
        route = core.channel_route(core.channel_routes(client), data, now)
        if route is not None and self._relays is not None:
            payload = route.unwrap(data)
            if payload is not None:
                self._relays.send(route.relay, route.peer, payload)
                return
        self._carry_out(core.receive_from_client(client, data, now, wall_time=time.time()))

    def connected(self, client: ClientKey, sender: Sender) -> None:
        self._connections[client] = sender

    def disconnected(self, client: ClientKey) -> None:
        self._connections.pop(client, None)
        if self.core is not None and self._loop is not None:
            self._carry_out(self.core.client_closed(client, self._loop.time()))

    def has_allocation(self, client: ClientKey) -> bool:
        return self.core is not None and client in self.core.allocations

    def _from_peer(self, relay: Address, peer: Address, data: bytes) -> None:
        core = self.core
        if core is None or self._loop is None:
            return
        now = self._loop.time()
        route = core.peer_route(relay, peer, now)
        if route is not None:
            self._to_client(route.client, route.wrap(data))
            return
        self._carry_out(core.receive_on_relay(relay, peer, data, now))

    # -- outputs and the timer ---------------------------------------------------
    def _to_client(self, client: ClientKey, data: bytes) -> None:
        if client.transport == "udp":
            listener = self._udp.get(client.local)
            if listener is not None:
                listener.send(data, client.remote)
        else:
            sender = self._connections.get(client)
            if sender is not None:
                sender(data)

    def _carry_out(self, outputs: list[Output]) -> None:
        for output in outputs:
            if isinstance(output, SendToClient):
                self._to_client(output.client, output.data)
            elif self._relays is not None:
                self._relays.send(output.relay, output.peer, output.data)
        self._reschedule()

    def _reschedule(self) -> None:
        if self.core is None or self._loop is None:
            return
        when = self.core.get_timer()
        if when == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = None if when is None else self._loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        if self.core is not None and self._loop is not None:
            self.core.handle_timer(self._loop.time())
            self._carry_out(self.core.datagrams_to_send())
