"""One rtcpeer connection paired with one connection in the Chromium page."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support.chromium import BrowserPage, is_loopback_candidate
from tests.support.interop import TIMEOUT, apoll, opened, rtcpeer
from tests.support.signalling import Bridge, CandidateInit, ChromiumSide, RtcpeerSide

from rtcpeer import RTCPeerConnection

_names = itertools.count()


@dataclass
class ChromiumPair:
    """``pc`` (ours) and ``name`` (Chromium's), their bridge and open channels."""

    browser: BrowserPage
    pc: RTCPeerConnection
    name: str
    ours: RtcpeerSide
    theirs: ChromiumSide
    bridge: Bridge
    channel: Any = None
    #: Milliseconds from the offerer's createDataChannel and
    #: setLocalDescription until the data channel was open at both ends.
    open_ms: float = float("nan")

    async def close(self) -> None:
        await self.pc.close()
        await self.browser.call("close", self.name)

    async def exchange(self) -> None:
        """One message each way; each arrives exactly once."""
        got: asyncio.Queue[Any] = asyncio.Queue()
        self.channel.on("message", got.put_nowait)
        before = len(await self.browser.call("received", self.name))
        self.channel.send("ping from rtcpeer")
        await apoll(lambda: self._received_since(before))
        assert (await self.browser.call("received", self.name))[before:] == ["ping from rtcpeer"]
        await self.browser.call("send", self.name, "pong from chromium")
        assert await asyncio.wait_for(got.get(), TIMEOUT) == "pong from chromium"
        self.channel.remove_listener("message", got.put_nowait)

    async def _received_since(self, before: int) -> bool:
        return len(await self.browser.call("received", self.name)) > before

    async def chromium_selected(self) -> dict[str, Any]:
        """Chromium's own getStats: selected pair, its local and remote candidates."""
        pair: dict[str, Any] | None = await self.browser.call("selectedPair", self.name)
        assert pair is not None, "Chromium has no selected candidate pair"
        return pair


async def connect(
    browser: BrowserPage,
    offering: str,
    ours_config: dict[str, Any] | None = None,
    theirs_config: dict[str, Any] | None = None,
    cafile: str | None = None,
    label: str = "chat",
    allow: Callable[[CandidateInit], bool] = is_loopback_candidate,
) -> ChromiumPair:
    """Connect rtcpeer and Chromium with a data channel created by the offerer
    (``offering`` is "rtcpeer" or "chromium"); both ends open on return."""
    name = f"c{next(_names)}"
    pc = rtcpeer(ours_config, cafile)
    await browser.call("create", name, theirs_config or {})
    ours, theirs = RtcpeerSide(pc), ChromiumSide(browser, name)
    bridge = Bridge(ours, theirs, allow=allow)
    pair = ChromiumPair(browser, pc, name, ours, theirs, bridge)
    remote: asyncio.Queue[Any] = asyncio.Queue()
    pc.on("datachannel", lambda event: remote.put_nowait(event.channel))
    try:
        start = time.perf_counter()
        if offering == "rtcpeer":
            pair.channel = pc.createDataChannel(label)
            await bridge.negotiate(ours, theirs)
        else:
            await browser.call("createDataChannel", name, label)
            await bridge.negotiate(theirs, ours)
            pair.channel = await asyncio.wait_for(remote.get(), TIMEOUT)
        await opened(pair.channel)
        assert await browser.wait_for("channelopen", name) == label
        pair.open_ms = (time.perf_counter() - start) * 1000
        await bridge.settle()
    except BaseException:
        await pair.close()
        raise
    return pair
