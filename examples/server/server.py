"""Camera in, transformed camera out: a page's video goes to a Python rtcpeer peer and back.

    python examples/server/server.py --port 8080   # then open http://127.0.0.1:8080/

The idea of aiortc's ``server`` example, written for rtcpeer. The page
captures camera and microphone, offers them to the server (one POST with
the whole offer, candidates included) and plays what comes back: its own
video with a transform applied, and its own audio echoed. The transforms use
FFmpeg filters through PyAV (``av.filter``), so nothing beyond rtcpeer's own
dependencies is needed: ``edges``, ``cartoon``, ``rotate``, ``mirror``,
``negate`` or ``none``. ``--record-to FILE`` also records what the page sends
with aiortc's ``MediaRecorder``.

ICE: rtcpeer does not offer loopback host candidates, so that page and server
on one machine (or a machine with no network at all) still connect, the
server starts an embedded TURN server on 127.0.0.1 and gives its URL to both
sides (``GET /config``). ``--no-turn`` leaves it out: host candidates only,
for a server the browser reaches over a real network.

Endpoints: ``GET /`` the page, ``GET /config`` the RTCConfiguration for the
page, ``POST /offer`` ``{"sdp", "type", "video_transform"}`` -> the answer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiortc.contrib.media import MediaRecorder, MediaRelay
from av import VideoFrame
from av.filter import Graph

from rtcpeer import (
    ListenSettings,
    RTCPeerConnection,
    RTCTrackEvent,
    TurnServer,
    TurnServerConfig,
)
from rtcpeer.transport import MediaStreamTrack

STATIC = Path(__file__).parent / "static"
TURN_USER, TURN_PASSWORD = "example", "example-password"
GATHERING_TIMEOUT = 10.0

#: Transform name -> FFmpeg filter chain (PyAV ``av.filter``); "none" passes frames through.
TRANSFORMS: dict[str, str | None] = {
    "none": None,
    "edges": "edgedetect=low=0.1:high=0.3",
    "cartoon": "edgedetect=mode=colormix:high=0",
    "rotate": "rotate=angle=PI/4*t",
    "mirror": "hflip",
    "negate": "negate",
}


def _log(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')}  {text}", flush=True)


class VideoTransformTrack(MediaStreamTrack):
    """Frames of ``source`` through an FFmpeg filter chain, timestamps kept."""

    kind = "video"

    def __init__(self, source: MediaStreamTrack, transform: str) -> None:
        super().__init__()
        if transform not in TRANSFORMS:
            raise ValueError(f"unknown transform {transform!r}; one of {', '.join(TRANSFORMS)}")
        self.source = source
        self.transform = transform
        self.frames = 0
        self._graph: Graph | None = None
        self._shape: tuple[int, int, str] | None = None

    async def recv(self) -> VideoFrame:
        frame = await self.source.recv()
        assert isinstance(frame, VideoFrame)
        chain = TRANSFORMS[self.transform]
        self.frames += 1
        if chain is None:
            return frame
        shape = (frame.width, frame.height, frame.format.name)
        if self._graph is None or shape != self._shape:  # the browser may change resolution
            self._graph, self._shape = self._build(frame, chain), shape
        self._graph.push(frame)
        out = self._graph.pull()
        assert isinstance(out, VideoFrame)
        out.pts, out.time_base = frame.pts, frame.time_base
        return out

    @staticmethod
    def _build(template: VideoFrame, chain: str) -> Graph:
        graph = Graph()
        node: Any = graph.add_buffer(
            width=template.width,
            height=template.height,
            format=template.format,
            time_base=template.time_base,
        )
        for step in [*chain.split(","), "format=yuv420p"]:
            name, _, arguments = step.partition("=")
            following = graph.add(name, arguments or None)
            node.link_to(following)
            node = following
        node.link_to(graph.add("buffersink"))
        graph.configure()
        return graph


@dataclass
class Session:
    """One page's peer connection and what it has done."""

    name: str
    pc: RTCPeerConnection
    transform: str
    video: VideoTransformTrack | None = None
    audio_tracks: int = 0


class ExampleServer:
    """The web app, the embedded TURN server (unless ``turn=False``) and the sessions."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        turn: bool = True,
        record_to: str | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.turn = turn
        self.record_to = record_to
        self.sessions: list[Session] = []
        self._turn_server: TurnServer | None = None
        self._runner: web.AppRunner | None = None
        self._relay = MediaRelay()
        self._recorder: MediaRecorder | None = None
        self._count = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def configuration(self) -> dict[str, Any]:
        """The RTCConfiguration both sides use (the page gets it from /config)."""
        if self._turn_server is None:
            return {"iceServers": []}
        host, port = self._turn_server.addresses["udp"]
        return {
            "iceServers": [
                {"urls": f"turn:{host}:{port}", "username": TURN_USER, "credential": TURN_PASSWORD}
            ]
        }

    async def start(self) -> str:
        if self.turn:
            self._turn_server = TurnServer(
                TurnServerConfig(
                    realm="example.test",
                    users={TURN_USER: TURN_PASSWORD},
                    allow_loopback_peers=True,
                ),
                ListenSettings(host="127.0.0.1", port=0, tls_port=None),
            )
            await self._turn_server.start()
            _log(f"TURN server on {self.configuration()['iceServers'][0]['urls']}")
        app = web.Application()
        app.router.add_get("/", self._index)
        app.router.add_get("/config", self._config)
        app.router.add_post("/offer", self._offer)
        app.router.add_static("/static/", STATIC)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        if self.port == 0:
            self.port = int(self._runner.addresses[0][1])
        return self.url

    async def close(self) -> None:
        for session in self.sessions:
            await session.pc.close()
        if self._recorder is not None:
            await self._recorder.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._turn_server is not None:
            await self._turn_server.close()

    async def _index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _config(self, request: web.Request) -> web.Response:
        return web.json_response(self.configuration())

    async def _offer(self, request: web.Request) -> web.Response:
        params = await request.json()
        transform = str(params.get("video_transform", "none"))
        if transform not in TRANSFORMS:
            raise web.HTTPBadRequest(text=f"unknown video_transform {transform!r}")
        self._count += 1
        pc = RTCPeerConnection(self.configuration())
        session = Session(f"session {self._count}", pc, transform)
        self.sessions.append(session)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            _log(f"{session.name}: connection {pc.connectionState}")
            if pc.connectionState == "failed":
                await pc.close()

        @pc.on("datachannel")
        def on_datachannel(event: Any) -> None:
            channel = event.channel

            def on_message(message: Any) -> None:
                if isinstance(message, str) and message.startswith("ping"):
                    channel.send("pong" + message[4:])

            channel.on("message", on_message)

        @pc.on("track")
        def on_track(event: RTCTrackEvent) -> None:
            track = event.track
            _log(f"{session.name}: receiving {track.kind}")
            if track.kind == "audio":
                pc.addTrack(self._relay.subscribe(track))  # echoed back
                session.audio_tracks += 1
            else:
                session.video = VideoTransformTrack(self._relay.subscribe(track), transform)
                pc.addTrack(session.video)
            if self.record_to is not None:
                if self._recorder is None:
                    self._recorder = MediaRecorder(self.record_to)
                self._recorder.addTrack(self._relay.subscribe(track))

        await pc.setRemoteDescription({"type": params["type"], "sdp": params["sdp"]})
        if self._recorder is not None:
            await self._recorder.start()
        await pc.setLocalDescription(await pc.createAnswer())
        await _gathered(pc)
        answer = pc.localDescription
        assert answer is not None
        _log(f"{session.name}: answered ({transform})")
        return web.json_response({"type": answer.type, "sdp": answer.sdp})


async def _gathered(pc: RTCPeerConnection) -> None:
    """Until ICE gathering is complete: the answer then carries every candidate."""
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


async def serve(server: ExampleServer) -> None:
    url = await server.start()
    _log(f"serving the camera example on {url}  (Ctrl-C stops it)")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="HTTP port (0: any free port)")
    parser.add_argument("--record-to", metavar="FILE", help="also record the received media")
    parser.add_argument(
        "--no-turn", action="store_true", help="no embedded TURN server: host candidates only"
    )
    args = parser.parse_args(argv)
    server = ExampleServer(args.host, args.port, turn=not args.no_turn, record_to=args.record_to)
    asyncio.run(serve(server))
    return 0


if __name__ == "__main__":
    sys.exit(main())
