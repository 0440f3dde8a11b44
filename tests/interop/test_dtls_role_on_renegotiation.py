"""A re-offer from the side that first answered must be answered with the
DTLS role already in force (RFC 8842 §5.5; JSEP §5.3.1): Chromium rejects
an answer that flips it ("Failed to set SSL role for the transport"). Found
by the Chromium restart test when Chromium restarts a connection we offered."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from rtcpeer import RTCPeerConnection, RTCSessionDescription

from .helpers import TIMEOUT, opened

pytestmark = pytest.mark.interop


def _setup(pc: RTCPeerConnection) -> str:
    assert pc.localDescription is not None
    return pc.localDescription.sdp.split("a=setup:")[1].split()[0]


async def test_answer_to_a_re_offer_keeps_the_established_dtls_role(network: None) -> None:
    first = RTCPeerConnection(_include_loopback=True)
    second = RTCPeerConnection(_include_loopback=True)
    for source, target in ((first, second), (second, first)):
        source.on(
            "icecandidate",
            lambda event, target=target: asyncio.ensure_future(
                target.addIceCandidate(event.candidate)
            ) if event.candidate is not None else None,
        )
    remote: asyncio.Queue[Any] = asyncio.Queue()
    second.on("datachannel", lambda event: remote.put_nowait(event.channel))
    try:
        channel = first.createDataChannel("x")
        await first.setLocalDescription()
        await second.setRemoteDescription(cast(RTCSessionDescription, first.localDescription))
        await second.setLocalDescription()
        await first.setRemoteDescription(cast(RTCSessionDescription, second.localDescription))
        await opened(channel)
        await asyncio.wait_for(remote.get(), TIMEOUT)
        assert (_setup(first), _setup(second)) == ("actpass", "active")

        second.restartIce()  # the first answerer now offers
        await second.setLocalDescription()
        await first.setRemoteDescription(cast(RTCSessionDescription, second.localDescription))
        await first.setLocalDescription()
        # first is the DTLS server (its offer's actpass was answered "active").
        assert _setup(first) == "passive"
        await second.setRemoteDescription(cast(RTCSessionDescription, first.localDescription))
    finally:
        await first.close()
        await second.close()
