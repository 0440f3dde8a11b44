"""Tiny sans-IO endpoints for exercising the network (and for other tests).

They have the same surface as the ICE agent, so a :class:`~.node.Node`
drives them the same way: an echo service, a STUN Binding server (its
XOR-MAPPED-ADDRESS is what exposes NAT mappings) and a STUN Binding client
with RFC 8489 retransmissions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from rtcpeer.stun import (
    Address,
    Attr,
    MessageClass,
    Method,
    StunDecodeError,
    StunMessage,
    decode_message,
)


@dataclass(frozen=True)
class Transmit:
    """A datagram (or stream message) an endpoint wants sent."""

    #: Which of the node's sockets to send from.
    socket_id: Any
    #: Where to (ignored on stream sockets).
    destination: Address
    #: The bytes.
    data: bytes


class _Outbox:
    """Shared plumbing: a queue of transmits and no timer."""

    def __init__(self) -> None:
        self._out: list[Transmit] = []

    def datagrams_to_send(self) -> list[Transmit]:
        out, self._out = self._out, []
        return out

    def next_event(self) -> object | None:
        return None

    def get_timer(self) -> float | None:
        return None

    def handle_timer(self, now: float) -> None:
        return None

    def socket_opened(self, socket_id: Any, local_address: Address, now: float) -> None:
        pass  # these endpoints ask for no sockets

    def socket_failed(self, socket_id: Any, reason: str, now: float) -> None:
        pass

    def socket_closed(self, socket_id: Any, reason: str, now: float) -> None:
        pass


class EchoEndpoint(_Outbox):
    """Sends every datagram straight back to where it came from."""

    def __init__(self) -> None:
        super().__init__()
        #: (time, socket id, source, data) of every datagram received.
        self.log: list[tuple[float, Any, Address, bytes]] = []

    def receive(self, socket_id: Any, source: Address, data: bytes, now: float) -> None:
        self.log.append((now, socket_id, source, data))
        self._out.append(Transmit(socket_id, source, data))


class StunBindingServer(_Outbox):
    """Answers Binding requests with the source address it saw (RFC 8489 §12)."""

    def __init__(self) -> None:
        super().__init__()
        #: (time, socket id, source) of every request answered.
        self.requests: list[tuple[float, Any, Address]] = []

    def receive(self, socket_id: Any, source: Address, data: bytes, now: float) -> None:
        try:
            request = decode_message(data)
        except StunDecodeError:
            return
        if request.method != Method.BINDING or request.message_class != MessageClass.REQUEST:
            return
        self.requests.append((now, socket_id, source))
        response = request.success().add(Attr.XOR_MAPPED_ADDRESS, source)
        self._out.append(Transmit(socket_id, source, response.encode()))


@dataclass(frozen=True)
class BindingSucceeded:
    """A Binding request got its success response."""

    #: The local socket the request went out on.
    socket_id: Any
    #: The STUN server asked.
    server: Address
    #: The server-reflexive address the server reported.
    mapped: Address
    #: Virtual seconds from the first transmission to the response.
    rtt: float


@dataclass(frozen=True)
class BindingTimedOut:
    """A Binding request got no response after every retransmission."""

    #: The local socket the request went out on.
    socket_id: Any
    #: The STUN server that never answered.
    server: Address


@dataclass
class _Transaction:
    socket_id: Any
    server: Address
    data: bytes
    started: float
    attempts: int
    deadline: float
    interval: float


class StunBindingClient(_Outbox):
    """Sends Binding requests and reports mapped addresses as events.

    Transaction ids come from ``rng`` so that runs are reproducible.
    Retransmits after ``rto``, doubling, up to ``max_attempts`` sends, then
    waits ``16 * rto`` for the last answer (RFC 8489 §6.2.1).
    """

    def __init__(self, rng: random.Random, *, rto: float = 0.5, max_attempts: int = 7) -> None:
        super().__init__()
        self.rng = rng
        self.rto = rto
        self.max_attempts = max_attempts
        #: Mapped addresses learnt so far, by (socket id, server).
        self.mapped: dict[tuple[Any, Address], Address] = {}
        self._transactions: dict[bytes, _Transaction] = {}
        self._events: list[BindingSucceeded | BindingTimedOut] = []

    def request(self, socket_id: Any, server: Address, now: float) -> bytes:
        """Start a Binding transaction; returns its transaction id."""
        transaction_id = self.rng.randbytes(12)
        data = StunMessage(Method.BINDING, MessageClass.REQUEST, transaction_id).encode()
        self._transactions[transaction_id] = _Transaction(
            socket_id, server, data, now, 1, now + self.rto, self.rto
        )
        self._out.append(Transmit(socket_id, server, data))
        return transaction_id

    def receive(self, socket_id: Any, source: Address, data: bytes, now: float) -> None:
        try:
            message = decode_message(data)
        except StunDecodeError:
            return
        transaction = self._transactions.get(message.transaction_id)
        if transaction is None or message.message_class != MessageClass.SUCCESS:
            return
        mapped = message.get(Attr.XOR_MAPPED_ADDRESS)
        if mapped is None:
            return
        del self._transactions[message.transaction_id]
        self.mapped[(transaction.socket_id, transaction.server)] = mapped
        self._events.append(
            BindingSucceeded(
                transaction.socket_id, transaction.server, mapped, now - transaction.started
            )
        )

    def get_timer(self) -> float | None:
        return min((t.deadline for t in self._transactions.values()), default=None)

    def handle_timer(self, now: float) -> None:
        for transaction_id, t in list(self._transactions.items()):
            if t.deadline > now:
                continue
            if t.attempts >= self.max_attempts:
                del self._transactions[transaction_id]
                self._events.append(BindingTimedOut(t.socket_id, t.server))
                continue
            t.attempts += 1
            t.interval *= 2
            wait = self.rto * 16 if t.attempts == self.max_attempts else t.interval
            t.deadline = now + wait
            self._out.append(Transmit(t.socket_id, t.server, t.data))

    def next_event(self) -> BindingSucceeded | BindingTimedOut | None:
        return self._events.pop(0) if self._events else None
