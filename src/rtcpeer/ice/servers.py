"""ICE servers as the agent consumes them: URL already parsed, host already resolved.

The driver resolves host names (DNS) before a gathering phase and hands the
agent :class:`ResolvedServer` records, so the sans-IO core never blocks on a
lookup. A server whose name did not resolve arrives with ``address=None`` and
becomes an ``icecandidateerror`` (701) at once instead of a probe.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from typing import Literal, Protocol

from rtcpeer.sansio import Address

SocketTransport = Literal["udp", "tcp", "tls", "dtls"]


class ServerUrl(Protocol):
    """What the agent reads of a parsed STUN/TURN URL (``IceServerUrl`` fits)."""

    @property
    def url(self) -> str: ...

    @property
    def scheme(self) -> str: ...

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def transport(self) -> str: ...

    @property
    def secure(self) -> bool: ...

    @property
    def username(self) -> str | None: ...

    @property
    def credential(self) -> str | None: ...

    @property
    def is_turn(self) -> bool: ...


@dataclass(frozen=True)
class ResolvedServer:
    """One configured URL and the address its host resolved to."""

    #: The parsed URL (``rtcpeer.configuration.IceServerUrl`` or alike).
    url: ServerUrl
    #: (IP, port) to talk to; None when resolution failed.
    address: Address | None
    #: Why resolution failed (the icecandidateerror errorText), else None.
    error: str | None = None

    @property
    def family(self) -> int | None:
        """4 or 6 for a resolved server, None otherwise."""
        if self.address is None:
            return None
        return address_family(self.address[0])


def socket_transport(url: ServerUrl) -> SocketTransport:
    """The socket a URL needs: ``udp``, ``tcp``, ``tls`` (turns:/stuns:) or ``dtls``."""
    if url.secure:
        return "tls" if url.transport == "tcp" else "dtls"
    return "tcp" if url.transport == "tcp" else "udp"


@functools.lru_cache(maxsize=1024)
def address_family(host: str) -> int:
    """4 or 6 for an IP literal (IPv6 may be bracketed).

    Cached: it runs per server, per host socket and per relayed datagram, on a
    handful of addresses; a non-literal raises ValueError every time.
    """
    return ipaddress.ip_address(host.strip("[]")).version
