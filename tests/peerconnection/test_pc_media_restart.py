"""Audio and video keep flowing across ICE restarts and a TURN region A -> B move:
the same DTLS session, the same SSRCs, frames decoded on both sides after the switch."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.support.media import FrameCollector, PatternVideoTrack
from tests.support.peer_connections import (
    REGION_A,
    REGION_B,
    TIMEOUT,
    Link,
    in_region,
    negotiate,
    peer,
    poll,
    relay_config,
    selected_local,
    start_region,
    until,
)

from rtcpeer import RTCPeerConnection
from rtcpeer.peerconnection.rtp import RTCTrackEvent
from rtcpeer.testing.pki import CertificateFiles
from rtcpeer.transport import AudioStreamTrack


async def _ssrcs(pc: RTCPeerConnection) -> dict[str, set[int]]:
    report = await pc.getStats()
    return {
        kind: {int(e["ssrc"]) for e in report.of_type(kind)}
        for kind in ("outbound-rtp", "inbound-rtp")
    }


async def _media_call(a: RTCPeerConnection, b: RTCPeerConnection) -> list[FrameCollector]:
    """Video + audio both ways; collectors of a's and b's received video and audio."""
    events: dict[int, list[RTCTrackEvent]] = {id(a): [], id(b): []}
    for pc in (a, b):
        pc.addTrack(PatternVideoTrack())
        pc.addTrack(AudioStreamTrack())
        pc.on("track", events[id(pc)].append)
    await negotiate(a, b)
    await poll(lambda: len(events[id(a)]) == 2 and len(events[id(b)]) == 2)
    return [FrameCollector(e.track) for pc in (a, b) for e in events[id(pc)]]


def _on_relay(pc: RTCPeerConnection, region: tuple[int, int]) -> bool:
    stack = pc._transports
    assert stack is not None
    pair = stack.ice.selected_pair
    return pair is not None and pair[0].type == "relay" and region[0] <= pair[0].port <= region[1]


@pytest.mark.parametrize("initiator", ["offerer", "answerer"])
async def test_media_continues_across_restart_ice(initiator: str) -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    collectors: list[FrameCollector] = []
    try:
        collectors = await _media_call(a, b)
        for collector in collectors:
            await collector.wait_for(5)
        ssl_sessions = [pc._transports.dtls._ssl for pc in (a, b)]  # type: ignore[union-attr]
        before = [await _ssrcs(pc) for pc in (a, b)]
        assert all(len(s["outbound-rtp"]) == len(s["inbound-rtp"]) == 2 for s in before)
        ufrag = a._transports.ice.local_ufrag  # type: ignore[union-attr]
        restarter, other = (a, b) if initiator == "offerer" else (b, a)
        needed = asyncio.get_running_loop().create_future()
        restarter.once("negotiationneeded", lambda: needed.set_result(None))
        restarter.restartIce()
        await asyncio.wait_for(needed, TIMEOUT)
        await negotiate(restarter, other)
        assert a._transports.ice.local_ufrag != ufrag  # type: ignore[union-attr]
        for collector in collectors:
            await collector.more(10)
        assert [pc._transports.dtls._ssl for pc in (a, b)] == ssl_sessions  # type: ignore[union-attr]
        assert [await _ssrcs(pc) for pc in (a, b)] == before
        await link.settle()
    finally:
        for collector in collectors:
            await collector.close()
        await a.close()
        await b.close()


async def test_media_continues_across_a_region_move(turn_certificates: CertificateFiles) -> None:
    region_a = await start_region(turn_certificates, REGION_A)
    region_b = await start_region(turn_certificates, REGION_B)
    a, b = peer(relay_config(region_a)), peer(relay_config(region_a))
    collectors: list[FrameCollector] = []
    try:
        link = Link()
        link.connect(a, b)
        collectors = await _media_call(a, b)
        for collector in collectors:
            await collector.wait_for(5)
        for pc in (a, b):
            assert in_region(await selected_local(pc), REGION_A)
        ssl_sessions = [pc._transports.dtls._ssl for pc in (a, b)]  # type: ignore[union-attr]
        before = [await _ssrcs(pc) for pc in (a, b)]
        states: list[str] = []
        for pc in (a, b):
            pc.on("connectionstatechange", lambda pc=pc: states.append(pc.connectionState))

        for pc in (a, b):
            pc.setConfiguration(relay_config(region_b))
        a.restartIce()
        await negotiate(a, b)
        for pc in (a, b):
            stack = pc._transports
            assert stack is not None

            def on_b(pc: RTCPeerConnection = pc) -> bool:
                return _on_relay(pc, REGION_B)

            await until(stack.ice, "selectedcandidatepairchange", on_b)
        counts = [len(c.frames) for c in collectors]
        for collector in collectors:
            await collector.more(10)
        await poll(lambda: region_a.relay_count == 0)

        assert all(len(c.frames) >= n + 10 for c, n in zip(collectors, counts, strict=True))
        assert [pc._transports.dtls._ssl for pc in (a, b)] == ssl_sessions  # type: ignore[union-attr]
        assert [await _ssrcs(pc) for pc in (a, b)] == before
        assert states == [], f"connectionState left 'connected': {states}"
        report: Any = await b.getStats()
        for inbound in report.of_type("inbound-rtp"):
            assert inbound["pliCount"] <= 3  # no keyframe request storm
        await link.settle()
    finally:
        for collector in collectors:
            await collector.close()
        await a.close()
        await b.close()
        await poll(lambda: region_a.relay_count == 0 and region_b.relay_count == 0)
        await region_a.close()
        await region_b.close()
