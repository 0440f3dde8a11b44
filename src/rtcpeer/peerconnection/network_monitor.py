"""Opt-in network change detection (``RTCPeerConnection(network_monitor=True)``).

Like libwebrtc's network monitor with continual gathering: once ICE has
connected, the machine's interface addresses are enumerated again every
``interval`` seconds. A new address gets a socket and a host candidate in the
current ICE generation, trickled as an ``icecandidate`` event; a vanished one
is retired (make-before-break). Each change is reported as a
``networkchange`` event carrying a :class:`NetworkChange`, whose
``restart_advisable`` says that the selected pair's local address vanished:
the path is gone and only ``restartIce()`` can bring a new one.

Off by default: browsers gather once per ICE generation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from rtcpeer.ice.runtime.transport import IceTransport

logger = logging.getLogger(__name__)
#: Seconds between two enumerations of the interfaces.
POLL_INTERVAL = 1.0
#: ICE states in which the monitor polls (it has connected at least once).
_WATCHED = frozenset({"connected", "completed", "disconnected", "failed"})


@dataclass(frozen=True)
class NetworkChange:
    """The ``networkchange`` event: interface addresses came or went."""

    #: Addresses that appeared (each got a host candidate, trickled).
    added: tuple[str, ...]
    #: Addresses that vanished.
    removed: tuple[str, ...]
    #: The selected pair's local address vanished: call ``restartIce()``.
    restart_advisable: bool


class _Emitter(Protocol):
    def emit(self, event: str, *args: object) -> bool: ...


class NetworkMonitor:
    """Polls the interfaces for one peer connection's ICE transport."""

    def __init__(
        self,
        emitter: _Emitter,
        ice: Callable[[], IceTransport | None],
        interval: float = POLL_INTERVAL,
    ) -> None:
        self._emitter = emitter
        self._ice = ice
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin polling (idempotent); needs a running event loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            ice = self._ice()
            if ice is None or ice.state not in _WATCHED:
                continue
            try:
                await self.poll(ice)
            except Exception:  # a transient enumeration failure must not end monitoring
                logger.exception("network monitor: polling the interfaces failed")

    async def poll(self, ice: IceTransport) -> NetworkChange | None:
        """Enumerate once; emit and return the change, if any."""
        selected = ice.selected_pair
        added, removed = await ice.refresh_host_sockets(continual=True)
        if not added and not removed:
            return None
        local = None if selected is None else selected[0]
        bases = set() if local is None else {local.host, local.related_address}
        change = NetworkChange(
            tuple(added), tuple(removed), restart_advisable=any(a in bases for a in removed)
        )
        logger.info("network change: %s", change)
        self._emitter.emit("networkchange", change)
        return change


__all__ = ["NetworkChange", "NetworkMonitor"]
