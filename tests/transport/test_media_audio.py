"""Audio leaves on time: encoded on the event loop, from a monotonically paced source.

aiortc's sender encodes every frame in the default thread pool; rtcpeer's
encodes audio frames inline (an Opus frame takes ~0.15 ms), so audio goes
on even while the pool is busy with other work. The demo's audio track is
paced on the monotonic clock, so a step of the system clock does not stall
or burst it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import pytest
from av import AudioFrame
from tests.support.aiortc_stack import connected_dtls
from tests.support.media import audio_receive, audio_send
from tests.support.memory_path import Wire
from tests.support.waiting import TIMEOUT

from rtcpeer.configuration import RTCCertificate
from rtcpeer.demo.media import AUDIO_SAMPLES, CountingAudioTrack
from rtcpeer.transport import AudioStreamTrack
from rtcpeer.transport.media import MediaStreamError


@pytest.fixture(scope="module")
def certificates() -> tuple[RTCCertificate, RTCCertificate]:
    return RTCCertificate.generate("ECDSA"), RTCCertificate.generate("ECDSA")


@pytest.fixture
async def wire() -> AsyncIterator[Wire]:
    made = Wire()
    try:
        yield made
    finally:
        await made.close()


async def test_audio_is_encoded_and_sent_while_the_thread_pool_is_busy(
    wire: Wire, certificates: tuple[RTCCertificate, RTCCertificate]
) -> None:
    wire.dtls = dtls_a, dtls_b = await connected_dtls(
        wire.left, wire.right, certificates, media=True
    )
    loop = asyncio.get_running_loop()
    release = threading.Event()
    # Every thread the default pool can have (32 at most) is taken by other work.
    busy = [loop.run_in_executor(None, release.wait, TIMEOUT * 2) for _ in range(40)]
    try:
        sender = wire.sender(dtls_a, AudioStreamTrack())
        receiver, frames = wire.receiver(dtls_b, "audio")
        await receiver.start(audio_receive(ssrc=sender.ssrc))
        await sender.start(audio_send())
        await frames.wait_for(10)
        assert sender.frames_encoded >= 10
        assert not any(task.done() for task in busy)
    finally:
        release.set()
        await asyncio.gather(*busy)


async def test_the_demo_audio_track_is_48khz_and_paced_on_the_monotonic_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    track = CountingAudioTrack()
    first = await track.recv()
    assert isinstance(first, AudioFrame)
    assert (first.sample_rate, first.samples, first.layout.name) == (48000, 960, "stereo")
    assert first.pts == 0 and AUDIO_SAMPLES == 960
    # The system clock is set back an hour: frames keep coming every 20 ms.
    wall = time.time
    monkeypatch.setattr(time, "time", lambda: wall() - 3600.0)
    began = time.monotonic()
    frames = [await asyncio.wait_for(track.recv(), TIMEOUT) for _ in range(5)]
    elapsed = time.monotonic() - began
    assert [frame.pts for frame in frames] == [960 * n for n in range(1, 6)]
    assert 0.08 <= elapsed < 1.0  # five frames due 20 ms apart after the first
    assert track.sent == 6
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()
