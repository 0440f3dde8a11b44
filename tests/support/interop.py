"""Shared pieces of the interop tests: peers, coturn configurations, waits,
and a 5 ms message stream checked for loss, duplication and order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tests.support.coturn import Coturn
from tests.support.waiting import TIMEOUT as TIMEOUT
from tests.support.waiting import opened as opened
from tests.support.waiting import poll as poll
from tests.support.waiting import until as until

from rtcpeer import RTCPeerConnection

USER, PASSWORD = "user", "pass"
#: coturn relay port ranges: a relay candidate's port tells its region.
REGION_A = (57000, 57099)
REGION_B = (57100, 57199)


def turn_url(server: Coturn, transport: str) -> str:
    """The ICE server URL reaching ``server`` over ``udp``, ``tcp`` or ``tls``."""
    if transport == "tls":
        return f"turns:127.0.0.1:{server.tls_port}?transport=tcp"
    return f"turn:127.0.0.1:{server.port}?transport={transport}"


def relay_config(server: Coturn, transport: str = "udp", policy: str = "relay") -> dict[str, Any]:
    """A W3C RTCConfiguration using one coturn listener (relay-only by default)."""
    return {
        "iceServers": [
            {"urls": turn_url(server, transport), "username": USER, "credential": PASSWORD}
        ],
        "iceTransportPolicy": policy,
    }


def rtcpeer(
    configuration: dict[str, Any] | None = None, cafile: str | None = None
) -> RTCPeerConnection:
    """An rtcpeer connection that offers loopback host candidates."""
    return RTCPeerConnection(configuration, _include_loopback=True, _cafile=cafile)


async def selected_local(pc: RTCPeerConnection) -> dict[str, Any]:
    """Our getStats: the local-candidate entry of the selected pair."""
    report = await pc.getStats()
    (transport,) = report.of_type("transport")
    pair = report[transport["selectedCandidatePairId"]]
    return dict(report[pair["localCandidateId"]])


def in_range(port: int, region: tuple[int, int]) -> bool:
    return region[0] <= port <= region[1]


def on_region(pc: RTCPeerConnection, region: tuple[int, int]) -> bool:
    """Our ICE transport's selected pair is a relay candidate in ``region``."""
    stack = pc._transports
    pair = None if stack is None else stack.ice.selected_pair
    return pair is not None and pair[0].type == "relay" and in_range(pair[0].port, region)


class Stream:
    """Sends "0", "1", ... every 5 ms on an rtcpeer/aiortc ``channel``;
    ``received`` collects what the same channel receives from the far end."""

    def __init__(self, channel: Any, interval: float = 0.005) -> None:
        self.channel = channel
        self.interval = interval
        self.sent = 0
        self.received: list[str] = []
        channel.on("message", self.received.append)
        self._stop = asyncio.Event()
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while not self._stop.is_set():
            self.channel.send(str(self.sent))
            self.sent += 1
            next_at += self.interval
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    async def stop(self) -> int:
        self._stop.set()
        await asyncio.wait_for(self._task, TIMEOUT)
        return self.sent


async def apoll(predicate: Callable[[], Any], timeout: float = TIMEOUT, every: float = 0.02) -> Any:
    """Like :func:`poll` for an async predicate (a page's state); returns its value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(every)


async def exchange_message(sender: Any, receiver: Any, text: str) -> None:
    """``sender`` sends ``text`` on its data channel; ``receiver`` gets exactly it."""
    got: asyncio.Queue[Any] = asyncio.Queue()
    receiver.on("message", got.put_nowait)
    try:
        sender.send(text)
        assert await asyncio.wait_for(got.get(), TIMEOUT) == text
    finally:
        receiver.remove_listener("message", got.put_nowait)
