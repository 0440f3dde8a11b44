"""Rolling back a local ICE-restart offer (webrtc-pc "set the session description",
RFC 9429 §5.7): the ICE transport is back on the previous credentials with the
live session still on its pair, what the restart gathered is released, and
restartIce()'s [[LocalIceCredentialsToReplace]] survives, so the next offer
restarts only if restartIce() asked for it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.support.peer_connections import (
    REGION_A,
    TIMEOUT,
    Link,
    negotiate,
    negotiation_needed_settled,
    open_channels,
    peer,
    poll,
    relay_config,
    start_region,
    until,
)

from rtcpeer import RTCPeerConnection
from rtcpeer.testing.pki import CertificateFiles


def _candidate_lines(sdp: str) -> list[str]:
    return [line for line in sdp.splitlines() if line.startswith("a=candidate:")]


def _credentials(sdp: str) -> tuple[str, str]:
    lines = sdp.splitlines()
    ufrag = next(line.split(":", 1)[1] for line in lines if line.startswith("a=ice-ufrag:"))
    pwd = next(line.split(":", 1)[1] for line in lines if line.startswith("a=ice-pwd:"))
    return ufrag, pwd


def _ice_credentials(pc: RTCPeerConnection) -> tuple[str, str]:
    stack = pc._transports
    assert stack is not None
    return stack.ice.local_ufrag, stack.ice.local_pwd


async def _round_trip(near: Any, far: Any, text: str) -> None:
    got: asyncio.Queue[Any] = asyncio.Queue()
    far.on("message", got.put_nowait)
    near.send(text)
    assert await asyncio.wait_for(got.get(), TIMEOUT) == text
    far.remove_listener("message", got.put_nowait)


@pytest.mark.parametrize("how", ["restartIce", "iceRestart"])
async def test_rollback_of_a_restart_offer(turn_certificates: CertificateFiles, how: str) -> None:
    region = await start_region(turn_certificates, REGION_A)
    config = relay_config(region)
    a, b = peer(config), peer(config)
    link = Link()
    link.connect(a, b)
    try:
        channel, far = await open_channels(a, b, link)
        assert a.currentLocalDescription is not None
        old = _credentials(a.currentLocalDescription.sdp)
        await poll(lambda: region.relay_count == 2)
        old_candidates = _candidate_lines(a.currentLocalDescription.sdp)
        assert old_candidates

        if how == "restartIce":
            a.restartIce()
            offer = await a.createOffer()
        else:
            offer = await a.createOffer(iceRestart=True)
        rolled_back = _credentials(offer.sdp)
        assert rolled_back != old
        await a.setLocalDescription(offer)
        assert _ice_credentials(a) == rolled_back
        await poll(lambda: region.relay_count == 3)  # the restart gathered a relay of its own
        needed: list[str] = []
        a.on("negotiationneeded", lambda: needed.append(a.signalingState))

        await a.setLocalDescription({"type": "rollback"})
        assert a.signalingState == "stable" and a.pendingLocalDescription is None
        assert _ice_credentials(a) == old
        assert a.localDescription is not None and _credentials(a.localDescription.sdp) == old
        # ... and the previous generation's candidates, in the description and in ICE.
        assert _candidate_lines(a.localDescription.sdp) == old_candidates
        stack = a._transports
        assert stack is not None
        assert [f"a={c.to_sdp()}" for c in stack.ice.local_candidates] == old_candidates
        await poll(lambda: region.relay_count == 2)  # the abandoned relay is released
        await _round_trip(channel, far, "after rollback")
        await _round_trip(far, channel, "and back")
        assert a.iceConnectionState in ("connected", "completed")

        following = await a.createOffer()
        if how == "restartIce":
            await until(a, "negotiationneeded", lambda: bool(needed))
        await negotiation_needed_settled(a)
        if how == "restartIce":
            # [[LocalIceCredentialsToReplace]] survived the rollback: still a restart,
            # and negotiation is needed again once stable (fired once, then held).
            assert needed == ["stable"] and a._negotiation_needed
            assert _credentials(following.sdp) not in (old, rolled_back)
        else:
            # iceRestart was for that one offer only: the current credentials again.
            assert needed == [] and not a._negotiation_needed
            assert _credentials(following.sdp) == old
        # The rolled-back offer's candidates reached b before it knew their ufrag.
        await asyncio.wait_for(asyncio.gather(*link.tasks), TIMEOUT)
        assert all(rolled_back[0] in str(error) for error in link.errors), link.errors
        link.errors.clear()

        await a.setLocalDescription(following)
        await b.setRemoteDescription(following.toJSON())
        await b.setLocalDescription()
        assert b.localDescription is not None
        await a.setRemoteDescription(b.localDescription.toJSON())
        assert a.currentLocalDescription is not None
        assert _credentials(a.currentLocalDescription.sdp) == _credentials(following.sdp)
        await _round_trip(channel, far, "after the next negotiation")
        await negotiation_needed_settled(a)
        assert needed == (["stable"] if how == "restartIce" else [])
        assert not a._negotiation_needed
    finally:
        await a.close()
        await b.close()
        await region.close()


async def test_both_sides_roll_back_a_restart_the_answerer_had_applied() -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        channel, far = await open_channels(a, b, link)
        old_a, old_b = _ice_credentials(a), _ice_credentials(b)

        offer = await a.createOffer(iceRestart=True)
        await a.setLocalDescription(offer)
        await b.setRemoteDescription(offer.toJSON())  # b restarts on the new remote credentials
        assert _ice_credentials(b) != old_b
        await b.setRemoteDescription({"type": "rollback"})
        await a.setLocalDescription({"type": "rollback"})
        assert (_ice_credentials(a), _ice_credentials(b)) == (old_a, old_b)
        await _round_trip(channel, far, "both rolled back")
        await _round_trip(far, channel, "still one session")
        # A later negotiation without restart keeps both sides' credentials.
        await negotiate(a, b)
        assert (_ice_credentials(a), _ice_credentials(b)) == (old_a, old_b)
        await _round_trip(channel, far, "renegotiated")
    finally:
        await a.close()
        await b.close()
