"""The region-move scenario behind ``rtcpeer demo``, run for real on loopback.

Two TURN regions start (embedded servers, or coturn). Two peers in this
process connect relay-only through region A, with signalling done by
function calls carrying the JSON a signalling server would carry. The
caller streams numbered data-channel messages every ``interval`` seconds.
Part-way through, both peers do what MDN's setConfiguration() page shows --
``setConfiguration`` with region B's servers, then an ICE restart offer and
answer -- while the stream keeps going. Each side's selected pair comes from
its RTCIceTransport (``pc.sctp.transport.iceTransport``) as
``selectedcandidatepairchange`` fires, so the timeline shows the moment each
side moves; getStats() is read every few milliseconds only for the states of
the connectivity checks, which no event reports. At the end the stream drains and
a :class:`DemoSummary` says whether every message arrived once and in order
and whether both relays moved from A to B.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rtcpeer.demo.ledger import MessageLedger
from rtcpeer.demo.media import MediaCall
from rtcpeer.demo.paths import SelectedPath, pair_path, region_lookup
from rtcpeer.demo.regions import DEFAULT_RELAY_PORTS, Region, running_regions
from rtcpeer.demo.summary import SIDES, DemoSummary
from rtcpeer.demo.timeline import Observer, Progress, Timeline
from rtcpeer.peerconnection import RTCIceTransport, RTCPeerConnection

STATS_INTERVAL = 0.01
PROGRESS_INTERVAL = 0.1


class DemoError(Exception):
    """The demo could not run (a TURN region did not start, the peers never connected)."""


@dataclass(frozen=True)
class DemoOptions:
    """How ``rtcpeer demo`` runs."""

    #: "embedded" (our TURN server) or "coturn".
    turn: str = "embedded"
    #: Seconds of streaming, split between the two regions.
    duration: float = 3.0
    #: Seconds between two data-channel messages.
    interval: float = 0.005
    #: Relay port range of each region; the first is the origin, the second the destination.
    relay_ports: Mapping[str, tuple[int, int]] = field(
        default_factory=lambda: dict(DEFAULT_RELAY_PORTS)
    )
    #: Share of ``duration`` spent on the origin region before the move.
    restart_at: float = 0.4
    #: Longest wait for connecting, and for the restart to land.
    timeout: float = 10.0
    #: Longest wait, after the last message is sent, for the rest to arrive.
    drain_timeout: float = 5.0
    #: Also a synthetic video (320x240, 30 fps) and audio (20 ms) stream each way.
    media: bool = False


PeerFactory = Callable[[dict[str, Any]], RTCPeerConnection]


async def run_demo(
    options: DemoOptions | None = None,
    observer: Observer | None = None,
    *,
    peer_factory: PeerFactory = RTCPeerConnection,
) -> DemoSummary:
    """Run the scenario once; entries and progress go to ``observer``.

    Raises :class:`DemoError` when the demo cannot run at all (and
    CoturnMissingError for ``turn="coturn"`` without coturn); a run that
    loses messages or does not move returns a summary whose ``ok`` is False.
    """
    options = options or DemoOptions()
    if len(options.relay_ports) != 2:
        raise ValueError("the demo needs exactly two regions")
    loop = asyncio.get_running_loop()
    timeline = Timeline(loop.time(), observer)
    try:
        async with running_regions(options.turn, dict(options.relay_ports)) as regions:
            for region in regions:
                low, high = region.relay_ports
                timeline.add(
                    loop.time(),
                    f"region {region.name}",
                    "region",
                    f"{region.kind} TURN server {region.url}, relaying on ports {low}-{high}",
                )
            return await _Scenario(options, timeline, regions, peer_factory).run()
    finally:
        if observer is not None:
            observer.close()


class _Scenario:
    def __init__(
        self,
        options: DemoOptions,
        timeline: Timeline,
        regions: list[Region],
        peer_factory: PeerFactory,
    ) -> None:
        self.options = options
        self.timeline = timeline
        self.loop = asyncio.get_running_loop()
        self.origin, self.destination = regions
        self.region_of = region_lookup(dict(options.relay_ports))
        self.peer_factory = peer_factory
        self.ledger = MessageLedger()
        self.paths: dict[str, SelectedPath | None] = dict.fromkeys(SIDES)
        self.phase = "connecting"
        self.stream_started: float | None = None
        self.stream_stopped: float | None = None
        self.stop_streaming = asyncio.Event()
        self.moved: asyncio.Future[None] = self.loop.create_future()
        self.restart_began: float | None = None
        self.drained: asyncio.Future[None] = self.loop.create_future()
        self.origin_released: bool | None = None
        self.signalling_errors: list[str] = []
        self.media: MediaCall | None = None
        self.tasks: set[asyncio.Future[Any]] = set()
        #: Last seen state of each (side, candidate-pair id).
        self.check_states: dict[tuple[str, str], str] = {}
        #: wait_for()'s conditions on the selected pairs, re-checked as they change.
        self.pair_waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self.summary = DemoSummary(
            turn=self.origin.kind,
            regions={r.name: _describe(r) for r in (self.origin, self.destination)},
            origin=self.origin.name,
            destination=self.destination.name,
        )

    def note(self, source: str, kind: str, text: str) -> None:
        self.timeline.add(self.loop.time(), source, kind, text)

    # -- the story ------------------------------------------------------------------------
    async def run(self) -> DemoSummary:
        config = self.origin.configuration()
        caller = self.peer_factory(config)
        callee = self.peer_factory(config)
        peers = {"caller": caller, "callee": callee}
        monitor: asyncio.Task[None] | None = None
        streamer: asyncio.Task[None] | None = None
        try:
            for name, pc in peers.items():
                self.watch(name, pc)
            self.trickle("caller", caller, callee)
            self.trickle("callee", callee, caller)
            if self.options.media:
                self.media = MediaCall(
                    peers, self.note, now=self.loop.time, start=self.timeline.start
                )
                self.media.add_tracks()
            monitor = asyncio.ensure_future(self.monitor(peers))
            channel = await self.connect(caller, callee)
            await self.wait_for(self.both_on(self.origin.name), "both selected pairs on A")
            streamer = asyncio.ensure_future(self.stream(channel))
            await asyncio.sleep(self.options.duration * self.options.restart_at)
            self.summary.before = dict(self.paths)
            await self.restart(caller, callee)
            remaining = self.options.duration - self.streamed()
            await asyncio.sleep(max(0.0, remaining))
            self.stop_streaming.set()
            await streamer
            await self.drain()
            if self.media is not None:
                self.phase = "draining media"
                self.summary.media = await self.media.finish(self.options.drain_timeout)
            await self.note_all_checks(peers)
            self.summary.after = dict(self.paths)
        finally:
            self.stop_streaming.set()
            for task in (monitor, streamer, *self.tasks):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
            self.phase = "done"
            self.progress()
            await caller.close()
            await callee.close()
            if self.media is not None:
                await self.media.close()
        self.finish()
        return self.summary

    async def connect(self, caller: RTCPeerConnection, callee: RTCPeerConnection) -> Any:
        channel = caller.createDataChannel("demo")
        callee.on("datachannel", lambda event: event.channel.on("message", self.on_message))
        opened: asyncio.Future[None] = self.loop.create_future()

        @channel.on("open")
        def on_open() -> None:
            if not opened.done():
                opened.set_result(None)

        started = self.loop.time()
        self.note("caller", "signalling", "createDataChannel('demo'), createOffer()")
        await self.negotiate(caller, callee, ice_restart=False)
        self.follow_pair("caller", caller)
        self.follow_pair("callee", callee)
        try:
            await asyncio.wait_for(opened, self.options.timeout)
        except TimeoutError:
            raise DemoError(
                f"the peers did not connect through region {self.origin.name} within "
                f"{self.options.timeout:.0f}s (ICE: caller {caller.iceConnectionState}, "
                f"callee {callee.iceConnectionState})"
            ) from None
        self.summary.connect_ms = (self.loop.time() - started) * 1000
        self.note(
            "caller",
            "channel",
            f"data channel 'demo' open {self.summary.connect_ms:.0f} ms after createOffer()",
        )
        return channel

    async def negotiate(
        self, offerer: RTCPeerConnection, answerer: RTCPeerConnection, *, ice_restart: bool
    ) -> None:
        """Offer over, answer back, as JSON -- the signalling server's job."""
        offer = await offerer.createOffer(iceRestart=ice_restart)
        await offerer.setLocalDescription(offer)
        self.note("caller", "signalling", "setLocalDescription(offer); offer -> callee")
        await answerer.setRemoteDescription(offer.toJSON())
        await answerer.setLocalDescription()
        answer = answerer.localDescription
        assert answer is not None
        self.note("callee", "signalling", "setRemoteDescription(offer), answer -> caller")
        await offerer.setRemoteDescription(answer.toJSON())
        self.note("caller", "signalling", "setRemoteDescription(answer)")

    async def restart(self, caller: RTCPeerConnection, callee: RTCPeerConnection) -> None:
        """MDN's example: setConfiguration(restartConfig), createOffer({iceRestart: true})."""
        self.phase = "restarting"
        self.restart_began = self.loop.time()
        restart_config = self.destination.configuration()
        for name, pc in (("caller", caller), ("callee", callee)):
            pc.setConfiguration(restart_config)
            self.note(name, "restart", f"setConfiguration(iceServers: {self.destination.url})")
        self.note("caller", "restart", "createOffer(iceRestart=True)")
        await self.negotiate(caller, callee, ice_restart=True)
        try:
            await asyncio.wait_for(asyncio.shield(self.moved), self.options.timeout)
        except TimeoutError:
            self.summary.problems.append(
                f"the selected pairs did not reach region {self.destination.name} within "
                f"{self.options.timeout:.0f}s"
            )
            self.note("demo", "restart", f"restart did not reach region {self.destination.name}")
        self.phase = "streaming"

    # -- peers' events -----------------------------------------------------------------------
    def watch(self, name: str, pc: RTCPeerConnection) -> None:
        pc.on(
            "icegatheringstatechange",
            lambda: self.note(name, "gathering", f"ICE gathering: {pc.iceGatheringState}"),
        )
        pc.on(
            "iceconnectionstatechange",
            lambda: self.note(name, "ice", f"ICE connection: {pc.iceConnectionState}"),
        )
        pc.on(
            "connectionstatechange",
            lambda: self.note(name, "connection", f"connection: {pc.connectionState}"),
        )

        @pc.on("icecandidateerror")
        def on_error(event: Any) -> None:
            self.note(
                name,
                "error",
                f"candidate error {event.errorCode} from {event.url}: {event.errorText}",
            )

    def trickle(self, name: str, source: RTCPeerConnection, target: RTCPeerConnection) -> None:
        """Each candidate goes to the other peer as JSON (trickle ICE)."""

        @source.on("icecandidate")
        def on_candidate(event: Any) -> None:
            candidate = event.candidate
            if candidate is not None and candidate.candidate:
                region = self.region_of(candidate.port or 0) if candidate.type == "relay" else None
                where = f" (region {region})" if region else ""
                self.note(
                    name,
                    "candidate",
                    f"candidate {candidate.type} {candidate.protocol} "
                    f"{candidate.address}:{candidate.port}{where}"
                    + (f" from {event.url}" if event.url else ""),
                )
            init = None if candidate is None else candidate.toJSON()
            task = asyncio.ensure_future(self.add_candidate(target, init))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def add_candidate(self, target: RTCPeerConnection, init: Any) -> None:
        if target.signalingState == "closed":
            return
        try:
            await target.addIceCandidate(init)
        except Exception as error:  # shown, and fails the run
            self.signalling_errors.append(f"addIceCandidate: {error!r}")

    # -- streaming -----------------------------------------------------------------------
    def streamed(self) -> float:
        if self.stream_started is None:
            return 0.0
        end = self.stream_stopped if self.stream_stopped is not None else self.loop.time()
        return end - self.stream_started

    async def stream(self, channel: Any) -> None:
        """Send "0", "1", ... on a fixed schedule (no drift from sleep overshoot)."""
        self.phase = "streaming"
        self.stream_started = start = self.loop.time()
        every = f"{self.options.interval * 1000:g} ms"
        self.note("caller", "channel", f"streaming a message every {every}")
        count = 0
        while not self.stop_streaming.is_set():
            now = self.loop.time()
            channel.send(str(self.ledger.next_sequence(now)))
            count += 1
            delay = start + count * self.options.interval - self.loop.time()
            if delay > 0:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.stop_streaming.wait(), delay)
        self.stream_stopped = self.loop.time()
        self.note("caller", "channel", f"stopped streaming after {self.ledger.sent} messages")

    def on_message(self, message: Any) -> None:
        try:
            sequence = int(message)
        except (TypeError, ValueError):
            return
        self.ledger.note_received(sequence, self.loop.time())
        if self.stop_streaming.is_set() and self.ledger.missing <= 0 and not self.drained.done():
            self.drained.set_result(None)

    async def drain(self) -> None:
        self.phase = "draining"
        if self.ledger.missing > 0 and not self.drained.done():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.drained), self.options.drain_timeout)
        self.note(
            "callee",
            "channel",
            f"received {self.ledger.received} of {self.ledger.sent} messages",
        )

    # -- the selected pairs ------------------------------------------------------------------
    def follow_pair(self, name: str, pc: RTCPeerConnection) -> None:
        """Note ``pc``'s selected pair whenever its RTCIceTransport says it changed."""
        sctp = pc.sctp
        if sctp is None:
            raise DemoError(f"the {name} negotiated no data channel")
        ice = sctp.transport.iceTransport
        ice.on("selectedcandidatepairchange", lambda: self.pair_changed(name, ice))
        self.pair_changed(name, ice)  # ICE may have selected one already

    def pair_changed(self, name: str, ice: RTCIceTransport) -> None:
        path = pair_path(ice.getSelectedCandidatePair(), self.region_of)
        if path is None or path == self.paths[name]:
            return
        self.paths[name] = path
        self.note(name, "pair", f"selected pair: {path.label()}")
        for predicate, waiter in self.pair_waiters:
            if not waiter.done() and predicate():
                waiter.set_result(None)
        if (
            self.restart_began is not None
            and not self.moved.done()
            and self.both_on(self.destination.name)()
        ):
            self.summary.restart_ms = (self.loop.time() - self.restart_began) * 1000
            self.moved.set_result(None)
            if self.media is not None:
                self.media.moved()
            self.note(
                "demo",
                "restart",
                f"both peers relay through region {self.destination.name}, "
                f"{self.summary.restart_ms:.0f} ms after setConfiguration",
            )

    def both_on(self, region: str) -> Callable[[], bool]:
        def check() -> bool:
            return all(
                (path := self.paths[side]) is not None
                and path.local.candidate_type == "relay"
                and path.local.region == region
                for side in SIDES
            )

        return check

    async def wait_for(self, predicate: Callable[[], bool], what: str) -> None:
        """Until ``predicate`` holds for the selected pairs (re-checked as they change)."""
        if predicate():
            return
        waiter: asyncio.Future[None] = self.loop.create_future()
        entry = (predicate, waiter)
        self.pair_waiters.append(entry)
        try:
            await asyncio.wait_for(waiter, self.options.timeout)
        except TimeoutError:
            raise DemoError(f"timed out waiting for {what}") from None
        finally:
            self.pair_waiters.remove(entry)

    # -- watching the checks (getStats) -----------------------------------------------------
    async def note_all_checks(self, peers: Mapping[str, RTCPeerConnection]) -> None:
        """Read each side's candidate pairs from getStats(); note every state change."""
        for name, pc in peers.items():
            self.note_checks(name, await pc.getStats())

    def note_checks(self, name: str, report: Mapping[str, Mapping[str, Any]]) -> None:
        """A timeline entry whenever a candidate pair's check state changes."""
        for entry in report.values():
            if entry.get("type") != "candidate-pair":
                continue
            key = (name, str(entry["id"]))
            state = str(entry.get("state")) + (" (nominated)" if entry.get("nominated") else "")
            if self.check_states.get(key) == state:
                continue
            self.check_states[key] = state
            local = report.get(str(entry.get("localCandidateId")), {})
            remote = report.get(str(entry.get("remoteCandidateId")), {})
            ports = f"{local.get('port', '?')} -> {remote.get('port', '?')}"
            region = self.region_of(int(local.get("port", 0)))
            where = f" (region {region})" if region else ""
            self.note(name, "check", f"check {ports}{where}: {state}")

    async def monitor(self, peers: Mapping[str, RTCPeerConnection]) -> None:
        last_progress = last_rate = self.loop.time()
        while True:
            await self.note_all_checks(peers)
            now = self.loop.time()
            if now - last_progress >= PROGRESS_INTERVAL:
                last_progress = now
                self.progress()
            if self.stream_started is not None and now - last_rate >= 1.0:
                last_rate = now
                sent, received = self.ledger.rates(now)
                regions = ", ".join(
                    f"{side} on {path.local.region or '?'}"
                    for side in SIDES
                    if (path := self.paths[side]) is not None
                )
                self.note(
                    "demo", "rate", f"{sent} msg/s sent, {received} msg/s received; {regions}"
                )
            self.watch_origin()
            await asyncio.sleep(STATS_INTERVAL)

    def watch_origin(self) -> None:
        count = self.origin.relay_count
        if count is None or self.restart_began is None or self.origin_released:
            return
        if count() == 0:
            self.origin_released = True
            self.note(
                f"region {self.origin.name}",
                "region",
                "all relayed allocations released (the old ICE generation retired)",
            )

    def progress(self) -> None:
        observer = self.timeline.observer
        if observer is None:
            return
        now = self.loop.time()
        sent_rate, received_rate = self.ledger.rates(now)
        observer.progress(
            Progress(
                at=now - self.timeline.start,
                phase=self.phase,
                duration=self.options.duration,
                streamed=self.streamed(),
                sent=self.ledger.sent,
                received=self.ledger.received,
                missing=self.ledger.missing,
                sent_rate=sent_rate,
                received_rate=received_rate,
                caller=self.paths["caller"],
                callee=self.paths["callee"],
                video=(
                    ()
                    if self.media is None
                    else tuple(
                        (side, sent, got) for side, (sent, got) in self.media.counts().items()
                    )
                ),
            )
        )

    def finish(self) -> None:
        ledger, summary = self.ledger, self.summary
        summary.sent = ledger.sent
        summary.received = ledger.received
        summary.lost = ledger.missing
        summary.duplicates = ledger.duplicates
        summary.out_of_order = ledger.out_of_order
        summary.longest_gap_ms = ledger.longest_gap * 1000
        if ledger.longest_gap_end is not None:
            summary.longest_gap_at = ledger.longest_gap_end - self.timeline.start
        if self.origin.relay_count is not None:
            summary.origin_released = bool(self.origin_released)
        summary.problems.extend(self.signalling_errors)
        summary.elapsed_s = self.loop.time() - self.timeline.start
        self.note("demo", "done", "OK" if summary.ok else "FAILED")


def _describe(region: Region) -> dict[str, Any]:
    described: dict[str, Any] = {"url": region.url, "relay_ports": list(region.relay_ports)}
    if region.pid is not None:
        described["pid"] = region.pid
    return described


__all__ = ["DemoError", "DemoOptions", "PeerFactory", "run_demo"]
