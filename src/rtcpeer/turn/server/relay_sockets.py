"""Relayed transport addresses as real non-blocking UDP sockets.

``open_relay`` must answer synchronously (the core calls it while handling an
Allocate), so relays are plain sockets registered with ``loop.add_reader``
instead of asyncio datagram endpoints, which take an ``await`` to create.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import random
import socket
from collections.abc import Callable

from rtcpeer.stun import Address

#: Called with (relay address, peer address, payload) for each datagram.
RelayReceiver = Callable[[Address, Address, bytes], None]

_READS_PER_WAKEUP = 64
_EPHEMERAL_TRIES = 20  # kernel-chosen ports until one is even


class UdpRelayPool:
    """A :class:`~rtcpeer.turn.server.relay_provider.RelayProvider` that binds
    one UDP socket per allocation on ``relay_ip`` within a port range."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        relay_ip: str,
        receiver: RelayReceiver,
        *,
        min_port: int = 0,
        max_port: int = 0,
    ) -> None:
        """``min_port``/``max_port`` of 0 let the kernel choose each port."""
        self._loop = loop
        self._ip = relay_ip
        self._family = ipaddress.ip_address(relay_ip).version
        self._receiver = receiver
        self._ports = range(min_port, max_port + 1) if min_port and max_port else None
        self._sockets: dict[Address, socket.socket] = {}

    def __len__(self) -> int:
        return len(self._sockets)

    def supports_family(self, family: int) -> bool:
        return family == self._family

    def open_relay(self, family: int, *, even_port: bool = False) -> Address | None:
        if family != self._family:
            return None
        sock = self._bind(even_port)
        if sock is None:
            return None
        address: Address = (self._ip, sock.getsockname()[1])
        self._sockets[address] = sock
        self._loop.add_reader(sock.fileno(), self._readable, address, sock)
        return address

    def _bind(self, even_port: bool) -> socket.socket | None:
        """A socket on a free port of the range (or any, with no range)."""
        candidates: list[int] = [0] * (_EPHEMERAL_TRIES if even_port else 1)
        if self._ports is not None:
            start = random.randrange(len(self._ports))
            candidates = [*self._ports[start:], *self._ports[:start]]
            if even_port:
                candidates = [port for port in candidates if port % 2 == 0]
        af = socket.AF_INET if self._family == 4 else socket.AF_INET6
        for port in candidates:
            sock = socket.socket(af, socket.SOCK_DGRAM)
            try:
                sock.setblocking(False)
                sock.bind((self._ip, port))
            except OSError:
                sock.close()
                continue
            if even_port and sock.getsockname()[1] % 2:
                sock.close()
                continue
            return sock
        return None

    def close_relay(self, address: Address) -> None:
        sock = self._sockets.pop(address, None)
        if sock is not None:
            self._loop.remove_reader(sock.fileno())
            sock.close()

    def close_all(self) -> None:
        for address in list(self._sockets):
            self.close_relay(address)

    def send(self, relay: Address, peer: Address, data: bytes) -> None:
        """Send from ``relay`` to ``peer``; a full buffer or error drops it."""
        sock = self._sockets.get(relay)
        if sock is None:
            return
        with contextlib.suppress(OSError):
            sock.sendto(data, peer)

    def _readable(self, address: Address, sock: socket.socket) -> None:
        for _ in range(_READS_PER_WAKEUP):
            try:
                data, peer = sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. ICMP port unreachable surfaced as an error
                continue
            self._receiver(address, (peer[0], peer[1]), data)
            if address not in self._sockets:
                return
