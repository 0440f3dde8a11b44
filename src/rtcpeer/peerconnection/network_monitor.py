"""Opt-in network change detection (``RTCPeerConnection(network_monitor=True)``).

Like libwebrtc's network monitor with continual gathering: once ICE has
connected, the machine's interface addresses are enumerated again whenever
the kernel says a link or an address changed -- a ``NETLINK_ROUTE`` socket
subscribed to link, IPv4-address and IPv6-address changes, read by the event
loop (Linux) -- and, where there is no netlink, every :data:`POLL_INTERVAL`
seconds (with netlink, every :data:`NETLINK_POLL_INTERVAL` seconds as a
backstop: a change made before ICE connected, an overrun socket). A new
address gets a socket and a host candidate in the current ICE generation,
trickled as an ``icecandidate`` event (``iceGatheringState`` goes to
``gathering`` and back to ``complete``, ending with the null candidate, as
after a restart); a vanished one is retired (make-before-break). Each change
is reported as a ``networkchange`` event carrying a :class:`NetworkChange`,
whose ``restart_advisable`` says that the selected pair's local address
vanished: the path is gone and only ``restartIce()`` can bring a new one.

Off by default: browsers gather once per ICE generation.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from rtcpeer.ice.runtime.driver import IceTransport

logger = logging.getLogger(__name__)
#: Seconds between two enumerations of the interfaces where there is no netlink.
POLL_INTERVAL = 1.0
#: With netlink, seconds between two enumerations nothing announced (a backstop).
NETLINK_POLL_INTERVAL = 10.0
#: rtnetlink multicast groups (``linux/rtnetlink.h``): link, IPv4 and IPv6 address changes.
RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV6_IFADDR = 0x100
_NETLINK_GROUPS = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR
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


def open_netlink() -> socket.socket | None:
    """A non-blocking ``NETLINK_ROUTE`` socket that receives a message for every
    link and IPv4/IPv6 address change of this network namespace; None where
    the platform (or a sandbox) has none."""
    family = getattr(socket, "AF_NETLINK", None)
    protocol = getattr(socket, "NETLINK_ROUTE", None)
    if family is None or protocol is None:
        return None
    try:
        sock = socket.socket(family, socket.SOCK_RAW, protocol)
    except OSError as error:
        logger.info("network monitor: no netlink (%s), polling instead", error)
        return None
    try:
        sock.setblocking(False)
        sock.bind((0, _NETLINK_GROUPS))
    except OSError as error:
        sock.close()
        logger.info("network monitor: netlink refused (%s), polling instead", error)
        return None
    return sock


class NetworkMonitor:
    """Watches the interfaces for one peer connection's ICE transport (netlink or polling)."""

    def __init__(
        self,
        emitter: _Emitter,
        ice: Callable[[], IceTransport | None],
        interval: float | None = None,
        *,
        netlink: Callable[[], socket.socket | None] = open_netlink,
    ) -> None:
        self._emitter = emitter
        self._ice = ice
        #: None: :data:`POLL_INTERVAL` or :data:`NETLINK_POLL_INTERVAL` (read each round).
        self._interval = interval
        self._open_netlink = netlink
        self._netlink: socket.socket | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def uses_netlink(self) -> bool:
        """The kernel's change messages wake the monitor (else it only polls)."""
        return self._netlink is not None

    def start(self) -> None:
        """Begin watching (idempotent); needs a running event loop."""
        if self._task is not None:
            return
        loop = asyncio.get_running_loop()
        sock = self._open_netlink()
        if sock is not None:
            self._netlink = sock
            loop.add_reader(sock.fileno(), self._netlink_readable)
        self._task = loop.create_task(self._run())

    async def stop(self) -> None:
        """Stop watching: the netlink socket is closed, the task ends."""
        self._close_netlink()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _close_netlink(self) -> None:
        sock, self._netlink = self._netlink, None
        if sock is not None:
            with contextlib.suppress(Exception):  # the loop may be closing
                asyncio.get_running_loop().remove_reader(sock.fileno())
            sock.close()

    def _netlink_readable(self) -> None:
        """Drain the kernel's messages (their content does not matter) and wake the loop."""
        sock = self._netlink
        if sock is None:
            return
        try:
            while sock.recv(65536):
                pass
        except BlockingIOError:
            pass
        except OSError as error:
            if error.errno != errno.ENOBUFS:  # overrun: messages lost, still a change
                logger.warning("network monitor: netlink failed (%s), polling instead", error)
                self._close_netlink()
        self._wake.set()

    def _next_interval(self, pending: bool) -> float:
        if self._interval is not None:
            return self._interval
        if self._netlink is None or pending:
            return POLL_INTERVAL
        return NETLINK_POLL_INTERVAL

    async def _run(self) -> None:
        # A change was announced before ICE connected: look again soon.
        pending = False
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self._next_interval(pending))
                pending = True
            except TimeoutError:
                pass
            self._wake.clear()
            ice = self._ice()
            if ice is None or ice.state not in _WATCHED:
                continue
            pending = False
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


__all__ = ["NetworkChange", "NetworkMonitor", "open_netlink"]
