"""Which peers a relay may talk to: the rules that keep this from being an
open relay into the server's own host or the network behind it (RFC 8656
§21.4, §21.5, and coturn's ``denied-peer-ip`` / ``allowed-peer-ip``).

By default every private and special-purpose range in :data:`DEFAULT_DENIED`
is refused, as is loopback (unless ``allow_loopback``). The operator's
``allowed`` and ``denied`` CIDR lists are added to those rules; for a peer IP
the most specific matching rule (the longest prefix) decides, and when an
allow and a deny rule are equally specific the allow wins (as in coturn).
Some things no rule opens: the unspecified address, port 0 and the server's
own listening sockets.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from rtcpeer.sansio import Address

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Refused unless an ``allowed`` rule at least as specific opens them:
#: RFC 6890's private and special-purpose ranges, and multicast/broadcast.
DEFAULT_DENIED: tuple[str, ...] = (
    "0.0.0.0/8",  # "this network"
    "10.0.0.0/8",  # RFC 1918 private
    "100.64.0.0/10",  # RFC 6598 carrier-grade NAT
    "169.254.0.0/16",  # link-local, including the cloud metadata 169.254.169.254
    "172.16.0.0/12",  # RFC 1918 private
    "192.0.0.0/24",  # IETF protocol assignments
    "192.168.0.0/16",  # RFC 1918 private
    "198.18.0.0/15",  # benchmarking
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, and the broadcast 255.255.255.255
    "::/128",  # unspecified
    "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
    "100::/64",  # discard-only (RFC 6666)
    "fc00::/7",  # unique local
    "fe80::/10",  # link-local
    "ff00::/8",  # multicast
)
#: Refused unless ``allow_loopback`` (tests) or an ``allowed`` rule.
LOOPBACK: tuple[str, ...] = ("127.0.0.0/8", "::1/128")

#: The well-known NAT64 prefix: the peer is really the IPv4 address inside.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_CACHE_SIZE = 4096


def parse_network(text: str) -> IPNetwork:
    """A CIDR (``10.0.0.0/8``) or a single address; ValueError if neither."""
    return ipaddress.ip_network(text.strip(), strict=False)


def _ip(host: str) -> IPAddress:
    ip = ipaddress.ip_address(host.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


class PeerPolicy:
    """Decides, per peer IP and port, whether a relay may talk to it."""

    def __init__(
        self,
        *,
        allow_loopback: bool,
        listening: Iterable[Address] = (),
        allowed: Iterable[str] = (),
        denied: Iterable[str] = (),
    ) -> None:
        """``allowed``/``denied``: CIDRs or addresses (ValueError if malformed)."""
        self.allow_loopback = allow_loopback
        self._listening: set[Address] = set()
        #: Decisions by peer address (IP and port): every relayed datagram asks.
        self._peer_cache: dict[Address, bool] = {}
        for address in listening:
            self.add_listening(address)
        # (network, allow) with the longest prefixes first; allow before deny
        # at equal length, so the first match is the decision.
        rules: list[tuple[IPNetwork, bool]] = [(parse_network(n), False) for n in DEFAULT_DENIED]
        rules += [(parse_network(n), allow_loopback) for n in LOOPBACK]
        rules += [(parse_network(n), False) for n in denied]
        rules += [(parse_network(n), True) for n in allowed]
        rules.sort(key=lambda rule: (-rule[0].prefixlen, not rule[1]))
        self._rules: dict[int, list[tuple[IPNetwork, bool]]] = {
            4: [r for r in rules if r[0].version == 4],
            6: [r for r in rules if r[0].version == 6],
        }
        #: Decisions by host string: every relayed datagram asks again.
        self._cache: dict[str, bool] = {}

    def add_listening(self, address: Address) -> None:
        """Mark a listening socket of this server as never a peer."""
        self._listening.add((str(_ip(address[0])), address[1]))
        self._peer_cache.clear()

    def allows_host(self, host: str) -> bool:
        """May a permission be installed for this IP (ports do not matter)?"""
        decision = self._cache.get(host)
        if decision is None:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            decision = self._cache[host] = self._decide(host)
        return decision

    def _decide(self, host: str) -> bool:
        try:
            ip = _ip(host)
        except ValueError:
            return False
        if ip.is_unspecified:
            return False
        for network, allow in self._rules[ip.version]:
            if ip in network:
                return allow
        return True

    def allows(self, peer: Address) -> bool:
        """May a relay send to, and accept from, ``peer`` (IP and port)?"""
        decision = self._peer_cache.get(peer)
        if decision is None:
            if len(self._peer_cache) >= _CACHE_SIZE:
                self._peer_cache.clear()
            decision = self._peer_cache[peer] = self._decide_peer(peer)
        return decision

    def _decide_peer(self, peer: Address) -> bool:
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
