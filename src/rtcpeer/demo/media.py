"""``rtcpeer demo --media``: a synthetic video and audio stream each way, and their accounting.

Each peer sends a :class:`NumberedVideoTrack` (320x240 at 30 fps whose frame
number is drawn into the picture as a row of black and white blocks, so the
receiver knows exactly which frames arrived, whatever VP8 does to the rest of
the picture) and a :class:`CountingAudioTrack` (20 ms frames of 48 kHz
silence, counted). :class:`MediaCall` reads what arrives:

* video: a :class:`FrameLog` per direction records each decoded frame's
  number and arrival time -- frames lost are the numbers sent before the
  cut-off that never arrived, the longest gap is the longest silence
  between two decoded frames (across the region move);
* audio: RTP packets, from getStats() -- when the stream stops, the
  sender's ``outbound-rtp`` ``packetsSent`` against the receiver's
  ``inbound-rtp`` ``packetsReceived`` (counted at RTP level, so the
  jitter buffer's last held frame does not count as lost), and the
  longest gap between decoded audio frames.

The video keeps running after the cut-off until the receiver has decoded a
frame numbered at or past it: rtcpeer's jitter buffer releases a frame once
it is complete, but aiortc's (and rtcpeer's, for a frame whose first packet
it never saw) only when the next one starts, so stopping outright could
"lose" the last frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from av import AudioFrame, VideoFrame

from rtcpeer.peerconnection import RTCPeerConnection, RTCRtpSender, RTCTrackEvent
from rtcpeer.transport import AudioStreamTrack, MediaStreamTrack, VideoStreamTrack
from rtcpeer.transport.media import MediaStreamError

WIDTH, HEIGHT = 320, 240
#: The frame number: this many blocks of BLOCK x BLOCK pixels along the top, one bit each.
BITS = 16
BLOCK = 16
_BLACK, _WHITE = 16, 235
_DRAIN_POLL = 0.01
#: The demo's audio: 20 ms frames at 48 kHz.
AUDIO_PTIME = 0.02
AUDIO_RATE = 48000
AUDIO_SAMPLES = int(AUDIO_PTIME * AUDIO_RATE)


# -- numbered video ------------------------------------------------------------------


class NumberedVideoTrack(VideoStreamTrack):
    """WIDTH x HEIGHT video at 30 fps (aiortc's pacing): a bar sweeping across a
    grey picture, and the frame number in binary along the top.

    ``sent`` counts the frames handed to the encoder so far; frame ``n`` carries
    the number ``n``.
    """

    def __init__(self, width: int = WIDTH, height: int = HEIGHT) -> None:
        super().__init__()
        if width < BITS * BLOCK or height < 2 * BLOCK:
            raise ValueError(f"a numbered frame needs at least {BITS * BLOCK}x{2 * BLOCK}")
        self.width, self.height = width, height
        self.sent = 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = numbered_frame(self.sent, self.width, self.height)
        frame.pts = pts
        frame.time_base = time_base
        self.sent += 1
        return frame


def numbered_frame(number: int, width: int = WIDTH, height: int = HEIGHT) -> VideoFrame:
    """A yuv420p frame showing ``number`` (mod 2**BITS) in its top block row."""
    frame = VideoFrame(width=width, height=height, format="yuv420p")
    luma, u_plane, v_plane = frame.planes
    stride = luma.line_size
    bits = number % (1 << BITS)
    marks = bytearray()
    for bit in range(BITS):
        value = _WHITE if bits >> (BITS - 1 - bit) & 1 else _BLACK
        marks += bytes([value]) * BLOCK
    marks += bytes([_BLACK]) * (width - len(marks))
    marks += bytes(stride - width)
    bar = (number * 4) % width
    row = bytearray([96]) * width
    row[bar : bar + 24] = bytes([200]) * len(row[bar : bar + 24])
    row += bytes(stride - width)
    picture = bytes(marks) * BLOCK + bytes(row) * (height - BLOCK)
    luma.update(picture[: luma.buffer_size])
    u_plane.update(bytes([110]) * u_plane.buffer_size)
    v_plane.update(bytes([150]) * v_plane.buffer_size)
    return frame


def frame_number(frame: VideoFrame) -> int | None:
    """The number :func:`numbered_frame` drew, read back from a decoded frame.

    None for a frame too small to carry one. Each block is sampled at its
    centre, so lossy coding does not change the bits.
    """
    if frame.width < BITS * BLOCK or frame.height < BLOCK:
        return None
    if frame.format.name != "yuv420p":
        frame = frame.reformat(format="yuv420p")
    luma = frame.planes[0]
    row = bytes(luma)[(BLOCK // 2) * luma.line_size :][: BITS * BLOCK]
    number = 0
    for bit in range(BITS):
        number = number << 1 | (row[bit * BLOCK + BLOCK // 2] > 128)
    return number


class CountingAudioTrack(AudioStreamTrack):
    """20 ms frames of silence, counted in ``sent``: 48 kHz stereo, Opus's own
    format (aiortc's silence is 8 kHz mono, which its Opus encoder resamples,
    ~0.2 ms a frame on the event loop).

    Paced against the monotonic clock: frame ``n`` is due ``n`` x 20 ms after
    the first (aiortc paces against ``time.time()``, which steps when the
    system clock is set). A late frame does not shift the ones after it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0
        self._first: float | None = None
        self._silence = bytes(AUDIO_SAMPLES * 2 * 2)  # s16, 2 channels

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._first is None:
            self._first = now
        else:
            due = self._first + self.sent * AUDIO_PTIME
            if due > now:
                await asyncio.sleep(due - now)
        frame = AudioFrame(format="s16", layout="stereo", samples=AUDIO_SAMPLES)
        frame.planes[0].update(self._silence)
        frame.pts = self.sent * AUDIO_SAMPLES
        frame.sample_rate = AUDIO_RATE
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self.sent += 1
        return frame


# -- what arrived ------------------------------------------------------------------


@dataclass
class FrameLog:
    """Arrivals of decoded frames (numbered, or not), with ``now`` in seconds. Pure."""

    received: int = 0
    duplicates: int = 0
    longest_gap: float = 0.0
    longest_gap_end: float | None = None
    highest: int = -1
    first_at: float | None = None
    last_at: float | None = None
    _numbers: set[int] = field(default_factory=set, repr=False)

    def note(self, now: float, number: int | None = None) -> None:
        if number is not None:
            if number in self._numbers:
                self.duplicates += 1
                return
            self._numbers.add(number)
            self.highest = max(self.highest, number)
        self.received += 1
        if self.first_at is None:
            self.first_at = now
        if self.last_at is not None and now - self.last_at > self.longest_gap:
            self.longest_gap = now - self.last_at
            self.longest_gap_end = now
        self.last_at = now

    def received_below(self, cutoff: int) -> int:
        """Distinct numbered frames received among 0 .. cutoff-1."""
        return sum(1 for n in self._numbers if n < cutoff)

    def frames_since(self, time: float) -> bool:
        """A frame arrived at or after ``time``."""
        return self.last_at is not None and self.last_at >= time


@dataclass
class MediaFlow:
    """One direction of the call (``caller -> callee`` or back), as the summary shows it."""

    direction: str
    #: Video frames the sender's track produced before the cut-off, and how
    #: many of those the receiver decoded.
    video_sent: int = 0
    video_received: int = 0
    #: Longest silence between two decoded video frames (ms), and when it
    #: ended (seconds into the demo).
    video_longest_gap_ms: float = 0.0
    video_longest_gap_at: float | None = None
    #: RTP packets of the audio stream: sent (outbound-rtp) and received (inbound-rtp).
    audio_packets_sent: int = 0
    audio_packets_received: int = 0
    audio_longest_gap_ms: float = 0.0
    #: Decoded frames arrived after the move (both kinds): media survived it.
    video_after_move: bool = False
    audio_after_move: bool = False

    @property
    def video_lost(self) -> int:
        return self.video_sent - self.video_received

    @property
    def audio_packets_lost(self) -> int:
        return self.audio_packets_sent - self.audio_packets_received

    @property
    def ok(self) -> bool:
        return (
            self.video_sent > 0
            and self.video_lost == 0
            and self.audio_packets_sent > 0
            and self.audio_packets_lost == 0
            and self.video_after_move
            and self.audio_after_move
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "ok": self.ok,
            "video": {
                "frames_sent": self.video_sent,
                "frames_received": self.video_received,
                "frames_lost": self.video_lost,
                "longest_gap_ms": round(self.video_longest_gap_ms, 1),
                "longest_gap_at_s": (
                    None
                    if self.video_longest_gap_at is None
                    else round(self.video_longest_gap_at, 3)
                ),
                "after_move": self.video_after_move,
            },
            "audio": {
                "packets_sent": self.audio_packets_sent,
                "packets_received": self.audio_packets_received,
                "packets_lost": self.audio_packets_lost,
                "longest_gap_ms": round(self.audio_longest_gap_ms, 1),
                "after_move": self.audio_after_move,
            },
        }


# -- the call --------------------------------------------------------------------------


@dataclass
class _Side:
    """What one peer sends and what it receives."""

    name: str
    pc: RTCPeerConnection
    video: NumberedVideoTrack
    audio: CountingAudioTrack
    audio_sender: RTCRtpSender | None = None
    #: Logs of what this side receives, by kind.
    logs: dict[str, FrameLog] = field(
        default_factory=lambda: {"video": FrameLog(), "audio": FrameLog()}
    )
    readers: list[asyncio.Task[None]] = field(default_factory=list)


Note = Callable[[str, str, str], None]


class MediaCall:
    """Synthetic video + audio both ways between two peers of the demo.

    ``note(source, kind, text)`` adds a timeline entry. Call :meth:`add_tracks`
    before the first offer, :meth:`moved` when both relays are on the new
    region, and :meth:`finish` when the stream should end.
    """

    def __init__(
        self,
        peers: Mapping[str, RTCPeerConnection],
        note: Note,
        *,
        now: Callable[[], float],
        start: float,
    ) -> None:
        self._note = note
        self._now = now
        self._start = start
        self.sides = {
            name: _Side(name, pc, NumberedVideoTrack(), CountingAudioTrack())
            for name, pc in peers.items()
        }
        self._moved_at: float | None = None
        self._progress: asyncio.Event = asyncio.Event()

    def add_tracks(self) -> None:
        for side in self.sides.values():
            side.pc.addTrack(side.video)
            side.audio_sender = side.pc.addTrack(side.audio)
            side.pc.on("track", lambda event, side=side: self._on_track(side, event))
            self._note(
                side.name,
                "media",
                f"addTrack(video {side.video.width}x{side.video.height} 30 fps), "
                "addTrack(audio, 20 ms)",
            )

    def _on_track(self, side: _Side, event: RTCTrackEvent) -> None:
        kind = event.track.kind
        self._note(side.name, "media", f"track event: {kind} from the other peer")
        side.readers.append(asyncio.ensure_future(self._read(side, kind, event.track)))

    async def _read(self, side: _Side, kind: str, track: MediaStreamTrack) -> None:
        log = side.logs[kind]
        with contextlib.suppress(Exception):  # the track ends when the peer closes
            while True:
                frame = await track.recv()
                video = frame if isinstance(frame, VideoFrame) else None
                first = log.received == 0
                log.note(self._now(), None if video is None else frame_number(video))
                if first:
                    size = "" if video is None else f" ({video.width}x{video.height})"
                    self._note(side.name, "media", f"first {kind} frame decoded{size}")
                self._progress.set()

    def moved(self) -> None:
        """The relays are on the new region: media must keep arriving from now on."""
        self._moved_at = self._now()

    def counts(self) -> dict[str, tuple[int, int]]:
        """Video frames (sent by the other side, received) per receiving side, for progress."""
        other = self._other
        return {
            name: (other(name).video.sent, side.logs["video"].received)
            for name, side in self.sides.items()
        }

    def _other(self, name: str) -> _Side:
        (other,) = [side for side_name, side in self.sides.items() if side_name != name]
        return other

    async def finish(self, timeout: float) -> list[MediaFlow]:
        """Cut the streams off and account for them, direction by direction.

        Audio stops at once (``replaceTrack(None)``) and its RTP packets are
        compared when the counts settle; video runs on until every receiver has
        decoded a frame numbered past its cut-off (or ``timeout`` passes).
        """
        cutoffs = {name: side.video.sent for name, side in self.sides.items()}
        for side in self.sides.values():
            if side.audio_sender is not None:
                await side.audio_sender.replaceTrack(None)
        self._note("demo", "media", "stream cut off: audio stopped, video until the last frame")
        deadline = self._now() + timeout
        while not all(
            self._other(name).logs["video"].highest >= cutoff - 1
            for name, cutoff in cutoffs.items()
        ):
            remaining = deadline - self._now()
            if remaining <= 0:
                break
            self._progress.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._progress.wait(), remaining)
        audio = await self._settled_audio(deadline)
        flows = []
        for name in self.sides:
            receiver = self._other(name)
            log, audio_log = receiver.logs["video"], receiver.logs["audio"]
            sent, received = audio[name]
            moved = self._moved_at
            flow = MediaFlow(
                direction=f"{name} -> {receiver.name}",
                video_sent=cutoffs[name],
                video_received=log.received_below(cutoffs[name]),
                video_longest_gap_ms=log.longest_gap * 1000,
                video_longest_gap_at=(
                    None if log.longest_gap_end is None else log.longest_gap_end - self._start
                ),
                audio_packets_sent=sent,
                audio_packets_received=received,
                audio_longest_gap_ms=audio_log.longest_gap * 1000,
                video_after_move=moved is not None and log.frames_since(moved),
                audio_after_move=moved is not None and audio_log.frames_since(moved),
            )
            flows.append(flow)
            self._note(
                receiver.name,
                "media",
                f"video from {name}: {flow.video_received} of {flow.video_sent} frames, "
                f"longest gap {flow.video_longest_gap_ms:.0f} ms; audio: "
                f"{flow.audio_packets_received} of {flow.audio_packets_sent} RTP packets",
            )
        return flows

    async def _settled_audio(self, deadline: float) -> dict[str, tuple[int, int]]:
        """Audio RTP packets (sent by ``name``, received by the other) once they agree."""
        while True:
            counts = {
                name: (
                    await _packets(side.pc, "outbound-rtp", "packetsSent"),
                    await _packets(self._other(name).pc, "inbound-rtp", "packetsReceived"),
                )
                for name, side in self.sides.items()
            }
            if all(sent == received for sent, received in counts.values()):
                return counts
            if self._now() >= deadline:
                return counts
            await asyncio.sleep(_DRAIN_POLL)  # no event reports stats changing

    async def close(self) -> None:
        for side in self.sides.values():
            for task in side.readers:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


async def _packets(pc: RTCPeerConnection, stats_type: str, counter: str) -> int:
    report = await pc.getStats()
    return sum(
        int(entry.get(counter, 0))
        for entry in report.values()
        if entry.get("type") == stats_type and entry.get("kind") == "audio"
    )


__all__ = [
    "CountingAudioTrack",
    "FrameLog",
    "MediaCall",
    "MediaFlow",
    "NumberedVideoTrack",
    "frame_number",
    "numbered_frame",
]
