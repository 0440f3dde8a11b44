"""The timeline of one rtcpeer <-> rtcpeer open on loopback, step by step.

Where :mod:`pc_open` says how long createOffer -> data channel open takes,
this says where the milliseconds go: two rtcpeer connections in one process
(as ``pc_open``'s rtcpeer row pairs them, signalled through the same
``Bridge``) are opened while hooks note the monotonic time of every step --
the signalling calls, each trickled candidate, every STUN check and
response (and which carry USE-CANDIDATE), each ICE state and selected pair,
every DTLS record sent and received (handshake messages by name), the DTLS
state, every SCTP chunk (INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK, DATA with
DCEP OPEN/ACK, SACK) and the channels' open events -- together with the
event loop's idle waits (time spent in ``select`` with nothing to do, and
the timeout it was waiting for: that is time spent waiting on a timer, since
both peers live in this process and loopback delivers at once).

Run: ``.venv/bin/python benchmarks/pc_open_timeline.py`` (40 opens;
``--quick``: 5; ``--rounds N``). It prints a Markdown section: the median
length of each phase of an open (signalling, ICE until the DTLS client has
a valid pair and until its ClientHello leaves, the DTLS handshake, the SCTP
association, DCEP) and the whole timeline of the median open (``--quiet``
leaves it out; ``--steps`` adds every event-loop callback longer than
30 us, with its duration). Steps are marked O (offerer), A (answerer), "-"
(the loop, the benchmark) or "?" (an object of neither connection: the
previous open's, closing). Runs in a private network namespace, as pc_open
does. Hooks are installed on classes for the run only; nothing is changed
in what they do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import selectors
import statistics
import struct
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pc_common import fresh_heap, open_pair, rtcpeer_pc, sides
from tests.support.netns import private_network

from rtcpeer.ice.runtime.driver import IceTransport
from rtcpeer.ice.runtime.sockets import UdpSocket
from rtcpeer.transport.aiortc_adapter import ObservedDtlsTransport
from rtcpeer.transport.datachannel import CountingSctpTransport

#: DTLS handshake message types (RFC 5246 §7.4, RFC 6347 §4.2.1).
_HANDSHAKE = {
    1: "ClientHello",
    2: "ServerHello",
    3: "HelloVerifyRequest",
    11: "Certificate",
    12: "ServerKeyExchange",
    13: "CertificateRequest",
    14: "ServerHelloDone",
    15: "CertificateVerify",
    16: "ClientKeyExchange",
    20: "Finished",
}
_CONTENT = {20: "CCS", 21: "Alert", 22: "Handshake", 23: "AppData"}
#: SCTP chunk types (RFC 9260 §3.2).
_CHUNKS = {
    0: "DATA",
    1: "INIT",
    2: "INIT-ACK",
    3: "SACK",
    4: "HEARTBEAT",
    5: "HEARTBEAT-ACK",
    6: "ABORT",
    10: "COOKIE-ECHO",
    11: "COOKIE-ACK",
    192: "FORWARD-TSN",
    130: "RE-CONFIG",
}
_STUN_USE_CANDIDATE = 0x0025


def describe_stun(data: bytes) -> str:
    kind = struct.unpack_from("!H", data)[0]
    name = {0x0001: "Binding request", 0x0101: "Binding success", 0x0111: "Binding error"}.get(
        kind, f"STUN {kind:#06x}"
    )
    if kind == 0x0001:
        offset = 20
        while offset + 4 <= len(data):
            attr, length = struct.unpack_from("!HH", data, offset)
            if attr == _STUN_USE_CANDIDATE:
                name += " USE-CANDIDATE"
            offset += 4 + length + (-length % 4)
    return name


def describe_dtls(data: bytes) -> str:
    parts: list[str] = []
    offset = 0
    while offset + 13 <= len(data):
        content, epoch, length = (
            data[offset],
            data[offset + 3 : offset + 5],
            data[offset + 11 : offset + 13],
        )
        size = int.from_bytes(length, "big")
        if content == 22 and epoch == b"\0\0" and size:
            parts.append(_HANDSHAKE.get(data[offset + 13], f"hs{data[offset + 13]}"))
        elif content == 22:
            parts.append("Finished(enc)")
        else:
            parts.append(_CONTENT.get(content, f"ct{content}"))
        offset += 13 + size
    return "DTLS " + ",".join(parts)


def describe(data: bytes) -> str:
    first = data[0]
    if first < 4:
        return describe_stun(data)
    if 19 < first < 64:
        return describe_dtls(data)
    return f"other {first}"


def describe_sctp(packet: bytes) -> str:
    names: list[str] = []
    offset = 12
    while offset + 4 <= len(packet):
        kind, _flags, length = struct.unpack_from("!BBH", packet, offset)
        name = _CHUNKS.get(kind, f"chunk{kind}")
        if kind == 0 and length >= 16:
            ppid = struct.unpack_from("!I", packet, offset + 12)[0]
            if ppid == 50 and length > 16:
                name += {3: "(DCEP OPEN)", 2: "(DCEP ACK)"}.get(packet[offset + 16], "(DCEP ?)")
            else:
                name += f"(ppid {ppid})"
        names.append(name)
        offset += length + (-length % 4)
    return "SCTP " + "+".join(names)


class Timeline:
    """Timestamped steps of one open, by side ("O" offerer, "A" answerer)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.steps: list[tuple[float, str, str]] = []
        self.owners: dict[int, str] = {}  # id(object) -> side

    def note(self, side: str, what: str) -> None:
        self.steps.append(((time.perf_counter() - self.start) * 1000, side, what))

    def side(self, obj: object) -> str:
        return self.owners.get(id(obj), "?")


_current: Timeline | None = None


def _note(obj: object, what: str) -> None:
    if _current is not None:
        _current.note(_current.side(obj), what)


@contextmanager
def hooks() -> Iterator[None]:
    """Wrap the classes' methods with notes for the run (restored afterwards)."""
    saved: list[tuple[type, str, Any]] = []

    def wrap(cls: type, name: str, make: Callable[[Any], Any]) -> None:
        original = cls.__dict__[name]
        saved.append((cls, name, original))
        setattr(cls, name, make(original))

    def udp_send(original: Any) -> Any:
        def send(self: UdpSocket, data: bytes, destination: Any) -> None:
            _note(self, "send " + describe(data))
            original(self, data, destination)

        return send

    def on_datagram(original: Any) -> Any:
        def received(self: IceTransport, socket_id: int, source: Any, data: bytes) -> None:
            _note(self, "recv " + describe(data))
            original(self, socket_id, source, data)

        return received

    def dtls_state(original: Any) -> Any:
        def set_state(self: ObservedDtlsTransport, state: Any) -> None:
            original(self, state)
            _note(self, f"DTLS {state.name.lower()}")

        return set_state

    def dtls_send_data(original: Any) -> Any:
        async def send_data(self: ObservedDtlsTransport, data: bytes) -> None:
            _note(self, "send " + describe_sctp(data))
            await original(self, data)

        return send_data

    def sctp_handle(original: Any) -> Any:
        async def handle(self: CountingSctpTransport, data: bytes) -> None:
            _note(self, "recv " + describe_sctp(data))
            await original(self, data)

        return handle

    def sctp_state(original: Any) -> Any:
        def set_state(self: CountingSctpTransport, state: Any) -> None:
            before = self._association_state
            original(self, state)
            if state != before:
                _note(self, f"SCTP {state.name}")

        return set_state

    from aiortc.rtcdtlstransport import RTCDtlsTransport
    from aiortc.rtcsctptransport import RTCSctpTransport

    wrap(UdpSocket, "send", udp_send)
    wrap(IceTransport, "_on_datagram", on_datagram)
    wrap(RTCDtlsTransport, "_set_state", dtls_state)
    wrap(RTCDtlsTransport, "_send_data", dtls_send_data)
    if "send_burst" in ObservedDtlsTransport.__dict__:  # SCTP packets sent in bursts

        def dtls_send_burst(original: Any) -> Any:
            def send_burst(self: ObservedDtlsTransport, packets: list[bytes]) -> None:
                for packet in packets:
                    _note(self, "send " + describe_sctp(packet))
                original(self, packets)

            return send_burst

        wrap(ObservedDtlsTransport, "send_burst", dtls_send_burst)
    wrap(RTCSctpTransport, "_handle_data", sctp_handle)
    wrap(CountingSctpTransport, "_set_state", sctp_state)
    try:
        yield
    finally:
        for cls, name, original in reversed(saved):
            setattr(cls, name, original)


class IdleRecorder:
    """The loop's waits in ``select`` (longer than 5 us) and the timeout asked for."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.selector: selectors.BaseSelector = loop._selector  # type: ignore[attr-defined]
        self._select = self.selector.select
        self.selector.select = self._timed

    def _timed(self, timeout: float | None = None) -> Any:
        began = time.perf_counter()
        events = self._select(timeout)
        waited = time.perf_counter() - began
        if _current is not None and waited > 5e-6:
            asked = "none" if timeout is None else f"{timeout * 1000:.2f} ms"
            why = "timer" if not events else f"{len(events)} ready"
            _current.steps.append(
                (
                    (began - _current.start) * 1000,
                    "-",
                    f"loop idle {waited * 1000:.2f} ms (timeout {asked}, woke by {why})",
                )
            )
        return events

    def close(self) -> None:
        self.selector.select = self._select  # type: ignore[method-assign]


def _callback_name(handle: asyncio.Handle) -> str:
    callback = handle._callback  # type: ignore[attr-defined]
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro = owner.get_coro()
        frame = getattr(coro, "cr_frame", None)
        where = "" if frame is None else f" at {frame.f_code.co_name}:{frame.f_lineno}"
        return f"task {getattr(coro, '__qualname__', coro)}{where}"
    return getattr(callback, "__qualname__", repr(callback))


@contextmanager
def loop_steps() -> Iterator[None]:
    """Note every callback the loop runs (longer than 30 us) and how long it took."""
    original = asyncio.events.Handle._run

    def run(self: asyncio.Handle) -> None:
        if _current is None:
            original(self)
            return
        name = _callback_name(self)
        began = time.perf_counter()
        original(self)
        took = time.perf_counter() - began
        if _current is not None and took > 30e-6:
            _current.steps.append(
                ((began - _current.start) * 1000, "-", f"  step {took * 1000:.3f} ms: {name}")
            )

    asyncio.events.Handle._run = run  # type: ignore[method-assign]
    try:
        yield
    finally:
        asyncio.events.Handle._run = original  # type: ignore[method-assign]


def _own(timeline: Timeline, pc: Any, side: str) -> None:
    stack = pc._transports
    ice = stack.ice
    timeline.owners[id(ice)] = side
    for sock in ice.sockets.values():
        timeline.owners[id(sock)] = side
    timeline.owners[id(stack.dtls)] = side
    timeline.owners[id(stack.sctp)] = side


async def one_open() -> Timeline:
    global _current
    a, b = rtcpeer_pc({}), rtcpeer_pc({})
    side_a, side_b = sides("rtcpeer", a, b)
    timeline = Timeline()
    for pc, side in ((a, "O"), (b, "A")):
        for method in (
            "createOffer",
            "createAnswer",
            "setLocalDescription",
            "setRemoteDescription",
        ):
            _wrap_call(pc, side, method, timeline)
        pc.on("icecandidate", _candidate_note(timeline, side))
        pc.on(
            "iceconnectionstatechange",
            lambda pc=pc, side=side: timeline.note(side, f"ICE {pc.iceConnectionState}"),
        )
        pc.on(
            "datachannel",
            lambda event, side=side: _channel_notes(timeline, side, event.channel, True),
        )
    original_create = a.createDataChannel

    def create_channel(*args: Any, **kwargs: Any) -> Any:
        channel = original_create(*args, **kwargs)
        _channel_notes(timeline, "O", channel, False)
        if a._transports is not None:
            _own(timeline, a, "O")
        return channel

    a.createDataChannel = create_channel  # type: ignore[method-assign]
    fresh_heap()
    try:
        _current = timeline
        timeline.start = time.perf_counter()
        timeline.note("O", "start (createDataChannel)")
        await open_pair(side_a, side_b, a, b)
        timeline.note("-", "both open (benchmark's end)")
    finally:
        _current = None
        await a.close()
        await b.close()
    return timeline


def _wrap_call(pc: Any, side: str, method: str, timeline: Timeline) -> None:
    original = getattr(pc, method)

    async def call(*args: Any, **kwargs: Any) -> Any:
        timeline.note(side, f"{method} called")
        result = await original(*args, **kwargs)
        if pc._transports is not None:  # sockets and transports are known by now
            _own(timeline, pc, side)
        timeline.note(side, f"{method} done")
        return result

    setattr(pc, method, call)


def _candidate_note(timeline: Timeline, side: str) -> Callable[[Any], None]:
    def noted(event: Any) -> None:
        candidate = event.candidate
        fields = [] if candidate is None else candidate.candidate.split()
        timeline.note(side, "candidate " + (fields[7] if len(fields) > 7 else "end"))

    return noted


def _channel_notes(timeline: Timeline, side: str, channel: Any, announced: bool) -> None:
    if announced:
        timeline.note(side, f"datachannel event ({channel.readyState})")
    channel.on("open", lambda: timeline.note(side, "channel open"))


def print_timeline(timeline: Timeline) -> None:
    for at, side, what in sorted(timeline.steps, key=lambda step: step[0]):
        print(f"{at:8.3f}  {side}  {what}")


async def run(rounds: int, steps: bool) -> list[Timeline]:
    loop = asyncio.get_running_loop()
    idle = IdleRecorder(loop)
    try:
        with hooks(), loop_steps() if steps else contextlib.nullcontext():
            await one_open()  # warm-up
            return [await one_open() for _ in range(rounds)]
    finally:
        idle.close()


#: The phases of an open, each ending at the first step whose text ends so.
PHASES = (
    ("signalling (createDataChannel .. answer applied)", "O setRemoteDescription done"),
    ("ICE (.. first pair valid at the DTLS client)", "A recv Binding success"),
    ("ICE (.. DTLS ClientHello sent)", "A send DTLS ClientHello"),
    ("DTLS handshake (.. both connected)", "DTLS connected#2"),
    ("SCTP association (.. both established)", "SCTP ESTABLISHED#2"),
    ("DCEP (.. both channels open)", "both open (benchmark's end)"),
)


def phase_ends(timeline: Timeline) -> list[float]:
    """When each of :data:`PHASES` ended in ``timeline`` (ms from the start)."""
    ends: list[float] = []
    for _name, marker in PHASES:
        text, _, nth = marker.partition("#")
        count = int(nth or 1)
        seen = 0
        at = math.nan
        for when, side, what in sorted(timeline.steps, key=lambda step: step[0]):
            if f"{side} {what}".endswith(text) or what == text:
                seen += 1
                if seen == count:
                    at = when
                    break
        ends.append(at)
    return ends


def summary(timelines: list[Timeline]) -> str:
    """Median length of each phase over ``timelines``, as a Markdown table."""
    rows = [phase_ends(t) for t in timelines]
    lines = ["| phase | median ms | ends at (median) |", "|---|---|---|"]
    previous = [0.0] * len(rows)
    for index, (name, _marker) in enumerate(PHASES):
        ends = [row[index] for row in rows]
        lengths = [end - before for end, before in zip(ends, previous, strict=True)]
        lines.append(
            f"| {name} | {statistics.median(lengths):.2f} | {statistics.median(ends):.2f} |"
        )
        previous = ends
    return "\n".join(lines)


def _total(timeline: Timeline) -> float:
    return timeline.steps[-1][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (5 opens)")
    parser.add_argument("--rounds", type=int, default=None, help="opens to time (default 40)")
    parser.add_argument("--steps", action="store_true", help="note every loop callback too")
    parser.add_argument("--quiet", action="store_true", help="the phase table only")
    args = parser.parse_args()
    rounds = args.rounds or (5 if args.quick else 40)
    with private_network():
        timelines = asyncio.run(run(rounds, args.steps))
    totals = sorted(_total(t) for t in timelines)
    flags = [
        ("--quick", args.quick),
        (f"--rounds {rounds}", args.rounds is not None),
        ("--steps", args.steps),
        ("--quiet", args.quiet),
    ]
    command = " ".join(
        [".venv/bin/python benchmarks/pc_open_timeline.py"] + [f for f, on in flags if on]
    )
    print("### Peer connection open, rtcpeer <-> rtcpeer on loopback: where the time goes")
    print()
    print(
        f"Command: `{command}` ({rounds} opens after a warm-up, timed as pc_open times its "
        f"rtcpeer host row, with hooks noting each step; median {statistics.median(totals):.2f} "
        f"ms, range {totals[0]:.2f}-{totals[-1]:.2f} ms; the hooks add a little to each)."
    )
    print()
    print(summary(timelines))
    if not args.quiet:
        middle = sorted(timelines, key=_total)[len(timelines) // 2]
        print()
        print("The median open, ms from createDataChannel (O: offerer, A: answerer):")
        print()
        print("```")
        print_timeline(middle)
        print("```")


if __name__ == "__main__":
    main()
