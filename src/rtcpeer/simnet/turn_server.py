"""The sans-IO TURN server core (:mod:`rtcpeer.turn.server`) on a simulated host.

UDP and simulated-TCP listeners feed the core; its relayed addresses are UDP
sockets on the same host, handed out by :class:`SimRelayProvider`. Killing
the host kills the server: its listeners, relays and timers all go. TLS and
DTLS listeners are not simulated.

Not imported by ``rtcpeer.simnet`` itself, so the network never depends on
the TURN package: ``from rtcpeer.simnet.turn_server import TurnServerNode``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rtcpeer.simnet.clock import TimerHandle
from rtcpeer.simnet.host import EPHEMERAL_FIRST, EPHEMERAL_LAST, Host, UdpSocket
from rtcpeer.simnet.stream import CLOSED, StreamListener, StreamSocket
from rtcpeer.stun import Address, StreamFramer, StunDecodeError
from rtcpeer.turn.server import (
    ClientKey,
    Event,
    Output,
    SendFromRelay,
    SendToClient,
    TurnServerConfig,
    TurnServerCore,
)

#: Called with (relay address, peer address, payload) for each relayed datagram.
RelayReceiver = Callable[[Address, Address, bytes], None]


class SimRelayProvider:
    """Relayed transport addresses as UDP sockets on a simulated host."""

    def __init__(
        self,
        host: Host,
        receiver: RelayReceiver,
        *,
        addresses: Iterable[str] | None = None,
        ports: tuple[int, int] = (EPHEMERAL_FIRST, EPHEMERAL_LAST),
    ) -> None:
        """Relays go on the first of ``addresses`` (default: all the host's)
        of the wanted family, on ports from ``ports`` taken in turn."""
        self.host = host
        self._receiver = receiver
        self._addresses = list(host.addresses if addresses is None else addresses)
        self._low, self._high = ports
        self._next = self._low
        #: Open relays by relayed address.
        self.sockets: dict[Address, UdpSocket] = {}

    def _ip_for(self, family: int) -> str | None:
        return next((ip for ip in self._addresses if (":" in ip) == (family == 6)), None)

    def supports_family(self, family: int) -> bool:
        return self._ip_for(family) is not None

    def open_relay(self, family: int, *, even_port: bool = False) -> Address | None:
        ip = self._ip_for(family)
        if ip is None or not self.host.alive:
            return None
        span = self._high - self._low + 1
        for _ in range(span):
            port = self._next
            self._next = self._low + (port + 1 - self._low) % span
            if even_port and port % 2:
                continue
            try:
                sock = self.host.udp_socket(port, ip)
            except OSError:
                continue
            relay = sock.local_address
            sock.on_datagram = lambda data, peer, relay=relay: self._receiver(relay, peer, data)
            self.sockets[relay] = sock
            return relay
        return None

    def close_relay(self, address: Address) -> None:
        sock = self.sockets.pop(address, None)
        if sock is not None:
            sock.close()


class TurnServerNode:
    """A :class:`TurnServerCore` listening on a simulated host (UDP and TCP)."""

    def __init__(
        self,
        host: Host,
        config: TurnServerConfig,
        *,
        port: int = 3478,
        address: str | None = None,
        udp: bool = True,
        tcp: bool = True,
        relay_addresses: Iterable[str] | None = None,
        relay_ports: tuple[int, int] = (EPHEMERAL_FIRST, EPHEMERAL_LAST),
    ) -> None:
        self.host = host
        self.network = host.network
        self.relays = SimRelayProvider(
            host, self._from_peer, addresses=relay_addresses, ports=relay_ports
        )
        self.udp: UdpSocket | None = host.udp_socket(port, address) if udp else None
        self.tcp: StreamListener | None = host.listen(port, address) if tcp else None
        listening = [s.local_address for s in (self.udp, self.tcp) if s is not None]
        self.core = TurnServerCore(config, self.relays, listening=listening)
        #: Every event the core reported (AllocationCreated / AllocationDeleted).
        self.events: list[Event] = []
        self._streams: dict[ClientKey, StreamSocket] = {}
        self._timer: TimerHandle | None = None
        self._timer_at: float | None = None
        if self.udp is not None:
            udp_local = self.udp.local_address
            self.udp.on_datagram = lambda data, source: self._from_client(
                ClientKey("udp", source, udp_local), data
            )
        if self.tcp is not None:
            self.tcp.on_accept = self._accepted
        host.on_kill.append(self._killed)

    @property
    def address(self) -> Address:
        """The listening (address, port)."""
        listener = self.udp or self.tcp
        assert listener is not None
        return listener.local_address

    # -- inputs --------------------------------------------------------------------
    def _from_client(self, client: ClientKey, data: bytes) -> None:
        self._execute(self.core.receive_from_client(client, data, self.network.now))

    def _from_peer(self, relay: Address, peer: Address, data: bytes) -> None:
        self._execute(self.core.receive_on_relay(relay, peer, data, self.network.now))

    def _accepted(self, stream: StreamSocket) -> None:
        client = ClientKey("tcp", stream.remote_address, stream.local_address)
        framer = StreamFramer()
        self._streams[client] = stream

        def on_data(data: bytes) -> None:
            try:
                frames = framer.feed(data)
            except StunDecodeError:
                stream.abort()
                self._closed(client)
                return
            for frame in frames:
                self._from_client(client, frame)

        stream.on_data = on_data
        stream.on_close = lambda reason: self._closed(client)

    def _closed(self, client: ClientKey) -> None:
        self._streams.pop(client, None)
        if self.host.alive:
            self._execute(self.core.client_closed(client, self.network.now))

    def _fire(self) -> None:
        self._timer = None
        self._timer_at = None
        self.core.handle_timer(self.network.now)
        self._execute(self.core.datagrams_to_send())

    # -- outputs ---------------------------------------------------------------------
    def _execute(self, outputs: list[Output]) -> None:
        if not self.host.alive:
            return
        for output in outputs:
            if isinstance(output, SendFromRelay):
                relay = self.relays.sockets.get(output.relay)
                if relay is not None:
                    relay.sendto(output.data, output.peer)
            elif isinstance(output, SendToClient):
                self._to_client(output.client, output.data)
        while (event := self.core.next_event()) is not None:
            self.events.append(event)
        when = self.core.get_timer()
        if when != self._timer_at:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = None if when is None else self.network.at(when, self._fire)
            self._timer_at = when

    def _to_client(self, client: ClientKey, data: bytes) -> None:
        if client.transport == "udp":
            if self.udp is not None and not self.udp.closed:
                self.udp.sendto(data, client.remote)
            return
        stream = self._streams.get(client)
        if stream is not None and stream.state != CLOSED:
            stream.send(data)

    def _killed(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_at = None
