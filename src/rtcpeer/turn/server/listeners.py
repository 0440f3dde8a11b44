"""asyncio protocols for the UDP and the TCP/TLS listeners.

Each turns socket events into calls on a :class:`ClientSink` (the runtime)
and knows nothing of TURN itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol, cast

from rtcpeer.sansio import Address
from rtcpeer.stun import StreamFramer, StunDecodeError
from rtcpeer.turn.server.events import ClientKey
from rtcpeer.turn.server.stream_listener import StreamLimits

#: Sends one whole message or frame to a connected client.
Sender = Callable[[bytes], None]

#: A stream client whose unsent bytes exceed this is too slow: drop new data.
MAX_WRITE_BUFFER = 1 << 20


class ClientSink(Protocol):
    """What listeners need from the runtime."""

    def from_client(self, client: ClientKey, data: bytes) -> None:
        """One datagram or stream frame arrived from ``client``."""

    def connected(self, client: ClientKey, sender: Sender) -> None:
        """A connection-oriented client appeared; ``sender`` reaches it."""

    def disconnected(self, client: ClientKey) -> None:
        """That client's connection is gone."""

    def has_allocation(self, client: ClientKey) -> bool:
        """Does ``client`` hold an allocation (so its session must be kept)?"""


def _address(info: Any) -> Address:
    return (str(info[0]), int(info[1]))


class UdpListener(asyncio.DatagramProtocol):
    """Plain TURN over UDP: every datagram goes straight to the sink, unless
    ``channel_data`` (set by the runtime) takes it first."""

    def __init__(self, sink: ClientSink) -> None:
        self._sink = sink
        self.transport: asyncio.DatagramTransport | None = None
        self.local: Address = ("", 0)
        #: Called with each datagram and its sender before the sink; True
        #: means it was relayed (the runtime's ChannelData path).
        self.channel_data: Callable[[bytes, Address], bool] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Not a DatagramTransport subclass before Python 3.12, though it is one.
        self.transport = cast(asyncio.DatagramTransport, transport)
        self.local = _address(transport.get_extra_info("sockname"))

    def datagram_received(self, data: bytes, addr: Any) -> None:
        channel_data = self.channel_data
        if channel_data is not None and channel_data(data, addr):
            return
        self._sink.from_client(ClientKey("udp", _address(addr), self.local), data)

    def error_received(self, exc: Exception) -> None:
        """ICMP errors for one client say nothing about the listener: ignore."""

    def send(self, data: bytes, remote: Address) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, remote)


class StreamConnection(asyncio.Protocol):
    """TURN over TCP or TLS: RFC 8656 §12.5 framing of one connection.

    A connection cannot be held open for nothing: it is closed when its first
    frame has not arrived within ``first_request_timeout``, when it holds no
    allocation and has been silent for ``idle_timeout``, and when a frame
    has been arriving for longer than ``frame_timeout``. The framer never
    buffers more than one frame (64 KiB) beyond what it has handed on.
    """

    def __init__(
        self,
        sink: ClientSink,
        transport_name: str,
        limits: StreamLimits | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._sink = sink
        self._name = transport_name
        self._limits = limits or StreamLimits()
        self._on_close = on_close
        self._framer = StreamFramer()
        self._transport: asyncio.Transport | None = None
        self._client: ClientKey | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._opened_at = 0.0
        self._last_frame_at: float | None = None
        self._partial_since: float | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, though they are ones.
        self._transport = transport = cast(asyncio.Transport, transport)
        self._client = ClientKey(
            self._name,
            _address(transport.get_extra_info("peername")),
            _address(transport.get_extra_info("sockname")),
        )
        self._sink.connected(self._client, self._send)
        self._loop = asyncio.get_running_loop()
        self._opened_at = self._loop.time()
        self._arm()

    def _deadline(self) -> float | None:
        """When this connection is next due for closing, if nothing changes."""
        limits = self._limits
        times: list[float] = []
        if self._last_frame_at is None:
            if limits.first_request_timeout:
                times.append(self._opened_at + limits.first_request_timeout)
        elif limits.idle_timeout:
            times.append(self._last_frame_at + limits.idle_timeout)
        if self._partial_since is not None and limits.frame_timeout:
            times.append(self._partial_since + limits.frame_timeout)
        return min(times) if times else None

    def _arm(self) -> None:
        """Make sure a timer fires by the earliest deadline (a later one is
        re-armed when it fires)."""
        if self._loop is None:
            return
        when = self._deadline()
        if when is None:
            return
        if self._timer is not None:
            if self._timer.when() <= when:
                return
            self._timer.cancel()
        self._timer = self._loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        transport, loop = self._transport, self._loop
        if transport is None or loop is None or transport.is_closing():
            return
        now = loop.time()
        limits = self._limits
        stalled = (
            self._partial_since is not None
            and limits.frame_timeout
            and now - self._partial_since >= limits.frame_timeout
        )
        when = self._deadline()
        if stalled or (when is not None and now >= when):
            if stalled or self._client is None or not self._sink.has_allocation(self._client):
                transport.abort()
                return
            self._last_frame_at = now  # an allocation keeps its connection
        self._arm()

    def _send(self, data: bytes) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
            return
        transport.write(data)

    def data_received(self, data: bytes) -> None:
        assert self._client is not None and self._transport is not None
        try:
            frames = self._framer.feed(data)
        except StunDecodeError:
            self._transport.close()  # a byte stream cannot resynchronise
            return
        now = self._loop.time() if self._loop is not None else 0.0
        if frames:
            self._last_frame_at = now
        self._partial_since = (self._partial_since or now) if self._framer.pending else None
        if frames and self._framer.pending:
            self._partial_since = now  # a new frame began after complete ones
        for frame in frames:
            self._sink.from_client(self._client, frame)
        self._arm()

    def abort(self) -> None:
        """Drop the connection now (server shutdown)."""
        if self._transport is not None:
            self._transport.abort()

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._client is not None:
            self._sink.disconnected(self._client)
        self._transport = None
        if self._on_close is not None:
            self._on_close()
            self._on_close = None
