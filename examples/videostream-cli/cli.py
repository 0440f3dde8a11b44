"""Two rtcpeer peers stream a synthetic video to each other from the command line.

    python examples/videostream-cli/cli.py offer  [--record-to received.mp4]
    python examples/videostream-cli/cli.py answer [--record-to received.mp4]

The idea of aiortc's ``videostream-cli`` example, written for rtcpeer. Each
side sends FFmpeg's ``testsrc2`` pattern (320x240 at 30 fps, made by PyAV's
filter graph, no camera needed) and receives the other's; ``--record-to``
writes what arrives with aiortc's ``MediaRecorder`` (any container FFmpeg
knows: .mp4, .webm, frame-%3d.png ...).

Signalling carries one JSON object per line:
``{"type": "offer"|"answer", "sdp": ...}`` and ``{"type": "bye"}``. Each
description is sent once ICE gathering is complete, so it carries every
candidate.

* ``--signaling copy-and-paste`` (default): each side prints its message;
  paste it into the other side's terminal.
* ``--signaling tcp-socket``: the answerer listens on
  ``--signaling-host``/``--signaling-port``, the offerer connects.

``--config FILE`` is an RTCConfiguration as JSON (e.g. a TURN server, as
``rtcpeer check-config`` validates it). rtcpeer offers no loopback host
candidates, so two peers on one machine without a network between them need
a TURN server here (``rtcpeer turn-server``).

``--frames N`` ends the call after N received video frames (``bye`` goes to
the other side, which ends too); otherwise it runs until ``bye`` or Ctrl-C.
Both sides end by printing how many video frames they sent and received.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from pathlib import Path
from typing import Any, Protocol

from aiortc.contrib.media import MediaBlackhole, MediaRecorder
from av import VideoFrame
from av.filter import Graph

from rtcpeer import RTCPeerConnection, RTCTrackEvent
from rtcpeer.transport import MediaStreamTrack, VideoStreamTrack

GATHERING_TIMEOUT = 10.0
CONNECT_TIMEOUT = 10.0


# -- media ---------------------------------------------------------------------------


class TestPatternTrack(VideoStreamTrack):
    """FFmpeg's ``testsrc2`` (moving colour bars and a frame counter), paced at 30 fps."""

    def __init__(self, width: int = 320, height: int = 240) -> None:
        super().__init__()
        self.sent = 0
        self._graph = Graph()
        source: Any = self._graph.add("testsrc2", f"size={width}x{height}:rate=30")
        convert = self._graph.add("format", "yuv420p")
        source.link_to(convert)
        convert.link_to(self._graph.add("buffersink"))
        self._graph.configure()

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = self._graph.pull()
        assert isinstance(frame, VideoFrame)
        frame.pts, frame.time_base = pts, time_base
        self.sent += 1
        return frame


class CountingTrack(MediaStreamTrack):
    """Passes a received track on (to the recorder) and counts its frames."""

    def __init__(self, source: MediaStreamTrack, on_frame: Any) -> None:
        super().__init__()
        self.kind = source.kind
        self._source = source
        self._on_frame = on_frame

    async def recv(self) -> Any:
        frame = await self._source.recv()
        self._on_frame(frame)
        return frame


# -- signalling ----------------------------------------------------------------------


class Signaling(Protocol):
    async def connect(self) -> None: ...

    async def send(self, message: dict[str, Any]) -> None: ...

    async def receive(self) -> dict[str, Any] | None: ...

    async def close(self) -> None: ...


class CopyAndPasteSignaling:
    """Messages printed on stdout, the other side's read from stdin (one line each)."""

    def __init__(self) -> None:
        self._stdin: asyncio.StreamReader | None = None

    async def connect(self) -> None:
        # stdin as an asyncio stream: nothing blocks a thread, so exiting never waits for input.
        self._stdin = asyncio.StreamReader()
        protocol = asyncio.StreamReaderProtocol(self._stdin)
        await asyncio.get_running_loop().connect_read_pipe(lambda: protocol, sys.stdin)

    async def send(self, message: dict[str, Any]) -> None:
        print("-- Please send this message to the remote party --", flush=True)
        print(json.dumps(message), flush=True)

    async def receive(self) -> dict[str, Any] | None:
        assert self._stdin is not None
        print("-- Please enter a message from the remote party --", flush=True)
        while True:
            line = await self._stdin.readline()
            if not line:
                return None  # stdin closed
            if line.strip():
                message: dict[str, Any] = json.loads(line)
                return message

    async def close(self) -> None:
        pass


class TcpSocketSignaling:
    """One TCP connection, JSON lines: the answerer listens, the offerer connects."""

    def __init__(self, host: str, port: int, *, listen: bool) -> None:
        self.host, self.port, self.listen = host, port, listen
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._server: asyncio.Server | None = None

    async def connect(self) -> None:
        if self.listen:
            connected: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]]
            connected = asyncio.get_running_loop().create_future()

            def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                if connected.done():
                    writer.close()
                else:
                    connected.set_result((reader, writer))

            self._server = await asyncio.start_server(on_client, self.host, self.port)
            port = self._server.sockets[0].getsockname()[1]
            print(f"signalling: listening on {self.host}:{port}", flush=True)
            self._reader, self._writer = await connected
        else:
            deadline = asyncio.get_running_loop().time() + CONNECT_TIMEOUT
            while True:
                try:
                    self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
                    break
                except OSError:  # the answerer is not listening yet
                    if asyncio.get_running_loop().time() > deadline:
                        raise
                    await asyncio.sleep(0.1)
            print(f"signalling: connected to {self.host}:{self.port}", flush=True)

    async def send(self, message: dict[str, Any]) -> None:
        assert self._writer is not None
        self._writer.write(json.dumps(message).encode() + b"\n")
        await self._writer.drain()

    async def receive(self) -> dict[str, Any] | None:
        assert self._reader is not None
        line = await self._reader.readline()
        if not line:
            return None
        message: dict[str, Any] = json.loads(line)
        return message

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


# -- the call ------------------------------------------------------------------------


async def _gathered(pc: RTCPeerConnection) -> None:
    """Until ICE gathering is complete: the description then carries every candidate."""
    if pc.iceGatheringState == "complete":
        return
    done = asyncio.get_running_loop().create_future()

    def on_change() -> None:
        if pc.iceGatheringState == "complete" and not done.done():
            done.set_result(None)

    pc.on("icegatheringstatechange", on_change)
    try:
        await asyncio.wait_for(done, GATHERING_TIMEOUT)
    finally:
        pc.remove_listener("icegatheringstatechange", on_change)


class Call:
    """One side: its peer connection, what it sends, and what it received."""

    def __init__(
        self,
        role: str,
        pc: RTCPeerConnection,
        signaling: Signaling,
        recorder: MediaRecorder | MediaBlackhole,
        frames: int | None,
    ) -> None:
        self.role = role
        self.pc = pc
        self.signaling = signaling
        self.recorder = recorder
        self.frames_wanted = frames
        self.video = TestPatternTrack()
        self.received = 0
        self.size: tuple[int, int] | None = None
        self.enough: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_frame(self, frame: Any) -> None:
        if not isinstance(frame, VideoFrame):
            return
        self.received += 1
        self.size = (frame.width, frame.height)
        wanted = self.frames_wanted
        if wanted is not None and self.received >= wanted and not self.enough.done():
            self.enough.set_result(None)

    async def run(self) -> str:
        """Signal, stream, and return why the call ended."""

        @self.pc.on("track")
        def on_track(event: RTCTrackEvent) -> None:
            print(f"receiving {event.track.kind}", flush=True)
            self.recorder.addTrack(CountingTrack(event.track, self.on_frame))

        @self.pc.on("connectionstatechange")
        def on_state() -> None:
            print(f"connection: {self.pc.connectionState}", flush=True)

        await self.signaling.connect()
        if self.role == "offer":
            self.pc.addTrack(self.video)
            await self.describe(await self.pc.createOffer())
        receiving = asyncio.ensure_future(self.consume())
        either: set[asyncio.Future[Any]] = {receiving, self.enough}
        done, _ = await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if self.enough in done:
            receiving.cancel()
            await self.signaling.send({"type": "bye"})
            return f"received {self.received} video frames"
        return receiving.result()

    async def describe(self, description: Any) -> None:
        await self.pc.setLocalDescription(description)
        await _gathered(self.pc)
        local = self.pc.localDescription
        assert local is not None
        await self.signaling.send({"type": local.type, "sdp": local.sdp})

    async def consume(self) -> str:
        while True:
            message = await self.signaling.receive()
            if message is None:
                return "signalling closed"
            kind = message.get("type")
            if kind == "bye":
                return "bye from the remote party"
            if kind in ("offer", "answer"):
                await self.pc.setRemoteDescription(message)
                await self.recorder.start()
                if kind == "offer":
                    self.pc.addTrack(self.video)
                    await self.describe(await self.pc.createAnswer())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("role", choices=["offer", "answer"])
    parser.add_argument("--record-to", metavar="FILE", help="write the received video to FILE")
    parser.add_argument("--config", type=Path, metavar="FILE", help="RTCConfiguration as JSON")
    parser.add_argument("--frames", type=int, metavar="N", help="end after N received frames")
    parser.add_argument(
        "--signaling", choices=["copy-and-paste", "tcp-socket"], default="copy-and-paste"
    )
    parser.add_argument("--signaling-host", default="127.0.0.1")
    parser.add_argument("--signaling-port", type=int, default=1234)
    return parser.parse_args(argv)


async def main_async(args: argparse.Namespace) -> int:
    configuration = json.loads(args.config.read_text()) if args.config else None
    pc = RTCPeerConnection(configuration)
    signaling: Signaling
    if args.signaling == "tcp-socket":
        listen = args.role == "answer"
        signaling = TcpSocketSignaling(args.signaling_host, args.signaling_port, listen=listen)
    else:
        signaling = CopyAndPasteSignaling()
    recorder = MediaRecorder(args.record_to) if args.record_to else MediaBlackhole()
    call = Call(args.role, pc, signaling, recorder, args.frames)
    try:
        why = await call.run()
    finally:
        await recorder.stop()
        await signaling.close()
        await pc.close()
    size = "" if call.size is None else f" ({call.size[0]}x{call.size[1]})"
    print(f"{why}; sent {call.video.sent} video frames, received {call.received}{size}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return asyncio.run(main_async(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
