"""Browser demo: a page moves its live session from TURN region A to region B.

    python examples/browser/server.py --port 8080   # then open http://127.0.0.1:8080/

The server starts two embedded TURN servers on loopback, "region A" and
"region B" (told apart by their relay port ranges), and serves a page. Each
page that connects gets its own Python rtcpeer peer; signalling runs over a
WebSocket as JSON. Both sides are relay-only, and both start on region A:
the page's RTCPeerConnection gets region A's TURN URL and credentials from
the server. The Python peer opens an "echo" data channel and echoes every
message; the page sends a timestamped message every 20 ms and charts the
round-trip times. "Move to region B" asks the Python side to do what MDN's
setConfiguration() page shows -- setConfiguration(region B) and an ICE
restart offer -- after telling the page to setConfiguration(region B) too;
the page watches its selected candidate pair move (getStats()), while the
echoes keep coming. The button then offers to move back.

"Camera" adds the page's camera: the Python side adds a video transceiver
and offers it, the page answers with its camera track on it, and the Python
peer sends every frame it decodes straight back on the same transceiver
(``sender.replaceTrack``). The page plays the echo and counts the frames its
getStats() says it decoded -- through the region move too.

Signalling messages (JSON over /ws):
  server -> page  {"type": "hello", "configuration", "region", "regions"}
                  {"type": "configure", "configuration", "region"}
                  {"type": "offer", "description", "iceRestart"}
                  {"type": "candidate", "candidate"}         (null: end)
                  {"type": "python", "pair", "echoed", "region", "videoFrames"}
                                                             (the Python side's getStats)
                  {"type": "error", "message"}
  page -> server  {"type": "answer", "description"}
                  {"type": "candidate", "candidate"}
                  {"type": "move", "region"}
                  {"type": "camera"}           (add a video transceiver, echo its video)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from rtcpeer import RTCPeerConnection, RTCTrackEvent
from rtcpeer.demo import Region, region_lookup, selected_path, start_embedded_region
from rtcpeer.transport import MediaStreamTrack

STATIC = Path(__file__).parent / "static"
#: Relay port ranges of the two regions (a relay candidate's port names its region).
RELAY_PORTS = {"A": (31400, 31499), "B": (31500, 31599)}
STATS_INTERVAL = 0.1


def _log(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')}  {text}", flush=True)


def _is_loopback_candidate(candidate: Any) -> bool:
    """End-of-candidates, or a candidate on 127.0.0.0/8 or ::1.

    Relay-only pages send only relay candidates, all on loopback here; a page
    that ignored the policy could send its other interfaces' addresses, and
    this demo never sends anything off the machine.
    """
    if not isinstance(candidate, dict):
        return False
    value = str(candidate.get("candidate", ""))
    if not value:
        return True
    parts = value.split()
    if len(parts) < 6:
        return False
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(parts[4]).is_loopback
    return False


class EchoTrack(MediaStreamTrack):
    """The frames of a received track, sent back as they are; ``frames`` counts them."""

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self.kind = source.kind
        self.source = source
        self.frames = 0

    async def recv(self) -> Any:
        frame = await self.source.recv()
        self.frames += 1
        return frame


class Session:
    """One page and its Python peer."""

    def __init__(self, demo: BrowserDemo, ws: web.WebSocketResponse, number: int) -> None:
        self.demo = demo
        self.ws = ws
        self.name = f"page {number}"
        self.region = "A"
        self.pc = RTCPeerConnection(demo.regions["A"].configuration())
        self.echoed = 0
        self.path: Any = None
        #: The page's camera, sent back (once the page turned its camera on).
        self.video_echo: EchoTrack | None = None
        #: Everything for the page goes through one queue, so it arrives in order.
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        #: ICE ufrags of the offers sent; candidates of a newer one wait for its offer.
        self._offered: set[str] = set()
        self._held: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Future[Any]] = set()

    def post(self, message: dict[str, Any]) -> None:
        self._outbox.put_nowait(message)

    async def _write(self) -> None:
        while not self.ws.closed:
            message = await self._outbox.get()
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_json(message)

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _candidate(self, init: dict[str, Any]) -> None:
        """Trickle a candidate -- after the offer carrying its ufrag.

        A restart's first candidates can be emitted before setLocalDescription()
        has returned to us, i.e. before the offer is posted; the page could not
        match them to a description yet, so they wait here for it.
        """
        if init.get("usernameFragment") in self._offered:
            self.post({"type": "candidate", "candidate": init})
        else:
            self._held.append(init)

    async def start(self) -> None:
        pc = self.pc
        self.spawn(self._write())
        channel = pc.createDataChannel("echo")

        @channel.on("message")
        def echo(message: Any) -> None:
            channel.send(message)
            self.echoed += 1

        @pc.on("icecandidate")
        def on_candidate(event: Any) -> None:
            if event.candidate is not None:  # None follows the end-of-candidates marker
                self._candidate(event.candidate.toJSON())

        @pc.on("connectionstatechange")
        def on_state() -> None:
            _log(f"{self.name}: python peer {pc.connectionState}")

        @pc.on("track")
        def on_track(event: RTCTrackEvent) -> None:
            if event.track.kind != "video" or self.video_echo is not None:
                return
            _log(f"{self.name}: receiving the page's camera; sending it back")
            self.video_echo = EchoTrack(event.track)
            self.spawn(event.transceiver.sender.replaceTrack(self.video_echo))

        regions = {
            name: {"url": region.url, "relayPorts": list(region.relay_ports)}
            for name, region in self.demo.regions.items()
        }
        self.post(
            {
                "type": "hello",
                "configuration": self.demo.regions["A"].configuration(),
                "region": "A",
                "regions": regions,
            }
        )
        await self.offer(ice_restart=False)
        self.spawn(self.watch_stats())

    async def offer(self, *, ice_restart: bool) -> None:
        offer = await self.pc.createOffer(iceRestart=ice_restart)
        await self.pc.setLocalDescription(offer)
        self.post({"type": "offer", "description": offer.toJSON(), "iceRestart": ice_restart})
        self._offered.update(re.findall(r"^a=ice-ufrag:(\S+)", offer.sdp, re.MULTILINE))
        held, self._held = self._held, []
        for init in held:
            self._candidate(init)

    async def move(self, region: str) -> None:
        """MDN's example: setConfiguration(restartConfig), createOffer({iceRestart: true})."""
        if region not in self.demo.regions:
            self.post({"type": "error", "message": f"no region {region!r}"})
            return
        if self.pc.signalingState != "stable":
            self.post({"type": "error", "message": "a negotiation is under way; try again"})
            return
        config = self.demo.regions[region].configuration()
        _log(f"{self.name}: moving to region {region} (setConfiguration + ICE restart)")
        self.region = region
        # The page moves too: its answer must gather from the new region's servers.
        self.post({"type": "configure", "configuration": config, "region": region})
        self.pc.setConfiguration(config)
        await self.offer(ice_restart=True)

    async def camera(self) -> None:
        """A sendrecv video transceiver, offered: the page answers with its camera."""
        if any(t.receiver.track.kind == "video" for t in self.pc.getTransceivers()):
            self.post({"type": "error", "message": "the camera is already on"})
            return
        if self.pc.signalingState != "stable":
            self.post({"type": "error", "message": "a negotiation is under way; try again"})
            return
        self.pc.addTransceiver("video", {"direction": "sendrecv"})
        _log(f"{self.name}: video transceiver added, offering it")
        await self.offer(ice_restart=False)

    async def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "answer":
            await self.pc.setRemoteDescription(message["description"])
        elif kind == "candidate":
            candidate = message.get("candidate")
            if candidate is None or not _is_loopback_candidate(candidate):
                return  # end of candidates is signalled by the empty candidate before it
            await self.pc.addIceCandidate(candidate)
        elif kind == "move":
            await self.move(str(message.get("region", "B")))
        elif kind == "camera":
            await self.camera()

    async def watch_stats(self) -> None:
        """Tell the page which relay the Python side uses (its getStats())."""
        region_of = region_lookup(RELAY_PORTS)
        last: Any = None
        while self.pc.connectionState != "closed":
            path = selected_path(await self.pc.getStats(), region_of)
            if path != self.path and path is not None:
                self.path = path
                _log(f"{self.name}: python selected pair {path.label()}")
            report = {
                "type": "python",
                "pair": None if path is None else path.to_json(),
                "echoed": self.echoed,
                "region": self.region,
                "videoFrames": 0 if self.video_echo is None else self.video_echo.frames,
            }
            if report != last:
                last = report
                self.post(report)
            await asyncio.sleep(STATS_INTERVAL)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.pc.close()


class BrowserDemo:
    """The aiohttp application, its TURN regions and the sessions of connected pages."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.host = host
        self.port = port
        self.regions: dict[str, Region] = {}
        self.sessions: list[Session] = []
        self._runner: web.AppRunner | None = None
        self._count = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    async def start(self) -> str:
        """Start both regions and the web server; returns the page's URL."""
        for name, span in RELAY_PORTS.items():
            self.regions[name] = await start_embedded_region(name, span, "127.0.0.1")
            _log(f"region {name}: TURN {self.regions[name].url}, relay ports {span[0]}-{span[1]}")
        app = web.Application()
        app.router.add_get("/", self._index)
        app.router.add_get("/ws", self._websocket)
        app.router.add_static("/static/", STATIC)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = int(self._runner.addresses[0][1])
        return self.url

    async def close(self) -> None:
        for session in list(self.sessions):
            await session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        for region in self.regions.values():
            await region.close()

    async def _index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=20)
        await ws.prepare(request)
        self._count += 1
        session = Session(self, ws, self._count)
        self.sessions.append(session)
        _log(f"{session.name}: connected")
        try:
            await session.start()
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                try:
                    await session.handle(json.loads(message.data))
                except Exception as error:  # reported to the page; the session goes on
                    _log(f"{session.name}: {error!r}")
                    session.post({"type": "error", "message": repr(error)})
        finally:
            _log(f"{session.name}: gone")
            self.sessions.remove(session)
            await session.close()
        return ws


async def serve(host: str, port: int) -> None:
    demo = BrowserDemo(host, port)
    url = await demo.start()
    _log(f"serving the browser demo on {url}  (Ctrl-C stops it)")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await demo.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="HTTP port (0: any free port)")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
