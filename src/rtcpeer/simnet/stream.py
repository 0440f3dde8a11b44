"""Simulated TCP: a reliable, in-order message pipe between two endpoints.

Enough of TCP for TURN over TCP/TLS and ICE-TCP to be tested: a handshake
that NATs map like any outbound flow, in-order delivery despite jitter
(sequence numbers and a reorder buffer), FIN and RST. Segments are never
randomly lost (TCP would retransmit them); a cut link or a killed host still
stops them, and then the connection just stalls, as a real one would until
its owner's own timeouts notice. Message boundaries are kept: each ``send``
arrives as one ``on_data`` call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rtcpeer.simnet.packet import TCP, Packet
from rtcpeer.stun import Address

if TYPE_CHECKING:
    from rtcpeer.simnet.host import Host
    from rtcpeer.simnet.network import Interface

CONNECTING = "connecting"
OPEN = "open"
CLOSED = "closed"


class StreamListener:
    """A listening socket; accepted connections go to ``on_accept`` or ``accepted``."""

    def __init__(self, host: Host, local_address: Address) -> None:
        self.host = host
        self.local_address = local_address
        self.closed = False
        #: Called with each accepted StreamSocket; None keeps them in ``accepted``.
        self.on_accept: Callable[[StreamSocket], None] | None = None
        self.accepted: list[StreamSocket] = []

    def close(self) -> None:
        """Stop accepting; established connections stay up."""
        if not self.closed:
            self.closed = True
            self.host._listeners.pop(self.local_address, None)
            self.host._release(TCP, self.local_address)

    def _accepted(self, stream: StreamSocket) -> None:
        if self.on_accept is not None:
            self.on_accept(stream)
        else:
            self.accepted.append(stream)


class StreamSocket:
    """One end of a simulated TCP connection."""

    def __init__(
        self,
        host: Host,
        interface: Interface,
        local_address: Address,
        remote_address: Address,
        *,
        accepted: bool,
    ) -> None:
        self.host = host
        self.interface = interface
        self.local_address = local_address
        self.remote_address = remote_address
        #: True for the server side of the connection.
        self.accepted = accepted
        #: "connecting", "open" or "closed".
        self.state = CONNECTING
        #: Why the connection closed: "closed", "peer-closed", "reset",
        #: "refused", "aborted" or "host-killed"; "" while open.
        self.close_reason = ""
        self.on_open: Callable[[], None] | None = None
        #: Called with each message; None keeps them in ``received``.
        self.on_data: Callable[[bytes], None] | None = None
        self.on_close: Callable[[str], None] | None = None
        self.received: list[bytes] = []
        self._send_seq = 0
        self._recv_seq = 0
        self._reorder: dict[int, Packet] = {}
        self._pending: list[bytes] = []

    def send(self, data: bytes) -> None:
        """Queue ``data`` for in-order delivery; ignored once the stream is closed."""
        if self.state == CLOSED:
            return
        if self.state == CONNECTING:
            self._pending.append(bytes(data))
        else:
            self._emit("data", bytes(data))

    def close(self) -> None:
        """Orderly close: the peer gets every byte sent so far, then a FIN."""
        if self.state == OPEN:
            self._emit("fin", b"")
        self._terminate("closed")

    def abort(self) -> None:
        """Reset the connection at once (the peer sees "reset")."""
        if self.state != CLOSED:
            self._send_raw("rst", b"", 0)
        self._terminate("aborted")

    # -- internals ---------------------------------------------------------------
    def _connect(self) -> None:
        self._emit("syn", b"")

    def _accept(self) -> None:
        self._recv_seq = 1  # the SYN (seq 0) has been consumed
        self.state = OPEN
        self._emit("synack", b"")

    def _emit(self, flag: str, data: bytes) -> None:
        self._send_raw(flag, data, self._send_seq)
        self._send_seq += 1

    def _send_raw(self, flag: str, data: bytes, seq: int) -> None:
        if self.host.alive:
            packet = Packet(TCP, self.local_address, self.remote_address, data, flag, seq)
            self.host.network.send(self.interface, packet)

    def _segment_arrived(self, packet: Packet) -> None:
        if packet.flag == "rst":
            self._terminate("refused" if self.state == CONNECTING else "reset")
            return
        if packet.seq < self._recv_seq:
            return  # a duplicate (e.g. a repeated SYN)
        self._reorder[packet.seq] = packet
        while self.state != CLOSED and self._recv_seq in self._reorder:
            segment = self._reorder.pop(self._recv_seq)
            self._recv_seq += 1
            self._process(segment)

    def _process(self, segment: Packet) -> None:
        if segment.flag == "synack" and self.state == CONNECTING:
            self.state = OPEN
            pending, self._pending = self._pending, []
            for data in pending:
                self._emit("data", data)
            if self.on_open is not None:
                self.on_open()
        elif segment.flag == "data":
            if self.on_data is not None:
                self.on_data(segment.data)
            else:
                self.received.append(segment.data)
        elif segment.flag == "fin":
            self._terminate("peer-closed")

    def _terminate(self, reason: str) -> None:
        if self.state == CLOSED:
            return
        self.state = CLOSED
        self.close_reason = reason
        self._reorder.clear()
        self._pending.clear()
        self.host._forget_stream(self)
        if self.on_close is not None:
            self.on_close(reason)

    def __repr__(self) -> str:
        return (
            f"StreamSocket({self.host.name}, {self.local_address} -> {self.remote_address}, "
            f"{self.state})"
        )
