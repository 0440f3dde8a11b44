"""A change of iceTransportPolicy restarts ICE at the next offer
(WPT RTCConfiguration-iceTransportPolicy.html, libwebrtc's behaviour)."""

from __future__ import annotations

import asyncio

import pytest
from tests.support.peer_connections import TIMEOUT, Link, negotiate, peer

from rtcpeer import RTCPeerConnection
from rtcpeer.sdp import parse_sdp


def _ufrag(sdp: str) -> str | None:
    return parse_sdp(sdp).media[0].ice_ufrag


async def _negotiated_pair(policy: str = "all") -> tuple[RTCPeerConnection, RTCPeerConnection]:
    caller, callee = peer({"iceTransportPolicy": policy}), peer()
    Link().connect(caller, callee)
    caller.createDataChannel("chat")
    await negotiate(caller, callee)
    return caller, callee


@pytest.mark.parametrize(("first", "then"), [("all", "relay"), ("relay", "all")])
async def test_a_policy_change_restarts_ice_at_the_next_offer(first: str, then: str) -> None:
    caller, callee = await _negotiated_pair(first)
    try:
        local = caller.localDescription
        assert local is not None
        before = _ufrag(local.sdp)
        assert _ufrag((await caller.createOffer()).sdp) == before
        needed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        @caller.on("negotiationneeded")
        def on_needed() -> None:
            if not needed.done():
                needed.set_result(None)

        caller.setConfiguration({"iceTransportPolicy": then})
        await asyncio.wait_for(needed, TIMEOUT)
        offer = await caller.createOffer()
        assert _ufrag(offer.sdp) != before
        await negotiate(caller, callee)  # negotiated: later offers keep the new ufrag
        local = caller.localDescription
        assert local is not None and _ufrag(local.sdp) != before
        assert _ufrag((await caller.createOffer()).sdp) == _ufrag(local.sdp)
    finally:
        await caller.close()
        await callee.close()


async def test_a_policy_change_on_the_answerer_leaves_its_next_answer_alone() -> None:
    caller, callee = await _negotiated_pair()
    try:
        answer = callee.localDescription
        assert answer is not None
        before = _ufrag(answer.sdp)
        callee.setConfiguration({"iceTransportPolicy": "relay"})
        offer = await caller.createOffer()
        await caller.setLocalDescription(offer)
        await callee.setRemoteDescription(offer.toJSON())
        again = await callee.createAnswer()
        assert _ufrag(again.sdp) == before
    finally:
        await caller.close()
        await callee.close()


async def test_setting_the_same_policy_again_restarts_nothing() -> None:
    caller, callee = await _negotiated_pair()
    try:
        local = caller.localDescription
        assert local is not None
        caller.setConfiguration({})
        offer = await caller.createOffer()
        assert _ufrag(offer.sdp) == _ufrag(local.sdp)
    finally:
        await caller.close()
        await callee.close()
