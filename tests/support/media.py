"""Synthetic tracks, negotiated-looking RTP settings and a frame collector for media tests."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from av import VideoFrame
from tests.support.waiting import TIMEOUT

from rtcpeer.transport import (
    MediaStreamTrack,
    RtcpFeedback,
    RtpCodec,
    RtpHeaderExtension,
    RtpReceiveSettings,
    RtpSendSettings,
    VideoStreamTrack,
)

VP8 = RtpCodec(
    payload_type=96,
    mime_type="video/VP8",
    clock_rate=90000,
    rtcp_feedback=(
        RtcpFeedback("nack"),
        RtcpFeedback("nack", "pli"),
        RtcpFeedback("goog-remb"),
    ),
)
VP8_RTX = RtpCodec(
    payload_type=97, mime_type="video/rtx", clock_rate=90000, parameters={"apt": "96"}
)
OPUS = RtpCodec(
    payload_type=111,
    mime_type="audio/opus",
    clock_rate=48000,
    channels=2,
    parameters={"minptime": "10", "useinbandfec": "1"},
)
#: One id space for the BUNDLE group, as JSEP assigns it.
MID = RtpHeaderExtension(1, "urn:ietf:params:rtp-hdrext:sdes:mid")
AUDIO_LEVEL = RtpHeaderExtension(2, "urn:ietf:params:rtp-hdrext:ssrc-audio-level")
ABS_SEND_TIME = RtpHeaderExtension(3, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")
VIDEO_EXTENSIONS = (MID, ABS_SEND_TIME)
AUDIO_EXTENSIONS = (MID, AUDIO_LEVEL)


def video_send(mid: str = "1") -> RtpSendSettings:
    return RtpSendSettings(
        codecs=(VP8, VP8_RTX), header_extensions=VIDEO_EXTENSIONS, mid=mid, cname="left"
    )


def video_receive(
    mid: str = "1", ssrc: int | None = None, rtx_ssrc: int | None = None
) -> RtpReceiveSettings:
    return RtpReceiveSettings(
        codecs=(VP8, VP8_RTX),
        header_extensions=VIDEO_EXTENSIONS,
        mid=mid,
        ssrc=ssrc,
        rtx_ssrc=rtx_ssrc,
    )


def audio_send(mid: str = "0") -> RtpSendSettings:
    return RtpSendSettings(codecs=(OPUS,), header_extensions=AUDIO_EXTENSIONS, mid=mid)


def audio_receive(mid: str = "0", ssrc: int | None = None) -> RtpReceiveSettings:
    return RtpReceiveSettings(
        codecs=(OPUS,), header_extensions=AUDIO_EXTENSIONS, mid=mid, ssrc=ssrc
    )


class PatternVideoTrack(VideoStreamTrack):
    """Small frames at 30 fps (aiortc's pacing) whose picture changes every frame."""

    def __init__(self, width: int = 160, height: int = 120) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.sent = 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=self.width, height=self.height, format="yuv420p")
        luma = (self.sent * 7) % 256
        for index, plane in enumerate(frame.planes):
            plane.update(bytes([luma if index == 0 else 128]) * plane.buffer_size)
        frame.pts = pts
        frame.time_base = time_base
        self.sent += 1
        return frame


class FrameCollector:
    """Reads a remote track in the background; tests await a number of frames."""

    def __init__(self, track: MediaStreamTrack) -> None:
        self.frames: list[Any] = []
        #: The event loop's time at each frame's arrival.
        self.arrivals: list[float] = []
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._task = asyncio.ensure_future(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                frame = await track.recv()
                self.frames.append(frame)
                self.arrivals.append(loop.time())
                for count, waiter in self._waiters:
                    if len(self.frames) >= count and not waiter.done():
                        waiter.set_result(None)
        except Exception as exc:  # the track ended: whoever waits hears it now
            for _, waiter in self._waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            raise

    async def wait_for(self, count: int, timeout: float = TIMEOUT) -> None:
        """Until ``count`` frames have arrived in all."""
        if len(self.frames) >= count:
            return
        if self._task.done():
            self._task.result()  # the track ended or failed: say so
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((count, waiter))
        try:
            await asyncio.wait_for(waiter, timeout)
        finally:
            self._waiters.remove((count, waiter))

    async def more(self, count: int, timeout: float = TIMEOUT) -> None:
        """Until ``count`` more frames have arrived."""
        await self.wait_for(len(self.frames) + count, timeout)

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
