"""asyncio protocols for the UDP and the TCP/TLS listeners.

Each turns socket events into calls on a :class:`ClientSink` (the runtime)
and knows nothing of TURN itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol, cast

from rtcpeer.stun import Address, StreamFramer, StunDecodeError
from rtcpeer.turn.server.events import ClientKey

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
    """Plain TURN over UDP: every datagram goes straight to the sink."""

    def __init__(self, sink: ClientSink) -> None:
        self._sink = sink
        self.transport: asyncio.DatagramTransport | None = None
        self.local: Address = ("", 0)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Not a DatagramTransport subclass before Python 3.12, though it is one.
        self.transport = cast(asyncio.DatagramTransport, transport)
        self.local = _address(transport.get_extra_info("sockname"))

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._sink.from_client(ClientKey("udp", _address(addr), self.local), data)

    def error_received(self, exc: Exception) -> None:
        """ICMP errors for one client say nothing about the listener: ignore."""

    def send(self, data: bytes, remote: Address) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, remote)


class StreamConnection(asyncio.Protocol):
    """TURN over TCP or TLS: RFC 8656 §12.5 framing of one connection."""

    def __init__(self, sink: ClientSink, transport_name: str) -> None:
        self._sink = sink
        self._name = transport_name
        self._framer = StreamFramer()
        self._transport: asyncio.Transport | None = None
        self._client: ClientKey | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._client = ClientKey(
            self._name,
            _address(transport.get_extra_info("peername")),
            _address(transport.get_extra_info("sockname")),
        )
        self._sink.connected(self._client, self._send)

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
        for frame in frames:
            self._sink.from_client(self._client, frame)

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if self._client is not None:
            self._sink.disconnected(self._client)
        self._transport = None
