"""Which peers a relay may talk to: the rules that keep this from being an
open relay into the server's own host (RFC 8656 §21.4, §21.5)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from rtcpeer.stun import Address


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(host.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


class PeerPolicy:
    """Refuses unspecified, multicast and (unless allowed) loopback peers, and
    any peer that is one of the server's own listening sockets."""

    def __init__(self, *, allow_loopback: bool, listening: Iterable[Address] = ()) -> None:
        self.allow_loopback = allow_loopback
        self._listening: set[Address] = set()
        for address in listening:
            self.add_listening(address)

    def add_listening(self, address: Address) -> None:
        """Mark a listening socket of this server as never a peer."""
        self._listening.add((str(_ip(address[0])), address[1]))

    def allows_host(self, host: str) -> bool:
        """May a permission be installed for this IP (ports do not matter)?"""
        try:
            ip = _ip(host)
        except ValueError:
            return False
        if ip.is_unspecified or ip.is_multicast:
            return False
        return self.allow_loopback or not ip.is_loopback

    def allows(self, peer: Address) -> bool:
        """May a relay send to, and accept from, ``peer`` (IP and port)?"""
        if peer[1] == 0 or not self.allows_host(peer[0]):
            return False
        ip = _ip(peer[0])
        for host, port in self._listening:
            if port != peer[1]:
                continue
            listen_ip = ipaddress.ip_address(host)
            if listen_ip == ip or listen_ip.is_unspecified:
                return False
        return True
