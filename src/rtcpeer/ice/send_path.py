"""The send path under the agent: local sockets and what carries their bytes.

The agent never owns a socket. The driver registers each one by an integer
id. A host socket's datagrams come back out of the agent as :class:`Transmit`
records; a relay candidate's "socket" is a TURN allocation, given to the agent
as any object with ``send(data, destination, now)`` (:class:`PacketSink`), so
checks and data over a relay go through the TURN client unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rtcpeer.sansio import Address


@dataclass(slots=True)  # not frozen: one per datagram, and frozen init costs 5x
class Transmit:
    """A datagram the driver must send from a host socket (treat as read-only)."""

    #: The registered socket to send from.
    socket_id: int
    #: Where to send it.
    destination: Address
    #: The bytes.
    data: bytes


class PacketSink(Protocol):
    """Anything that can carry a datagram to ``destination`` (a socket, a TURN allocation)."""

    def send(self, data: bytes, destination: Address, now: float) -> None: ...


class OutboxSink:
    """A host socket: sends become :class:`Transmit` records in the agent's outbox."""

    def __init__(self, socket_id: int, outbox: list[Transmit]) -> None:
        self.socket_id = socket_id
        self._outbox = outbox

    def send(self, data: bytes, destination: Address, now: float) -> None:
        self._outbox.append(Transmit(self.socket_id, destination, data))


@dataclass
class LocalSocket:
    """A registered socket: its local address, protocol and what carries its sends."""

    socket_id: int
    address: Address
    protocol: str
    sink: PacketSink
    #: "host" for sockets the driver added; "relay" etc. for gatherer-provided ones.
    kind: str = "host"
    #: Registration order, used as the interface index in local preferences.
    index: int = 0
