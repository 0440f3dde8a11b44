"""Signalling between peers of different stacks for interop tests and benchmarks.

Each stack is wrapped in a :class:`Side` with the same small surface
(descriptions and candidates as the W3C JSON a browser app would send), so a
test can pair rtcpeer with Chromium or aiortc in either direction. A
:class:`Bridge` trickles candidates between two sides: it passes only
loopback candidates on (this machine's other interfaces are never targets),
records everything each side produced, and holds candidates back while the
receiving side does not yet have the matching remote description (an
offer's candidates can surface before the answerer has applied it).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.chromium import BrowserPage, is_loopback_candidate

from rtcpeer import RTCPeerConnection

TIMEOUT = 10.0
CandidateInit = dict[str, Any] | None


class Side:
    """One peer connection as the bridge sees it."""

    label = "?"

    async def set_local(self) -> dict[str, Any]:
        """setLocalDescription() with no argument; the description applied, as JSON."""
        raise NotImplementedError

    async def set_remote(self, description: dict[str, Any]) -> None:
        raise NotImplementedError

    async def add_candidate(self, candidate: CandidateInit) -> None:
        raise NotImplementedError

    def on_candidate(self, callback: Callable[[CandidateInit], None]) -> None:
        """Call ``callback`` with each trickled candidate (None at the end)."""
        raise NotImplementedError

    async def set_configuration(self, configuration: dict[str, Any]) -> None:
        raise NotImplementedError

    async def restart_ice(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class RtcpeerSide(Side):
    """An rtcpeer RTCPeerConnection (the object itself is ``pc``)."""

    label = "rtcpeer"

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.pc = pc

    async def set_local(self) -> dict[str, Any]:
        await self.pc.setLocalDescription()
        assert self.pc.localDescription is not None
        return dict(self.pc.localDescription.toJSON())

    async def set_remote(self, description: dict[str, Any]) -> None:
        await self.pc.setRemoteDescription(description)

    async def add_candidate(self, candidate: CandidateInit) -> None:
        await self.pc.addIceCandidate(candidate)

    def on_candidate(self, callback: Callable[[CandidateInit], None]) -> None:
        self.pc.on(
            "icecandidate",
            lambda event: callback(None if event.candidate is None else event.candidate.toJSON()),
        )

    async def set_configuration(self, configuration: dict[str, Any]) -> None:
        self.pc.setConfiguration(configuration)

    async def restart_ice(self) -> None:
        self.pc.restartIce()

    async def close(self) -> None:
        await self.pc.close()


class ChromiumSide(Side):
    """A connection named ``name`` in the harness page (see peer.js)."""

    label = "chromium"

    def __init__(self, browser: BrowserPage, name: str) -> None:
        self.browser = browser
        self.name = name

    async def set_local(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.browser.call("setLocalDescription", self.name, None)
        return result

    async def set_remote(self, description: dict[str, Any]) -> None:
        await self.browser.call("setRemoteDescription", self.name, description)

    async def add_candidate(self, candidate: CandidateInit) -> None:
        if candidate is None:
            return  # the "" candidate before it already said end-of-candidates
        await self.browser.call("addIceCandidate", self.name, candidate)

    def on_candidate(self, callback: Callable[[CandidateInit], None]) -> None:
        self.browser.on("icecandidate", self.name, callback)

    async def set_configuration(self, configuration: dict[str, Any]) -> None:
        await self.browser.call("setConfiguration", self.name, configuration)

    async def restart_ice(self) -> None:
        await self.browser.call("restartIce", self.name)

    async def close(self) -> None:
        await self.browser.call("close", self.name)


class AiortcSide(Side):
    """An aiortc RTCPeerConnection: it gathers before setLocalDescription
    returns and puts every candidate in the description (no trickle)."""

    label = "aiortc"

    def __init__(self, pc: Any) -> None:
        self.pc = pc

    async def set_local(self) -> dict[str, Any]:
        from aiortc import RTCSessionDescription

        if self.pc.signalingState == "have-remote-offer":
            description = await self.pc.createAnswer()
        else:
            description = await self.pc.createOffer()
        await self.pc.setLocalDescription(RTCSessionDescription(description.sdp, description.type))
        local = self.pc.localDescription
        return {"type": local.type, "sdp": local.sdp}

    async def set_remote(self, description: dict[str, Any]) -> None:
        from aiortc import RTCSessionDescription

        await self.pc.setRemoteDescription(
            RTCSessionDescription(description["sdp"], description["type"])
        )

    async def add_candidate(self, candidate: CandidateInit) -> None:
        from aiortc.sdp import candidate_from_sdp

        if candidate is None or not candidate["candidate"]:
            await self.pc.addIceCandidate(None)
            return
        parsed = candidate_from_sdp(candidate["candidate"].removeprefix("candidate:"))
        parsed.sdpMid = candidate.get("sdpMid")
        parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
        await self.pc.addIceCandidate(parsed)

    def on_candidate(self, callback: Callable[[CandidateInit], None]) -> None:
        pass  # all candidates are in the description

    async def close(self) -> None:
        await self.pc.close()


@dataclass
class Bridge:
    """Trickles loopback candidates between ``a`` and ``b``; negotiates either way."""

    a: Side
    b: Side
    #: Every candidate each side produced, by side label ("a"/"b"), in order.
    produced: dict[str, list[CandidateInit]] = field(default_factory=dict)
    #: Candidates held back from each side because they were not on loopback.
    dropped: dict[str, list[CandidateInit]] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)
    #: Which candidates may be passed on (default: loopback only).
    allow: Callable[[CandidateInit], bool] = is_loopback_candidate
    _ready: dict[int, bool] = field(default_factory=dict)
    _held: dict[int, list[CandidateInit]] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _locks: dict[int, asyncio.Lock] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, source, target in (("a", self.a, self.b), ("b", self.b, self.a)):
            self.produced[key] = []
            self.dropped[key] = []
            self._ready[id(target)] = False
            self._held[id(target)] = []
            self._locks[id(target)] = asyncio.Lock()
            source.on_candidate(functools.partial(self._on_candidate, key, target))

    def _on_candidate(self, key: str, target: Side, candidate: CandidateInit) -> None:
        self.produced[key].append(candidate)
        if not self.allow(candidate):
            self.dropped[key].append(candidate)
            return
        if self._ready[id(target)]:
            self._tasks.append(asyncio.ensure_future(self._deliver(target, [candidate])))
        else:
            self._held[id(target)].append(candidate)

    async def _deliver(self, target: Side, candidates: list[CandidateInit]) -> None:
        async with self._locks[id(target)]:  # in order, one at a time
            for candidate in candidates:
                try:
                    await target.add_candidate(candidate)
                except Exception as error:  # asserted on in settle()
                    self.errors.append(error)

    def _release(self, target: Side) -> None:
        self._ready[id(target)] = True
        held, self._held[id(target)] = self._held[id(target)], []
        if held:
            self._tasks.append(asyncio.ensure_future(self._deliver(target, held)))

    async def negotiate(self, offerer: Side, answerer: Side) -> None:
        """setLocalDescription() on the offerer, then the answer back."""
        self._ready[id(answerer)] = False
        self._ready[id(offerer)] = False
        offer = only_allowed(await offerer.set_local(), self.allow)
        await answerer.set_remote(offer)
        self._release(answerer)
        answer = only_allowed(await answerer.set_local(), self.allow)
        await offerer.set_remote(answer)
        self._release(offerer)

    async def settle(self) -> None:
        """Every candidate passed on was added without an error."""
        if self._tasks:
            await asyncio.wait_for(asyncio.gather(*self._tasks), TIMEOUT)
        assert not self.errors, self.errors


def only_allowed(
    description: dict[str, Any], allow: Callable[[CandidateInit], bool] = is_loopback_candidate
) -> dict[str, Any]:
    """The description without the candidate lines ``allow`` refuses
    (descriptions carry the candidates gathered so far)."""
    lines = [
        line
        for line in description["sdp"].split("\r\n")
        if not line.startswith("a=candidate:") or allow({"candidate": line[2:]})
    ]
    return {**description, "sdp": "\r\n".join(lines)}


def candidate_fields(candidate: CandidateInit) -> dict[str, str]:
    """The address, port and type of an ICE candidate line, by name."""
    if candidate is None or not candidate.get("candidate"):
        return {}
    parts = str(candidate["candidate"]).split()
    return {"address": parts[4], "port": parts[5], "type": parts[7], "protocol": parts[2].lower()}
