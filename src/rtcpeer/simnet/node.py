"""Drives a sans-IO endpoint on a simulated host.

An endpoint is a :class:`~rtcpeer.sansio.ProtocolMachine` (``datagrams_to_send()``
returning objects with ``socket_id``, ``destination`` and ``data``,
``next_event()``, ``get_timer()``, ``handle_timer(now)``) that also takes the
inputs of :class:`EndpointInputs`. After every delivery and every timer the
node sends what the endpoint queued onto the right socket, collects its
events, and re-arms the one timer the endpoint asked for. The endpoint never
learns it is simulated.

The node is also the ICE agent's socket driver: a ``SocketRequested`` event
opens a simulated UDP socket ("udp", and "dtls", whose encryption is not
simulated) or stream ("tcp", and "tls"), answered with
``endpoint.socket_opened(socket_id, local, now)`` or
``endpoint.socket_failed(socket_id, reason, now)``; a ``SocketReleased``
event closes it. Events are matched by class name so the network does not
depend on the ICE package.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Generic, Protocol, TypeVar, cast

from rtcpeer.sansio import Address, ProtocolMachine
from rtcpeer.simnet.clock import TimerHandle
from rtcpeer.simnet.host import Host, UdpSocket
from rtcpeer.simnet.stream import CLOSED, StreamListener, StreamSocket

#: What an endpoint names its sockets by (the ICE agent: ints; tests: strings too).
SocketIdT = TypeVar("SocketIdT", bound=Hashable)
SocketIdT_co = TypeVar("SocketIdT_co", bound=Hashable, covariant=True)
SocketIdT_contra = TypeVar("SocketIdT_contra", bound=Hashable, contravariant=True)


class TransmitLike(Protocol[SocketIdT_co]):
    """What an endpoint asks to send."""

    @property
    def socket_id(self) -> SocketIdT_co: ...

    @property
    def destination(self) -> Address: ...

    @property
    def data(self) -> bytes: ...


class EndpointInputs(Protocol[SocketIdT_contra]):
    """What a node feeds an endpoint besides time: datagrams and its sockets' fate."""

    def receive(
        self, socket_id: SocketIdT_contra, source: Address, data: bytes, now: float
    ) -> None:
        """A datagram (or stream message) arrived on one of its sockets."""
        ...

    def socket_opened(
        self, socket_id: SocketIdT_contra, local_address: Address, now: float
    ) -> None:
        """A socket it asked for (``SocketRequested``) is open."""
        ...

    def socket_failed(self, socket_id: SocketIdT_contra, reason: str, now: float) -> None:
        """A socket it asked for could not be opened."""
        ...

    def socket_closed(self, socket_id: SocketIdT_contra, reason: str, now: float) -> None:
        """A stream socket closed under it."""
        ...


class Endpoint(
    ProtocolMachine[TransmitLike[SocketIdT], object], EndpointInputs[SocketIdT], Protocol
):
    """The sans-IO surface a :class:`Node` drives."""


class _SocketRequestLike(Protocol):
    """What the node reads from a ``SocketRequested`` event."""

    @property
    def socket_id(self) -> Hashable: ...

    @property
    def transport(self) -> str: ...

    @property
    def remote(self) -> Address | None: ...


class Node(Generic[SocketIdT]):
    """One endpoint on one host, with the sockets it uses keyed by socket id.

    Call :meth:`service` after calling the endpoint directly from a test (for
    example to start gathering), so what it queued gets sent and its timer
    armed. Stream closes are passed to ``endpoint.socket_closed(socket_id,
    reason, now)`` when the endpoint has such a method.
    """

    def __init__(self, host: Host, endpoint: Endpoint[SocketIdT]) -> None:
        self.host = host
        self.endpoint = endpoint
        self.network = host.network
        self.sockets: dict[SocketIdT, UdpSocket | StreamSocket] = {}
        #: Every event the endpoint reported through ``next_event()``, in order.
        self.events: list[object] = []
        #: Called with each event as it is collected.
        self.on_event: Callable[[object], None] | None = None
        #: Transmits dropped because their socket was unknown or closed.
        self.dropped_transmits = 0
        self.stopped = False
        #: Socket ids opened for the endpoint's SocketRequested events.
        self.requested: list[SocketIdT] = []
        #: Socket ids closed for its SocketReleased events.
        self.released: list[SocketIdT] = []
        self._socket_actions: list[object] = []
        self._opening: set[SocketIdT] = set()
        self._timer: TimerHandle | None = None
        self._timer_at: float | None = None
        host.on_kill.append(self.stop)

    # -- sockets -----------------------------------------------------------------
    def bind_udp(
        self, socket_id: SocketIdT, port: int = 0, address: str | None = None
    ) -> UdpSocket:
        """Bind a UDP socket on the host whose datagrams go to the endpoint."""
        sock = self.host.udp_socket(port, address)
        self.adopt_udp(socket_id, sock)
        return sock

    def adopt_udp(self, socket_id: SocketIdT, sock: UdpSocket) -> None:
        """Route an existing UDP socket to the endpoint under ``socket_id``."""
        self._register(socket_id, sock)
        sock.on_datagram = lambda data, source: self._received(socket_id, source, data)

    def connect(
        self, socket_id: SocketIdT, remote: Address, *, address: str | None = None
    ) -> StreamSocket:
        """Open a stream to ``remote``; its messages reach the endpoint under ``socket_id``."""
        stream = self.host.connect(remote, address=address)
        self.adopt_stream(socket_id, stream)
        return stream

    def adopt_stream(self, socket_id: SocketIdT, stream: StreamSocket) -> None:
        """Route an existing (e.g. accepted) stream to the endpoint under ``socket_id``."""
        self._register(socket_id, stream)
        stream.on_data = lambda data: self._received(socket_id, stream.remote_address, data)
        stream.on_close = lambda reason: self._stream_closed(socket_id, reason)

    def listen(
        self,
        port: int,
        socket_id_for: Callable[[StreamSocket], SocketIdT],
        address: str | None = None,
    ) -> StreamListener:
        """Accept streams; each gets the socket id ``socket_id_for(stream)``."""
        listener = self.host.listen(port, address)
        listener.on_accept = lambda stream: self.adopt_stream(socket_id_for(stream), stream)
        return listener

    def _register(self, socket_id: SocketIdT, sock: UdpSocket | StreamSocket) -> None:
        if socket_id in self.sockets:
            raise ValueError(f"socket id {socket_id!r} is already in use on this node")
        self.sockets[socket_id] = sock

    # -- driving -----------------------------------------------------------------
    def service(self) -> None:
        """Send what the endpoint queued, collect its events, re-arm its timer."""
        if self.stopped:
            return
        for transmit in self.endpoint.datagrams_to_send():
            sock = self.sockets.get(transmit.socket_id)
            if sock is None:
                self.dropped_transmits += 1
            elif isinstance(sock, UdpSocket):
                if sock.closed:
                    self.dropped_transmits += 1
                else:
                    sock.sendto(transmit.data, transmit.destination)
            elif sock.state == CLOSED:
                self.dropped_transmits += 1
            else:
                sock.send(transmit.data)
        while (event := self.endpoint.next_event()) is not None:
            self.events.append(event)
            if type(event).__name__ in ("SocketRequested", "SocketReleased"):
                self._socket_actions.append(event)
            if self.on_event is not None:
                self.on_event(event)
        if self._socket_actions:
            actions, self._socket_actions = self._socket_actions, []
            for action in actions:
                self._socket_action(action)
            self.service()
            return
        self._arm(self.endpoint.get_timer())

    # -- sockets the endpoint asks for ----------------------------------------------
    def _socket_action(self, action: object) -> None:
        event = cast(_SocketRequestLike, action)  # or a SocketReleased: socket_id only
        # The endpoint named the socket, so it is one of its own ids.
        socket_id = cast(SocketIdT, event.socket_id)
        if type(action).__name__ == "SocketReleased":
            self._opening.discard(socket_id)
            sock = self.sockets.pop(socket_id, None)
            if sock is not None:
                self.released.append(socket_id)
                if isinstance(sock, UdpSocket):
                    sock.close()
                elif sock.state != CLOSED:
                    sock.on_close = None
                    sock.close()
            return
        self.requested.append(socket_id)
        now = self.network.now
        try:
            if event.transport in ("udp", "dtls"):
                sock = self.bind_udp(socket_id)
                self.endpoint.socket_opened(socket_id, sock.local_address, now)
                return
            if event.remote is None:
                raise OSError(f"a {event.transport} socket needs a server address")
            stream = self.connect(socket_id, event.remote)
        except OSError as exc:
            self.endpoint.socket_failed(socket_id, str(exc), now)
            return
        self._opening.add(socket_id)

        def opened() -> None:
            if socket_id in self._opening and not self.stopped:
                self._opening.discard(socket_id)
                self.endpoint.socket_opened(socket_id, stream.local_address, self.network.now)
                self.service()

        stream.on_open = opened

    def stop(self) -> None:
        """Stop driving the endpoint (called when the host is killed)."""
        self.stopped = True
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_at = None

    def _arm(self, when: float | None) -> None:
        if when == self._timer_at and (self._timer is not None or when is None):
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = when
        if when is not None:
            self._timer = self.network.scheduler.call_at(when, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._timer_at = None
        if self.stopped:
            return
        self.endpoint.handle_timer(self.network.now)
        self.service()

    def _received(self, socket_id: SocketIdT, source: Address, data: bytes) -> None:
        if self.stopped:
            return
        self.endpoint.receive(socket_id, source, data, self.network.now)
        self.service()

    def _stream_closed(self, socket_id: SocketIdT, reason: str) -> None:
        if self.stopped:
            return
        if socket_id in self._opening:  # never opened: connect failed
            self._opening.discard(socket_id)
            self.sockets.pop(socket_id, None)
            self.endpoint.socket_failed(socket_id, reason, self.network.now)
            self.service()
            return
        self.endpoint.socket_closed(socket_id, reason, self.network.now)
        self.service()


class Connection(Protocol):
    """An aioquic-style single-peer state machine (e.g. the TURN client)."""

    def receive(self, data: bytes, now: float) -> object: ...

    def datagrams_to_send(self) -> Sequence[bytes]: ...

    def next_event(self) -> object | None: ...

    def get_timer(self) -> float | None: ...

    def handle_timer(self, now: float) -> None: ...

    def connection_lost(self, reason: str) -> None: ...


class _ConnectionTransmit:
    __slots__ = ("data", "destination", "socket_id")

    def __init__(self, socket_id: str, destination: Address, data: bytes) -> None:
        self.socket_id = socket_id
        self.destination = destination
        self.data = data


class ConnectionEndpoint:
    """Presents a one-peer connection as an :class:`Endpoint` for a Node.

    Datagrams from anyone but ``peer`` are ignored; ``datagrams_to_send`` go
    to ``peer`` from ``socket_id``. ``clock`` supplies ``now`` for the calls
    that the Node shape makes without one (use ``lambda: net.now``). A closed
    stream becomes ``connection.connection_lost(reason)``.
    Over a stream every received message is passed on whole; use a
    StreamFramer-based wrapper if the connection needs re-framing.
    """

    def __init__(
        self, connection: Connection, socket_id: str, peer: Address, clock: Callable[[], float]
    ) -> None:
        self.connection = connection
        self.socket_id = socket_id
        self.peer = peer
        self._clock = clock

    def receive(self, socket_id: str, source: Address, data: bytes, now: float) -> None:
        if socket_id == self.socket_id and (source == self.peer):
            self.connection.receive(data, now)

    def datagrams_to_send(self) -> list[_ConnectionTransmit]:
        return [
            _ConnectionTransmit(self.socket_id, self.peer, data)
            for data in self.connection.datagrams_to_send()
        ]

    def get_timer(self) -> float | None:
        return self.connection.get_timer()

    def handle_timer(self, now: float) -> None:
        self.connection.handle_timer(now)

    def next_event(self) -> object | None:
        return self.connection.next_event()

    def socket_opened(self, socket_id: str, local_address: Address, now: float) -> None:
        pass  # it asks for no sockets

    def socket_failed(self, socket_id: str, reason: str, now: float) -> None:
        pass

    def socket_closed(self, socket_id: str, reason: str, now: float) -> None:
        if socket_id == self.socket_id:
            self.connection.connection_lost(reason)
