"""Host addresses for host candidates, from the machine's interfaces (ifaddr).

Loopback and link-local addresses are left out by default: a peer on another
machine cannot reach them, and link-local IPv6 needs a scope id that SDP
cannot carry. Tests on a machine with only ``lo`` ask for loopback.
"""

from __future__ import annotations

import ipaddress
import os
import time

import ifaddr

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: How long one enumeration of the interfaces is reused. Opening many
#: connections at once (or one after another) would otherwise enumerate and
#: parse every interface address for each (about 0.5 ms); an interface that
#: appears or goes is still seen within this long.
INTERFACE_CACHE_SECONDS = 1.0
_cache: tuple[float, int, list[IpAddress]] | None = None
#: The last answer per filter flags, valid while its enumeration is the cached one.
_filtered: dict[tuple[bool, bool, bool, bool], tuple[list[IpAddress], tuple[str, ...]]] = {}


def _network_namespace() -> int:
    """Identity of the calling thread's network namespace (0 if unknown)."""
    try:
        return os.stat("/proc/thread-self/ns/net").st_ino
    except OSError:
        return 0


def _interface_ips(*, fresh: bool = False) -> list[IpAddress]:
    """Every interface address, parsed; from a cache at most a second old and
    of the same network namespace (``fresh``: enumerate now)."""
    global _cache
    now, namespace = time.monotonic(), _network_namespace()
    if (
        not fresh
        and _cache is not None
        and _cache[1] == namespace
        and now - _cache[0] < INTERFACE_CACHE_SECONDS
    ):
        return _cache[2]
    ips: list[IpAddress] = []
    for adapter in ifaddr.get_adapters():
        for entry in adapter.ips:
            text = entry.ip if isinstance(entry.ip, str) else entry.ip[0]
            try:
                ips.append(ipaddress.ip_address(text.split("%", 1)[0]))
            except ValueError:
                continue
    _cache = (now, namespace, ips)
    return ips


def host_addresses(
    *,
    include_loopback: bool = False,
    include_link_local: bool = False,
    ipv4: bool = True,
    ipv6: bool = True,
    fresh: bool = False,
) -> list[str]:
    """Every usable local IP address, IPv4 and IPv6, in interface order, once each.

    ``fresh``: enumerate the interfaces now, not from the short-lived cache
    (an ICE restart after an address change must see the change).
    """
    ips = _interface_ips(fresh=fresh)
    flags = (include_loopback, include_link_local, ipv4, ipv6)
    filtered = _filtered.get(flags)
    if filtered is not None and filtered[0] is ips:
        return list(filtered[1])
    found: list[str] = []
    for ip in ips:
        if (ip.version == 4 and not ipv4) or (ip.version == 6 and not ipv6):
            continue
        if ip.is_unspecified or ip.is_multicast:
            continue
        if ip.is_loopback and not include_loopback:
            continue
        if ip.is_link_local and not include_link_local:
            continue
        if ip.version == 6 and ip.ipv4_mapped is not None:
            continue
        address = str(ip)
        if address not in found:
            found.append(address)
    _filtered[flags] = (ips, tuple(found))
    return found
