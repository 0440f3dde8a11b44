"""rtcpeer <-> aiortc 1.16 on loopback, either side offering: the connection
comes up, a data channel opened by the offerer carries messages both ways.
(aiortc cannot restart ICE, so no restart here.) aiortc puts all its
candidates in its description; rtcpeer trickles to it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiortc import RTCPeerConnection as AiortcPeerConnection
from tests.support.interop import TIMEOUT, exchange_message, opened, rtcpeer, selected_local
from tests.support.signalling import AiortcSide, Bridge, RtcpeerSide, candidate_fields

pytestmark = [pytest.mark.interop, pytest.mark.usefixtures("aioice_on_loopback")]


@pytest.mark.parametrize("offering", ["rtcpeer", "aiortc"])
async def test_data_channel_with_aiortc(offering: str) -> None:
    ours_pc, theirs_pc = rtcpeer(), AiortcPeerConnection()
    ours, theirs = RtcpeerSide(ours_pc), AiortcSide(theirs_pc)
    bridge = Bridge(ours, theirs)
    remote: asyncio.Queue[Any] = asyncio.Queue()
    answerer_pc = theirs_pc if offering == "rtcpeer" else ours_pc
    answerer_pc.on("datachannel", lambda event: remote.put_nowait(getattr(event, "channel", event)))
    try:
        if offering == "rtcpeer":
            near = ours_pc.createDataChannel("chat", protocol="text")
            await bridge.negotiate(ours, theirs)
        else:
            near = theirs_pc.createDataChannel("chat", protocol="text")
            await bridge.negotiate(theirs, ours)
        far = await asyncio.wait_for(remote.get(), TIMEOUT)
        await opened(near)
        await opened(far)
        await bridge.settle()
        assert (far.label, far.protocol) == ("chat", "text")
        await exchange_message(near, far, "ping")
        await exchange_message(far, near, "pong")
        await exchange_message(near, far, "x" * 60_000)  # a message over many SCTP chunks
        assert ours_pc.connectionState == "connected"
        assert theirs_pc.connectionState == "connected"
        assert ours_pc.iceConnectionState in ("connected", "completed")
        local = await selected_local(ours_pc)
        assert local["candidateType"] == "host" and local["address"] == "127.0.0.1"
        # aiortc's candidates came in its description, all on loopback.
        assert theirs_pc.localDescription is not None
        lines = [
            line for line in theirs_pc.localDescription.sdp.splitlines()
            if line.startswith("a=candidate:")
        ]  # fmt: skip
        assert lines and all(
            candidate_fields({"candidate": line[2:]})["address"] == "127.0.0.1" for line in lines
        )
    finally:
        await ours_pc.close()
        await theirs_pc.close()
