"""getStats(selector), webrtc-pc steps 3-4: null is the whole report; a track
no sender or receiver of ours carries (all of them, with data channels only)
is InvalidAccessError; a value that is no MediaStreamTrack is a TypeError."""

from __future__ import annotations

import pytest
from aiortc.mediastreams import AudioStreamTrack
from tests.support.peer_connections import peer

from rtcpeer import InvalidAccessError


async def test_null_selector_is_the_whole_report() -> None:
    pc = peer()
    pc.createDataChannel("x")
    try:
        report = await pc.getStats(None)
        assert report.keys() == (await pc.getStats()).keys()
        assert [e["type"] for e in report.values()].count("peer-connection") == 1
        assert report.of_type("data-channel")
    finally:
        await pc.close()


async def test_a_track_we_do_not_send_or_receive_is_invalid_access() -> None:
    pc = peer()
    try:
        with pytest.raises(InvalidAccessError) as raised:
            await pc.getStats(AudioStreamTrack())
        assert raised.value.name == "InvalidAccessError"
    finally:
        await pc.close()


@pytest.mark.parametrize("selector", ["audio", 0, object()])
async def test_a_selector_that_is_no_track_is_a_type_error(selector: object) -> None:
    pc = peer()
    try:
        with pytest.raises(TypeError):
            await pc.getStats(selector)
    finally:
        await pc.close()
