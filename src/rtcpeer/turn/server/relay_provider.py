"""The seam through which the core gets relayed transport addresses.

The asyncio runtime binds real UDP sockets; a simulated network hands out
its own virtual addresses. The core only ever sees addresses.
"""

from __future__ import annotations

from typing import Protocol

from rtcpeer.sansio import Address


class RelayProvider(Protocol):
    """Opens and closes relayed transport addresses for the core."""

    def supports_family(self, family: int) -> bool:
        """Can relays of IP ``family`` (4 or 6) exist at all? No means 440."""
        ...

    def open_relay(self, family: int, *, even_port: bool = False) -> Address | None:
        """Bind a new relayed address of IP ``family`` (4 or 6), on an even
        port if asked (EVEN-PORT); None when out of ports (the client then
        gets 508 Insufficient Capacity)."""
        ...

    def close_relay(self, address: Address) -> None:
        """Release a relayed address that ``open_relay`` returned."""
        ...
