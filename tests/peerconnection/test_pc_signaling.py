"""The signalling state machine through the public API: every illegal call is an
InvalidStateError, rollback, implicit descriptions, SDP munging, negotiation-needed,
and nothing works after close()."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.support.peer_connections import (
    TIMEOUT,
    Link,
    negotiate,
    negotiation_needed_settled,
    opened,
    peer,
)

from rtcpeer import InvalidModificationError, InvalidStateError, RTCPeerConnection
from rtcpeer.jsep import RTCSessionDescription


async def _remote_offer() -> RTCSessionDescription:
    other = peer()
    other.createDataChannel("x")
    offer = await other.createOffer()
    await other.close()
    return offer


async def test_initial_state() -> None:
    pc = RTCPeerConnection()
    assert pc.signalingState == "stable"
    assert pc.localDescription is None and pc.remoteDescription is None
    assert pc.canTrickleIceCandidates is None
    assert (pc.iceConnectionState, pc.iceGatheringState, pc.connectionState) == (
        "new", "new", "new",
    )  # fmt: skip
    await pc.close()


async def test_stable_refuses_answers_and_rollbacks() -> None:
    pc = peer()
    answer = {"type": "answer", "sdp": ""}
    with pytest.raises(InvalidStateError):
        await pc.setRemoteDescription({"type": "answer", "sdp": (await _remote_offer()).sdp})
    with pytest.raises(InvalidStateError):
        await pc.setLocalDescription(answer)
    with pytest.raises(InvalidStateError):
        await pc.createAnswer()
    with pytest.raises(InvalidStateError):
        await pc.setLocalDescription({"type": "rollback"})
    with pytest.raises(InvalidStateError):
        await pc.setRemoteDescription({"type": "rollback"})
    with pytest.raises(InvalidStateError):
        await pc.addIceCandidate({"candidate": "", "sdpMid": "0"})
    assert pc.signalingState == "stable"
    await pc.close()


async def test_have_local_offer_rules_and_rollback() -> None:
    pc = peer()
    pc.createDataChannel("x")
    offer = await pc.createOffer()
    await pc.setLocalDescription(offer)
    assert pc.signalingState == "have-local-offer"
    assert pc.pendingLocalDescription is not None and pc.currentLocalDescription is None
    assert pc.localDescription is not None and pc.localDescription.type == "offer"
    with pytest.raises(InvalidStateError):
        await pc.setLocalDescription({"type": "answer"})
    with pytest.raises(InvalidStateError):
        await pc.createAnswer()
    await pc.setLocalDescription({"type": "rollback"})
    assert pc.signalingState == "stable"
    assert pc.localDescription is None
    await pc.close()


async def test_remote_offer_in_have_local_offer_rolls_back_implicitly() -> None:
    pc = peer()
    pc.createDataChannel("x")
    await pc.setLocalDescription()
    remote = await _remote_offer()
    await pc.setRemoteDescription(remote)
    assert pc.signalingState == "have-remote-offer"
    assert pc.pendingLocalDescription is None
    assert pc.remoteDescription == remote
    await pc.close()


async def test_have_remote_offer_rules() -> None:
    pc = peer()
    await pc.setRemoteDescription((await _remote_offer()).toJSON())
    assert pc.signalingState == "have-remote-offer"
    assert pc.canTrickleIceCandidates is True
    with pytest.raises(InvalidStateError):
        await pc.setLocalDescription({"type": "offer"})
    with pytest.raises(InvalidStateError):
        await pc.setRemoteDescription({"type": "answer", "sdp": "v=0\r\n"})
    await pc.setRemoteDescription({"type": "rollback"})
    assert pc.signalingState == "stable" and pc.remoteDescription is None
    await pc.close()


async def test_implicit_answer_and_states_after_negotiation() -> None:
    a, b = peer(), peer()
    a.createDataChannel("x")
    states: list[str] = []
    b.on("signalingstatechange", lambda: states.append(b.signalingState))
    await negotiate(a, b)
    assert states == ["have-remote-offer", "stable"]
    for pc in (a, b):
        assert pc.signalingState == "stable"
        assert pc.currentLocalDescription is not None and pc.pendingLocalDescription is None
        assert pc.currentRemoteDescription is not None and pc.pendingRemoteDescription is None
    assert a.localDescription is not None and "a=setup:actpass" in a.localDescription.sdp
    assert b.localDescription is not None and "a=setup:active" in b.localDescription.sdp
    assert "a=ice-options:trickle" in b.localDescription.sdp
    assert "a=group:BUNDLE 0" in b.localDescription.sdp
    fingerprint = a._certificates[0].getFingerprints()[0].value.upper()
    assert f"a=fingerprint:sha-256 {fingerprint}" in a.localDescription.sdp
    await a.close()
    await b.close()


async def test_munged_sdp_is_refused() -> None:
    pc = peer()
    pc.createDataChannel("x")
    offer = await pc.createOffer()
    munged = offer.sdp.replace("a=sctp-port:5000", "a=sctp-port:5001")
    with pytest.raises(InvalidModificationError):
        await pc.setLocalDescription({"type": "offer", "sdp": munged})
    assert pc.signalingState == "stable"
    await pc.setLocalDescription({"type": "offer", "sdp": ""})  # the last created offer
    assert pc.localDescription is not None
    assert pc.localDescription.sdp.startswith(offer.sdp.split("a=candidate")[0][:40])
    await pc.close()


async def test_negotiationneeded_fires_once_for_the_first_channel_and_for_restart() -> None:
    a, b = peer(), peer()
    count = 0
    fired = asyncio.Event()

    def on_needed() -> None:
        nonlocal count
        count += 1
        fired.set()

    a.on("negotiationneeded", on_needed)
    a.createDataChannel("one")
    a.createDataChannel("two")
    await asyncio.wait_for(fired.wait(), TIMEOUT)
    assert count == 1
    await negotiate(a, b)
    fired.clear()
    a.createDataChannel("three")  # SCTP is negotiated already: nothing to do
    a.restartIce()
    await asyncio.wait_for(fired.wait(), TIMEOUT)
    assert count == 2
    await a.close()
    await b.close()


async def test_restart_credentials_kept_until_negotiated() -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    channel = a.createDataChannel("x")
    await negotiate(a, b)
    await opened(channel)
    old_ufrag = _ufrag(_as_sdp(a.localDescription))
    old_answer_ufrag = _ufrag(_as_sdp(b.localDescription))
    a.restartIce()
    first = await a.createOffer()
    assert _ufrag(first.sdp) != old_ufrag
    await a.setLocalDescription(first)
    second = await a.createOffer()  # before the restart completes: same new credentials
    assert _ufrag(second.sdp) == _ufrag(first.sdp)
    needed: list[bool] = []
    a.on("negotiationneeded", lambda: needed.append(True))
    await b.setRemoteDescription(first)
    await b.setLocalDescription()
    answer = b.localDescription
    assert answer is not None
    assert _ufrag(answer.sdp) != old_answer_ufrag  # the answerer restarted too
    await a.setRemoteDescription(answer)
    third = await a.createOffer()  # restart negotiated: no more new credentials
    assert _ufrag(third.sdp) == _ufrag(first.sdp)
    await negotiation_needed_settled(a)
    assert needed == [] and not a._negotiation_needed
    await link.settle()
    await a.close()
    await b.close()


def _as_sdp(description: Any) -> str:
    assert description is not None
    return str(description.sdp)


def _ufrag(sdp: str) -> str:
    return next(
        line.split(":", 1)[1] for line in sdp.splitlines() if line.startswith("a=ice-ufrag:")
    )


async def test_everything_is_refused_after_close() -> None:
    pc = peer()
    offer = await _remote_offer()
    await pc.close()
    assert pc.signalingState == "closed"
    assert pc.iceConnectionState == pc.connectionState == "closed"
    for call in (
        lambda: pc.createOffer(),
        lambda: pc.createAnswer(),
        lambda: pc.setLocalDescription(),
        lambda: pc.setRemoteDescription(offer),
        lambda: pc.addIceCandidate(None),
    ):
        with pytest.raises(InvalidStateError):
            await call()
    with pytest.raises(InvalidStateError):
        pc.createDataChannel("x")
    with pytest.raises(InvalidStateError):
        pc.setConfiguration({})
    pc.restartIce()  # does nothing, raises nothing
    await pc.close()  # idempotent


async def test_create_data_channel_argument_errors() -> None:
    pc = RTCPeerConnection()
    with pytest.raises(TypeError):
        pc.createDataChannel("x", maxPacketLifeTime=1, maxRetransmits=1)
    with pytest.raises(TypeError):
        pc.createDataChannel("x", negotiated=True)
    with pytest.raises(TypeError):
        pc.createDataChannel("x", negotiated=True, id=65535)
    with pytest.raises(TypeError):
        pc.createDataChannel("x" * 65536)
    channel = pc.createDataChannel("x", negotiated=True, id=3, ordered=False, protocol="p")
    assert (channel.id, channel.ordered, channel.protocol, channel.negotiated) == (
        3,
        False,
        "p",
        True,
    )
    await pc.close()
