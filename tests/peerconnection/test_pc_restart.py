"""ICE restart from TURN region A to region B, initiated by either side, while a
data channel carries a message every 5 ms: nothing lost, nothing reordered, no
new DTLS handshake, and region A's allocations released."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.support.peer_connections import (
    REGION_A,
    REGION_B,
    TIMEOUT,
    Link,
    in_region,
    negotiate,
    opened,
    peer,
    poll,
    relay_config,
    selected_local,
    start_region,
    until,
)

from rtcpeer import RTCPeerConnection
from rtcpeer.testing.pki import CertificateFiles


class Stream:
    """Sends "0", "1", ... every 5 ms over ``channel``; ``received`` collects the far end."""

    def __init__(self, channel: Any, remote: Any) -> None:
        self.channel = channel
        self.sent = 0
        self.received: list[str] = []
        self._stop = asyncio.Event()
        self._all = asyncio.get_running_loop().create_future()
        remote.on("message", self._on_message)
        self._task = asyncio.ensure_future(self._run())

    def _on_message(self, message: str) -> None:
        self.received.append(message)
        if self._stop.is_set() and len(self.received) == self.sent and not self._all.done():
            self._all.set_result(None)

    async def _run(self) -> None:
        while not self._stop.is_set():
            self.channel.send(str(self.sent))
            self.sent += 1
            await asyncio.sleep(0.005)

    async def wait_sent(self, count: int) -> None:
        await poll(lambda: self.sent >= count)

    async def finish(self) -> None:
        self._stop.set()
        await asyncio.wait_for(self._task, TIMEOUT)
        if len(self.received) == self.sent:
            return
        await asyncio.wait_for(self._all, TIMEOUT)


def _on_relay_b(pc: RTCPeerConnection) -> bool:
    stack = pc._transports
    assert stack is not None
    pair = stack.ice.selected_pair
    return (
        pair is not None and pair[0].type == "relay" and REGION_B[0] <= pair[0].port <= REGION_B[1]
    )


@pytest.mark.parametrize("initiator", ["offerer", "answerer"])
@pytest.mark.parametrize("how", ["restartIce", "iceRestart"])
async def test_restart_moves_a_live_channel_to_region_b(
    turn_certificates: CertificateFiles, initiator: str, how: str
) -> None:
    region_a = await start_region(turn_certificates, REGION_A)
    region_b = await start_region(turn_certificates, REGION_B)
    a, b = peer(relay_config(region_a)), peer(relay_config(region_a))
    try:
        link = Link()
        link.connect(a, b)
        channel = a.createDataChannel("stream")
        remote_channels: asyncio.Queue[Any] = asyncio.Queue()
        b.on("datachannel", lambda event: remote_channels.put_nowait(event.channel))
        await negotiate(a, b)
        await opened(channel)
        remote = await asyncio.wait_for(remote_channels.get(), TIMEOUT)
        for pc in (a, b):
            assert in_region(await selected_local(pc), REGION_A)
        assert region_a.relay_count == 2
        ssl_sessions = [pc._transports.dtls._ssl for pc in (a, b)]  # type: ignore[union-attr]
        states: list[str] = []
        for pc in (a, b):
            pc.on("connectionstatechange", lambda pc=pc: states.append(pc.connectionState))

        stream = Stream(channel, remote)
        await stream.wait_sent(20)
        restarter, other = (a, b) if initiator == "offerer" else (b, a)
        for pc in (a, b):
            pc.setConfiguration(relay_config(region_b))
        if how == "restartIce":
            needed = asyncio.get_running_loop().create_future()
            restarter.once("negotiationneeded", lambda: needed.set_result(None))
            restarter.restartIce()
            await asyncio.wait_for(needed, TIMEOUT)
            await negotiate(restarter, other)
        else:
            await negotiate(restarter, other, ice_restart=True)
        for pc in (a, b):
            stack = pc._transports
            assert stack is not None

            def on_relay_b(pc: RTCPeerConnection = pc) -> bool:
                return _on_relay_b(pc)

            await until(stack.ice, "selectedcandidatepairchange", on_relay_b)
        sent_at_switch = stream.sent
        await stream.wait_sent(sent_at_switch + 20)
        await stream.finish()
        await link.settle()

        assert stream.received == [str(i) for i in range(stream.sent)]
        for pc in (a, b):
            assert in_region(await selected_local(pc), REGION_B)
        await poll(lambda: region_a.relay_count == 0)
        assert [pc._transports.dtls._ssl for pc in (a, b)] == ssl_sessions  # type: ignore[union-attr]
        assert all(pc._transports.dtls.state == "connected" for pc in (a, b))  # type: ignore[union-attr]
        assert channel.readyState == remote.readyState == "open"
        assert states == [], f"connectionState left 'connected': {states}"
        assert a.signalingState == b.signalingState == "stable"
        report = await a.getStats()
        (pc_stats,) = report.of_type("peer-connection")
        assert pc_stats["dataChannelsOpened"] == 1
        (transport,) = report.of_type("transport")
        assert transport["selectedCandidatePairChanges"] >= 2
    finally:
        await a.close()
        await b.close()
        await poll(lambda: region_a.relay_count == 0 and region_b.relay_count == 0)
        await region_a.close()
        await region_b.close()


async def test_answerer_gathers_from_the_configuration_set_just_before_the_offer(
    turn_certificates: CertificateFiles,
) -> None:
    """Issue 13 (4): a signalling handler that calls setConfiguration(region B) and
    at once setRemoteDescription(restart offer) gathers that restart from region B
    -- whatever the event loop did (or did not do) in between."""
    region_a = await start_region(turn_certificates, REGION_A)
    region_b = await start_region(turn_certificates, REGION_B)
    caller, callee = peer(relay_config(region_a)), peer(relay_config(region_a))
    try:
        link = Link()
        link.connect(caller, callee)
        channel = caller.createDataChannel("chat")
        await negotiate(caller, callee)
        await opened(channel)
        caller.setConfiguration(relay_config(region_b))
        offer = await caller.createOffer(iceRestart=True)
        await caller.setLocalDescription(offer)
        gathered: list[Any] = []
        callee.on("icecandidate", lambda event: gathered.append(event.candidate))
        callee.setConfiguration(relay_config(region_b))
        await callee.setRemoteDescription(offer.toJSON())  # no await in between
        await callee.setLocalDescription()
        answer = callee.localDescription
        assert answer is not None
        await caller.setRemoteDescription(answer.toJSON())
        for pc in (caller, callee):
            stack = pc._transports
            assert stack is not None

            def on_relay_b(pc: RTCPeerConnection = pc) -> bool:
                return _on_relay_b(pc)

            await until(stack.ice, "selectedcandidatepairchange", on_relay_b)
        relays = [c for c in gathered if c is not None and c.type == "relay"]
        assert relays and all(REGION_B[0] <= c.port <= REGION_B[1] for c in relays), relays
    finally:
        await caller.close()
        await callee.close()
        await poll(lambda: region_a.relay_count == 0 and region_b.relay_count == 0)
        await region_a.close()
        await region_b.close()
