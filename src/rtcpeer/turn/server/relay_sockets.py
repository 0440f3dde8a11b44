"""Relayed transport addresses as real non-blocking UDP sockets.

``open_relay`` must answer synchronously (the core calls it while handling an
Allocate), so relays are plain sockets registered with ``loop.add_reader``
instead of asyncio datagram endpoints, which take an ``await`` to create.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import random
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence

from rtcpeer.sansio import Address
from rtcpeer.turn.errors import TurnValueError

#: Called with (relay address, peer address, payload) for each datagram.
RelayReceiver = Callable[[Address, Address, bytes], None]

_READS_PER_WAKEUP = 64
_EPHEMERAL_TRIES = 20  # kernel-chosen ports until one is even
#: Ports of the range tried per allocation (from a random start) before 508:
#: bounds the time one Allocate can cost when the range is nearly full.
_RANGE_TRIES = 512
#: Errors that say the process or host is out of something: stop trying.
_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
#: coturn's default relay port range (its min-port and max-port).
DEFAULT_MIN_PORT, DEFAULT_MAX_PORT = 49152, 65535


def range_ports(ports: range, start: int, even_port: bool) -> Iterator[int]:
    """The ports of ``ports`` an allocation tries, in order: from index
    ``start`` on (rounded up to even for EVEN-PORT, then every other one),
    wrapping around, at most :data:`_RANGE_TRIES` of them.

    A generator: the first free port is nearly always the first one tried,
    and building the whole list of tries cost ~60 µs per Allocate.
    """
    step = 2 if even_port else 1
    size = len(ports)
    offset = ports[start] + (ports[start] % 2 if even_port else 0) - ports.start
    for i in range(min(_RANGE_TRIES, size // step or 1)):
        yield ports.start + (offset + i * step) % size


class UdpRelayPool:
    """A :class:`~rtcpeer.turn.server.relay_provider.RelayProvider` that binds
    one UDP socket per allocation (per family) on the relay IP of its family,
    within a port range."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        relay_ip: str | Sequence[str],
        receiver: RelayReceiver,
        *,
        min_port: int = 0,
        max_port: int = 0,
    ) -> None:
        """``relay_ip``: one IP, or one IPv4 and one IPv6 for a dual-stack relay.
        ``min_port``/``max_port`` of 0 let the kernel choose each port."""
        self._loop = loop
        self._ips: dict[int, str] = {}
        for ip in [relay_ip] if isinstance(relay_ip, str) else relay_ip:
            version = ipaddress.ip_address(ip).version
            if version in self._ips:
                raise TurnValueError(f"one relay IP per address family: {self._ips[version]}, {ip}")
            self._ips[version] = ip
        if not self._ips:
            raise TurnValueError("no relay IP")
        self._receiver = receiver
        self._ports = range(min_port, max_port + 1) if min_port and max_port else None
        self._sockets: dict[Address, socket.socket] = {}

    def __len__(self) -> int:
        return len(self._sockets)

    def supports_family(self, family: int) -> bool:
        return family in self._ips

    def open_relay(self, family: int, *, even_port: bool = False) -> Address | None:
        """A bound relay, or None when there is none to be had (out of ports,
        out of file descriptors): the core answers that with 508."""
        ip = self._ips.get(family)
        if ip is None:
            return None
        sock = self._bind(ip, family, even_port)
        if sock is None:
            return None
        address: Address = (ip, sock.getsockname()[1])
        try:
            self._loop.add_reader(sock.fileno(), self._readable, address, sock)
        except (OSError, ValueError):
            sock.close()
            return None
        self._sockets[address] = sock
        return address

    def _bind(self, ip: str, family: int, even_port: bool) -> socket.socket | None:
        """A socket on a free port of the range (or any, with no range)."""
        candidates: Iterable[int] = [0] * (_EPHEMERAL_TRIES if even_port else 1)
        if self._ports is not None:
            candidates = range_ports(self._ports, random.randrange(len(self._ports)), even_port)
        af = socket.AF_INET if family == 4 else socket.AF_INET6
        for port in candidates:
            try:
                sock = socket.socket(af, socket.SOCK_DGRAM)
            except OSError:
                return None  # EMFILE and the like: no port will do better
            try:
                sock.setblocking(False)
                sock.bind((ip, port))
            except OSError as error:
                sock.close()
                if error.errno in _EXHAUSTED:
                    return None
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
        try:  # noqa: SIM105 - faster than contextlib.suppress, once per datagram
            sock.sendto(data, peer)
        except OSError:
            pass

    def _readable(self, address: Address, sock: socket.socket) -> None:
        for _ in range(_READS_PER_WAKEUP):
            try:
                data, peer = sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. ICMP port unreachable surfaced as an error
                continue
            self._receiver(address, peer if len(peer) == 2 else (peer[0], peer[1]), data)
            if address not in self._sockets:
                return
