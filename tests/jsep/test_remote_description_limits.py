"""A remote description costs linear time and is bounded (issue 16, outcome 5).

20,000 candidates in one offer are applied in well under a second (it took
~40 s when each added candidate scanned all the others); one more than
``MAX_REMOTE_CANDIDATES``, or SDP longer than ``MAX_REMOTE_SDP_BYTES``, is an
OperationError that leaves the connection as it was.
"""

from __future__ import annotations

import time

import pytest

from rtcpeer import RTCPeerConnection, RTCSessionDescription
from rtcpeer.jsep.remote import MAX_REMOTE_SDP_BYTES
from rtcpeer.sdp.ice import MAX_REMOTE_CANDIDATES


async def _offer_with(count: int, padding: int = 0) -> str:
    source = RTCPeerConnection()
    source.createDataChannel("x")
    offer = await source.createOffer()
    await source.close()
    lines = offer.sdp.split("\r\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("a=ice-ufrag"))
    candidates = [
        f"a=candidate:{i} 1 udp {2_000_000_000 - i} 198.51.{(i >> 8) & 255}.{i & 255} "
        f"{1024 + i % 60000} typ host"
        for i in range(count)
    ]
    extra = ["a=x-padding:" + "p" * 1000] * padding
    return "\r\n".join(lines[:at] + candidates + extra + lines[at:])


async def test_20000_candidates_in_one_offer_apply_in_under_a_second() -> None:
    sdp = await _offer_with(20_000)
    pc = RTCPeerConnection()
    try:
        began = time.perf_counter()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        elapsed = time.perf_counter() - began
        assert pc.signalingState == "have-remote-offer"
        assert elapsed < 1.0, f"{elapsed:.2f} s"
    finally:
        await pc.close()


async def test_too_many_candidates_or_too_much_sdp_is_an_operation_error() -> None:
    assert MAX_REMOTE_CANDIDATES == 20_000
    pc = RTCPeerConnection()
    try:
        too_many = await _offer_with(MAX_REMOTE_CANDIDATES + 1)
        with pytest.raises(Exception) as caught:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=too_many, type="offer"))
        assert getattr(caught.value, "name", None) == "OperationError"
        assert "candidates" in str(caught.value)
        too_long = await _offer_with(1, padding=MAX_REMOTE_SDP_BYTES // 1000 + 1)
        began = time.perf_counter()
        with pytest.raises(Exception) as caught:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=too_long, type="offer"))
        assert getattr(caught.value, "name", None) == "OperationError"
        assert time.perf_counter() - began < 0.1  # refused before parsing
        assert pc.signalingState == "stable" and pc.remoteDescription is None
        # a normal offer still applies
        await pc.setRemoteDescription(RTCSessionDescription(sdp=await _offer_with(3), type="offer"))
        assert pc.signalingState == "have-remote-offer"
    finally:
        await pc.close()
