"""Name resolution for the runtime: ICE server host names (DNS) and remote
mDNS ``.local`` host candidates.

The sans-IO agent never resolves anything. Before servers reach
``IceAgent.set_servers`` the runtime resolves every host name in parallel,
each with a timeout; a failure becomes a server with no address and an error
text, which the agent reports as an ``icecandidateerror`` with code 701.
Remote candidates named ``<uuid>.local`` (browsers hide host addresses that
way) are resolved with aioice's mDNS client before the agent sees them.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from rtcpeer.configuration.urls import IceServerUrl
from rtcpeer.ice.servers import ResolvedServer

#: Resolves a host name to an IP address, or None; injectable for tests.
NameResolver = Callable[[str], Awaitable["str | None"]]

DEFAULT_DNS_TIMEOUT = 5.0
DEFAULT_MDNS_TIMEOUT = 1.0


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def resolve_server(
    url: IceServerUrl, *, timeout: float = DEFAULT_DNS_TIMEOUT
) -> ResolvedServer:
    """The server with its address, or with the reason it has none."""
    if _is_ip(url.host):
        return ResolvedServer(url, (url.host, url.port), None)
    loop = asyncio.get_running_loop()
    kind = socket.SOCK_STREAM if url.transport == "tcp" else socket.SOCK_DGRAM
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(url.host, url.port, type=kind), timeout)
    except TimeoutError:
        return ResolvedServer(url, None, f"DNS lookup of {url.host!r} timed out")
    except OSError as exc:
        return ResolvedServer(url, None, f"DNS lookup of {url.host!r} failed: {exc}")
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            return ResolvedServer(url, (str(sockaddr[0]), int(sockaddr[1])), None)
    return ResolvedServer(url, None, f"DNS lookup of {url.host!r} gave no IP address")


async def resolve_servers(
    urls: Sequence[IceServerUrl], *, timeout: float = DEFAULT_DNS_TIMEOUT
) -> list[ResolvedServer]:
    """Resolve every server at once (one slow name does not delay the others).

    IP literals are answered in place: a task per literal cost more than the
    rest of gathering from that server.
    """
    resolved: list[ResolvedServer | None] = [
        ResolvedServer(url, (url.host, url.port), None) if _is_ip(url.host) else None
        for url in urls
    ]
    names = [url for url, server in zip(urls, resolved, strict=True) if server is None]
    if names:
        looked_up = iter(await asyncio.gather(*(resolve_server(u, timeout=timeout) for u in names)))
        resolved = [next(looked_up) if server is None else server for server in resolved]
    return [server for server in resolved if server is not None]


class MdnsResolver:
    """Resolves ``.local`` names with aioice's mDNS client, opened on first use."""

    def __init__(self, timeout: float = DEFAULT_MDNS_TIMEOUT) -> None:
        self._timeout = timeout
        self._protocol: Any = None
        self._opening: asyncio.Lock | None = None

    async def __call__(self, name: str) -> str | None:
        from aioice import mdns  # imported late: it opens a multicast socket on use

        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._protocol is None:
                try:
                    self._protocol = await mdns.create_mdns_protocol()
                except OSError:
                    return None
        result = await self._protocol.resolve(name, timeout=self._timeout)
        return None if result is None else str(result)

    async def close(self) -> None:
        if self._protocol is not None:
            protocol, self._protocol = self._protocol, None
            with contextlib.suppress(Exception):
                await protocol.close()
