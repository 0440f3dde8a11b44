"""aiortc's RTCSessionDescription and RTCIceCandidate are accepted where the W3C
dictionaries are (issue 18 outcome 4) and equal their dictionary forms; other objects
are a TypeError naming the member, with a hint. The last test connects two rtcpeer
peers whose signalling carries nothing but aiortc's objects."""

from __future__ import annotations

import asyncio
from typing import Any

import aiortc
import pytest
from aiortc.sdp import candidate_from_sdp, candidate_to_sdp
from tests.support.waiting import TIMEOUT, opened

from rtcpeer import (
    RTCIceCandidate,
    RTCIceCandidateInit,
    RTCPeerConnection,
    RTCPeerConnectionIceEvent,
    RTCSessionDescription,
)
from rtcpeer.jsep import local_description_init

SDP = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
CANDIDATES = [
    "1 1 udp 2130706431 192.0.2.7 5000 typ host",
    "2 1 udp 1694498815 198.51.100.9 61000 typ srflx raddr 192.0.2.7 rport 5000",
    "3 1 tcp 1518280447 192.0.2.7 9 typ host tcptype active",
    "4 2 udp 16777215 203.0.113.1 3478 typ relay raddr 198.51.100.9 rport 61000",
]


def _aiortc_candidate(value: str, mid: str | None = "0", index: int | None = 0) -> Any:
    candidate = candidate_from_sdp(value)
    candidate.sdpMid = mid
    candidate.sdpMLineIndex = index
    return candidate


@pytest.mark.parametrize("kind", ["offer", "answer", "pranswer", "rollback"])
def test_aiortc_description_equals_its_dictionary_form(kind: str) -> None:
    theirs = aiortc.RTCSessionDescription(sdp=SDP, type=kind)
    assert RTCSessionDescription(theirs) == RTCSessionDescription({"type": kind, "sdp": SDP})
    assert local_description_init(theirs) == local_description_init({"type": kind, "sdp": SDP})


@pytest.mark.parametrize("value", CANDIDATES)
def test_aiortc_candidate_equals_its_dictionary_form(value: str) -> None:
    theirs = _aiortc_candidate(value, "1", 1)
    init = RTCIceCandidateInit.from_value(theirs)
    assert init == RTCIceCandidateInit.from_value(
        {"candidate": "candidate:" + value, "sdpMid": "1", "sdpMLineIndex": 1}
    )
    assert init.candidate == "candidate:" + candidate_to_sdp(theirs)  # as aiortc writes it
    ours = RTCIceCandidate(theirs)
    assert ours == RTCIceCandidate(init.toJSON())
    assert (ours.address, ours.port, ours.protocol, ours.type) == (
        theirs.ip,
        theirs.port,
        theirs.protocol,
        theirs.type,
    )
    assert (ours.relatedAddress, ours.relatedPort, ours.tcpType) == (
        theirs.relatedAddress,
        theirs.relatedPort,
        theirs.tcpType,
    )
    assert ours.component == ("rtp" if theirs.component == 1 else "rtcp")


def test_aiortc_candidate_with_only_a_mid_or_only_an_index() -> None:
    by_mid = RTCIceCandidateInit.from_value(_aiortc_candidate(CANDIDATES[0], "a", None))
    by_index = RTCIceCandidateInit.from_value(_aiortc_candidate(CANDIDATES[0], None, 2))
    assert (by_mid.sdpMid, by_mid.sdpMLineIndex) == ("a", None)
    assert (by_index.sdpMid, by_index.sdpMLineIndex) == (None, 2)


class _Unknown:
    pass


class _HalfDescription:
    sdp = SDP


class _HalfCandidate:
    ip = "192.0.2.1"
    port = 5000


@pytest.mark.parametrize("value", [_Unknown(), 42])
def test_unknown_description_object_hints(value: object) -> None:
    with pytest.raises(TypeError) as caught:
        RTCSessionDescription(value)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("description: expected an RTCSessionDescription")
    assert "{'type': 'offer', 'sdp': '...'}" in message and "aiortc's" in message
    assert message.endswith(f"got {type(value).__name__}")


def test_description_object_missing_a_member_names_it() -> None:
    with pytest.raises(TypeError, match=r"^type: required member is missing \(_HalfDescription"):
        RTCSessionDescription(_HalfDescription())  # type: ignore[arg-type]


def test_unknown_candidate_object_hints() -> None:
    with pytest.raises(TypeError) as caught:
        RTCIceCandidateInit.from_value(_Unknown())  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("candidate: expected an RTCIceCandidate or an RTCIceCandidateInit")
    assert "'sdpMLineIndex': 0" in message and "aiortc's RTCIceCandidate" in message
    assert message.endswith("got _Unknown")


def test_candidate_object_missing_a_member_names_it() -> None:
    with pytest.raises(TypeError, match=r"^candidate\.foundation: required member is missing"):
        RTCIceCandidateInit.from_value(_HalfCandidate())  # type: ignore[arg-type]


def test_candidate_object_member_of_the_wrong_type_names_it() -> None:
    candidate = _aiortc_candidate(CANDIDATES[0])
    candidate.port = "5000"
    with pytest.raises(TypeError, match=r"^candidate\.port: expected an integer, got str"):
        RTCIceCandidateInit.from_value(candidate)


async def test_two_peers_signalled_with_aiortc_objects_only() -> None:
    """setRemoteDescription, setLocalDescription and addIceCandidate take aiortc's objects."""
    offerer = RTCPeerConnection(_include_loopback=True)
    answerer = RTCPeerConnection(_include_loopback=True)
    pending: set[asyncio.Task[None]] = set()

    def trickle(source: RTCPeerConnection, target: RTCPeerConnection) -> None:
        def on_candidate(event: RTCPeerConnectionIceEvent) -> None:
            candidate = event.candidate
            if candidate is None or candidate.is_end_of_candidates:
                return  # aiortc has no object for end-of-candidates
            value = candidate.candidate.removeprefix("candidate:")
            theirs = _aiortc_candidate(value, candidate.sdpMid, candidate.sdpMLineIndex)
            task = asyncio.ensure_future(target.addIceCandidate(theirs))
            pending.add(task)
            task.add_done_callback(pending.discard)

        source.on("icecandidate", on_candidate)

    def as_aiortc(pc: RTCPeerConnection) -> aiortc.RTCSessionDescription:
        description = pc.localDescription
        assert description is not None
        return aiortc.RTCSessionDescription(sdp=description.sdp, type=description.type.value)

    trickle(offerer, answerer)
    trickle(answerer, offerer)
    try:
        channel = offerer.createDataChannel("chat")
        offer = await offerer.createOffer()
        await offerer.setLocalDescription(aiortc.RTCSessionDescription(offer.sdp, "offer"))
        await answerer.setRemoteDescription(as_aiortc(offerer))
        answer = await answerer.createAnswer()
        await answerer.setLocalDescription(aiortc.RTCSessionDescription(answer.sdp, "answer"))
        await offerer.setRemoteDescription(as_aiortc(answerer))
        await asyncio.wait_for(opened(channel), TIMEOUT)
        assert offerer.connectionState == "connected"
    finally:
        await offerer.close()
        await answerer.close()
        await asyncio.gather(*pending, return_exceptions=True)
