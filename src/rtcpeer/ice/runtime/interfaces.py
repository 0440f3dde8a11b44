"""Host addresses for host candidates, from the machine's interfaces (ifaddr).

Loopback and link-local addresses are left out by default: a peer on another
machine cannot reach them, and link-local IPv6 needs a scope id that SDP
cannot carry. Tests on a machine with only ``lo`` ask for loopback.
"""

from __future__ import annotations

import ipaddress

import ifaddr


def host_addresses(
    *,
    include_loopback: bool = False,
    include_link_local: bool = False,
    ipv4: bool = True,
    ipv6: bool = True,
) -> list[str]:
    """Every usable local IP address, IPv4 and IPv6, in interface order, once each."""
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        for entry in adapter.ips:
            text = entry.ip if isinstance(entry.ip, str) else entry.ip[0]
            try:
                ip = ipaddress.ip_address(text.split("%", 1)[0])
            except ValueError:
                continue
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
    return found
