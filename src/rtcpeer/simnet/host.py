"""A simulated host: addresses, UDP sockets and stream sockets.

Sockets here are plain objects with callbacks; a host never blocks. Each
received datagram goes to the socket's ``on_datagram`` callback, or when none
is set, onto its ``received`` list for a test to inspect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rtcpeer.simnet.packet import TCP, UDP, Packet
from rtcpeer.simnet.stream import StreamListener, StreamSocket
from rtcpeer.stun import Address

if TYPE_CHECKING:
    from rtcpeer.simnet.link import Link
    from rtcpeer.simnet.network import Interface, Network, Realm

EPHEMERAL_FIRST = 49152
EPHEMERAL_LAST = 65535


class SocketClosedError(OSError):
    """Sending on a socket that was closed (or whose host was killed)."""


class UdpSocket:
    """A UDP socket bound to one (address, port) of a host."""

    def __init__(self, host: Host, interface: Interface, port: int) -> None:
        self.host = host
        self.interface = interface
        self.local_address: Address = (interface.ip, port)
        self.closed = False
        #: Called with (data, source) for every datagram; None keeps them in ``received``.
        self.on_datagram: Callable[[bytes, Address], None] | None = None
        #: (virtual time, source, data) of datagrams received while no callback is set.
        self.received: list[tuple[float, Address, bytes]] = []

    def sendto(self, data: bytes, destination: Address) -> None:
        """Send one datagram; silently dropped (and captured) if unroutable."""
        if self.closed:
            raise SocketClosedError(f"UDP socket {self.local_address} is closed")
        network = self.host.network
        packet = Packet(UDP, self.local_address, destination, bytes(data))
        if (":" in destination[0]) != (self.interface.family == 6):
            network.drop(self.interface.realm, packet, "family-mismatch")
            return
        network.send(self.interface, packet)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.host._release(UDP, self.local_address)
            self.host._udp.pop(self.local_address, None)

    def _deliver(self, data: bytes, source: Address) -> None:
        if self.on_datagram is not None:
            self.on_datagram(data, source)
        else:
            self.received.append((self.host.network.now, source, data))

    def __repr__(self) -> str:
        return f"UdpSocket({self.host.name}, {self.local_address})"


class Host:
    """A machine with one or more addresses; :meth:`kill` turns it off."""

    def __init__(self, network: Network, name: str) -> None:
        self.network = network
        self.name = name
        self.interfaces: dict[str, Interface] = {}
        self._alive = True
        self._udp: dict[Address, UdpSocket] = {}
        self._listeners: dict[Address, StreamListener] = {}
        self._streams: dict[tuple[Address, Address], StreamSocket] = {}
        self._ports: dict[tuple[str, str], set[int]] = {}
        self._next_port = EPHEMERAL_FIRST
        #: Called (with no arguments) when the host is killed; nodes stop here.
        self.on_kill: list[Callable[[], None]] = []

    @property
    def alive(self) -> bool:
        return self._alive

    @property
    def addresses(self) -> list[str]:
        return list(self.interfaces)

    def add_address(
        self,
        ip: str,
        realm: Realm | None = None,
        *,
        latency: float = 0.0,
        jitter: float = 0.0,
        loss: float = 0.0,
    ) -> Interface:
        """Attach one more address (multi-homing), on ``realm`` (default: internet)."""
        from rtcpeer.simnet.network import canonical_ip

        ip = canonical_ip(ip)
        link_name = self.name if not self.interfaces else f"{self.name}/{ip}"
        interface = self.network.attach(
            self,
            ip,
            realm or self.network.internet,
            link_name,
            latency=latency,
            jitter=jitter,
            loss=loss,
        )
        self.interfaces[interface.ip] = interface
        return interface

    def link(self, ip: str | None = None) -> Link:
        """The link of address ``ip`` (default: the first address)."""
        return self._interface(ip).link

    def kill(self) -> None:
        """Power off: every socket closes silently, packets to it are dropped,
        and nodes on it stop their timers. Peers are not told."""
        if not self._alive:
            return
        self._alive = False
        for callback in self.on_kill:  # first, so no code "runs" on a dead host
            callback()
        for sock in list(self._udp.values()):
            sock.close()
        for listener in list(self._listeners.values()):
            listener.close()
        for stream in list(self._streams.values()):
            stream._terminate("host-killed")

    # -- sockets -----------------------------------------------------------------
    def udp_socket(self, port: int = 0, address: str | None = None) -> UdpSocket:
        """Bind a UDP socket; port 0 picks the next free ephemeral port."""
        interface = self._interface(address)
        port = self._claim(UDP, interface.ip, port)
        sock = UdpSocket(self, interface, port)
        self._udp[sock.local_address] = sock
        return sock

    def listen(self, port: int, address: str | None = None) -> StreamListener:
        """Accept simulated TCP connections on (address, port)."""
        interface = self._interface(address)
        port = self._claim(TCP, interface.ip, port)
        listener = StreamListener(self, (interface.ip, port))
        self._listeners[listener.local_address] = listener
        return listener

    def connect(
        self, remote: Address, *, address: str | None = None, port: int = 0
    ) -> StreamSocket:
        """Open a simulated TCP connection to ``remote`` (``on_open`` fires when
        it is established; data sent before that is queued)."""
        self._check_alive()
        interface = self._interface(address)
        port = self._claim(TCP, interface.ip, port)
        stream = StreamSocket(self, interface, (interface.ip, port), remote, accepted=False)
        self._streams[(stream.local_address, remote)] = stream
        stream._connect()
        return stream

    # -- plumbing used by sockets and the network ---------------------------------
    def _interface(self, ip: str | None) -> Interface:
        if not self.interfaces:
            raise ValueError(f"host {self.name!r} has no address")
        if ip is None:
            return next(iter(self.interfaces.values()))
        from rtcpeer.simnet.network import canonical_ip

        try:
            return self.interfaces[canonical_ip(ip)]
        except KeyError:
            raise ValueError(f"host {self.name!r} has no address {ip}") from None

    def _check_alive(self) -> None:
        if not self._alive:
            raise SocketClosedError(f"host {self.name!r} was killed")

    def _claim(self, transport: str, ip: str, port: int) -> int:
        self._check_alive()
        used = self._ports.setdefault((transport, ip), set())
        if port == 0:
            span = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1
            for _ in range(span):
                candidate = self._next_port
                self._next_port = EPHEMERAL_FIRST + (candidate + 1 - EPHEMERAL_FIRST) % span
                if candidate not in used:
                    port = candidate
                    break
            else:
                raise OSError(f"no free {transport} port on {ip}")
        elif port in used:
            raise OSError(f"{transport} port {ip}:{port} is already in use")
        used.add(port)
        return port

    def _release(self, transport: str, address: Address) -> None:
        self._ports.get((transport, address[0]), set()).discard(address[1])

    def packet_arrived(self, interface: Interface, packet: Packet) -> None:
        """Demultiplex an arriving packet to its socket."""
        if packet.transport == UDP:
            sock = self._udp.get(packet.dst)
            if sock is None:
                self.network.drop(interface.realm, packet, "no-socket")
            else:
                sock._deliver(packet.data, packet.src)
            return
        stream = self._streams.get((packet.dst, packet.src))
        if stream is not None:
            stream._segment_arrived(packet)
            return
        listener = self._listeners.get(packet.dst)
        if packet.flag == "syn" and listener is not None:
            accepted = StreamSocket(self, interface, packet.dst, packet.src, accepted=True)
            self._streams[(packet.dst, packet.src)] = accepted
            accepted._accept()
            listener._accepted(accepted)
            return
        self.network.drop(interface.realm, packet, "no-socket")
        if packet.flag != "rst":
            self.network.send(interface, Packet(TCP, packet.dst, packet.src, b"", "rst"))

    def _forget_stream(self, stream: StreamSocket) -> None:
        self._streams.pop((stream.local_address, stream.remote_address), None)
        if not stream.accepted:
            self._release(TCP, stream.local_address)

    def __repr__(self) -> str:
        return f"Host({self.name!r}, {self.addresses})"
