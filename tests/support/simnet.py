"""Small pieces the simulated-network tests share."""

from __future__ import annotations

from typing import Any

from rtcpeer.simnet import Network, Node, StunBindingServer, Transmit, UdpSocket
from rtcpeer.stun import Address, Attr, MessageClass, Method, StunMessage, decode_message


def binding(net: Network, sock: UdpSocket, server: Address, timeout: float = 5.0) -> Address:
    """Ask a STUN server what ``sock`` looks like from outside (no retransmits)."""
    transaction_id = net.rng(f"tid/{len(net.capture)}/{net.now}").randbytes(12)
    request = StunMessage(Method.BINDING, MessageClass.REQUEST, transaction_id)
    already = len(sock.received)
    sock.sendto(request.encode(), server)

    def answered() -> bool:
        return any(
            decode_message(data).transaction_id == transaction_id
            for _, source, data in sock.received[already:]
            if source == server and data[:1] == b"\x01"
        )

    net.run_until(answered, timeout)
    for _, _source, data in sock.received[already:]:
        message = decode_message(data) if data[:1] == b"\x01" else None
        if message is not None and message.transaction_id == transaction_id:
            mapped: Address = message.get(Attr.XOR_MAPPED_ADDRESS)
            return mapped
    raise AssertionError("unreachable")


def stun_server(net: Network, name: str, ip: str, ports: tuple[int, ...] = (3478,)) -> Node[int]:
    """A host running a STUN Binding server on each of ``ports`` (socket id = port)."""
    node = Node(net.add_host(name, ip), StunBindingServer())
    for port in ports:
        node.bind_udp(port, port)
    return node


class Puncher:
    """Hole punching: sends b"punch" to a target every ``interval`` and
    answers every punch with b"ack" to wherever it came from."""

    def __init__(
        self, socket_id: Any, target: Address, *, interval: float = 0.1, count: int = 30
    ) -> None:
        self.socket_id = socket_id
        self.target = target
        self.interval = interval
        self.remaining = count
        self.next_send: float | None = None
        self.heard: list[tuple[float, Address, bytes]] = []
        self._out: list[Transmit] = []

    def start(self, now: float) -> None:
        self.next_send = now

    def receive(self, socket_id: Any, source: Address, data: bytes, now: float) -> None:
        self.heard.append((now, source, data))
        if data == b"punch":
            self._out.append(Transmit(socket_id, source, b"ack"))

    def datagrams_to_send(self) -> list[Transmit]:
        out, self._out = self._out, []
        return out

    def next_event(self) -> object | None:
        return None

    def socket_opened(self, socket_id: object, local_address: Address, now: float) -> None:
        pass

    def socket_failed(self, socket_id: object, reason: str, now: float) -> None:
        pass

    def socket_closed(self, socket_id: object, reason: str, now: float) -> None:
        pass

    def get_timer(self) -> float | None:
        return self.next_send if self.remaining > 0 else None

    def handle_timer(self, now: float) -> None:
        assert self.next_send is not None
        if now >= self.next_send and self.remaining > 0:
            self._out.append(Transmit(self.socket_id, self.target, b"punch"))
            self.remaining -= 1
            self.next_send = now + self.interval
