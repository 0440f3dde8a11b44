"""Media benchmarks (issue 14, outcome 8): region move with audio + video, first frame, receive CPU.

Three measurements, each stack side by side in one run, rounds interleaved
in a seeded random order, the same phases and treatment for every stack:

1. **The region move with media both ways**, rtcpeer <-> rtcpeer against
   Chromium <-> Chromium (two RTCPeerConnections in one page,
   :file:`media.js`). Each pair is relay-only through coturn "region A" and
   sends 320x240 30 fps VP8 video and 20 ms Opus audio each way (rtcpeer:
   :class:`rtcpeer.demo.media.NumberedVideoTrack`, whose frame number is in
   the picture, and :class:`rtcpeer.demo.media.CountingAudioTrack`, 20 ms
   frames of 48 kHz silence paced on the monotonic clock; Chromium: its fake camera at
   320x240/30 fps and fake microphone). Once every receiver has decoded
   video and received audio, the pair streams 500 ms to settle and through a
   400 ms *before* window; both sides setConfiguration() to region B and one
   calls restartIce() and renegotiates; the streams run on until 700 ms
   after that call and both sides are on region B. Gap: the window method of
   ``pc_restart.py`` (its RESULTS section): the longest silence between
   consecutive arrivals, in either direction, that overlaps [0, 400) ms
   after restartIce() -- the same duration at the same position for both
   stacks; the same over [-400, 0) ms is each stack's baseline. Arrivals:
   video, each decoded frame (rtcpeer: the remote track's ``recv()``;
   Chromium: a MediaStreamTrackProcessor on the remote track); audio, each
   received 20 ms frame -- one per RTP packet (rtcpeer: the remote track's
   decoded frames, one per packet; Chromium: an encoded transform on the
   receiver, which sees each packet before its jitter buffer, since the
   played-out audio is concealed and never shows a gap; rtcpeer's receivers
   are hooked at the same point, where each RTP packet reaches aiortc's
   receiver). Also reported: the longest spacing between audio frames
   leaving the senders (rtcpeer: its sender's encoded-frame hook; Chromium:
   its sender's encoded transform), the part of the audio gap the senders'
   own pacing accounts for. Lost: frames
   missing between the first and the last one received (rtcpeer video: the
   numbers in the picture; rtcpeer audio: the RTP timestamps of the decoded
   frames, 960 apart; Chromium: the RTP timestamps its sender's encoded
   transform saw, against those its receiver's saw). Before each cell both
   heaps are collected (Python ``gc.collect()``, the page's JavaScript heap
   through DevTools). Targets: gap no larger than Chromium's; 0 lost.
2. **addTrack + negotiation -> first decoded frame** at the far end,
   rtcpeer vs aiortc vs Chromium, host candidates on loopback, 320x240
   video, in two scenarios: "fresh" (two new connections: the time includes
   ICE and DTLS) and "open" (the track added to a pair whose data channel is
   already open: renegotiation only). Timed from addTrack() until the far
   end's remote track yields its first decoded frame (Chromium: its
   MediaStreamTrackProcessor). Target: no slower than aiortc.
3. **CPU per received 640x480 30 fps VP8 stream**, rtcpeer vs aiortc:
   the receiving peer runs in a process of its own (this file with
   ``--cpu-peer``), the sender -- aiortc for both, the same numbered
   640x480 video -- in another, signalled through this process over pipes,
   host candidates on loopback. Both receivers decode with aiortc's VP8
   decoder (PyAV/libvpx) and read every frame from the track. After 60
   frames the receiver measures its own CPU time (``getrusage``, all
   threads) over a fixed interval. Target: at most 1.1x aiortc's.

Run: ``.venv/bin/python benchmarks/media.py`` (``--quick`` for a short run;
``--co-located-turn`` to leave coturn at normal priority). Runs in a
private network namespace (needs root).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import itertools
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from av import VideoFrame
from pc_common import (
    REGION_A,
    REGION_B,
    TIMEOUT,
    aiortc_config,
    bench_main,
    median,
    median_ratio_interval,
    open_pair,
    patch_aioice_loopback,
    ratio,
    rtcpeer_pc,
    serve_promptly,
    sides,
    turn_setup,
    verdict,
)
from pc_common import w3c_config as config_for
from pc_restart import _busiest, _cpu_times, _switched
from tests.support.chromium import BrowserPage, chromium_page
from tests.support.coturn import Coturn, start_coturn
from tests.support.signalling import AiortcSide, Bridge, RtcpeerSide, Side

from rtcpeer.demo.media import CountingAudioTrack, NumberedVideoTrack, frame_number
from rtcpeer.transport import VideoStreamTrack
from rtcpeer.transport import media as transport_media

#: Streaming before the "before" window starts (every receiver has media).
SETTLE = 0.5
#: The length of both windows, before and after the restartIce() call.
WINDOW = 0.4
#: Streaming goes on this long after the window, so a silence that reaches
#: into the window is closed by an arrival (or counted up to the end).
TAIL = 0.3
#: RTP timestamp step of one 20 ms Opus frame (48 kHz clock).
AUDIO_STEP = 960
KINDS = ("video", "audio")
DIRECTIONS = ("a>b", "b>a")
MOVE_STACKS = ("rtcpeer", "chromium")
FIRST_STACKS = ("rtcpeer", "aiortc", "chromium")
FIRST_SCENARIOS = ("fresh", "open")
CPU_STACKS = ("rtcpeer", "aiortc")
#: Frames the CPU receiver decodes before its measured interval starts.
CPU_WARM_FRAMES = 60
FAKE_MEDIA = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream=fps=30")
PAGE_JS = (Path(__file__).parent / "media.js").read_text()


# -- 1. the region move ---------------------------------------------------------------


@dataclass
class Flow:
    """One direction of one kind: arrival times (ms after restartIce()) and losses."""

    at: list[float]
    lost: int
    received: int
    #: When the sender had each frame encoded (ms after restartIce()).
    sent_at: list[float] = field(default_factory=list)


@dataclass
class MoveRecord:
    switch_ms: list[float]
    end_ms: float
    #: By (direction, kind).
    flows: dict[tuple[str, str], Flow]


def longest_silence(at: list[float], end: float, low: float, high: float) -> float:
    """The longest interval between consecutive arrivals (the record's end
    closing the last) that overlaps [low, high) ms."""
    best = 0.0
    times = [*at, end]
    for begin, finish in itertools.pairwise(times):
        if finish >= low and begin < high:
            best = max(best, finish - begin)
    return best


def holes(numbers: list[int], step: int = 1) -> int:
    """Values missing between the smallest and largest of ``numbers`` (``step`` apart)."""
    distinct = sorted(set(numbers))
    return sum((b - a) // step - 1 for a, b in itertools.pairwise(distinct))


def unwrap(timestamps: list[int]) -> list[int]:
    """32-bit RTP timestamps made monotonic across a wrap."""
    out: list[int] = []
    base = 0
    for t in timestamps:
        if out and t + base < out[-1] - (1 << 31):
            base += 1 << 32
        out.append(t + base)
    return out


def matched_losses(sent: list[int], got: list[int]) -> int:
    """Frames a sender's transform saw (by RTP timestamp) that its receiver's
    never did, between the first and the last that arrived. The two may
    differ by a constant offset: the one mapping most sent frames is used."""
    if not sent or not got:
        return 0
    arrived = set(got)
    best_offset, best_hits = 0, -1
    for first in sent[:300]:
        offset = (got[0] - first) % (1 << 32)
        hits = sum(1 for s in sent if (s + offset) % (1 << 32) in arrived)
        if hits > best_hits:
            best_offset, best_hits = offset, hits
    seen = [(s + best_offset) % (1 << 32) in arrived for s in sent]
    first_seen = seen.index(True)
    last_seen = len(seen) - 1 - seen[::-1].index(True)
    return sum(1 for ok in seen[first_seen : last_seen + 1] if not ok)


#: RTP packet arrivals at rtcpeer's audio receivers: (perf_counter(), RTP
#: timestamp) by the id of the remote track they feed; see :func:`log_rtp_arrivals`.
_PACKETS: dict[int, list[tuple[float, int]]] = {}


def log_rtp_arrivals() -> None:
    """Note each RTP packet as it reaches an rtcpeer receiver registered in
    :data:`_PACKETS` -- the point where Chromium's receiver transform sees it."""
    cls = transport_media._CountingRtpReceiver
    original = cls._handle_rtp_packet
    if getattr(original, "benchmark_hook", False):
        return

    async def handle(self: Any, packet: Any, arrival_time_ms: int) -> None:
        log = _PACKETS.get(id(self.track))
        if log is not None:
            log.append((time.perf_counter(), packet.timestamp))
        await original(self, packet, arrival_time_ms)

    handle.benchmark_hook = True  # type: ignore[attr-defined]
    cls._handle_rtp_packet = handle  # type: ignore[method-assign]


#: When rtcpeer's audio senders had each encoded frame to send (perf_counter()),
#: by the id of the local track; see :func:`log_rtp_arrivals`.
_SENDS: dict[int, list[float]] = {}


def log_sends() -> None:
    """Note when each encoded frame leaves an rtcpeer sender whose track is in
    :data:`_SENDS` -- the point where Chromium's sender transform sees it."""
    cls = transport_media._CountingRtpSender
    original = cls._next_encoded_frame
    if getattr(original, "benchmark_hook", False):
        return

    async def next_frame(self: Any, codec: Any) -> Any:
        frame = await original(self, codec)
        log = _SENDS.get(id(self.track))
        if log is not None and frame is not None:
            log.append(time.perf_counter())
        return frame

    next_frame.benchmark_hook = True  # type: ignore[attr-defined]
    cls._next_encoded_frame = next_frame  # type: ignore[method-assign]


class Receiver:
    """Reads a remote track of rtcpeer's: when each frame arrived, and its number
    (video: decoded frames, numbered in the picture; audio: RTP packets,
    numbered by their timestamps)."""

    def __init__(self, track: Any, progress: asyncio.Event) -> None:
        self.kind: str = track.kind
        self.at: list[float] = []
        self.numbers: list[int] = []
        self._track_id = id(track)
        self._packets: list[tuple[float, int]] = []
        if self.kind == "audio":
            _PACKETS[self._track_id] = self._packets
        self._progress = progress
        self._task = asyncio.ensure_future(self._read(track))

    @property
    def ready(self) -> bool:
        return bool(self._packets if self.kind == "audio" else self.at)

    async def _read(self, track: Any) -> None:
        while True:
            frame = await track.recv()
            if self.kind == "video":
                self.at.append(time.perf_counter())
                number = frame_number(frame)
                if number is not None:
                    self.numbers.append(number)
            self._progress.set()

    def flow(self, start: float) -> Flow:
        if self.kind == "video":
            at, lost = self.at, holes(self.numbers)
        else:
            at = [t for t, _ in self._packets]
            lost = holes(unwrap([n for _, n in self._packets]), AUDIO_STEP)
        return Flow([(t - start) * 1000 for t in at], lost, len(at))

    async def stop(self) -> None:
        _PACKETS.pop(self._track_id, None)
        self._task.cancel()
        # Cancelled, or the track ended when the peer closed.
        with contextlib.suppress(BaseException):
            await self._task


async def rtcpeer_move(region_a: Coturn, region_b: Coturn) -> MoveRecord:
    """The same phases as ``moveRecord`` in media.js, in Python."""
    a, b = rtcpeer_pc(config_for(region_a)), rtcpeer_pc(config_for(region_a))
    progress = asyncio.Event()
    #: By direction (sender>receiver) and kind.
    receivers: dict[tuple[str, str], Receiver] = {}
    tracks: list[Any] = []
    try:
        sends: dict[str, list[float]] = {}
        for pc, direction, outgoing in ((a, "b>a", "a>b"), (b, "a>b", "b>a")):
            pc.addTrack(NumberedVideoTrack())
            audio = CountingAudioTrack()
            pc.addTrack(audio)
            tracks.append(audio)
            sends[outgoing] = _SENDS[id(audio)] = []

            def on_track(event: Any, direction: str = direction) -> None:
                receivers[(direction, event.track.kind)] = Receiver(event.track, progress)

            pc.on("track", on_track)
        side_a, side_b = RtcpeerSide(a), RtcpeerSide(b)
        bridge = Bridge(side_a, side_b)
        await bridge.negotiate(side_a, side_b)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while len(receivers) < 4 or not all(r.ready for r in receivers.values()):
            progress.clear()
            await asyncio.wait_for(progress.wait(), max(0.0, deadline - loop.time()))
        await asyncio.sleep(SETTLE + WINDOW)
        switched = [asyncio.ensure_future(_switched(pc)) for pc in (a, b)]
        for pc in (a, b):
            pc.setConfiguration(config_for(region_b))
        start = time.perf_counter()
        a.restartIce()
        await bridge.negotiate(side_a, side_b)
        times = await asyncio.gather(*switched)
        left = start + WINDOW + TAIL - time.perf_counter()
        if left > 0:
            await asyncio.sleep(left)
        end = time.perf_counter()
        flows = {key: r.flow(start) for key, r in receivers.items()}
        for direction, log in sends.items():
            flows[(direction, "audio")].sent_at = [(t - start) * 1000 for t in log]
        return MoveRecord([(t - start) * 1000 for t in times], (end - start) * 1000, flows)
    finally:
        for track in tracks:
            _SENDS.pop(id(track), None)
        for receiver in receivers.values():
            await receiver.stop()
        await a.close()
        await b.close()


async def chromium_move(browser: BrowserPage, region_a: Coturn, region_b: Coturn) -> MoveRecord:
    raw = await browser.page.evaluate(
        "(args) => window.rtcpeerMedia.moveRecord(...args)",
        [
            config_for(region_a),
            config_for(region_b),
            REGION_B[0],
            REGION_B[1],
            SETTLE * 1000,
            WINDOW * 1000,
            TAIL * 1000,
        ],
    )
    flows: dict[tuple[str, str], Flow] = {}
    for direction in DIRECTIONS:
        for kind in KINDS:
            log = raw["logs"][direction][kind]
            sent, got = [int(v) for v in log["sent"]], [int(v) for v in log["got"]]
            flows[(direction, kind)] = Flow(
                [float(v) for v in log["at"]],
                matched_losses(sent, got),
                len(log["at"]),
                [float(v) for v in log["sentAt"]],
            )
    return MoveRecord([float(v) for v in raw["switchMs"]], float(raw["endMs"]), flows)


@dataclass
class MoveMeasures:
    restart_ms: float
    #: By kind: the longest silence in the restart window and in the window before.
    gap: dict[str, float]
    before: dict[str, float]
    lost: dict[str, int]
    received: dict[str, int]
    #: The longest spacing between consecutive audio frames leaving the
    #: senders (either direction) overlapping each window: how much of the
    #: audio gap the senders' own pacing accounts for.
    audio_send_gap: float
    audio_send_before: float


def measure_move(record: MoveRecord) -> MoveMeasures:
    window = WINDOW * 1000
    gap: dict[str, float] = {}
    before: dict[str, float] = {}
    lost: dict[str, int] = {}
    received: dict[str, int] = {}
    for kind in KINDS:
        flows = [record.flows[(d, kind)] for d in DIRECTIONS]
        gap[kind] = max(longest_silence(f.at, record.end_ms, 0.0, window) for f in flows)
        before[kind] = max(longest_silence(f.at, record.end_ms, -window, 0.0) for f in flows)
        lost[kind] = sum(f.lost for f in flows)
        received[kind] = sum(f.received for f in flows)
    audio = [record.flows[(d, "audio")].sent_at for d in DIRECTIONS]
    return MoveMeasures(
        max(record.switch_ms),
        gap,
        before,
        lost,
        received,
        max(longest_silence(s, record.end_ms, 0.0, window) for s in audio),
        max(longest_silence(s, record.end_ms, -window, 0.0) for s in audio),
    )


# -- 2. first decoded frame ----------------------------------------------------------


async def python_first_frame(stack: str, scenario: str) -> float:
    """ms from addTrack() to the far end's first decoded frame (host, loopback)."""
    a: Any
    b: Any
    if stack == "rtcpeer":
        a, b = rtcpeer_pc({}), rtcpeer_pc({})
    else:
        from aiortc import RTCPeerConnection as AiortcPeerConnection

        a = AiortcPeerConnection(aiortc_config({}))
        b = AiortcPeerConnection(aiortc_config({}))
    side_a, side_b = sides(stack, a, b)
    track = NumberedVideoTrack()
    loop = asyncio.get_running_loop()
    first: asyncio.Future[float] = loop.create_future()
    readers: list[asyncio.Task[None]] = []

    async def read_one(remote: Any) -> None:
        await remote.recv()
        if not first.done():
            first.set_result(time.perf_counter())

    def on_track(event: Any) -> None:
        readers.append(asyncio.ensure_future(read_one(getattr(event, "track", event))))

    b.on("track", on_track)
    try:
        if scenario == "open":
            bridge, _, _ = await open_pair(side_a, side_b, a, b)
        else:
            bridge = Bridge(side_a, side_b)
        start = time.perf_counter()
        a.addTrack(track)
        await bridge.negotiate(side_a, side_b)
        return (await asyncio.wait_for(first, TIMEOUT) - start) * 1000
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await a.close()
        await b.close()
        track.stop()


# -- 3. receive CPU ----------------------------------------------------------------


class TexturedVideoTrack(VideoStreamTrack):
    """640x480 at 30 fps (aiortc's pacing): a fixed random texture panning 4
    pixels a frame, so the encoder has detail and motion to code (a flat
    picture would make decoding nearly free)."""

    def __init__(self, width: int = 640, height: int = 480) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.sent = 0
        rng = random.Random(3)
        self._texture = [rng.randbytes(2 * width) for _ in range(height)]

    async def recv(self) -> Any:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=self.width, height=self.height, format="yuv420p")
        luma, u_plane, v_plane = frame.planes
        shift = (self.sent * 4) % self.width
        pad = bytes(luma.line_size - self.width)
        luma.update(b"".join(row[shift : shift + self.width] + pad for row in self._texture))
        u_plane.update(bytes([110]) * u_plane.buffer_size)
        v_plane.update(bytes([150]) * v_plane.buffer_size)
        frame.pts = pts
        frame.time_base = time_base
        self.sent += 1
        return frame


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def cpu_peer(role: str, stack: str, seconds: float) -> None:
    """One end of the CPU measurement, in a process of its own; signalling
    over stdin/stdout, one JSON object a line. ``send``: an aiortc peer
    offering 640x480 30 fps video; ``recv``: a ``stack`` peer reading every
    frame, which reports its CPU time over ``seconds`` after warming up."""
    patch_aioice_loopback()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    pc: Any
    side: Side
    if role == "send" or stack == "aiortc":
        from aiortc import RTCPeerConnection as AiortcPeerConnection

        pc = AiortcPeerConnection(aiortc_config({}))
        side = AiortcSide(pc)
    else:
        pc = rtcpeer_pc({})
        side = RtcpeerSide(pc)
    side.on_candidate(lambda candidate: emit({"candidate": candidate}))
    frames = 0
    warm = asyncio.Event()

    async def consume(track: Any) -> None:
        nonlocal frames
        while True:
            await track.recv()
            frames += 1
            if frames >= CPU_WARM_FRAMES:
                warm.set()

    tasks: list[asyncio.Task[None]] = []
    pc.on("track", lambda e: tasks.append(asyncio.ensure_future(consume(getattr(e, "track", e)))))
    if role == "send":
        pc.addTrack(TexturedVideoTrack())
        emit({"description": await side.set_local()})

    async def listen() -> None:
        while line := await reader.readline():
            message = json.loads(line)
            if "description" in message:
                await side.set_remote(message["description"])
                if message["description"]["type"] == "offer":
                    emit({"description": await side.set_local()})
            elif "candidate" in message:
                await side.add_candidate(message["candidate"])

    listener = asyncio.ensure_future(listen())
    try:
        if role == "send":
            await listener  # until the benchmark closes our stdin
            return
        await asyncio.wait_for(warm.wait(), TIMEOUT)
        bytes0, frames0 = await inbound_packets(pc), frames
        usage0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        await asyncio.sleep(seconds)  # the measured interval
        usage1, wall1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        bytes1, frames1 = await inbound_packets(pc), frames
        cpu = (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime)
        emit(
            {
                "result": {
                    "cpu": cpu,
                    "wall": wall1 - wall0,
                    "frames": frames1 - frames0,
                    "packets": bytes1 - bytes0,
                }
            }
        )
    finally:
        listener.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(listener, *tasks, return_exceptions=True)
        await pc.close()


async def inbound_packets(pc: Any) -> int:
    """RTP packets of video received so far (inbound-rtp), in rtcpeer's or aiortc's report."""
    report = await pc.getStats()
    total = 0
    for entry in report.values():
        kind = entry.get("type") if isinstance(entry, Mapping) else getattr(entry, "type", None)
        if kind == "inbound-rtp":
            value = (
                entry.get("packetsReceived", 0)
                if isinstance(entry, Mapping)
                else getattr(entry, "packetsReceived", 0)
            )
            total += int(value or 0)
    return total


@dataclass
class CpuSample:
    cpu: float
    wall: float
    frames: int
    packets: int


async def cpu_round(stack: str, seconds: float) -> CpuSample:
    """Spawns the aiortc sender and a ``stack`` receiver; relays their signalling."""

    async def spawn(role: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            str(Path(__file__).resolve()),
            "--cpu-peer",
            role,
            stack,
            str(seconds),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )

    sender, receiver = await spawn("send"), await spawn("recv")
    result: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    async def relay(source: asyncio.subprocess.Process, target: asyncio.subprocess.Process) -> None:
        assert source.stdout is not None and target.stdin is not None
        while line := await source.stdout.readline():
            message = json.loads(line)
            if "result" in message:
                if not result.done():
                    result.set_result(message["result"])
                continue
            if not target.stdin.is_closing():
                target.stdin.write(line)
                await target.stdin.drain()

    relays = [
        asyncio.ensure_future(relay(sender, receiver)),
        asyncio.ensure_future(relay(receiver, sender)),
    ]
    try:
        value = await asyncio.wait_for(result, TIMEOUT + seconds + 20)
        return CpuSample(
            float(value["cpu"]), float(value["wall"]), int(value["frames"]), int(value["packets"])
        )
    finally:
        for process in (sender, receiver):
            if process.stdin is not None and not process.stdin.is_closing():
                process.stdin.close()
        for process in (receiver, sender):
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        await asyncio.gather(*relays, return_exceptions=True)


# -- the run ---------------------------------------------------------------------


@dataclass
class Run:
    cpu_seconds: float
    moves: dict[str, list[MoveRecord]] = field(default_factory=dict)
    first: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    cpu: dict[str, list[CpuSample]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    load: list[float] = field(default_factory=list)
    busy: float = float("nan")
    seconds: float = float("nan")
    busiest: list[str] = field(default_factory=list)


async def _first_frame(stack: str, scenario: str, browser: BrowserPage) -> float:
    if stack == "chromium":
        return float(
            await browser.page.evaluate("(s) => window.rtcpeerMedia.firstFrame(s)", scenario)
        )
    return await python_first_frame(stack, scenario)


async def run(rounds: int) -> Run:
    quick = rounds <= 2
    cpu_rounds = max(1, rounds // 4)
    result = Run(cpu_seconds=2.0 if quick else 8.0)
    result.moves = {stack: [] for stack in MOVE_STACKS}
    result.first = {(s, c): [] for s in FIRST_STACKS for c in FIRST_SCENARIOS}
    result.cpu = {stack: [] for stack in CPU_STACKS}
    patch_aioice_loopback()
    log_rtp_arrivals()
    log_sends()
    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as tmp:
        region_a = serve_promptly(start_coturn(Path(tmp) / "a", relay_ports=REGION_A))
        region_b = serve_promptly(
            start_coturn(Path(tmp) / "b", relay_ports=REGION_B, certs=region_a.certs)
        )
        try:
            async with chromium_page(FAKE_MEDIA) as browser:
                await browser.page.evaluate(PAGE_JS)
                devtools = await browser.page.context.new_cdp_session(browser.page)

                async def collected() -> None:
                    gc.collect()
                    await devtools.send("HeapProfiler.collectGarbage")

                async def _move(stack: str) -> None:
                    record = await (
                        rtcpeer_move(region_a, region_b)
                        if stack == "rtcpeer"
                        else chromium_move(browser, region_a, region_b)
                    )
                    result.moves[stack].append(record)

                async def _first(stack: str, scenario: str) -> None:
                    result.first[(stack, scenario)].append(
                        await _first_frame(stack, scenario, browser)
                    )

                async def _cpu(stack: str) -> None:
                    result.cpu[stack].append(await cpu_round(stack, result.cpu_seconds))

                # Warm-up, not counted: one of each.
                await rtcpeer_move(region_a, region_b)
                await chromium_move(browser, region_a, region_b)
                for stack in FIRST_STACKS:
                    for scenario in FIRST_SCENARIOS:
                        await _first_frame(stack, scenario, browser)
                result.busiest = _busiest()
                busy0, total0 = _cpu_times()
                began = time.perf_counter()
                for index in range(rounds):
                    result.load.append(os.getloadavg()[0])
                    cells: list[tuple[str, Callable[[], Awaitable[None]]]] = []
                    for stack in MOVE_STACKS:
                        cells.append((f"move/{stack}", functools.partial(_move, stack)))
                    for stack in FIRST_STACKS:
                        for scenario in FIRST_SCENARIOS:
                            cells.append(
                                (
                                    f"first/{stack}/{scenario}",
                                    functools.partial(_first, stack, scenario),
                                )
                            )
                    if index < cpu_rounds:
                        for stack in CPU_STACKS:
                            cells.append((f"cpu/{stack}", functools.partial(_cpu, stack)))
                    rng.shuffle(cells)
                    for name, cell in cells:
                        await collected()
                        try:
                            await cell()
                        except TimeoutError as error:
                            result.failures.append(f"{name}: {error!r}")
                            print(f"media: {name} timed out", file=sys.stderr)

                busy1, total1 = _cpu_times()
                result.seconds = time.perf_counter() - began
                result.busy = (busy1 - busy0) / max(1, total1 - total0)
        finally:
            region_a.stop()
            region_b.stop()
    raw = os.environ.get("MEDIA_RAW")
    if raw:
        Path(raw).write_text(
            json.dumps(
                {
                    "moves": {
                        s: [
                            {
                                "switch_ms": r.switch_ms,
                                "end_ms": r.end_ms,
                                "flows": {"|".join(k): vars(f) for k, f in r.flows.items()},
                            }
                            for r in rs
                        ]
                        for s, rs in result.moves.items()
                    },
                    "first": {"|".join(k): v for k, v in result.first.items()},
                    "cpu": {s: [vars(x) for x in xs] for s, xs in result.cpu.items()},
                }
            )
        )
    return result


# -- the report ------------------------------------------------------------------


def _interval(ours: list[float], theirs: list[float]) -> str:
    if not ours or not theirs or 0 in theirs:
        return ""
    low, high = median_ratio_interval(ours, theirs)
    return f"{low:.2f}-{high:.2f}"


def report(result: Run, rounds: int, command: str) -> str:
    moves = {stack: [measure_move(r) for r in records] for stack, records in result.moves.items()}
    ours, chrome = moves["rtcpeer"], moves["chromium"]
    load = result.load or [float("nan")]
    window = WINDOW * 1000
    lines = [
        "### Media: the region move with audio + video, first frame, receive CPU",
        "",
        f"Command: `{command}` ({rounds} rounds after a warm-up; in each round, in a seeded "
        "random order, one region move per stack and one first-frame cell per stack and "
        f"scenario, plus, in the first {max(1, rounds // 4)} rounds, one CPU cell per stack; "
        "both heaps (Python `gc.collect()`, the page's JS heap via DevTools) collected "
        "before every cell; medians over rounds; two coturn processes on loopback, "
        f"{turn_setup()}).",
        "",
        f"Load: {len(result.load)} rounds in {result.seconds:.0f} s; 1-minute load average "
        f"{min(load):.2f}-{max(load):.2f} (median {median(load):.2f}) on {os.cpu_count()} "
        f"cores; both cores {result.busy * 100:.0f}% busy over the run, this benchmark "
        "included. Busiest processes at the start (%CPU pid name): "
        + "; ".join(result.busiest)
        + ".",
        "",
        "Region move, relay-only, 320x240 30 fps VP8 + 20 ms Opus each way: rtcpeer <-> rtcpeer "
        "vs Chromium <-> Chromium. Gap: the longest silence between consecutive video frames "
        "decoded (audio frames received, one per RTP packet), either direction, overlapping "
        f"[0, {window:.0f}) ms after restartIce(), the same window for both stacks; before: "
        f"the same over [-{window:.0f}, 0) ms. Lost: frames missing between the first and "
        "the last received, summed over rounds and both directions.",
        "",
        "| measure | rtcpeer | Chromium | rtcpeer / Chromium | 95% interval | target | met? |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, label in (("video", "video frames"), ("audio", "audio packets")):
        g_o, g_c = [m.gap[kind] for m in ours], [m.gap[kind] for m in chrome]
        b_o, b_c = [m.before[kind] for m in ours], [m.before[kind] for m in chrome]
        lines += [
            f"| longest gap between {label}, restart window, ms | {median(g_o):.1f} "
            f"| {median(g_c):.1f} | {ratio(median(g_o), median(g_c))} | {_interval(g_o, g_c)} "
            f"| ≤ Chromium's | {verdict(median(g_o) <= median(g_c))} |",
            f"| longest gap between {label}, window before, ms | {median(b_o):.1f} "
            f"| {median(b_c):.1f} | {ratio(median(b_o), median(b_c))} | {_interval(b_o, b_c)} "
            "| | |",
        ]
    for kind, label in (("video", "video frames"), ("audio", "audio packets")):
        lost = sum(m.lost[kind] for m in ours), sum(m.lost[kind] for m in chrome)
        got = sum(m.received[kind] for m in ours), sum(m.received[kind] for m in chrome)
        lines.append(
            f"| {label} lost | {lost[0]} of {got[0] + lost[0]} | {lost[1]} of {got[1] + lost[1]} "
            f"| | | 0 | {verdict(lost[0] == 0)} |"
        )
    for pick, label in (
        ("audio_send_gap", "restart window"),
        ("audio_send_before", "window before"),
    ):
        s_o = [float(getattr(m, pick)) for m in ours]
        s_c = [float(getattr(m, pick)) for m in chrome]
        lines.append(
            f"| longest spacing between audio frames leaving the senders, {label}, ms "
            f"| {median(s_o):.1f} | {median(s_c):.1f} | {ratio(median(s_o), median(s_c))} "
            f"| {_interval(s_o, s_c)} | | |"
        )
    t_o, t_c = [m.restart_ms for m in ours], [m.restart_ms for m in chrome]
    lines.append(
        f"| restartIce() → both on region B, ms | {median(t_o):.1f} | {median(t_c):.1f} "
        f"| {ratio(median(t_o), median(t_c))} | {_interval(t_o, t_c)} | | |"
    )
    worse = {
        stack: sum(1 for m in ms for k in KINDS if m.gap[k] > m.before[k])
        for stack, ms in moves.items()
    }
    late = {stack: sum(1 for m in ms if m.restart_ms > window) for stack, ms in moves.items()}
    lines += [
        "",
        "Rounds x kinds whose restart-window gap exceeds their own before-window gap: "
        + ", ".join(f"{s} {worse[s]} of {2 * len(moves[s])}" for s in MOVE_STACKS)
        + ". Rounds whose switch fell after the window: "
        + ", ".join(f"{s} {late[s]}" for s in MOVE_STACKS)
        + ".",
        "",
        "addTrack() + negotiation → first decoded frame at the far end, host candidates on "
        "loopback, 320x240 video (fresh: two new connections, so ICE and DTLS are included; "
        "open: added to a pair whose data channel is open, renegotiation only), ms:",
        "",
        "| scenario | rtcpeer | aiortc | Chromium | rtcpeer / aiortc | 95% interval "
        "| rtcpeer / Chromium | target | met? |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for scenario in FIRST_SCENARIOS:
        o, a, c = (result.first[(s, scenario)] for s in FIRST_STACKS)
        lines.append(
            f"| {scenario} | {median(o):.1f} | {median(a):.1f} | {median(c):.1f} "
            f"| {ratio(median(o), median(a))} | {_interval(o, a)} "
            f"| {ratio(median(o), median(c))} | ≤ aiortc | {verdict(median(o) <= median(a))} |"
        )
    cpu = {
        stack: {
            "cpu": [x.cpu / x.wall for x in xs],
            "per_frame": [1000 * x.cpu / max(1, x.frames) for x in xs],
            "fps": [x.frames / x.wall for x in xs],
            "pps": [x.packets / x.wall for x in xs],
        }
        for stack, xs in result.cpu.items()
    }
    lines += [
        "",
        f"Receive CPU, one 640x480 30 fps VP8 stream from an aiortc sender in another "
        f"process, host candidates; the receiver's own process CPU time (`getrusage`, all "
        f"threads) over {result.cpu_seconds:.0f} s after {CPU_WARM_FRAMES} frames, "
        f"{len(result.cpu['rtcpeer'])} round(s) per stack:",
        "",
        "| measure | rtcpeer | aiortc | rtcpeer / aiortc | 95% interval | target | met? |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, label, fmt, target in (
        ("cpu", "CPU seconds per second of stream", ".3f", "≤ 1.1x"),
        ("per_frame", "CPU ms per decoded frame", ".2f", ""),
        ("fps", "frames decoded per second", ".1f", ""),
        ("pps", "RTP packets received per second", ".0f", ""),
    ):
        o, a = cpu["rtcpeer"][key], cpu["aiortc"][key]
        ok = verdict(median(o) <= 1.1 * median(a)) if target else ""
        lines.append(
            f"| {label} | {format(median(o), fmt)} | {format(median(a), fmt)} "
            f"| {ratio(median(o), median(a))} | {_interval(o, a)} | {target} | {ok} |"
        )
    lines += [
        "",
        "Cells that timed out (left out): " + ("; ".join(result.failures) or "none") + ".",
    ]
    return "\n".join(lines) + "\n"


#: Each round: two region moves and six first-frame cells (~3.5 s in all),
#: and in a quarter of the rounds two CPU cells (~14 s each): 60 rounds (15
#: of them with CPU cells) take ~10 minutes on this 2-core machine.
ROUNDS = 60


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--cpu-peer":
        asyncio.run(cpu_peer(sys.argv[2], sys.argv[3], float(sys.argv[4])))
        return
    bench_main(__doc__ or "", "media.py", run, report, default_rounds=ROUNDS)


if __name__ == "__main__":
    main()
