"""TURN "regions" for the demos: an embedded TURN server or a coturn process each.

A region is a TURN server on loopback with its own relay port range, so the
port of a relay candidate says which region carries the session. The
embedded server needs nothing but this package and starts in about a
millisecond; coturn regions need Debian's ``coturn`` (``--turn coturn``).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer

USERNAME = "demo"
CREDENTIAL = "demo-password"
REALM = "rtcpeer.demo"
#: Below Linux's ephemeral port range (32768+), so other sockets rarely take them.
DEFAULT_RELAY_PORTS: dict[str, tuple[int, int]] = {"A": (31000, 31099), "B": (31100, 31199)}


@dataclass
class Region:
    """One running TURN server, named and with its relay port range."""

    name: str
    #: "embedded" or "coturn".
    kind: str
    #: The ``turn:`` URL peers use (UDP to the server).
    url: str
    relay_ports: tuple[int, int]
    close: Callable[[], Awaitable[None]]
    #: Open relayed sockets, when the server can tell (the embedded one can).
    relay_count: Callable[[], int] | None = None
    #: The server's process id (coturn), None when it runs in this process.
    pid: int | None = None

    def ice_server(self) -> dict[str, Any]:
        """The W3C RTCIceServer dictionary for this region."""
        return {"urls": self.url, "username": USERNAME, "credential": CREDENTIAL}

    def configuration(self) -> dict[str, Any]:
        """A relay-only RTCConfiguration through this region only.

        Relay-only because the peers share a host: with host candidates
        allowed they would talk directly and no TURN server would be seen.
        """
        return {"iceServers": [self.ice_server()], "iceTransportPolicy": "relay"}


async def start_embedded_region(
    name: str, relay_ports: tuple[int, int], host: str = "127.0.0.1"
) -> Region:
    """Our TURN server on a free UDP/TCP port of ``host``, relaying in ``relay_ports``."""
    server = TurnServer(
        TurnServerConfig(realm=REALM, users={USERNAME: CREDENTIAL}, allow_loopback_peers=True),
        ListenSettings(
            host=host, port=0, tls_port=None, min_port=relay_ports[0], max_port=relay_ports[1]
        ),
    )
    await server.start()
    address, port = server.addresses["udp"]
    url_host = f"[{address}]" if ":" in address else address
    return Region(
        name=name,
        kind="embedded",
        url=f"turn:{url_host}:{port}",
        relay_ports=relay_ports,
        close=server.close,
        relay_count=lambda: server.relay_count,
    )


async def start_coturn_region(name: str, relay_ports: tuple[int, int], workdir: Path) -> Region:
    """A coturn process on free loopback ports (raises CoturnMissingError without coturn)."""
    from rtcpeer.testing.coturn import HOST, start_coturn

    server = await asyncio.to_thread(
        start_coturn,
        workdir / f"region-{name}",
        users={USERNAME: CREDENTIAL},
        realm=REALM,
        relay_ports=relay_ports,
    )

    async def close() -> None:
        await asyncio.to_thread(server.stop)

    return Region(
        name=name,
        kind="coturn",
        url=f"turn:{HOST}:{server.port}",
        relay_ports=relay_ports,
        close=close,
        pid=server.pid,
    )


@contextlib.asynccontextmanager
async def running_regions(
    kind: str, relay_ports: dict[str, tuple[int, int]] | None = None
) -> AsyncIterator[list[Region]]:
    """Start one region per entry of ``relay_ports`` (A and B by default); stop them all
    on exit. ``kind`` is "embedded" or "coturn"."""
    ports = relay_ports or DEFAULT_RELAY_PORTS
    regions: list[Region] = []
    with tempfile.TemporaryDirectory(prefix="rtcpeer-demo-") as workdir:
        try:
            for name, span in ports.items():
                if kind == "coturn":
                    regions.append(await start_coturn_region(name, span, Path(workdir)))
                else:
                    regions.append(await start_embedded_region(name, span))
            yield regions
        finally:
            for region in regions:
                await region.close()


__all__ = [
    "CREDENTIAL",
    "DEFAULT_RELAY_PORTS",
    "USERNAME",
    "Region",
    "running_regions",
    "start_coturn_region",
    "start_embedded_region",
]
