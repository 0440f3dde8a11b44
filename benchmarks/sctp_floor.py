"""The floor under data-channel throughput: aiortc's SCTP and DTLS alone, in memory.

Two associations wired back to back in this one process -- no ICE, no
sockets, no event-loop wake-up per datagram: what one side sends is handed
to the other side in the next loop turn, all datagrams of a turn in one
callback. What is left is the cost of the layers rtcpeer reuses from aiortc
(its SCTP, with rtcpeer's delayed SACK, bundling and eager flush, and its
DTLS over pyOpenSSL), i.e. the least CPU a data channel can cost per packet
while the project keeps aiortc's SCTP and DTLS. Stacks, each on the same
in-memory link:

- ``rtcpeer``: :class:`rtcpeer.transport.CountingSctpTransport` over
  :func:`rtcpeer.transport.create_dtls_transport`, records handed to DTLS
  as they arrive (the ``deliver`` hook), channels from
  :func:`rtcpeer.transport.open_data_channel`: what rtcpeer runs, minus ICE
  and sockets.
- ``rtcpeer, no DTLS``: the same SCTP over a pass-through instead of DTLS
  (SCTP's share alone).
- ``aiortc``: stock ``RTCSctpTransport`` over stock DTLS, which reads each
  datagram in its own task.

Two workloads: **bulk** -- dc_throughput's transfer (800 messages of
16,000 bytes, one reliable ordered channel, ``bufferedamountlow`` pacing),
µs of this process's CPU per DATA packet (1,200 bytes of user data, SACKs
and all included) and the MB/s that gives; **small** -- 100-byte messages,
each sent once the previous one arrived (so each is a packet of its own, as
for 1,000 pairs sending one message per 100 ms each: issue 19 outcome 1),
µs of CPU per message, SACKs included; **small, many** -- the pattern of
issue 19's 1,000 pairs at once: 300 pairs of associations, each carrying one
4-byte string message a round, alternating direction (so a SACK rides on the
reverse message, as in ``pc_scale.py``'s steady window), all of a round sent
in one loop turn: µs of CPU per message with the state of 600 associations
in play (what one association's hot loop keeps in cache, 600 do not);
**paced** -- the same 300 pairs, but a round every 100 ms as in
``pc_scale.py``'s steady window (each end sends one message and receives
one every 200 ms, so each delayed SACK either rides on the reply or waits
out its timer): µs of CPU per message over the whole window, the event
loop's timers included (what back-to-back rounds leave out).
Rounds interleaved, medians.

Run: ``.venv/bin/python benchmarks/sctp_floor.py`` (``--quick``: a short run).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiortc import RTCDataChannel, RTCDataChannelParameters, RTCSctpTransport  # noqa: E402
from tests.support.waiting import until  # noqa: E402

from rtcpeer.configuration import RTCCertificate  # noqa: E402
from rtcpeer.transport import (  # noqa: E402
    CountingSctpTransport,
    DataChannelOptions,
    create_dtls_transport,
    local_dtls_parameters,
    open_data_channel,
)
from rtcpeer.transport.eager import run_now  # noqa: E402

STACKS = ("rtcpeer", "rtcpeer, no DTLS", "aiortc")
MESSAGES = 800
SIZE = 16_000
HIGH_WATER = 1 << 20
LOW_WATER = 256 << 10
SMALL = 100
SMALL_MESSAGES = 2_000
#: Association pairs in the "small, many" workload, and messages it sends in all.
MANY_PAIRS = 300
MANY_MESSAGES = 6_000
#: Rounds of the "paced" workload, one each PACE seconds (as pc_scale's steady window).
PACED_ROUNDS = 20
PACE = 0.1
#: User data per DATA chunk in aiortc's SCTP (one chunk per 1,200-byte packet).
CHUNK = 1_200
TIMEOUT = 30.0


class MemoryEnd:
    """One end of an in-memory datagram link with IceTransport's surface
    (``role``, ``receive``, ``send``, the ``deliver`` hand-off)."""

    def __init__(self, role: str, *, offer: bool) -> None:
        self._role = role
        self._offer = offer
        self.peer: MemoryEnd | None = None
        self.deliver: Callable[[bytes], bool] | None = None
        self.sent = 0
        self._inbox: list[bytes] = []
        self._arriving: list[bytes] = []
        self._waiter: asyncio.Future[None] | None = None

    @property
    def role(self) -> str:
        return self._role

    async def receive(self) -> bytes:
        while not self._inbox:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        return self._inbox.pop(0)

    def send(self, data: bytes) -> None:
        peer = self.peer
        assert peer is not None
        self.sent += 1
        if not peer._arriving:
            asyncio.get_running_loop().call_soon(peer._arrive)
        peer._arriving.append(data)

    def _arrive(self) -> None:
        arriving, self._arriving = self._arriving, []
        deliver = self.deliver if self._offer else None
        for data in arriving:
            if deliver is not None and not self._inbox and deliver(data):
                continue
            self._inbox.append(data)
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)


class PassThrough:
    """Stands in for aiortc's DTLS under SCTP: bytes go to the link as they are."""

    state = "connected"

    def __init__(self, end: MemoryEnd, role: str) -> None:
        self._end = end
        self._role = role
        self._receiver: Any = None
        end.deliver = self._deliver

    def _register_data_receiver(self, receiver: Any) -> None:
        self._receiver = receiver

    def _unregister_data_receiver(self, receiver: Any) -> None:
        self._receiver = None

    async def _send_data(self, data: bytes) -> None:
        self._end.send(data)

    def _deliver(self, data: bytes) -> bool:
        if self._receiver is not None:
            run_now(self._receiver._handle_data(data))
        return True


def _link(offer: bool) -> tuple[MemoryEnd, MemoryEnd]:
    a, b = MemoryEnd("controlling", offer=offer), MemoryEnd("controlled", offer=offer)
    a.peer, b.peer = b, a
    return a, b


Certificates = tuple[RTCCertificate, RTCCertificate]


async def _pair(stack: str, certificates: Certificates) -> tuple[Any, Any, list[MemoryEnd]]:
    """Two started SCTP associations of ``stack`` and the link's two ends."""
    ends = _link(offer=stack != "aiortc")
    lower: list[Any]
    if stack == "rtcpeer, no DTLS":
        lower = [PassThrough(ends[0], "client"), PassThrough(ends[1], "server")]
    else:
        lower = [
            create_dtls_transport(ends[0], certificates[0], dtls_role="client"),
            create_dtls_transport(ends[1], certificates[1], dtls_role="server"),
        ]
        await asyncio.wait_for(
            asyncio.gather(
                lower[0].start(local_dtls_parameters(certificates[1])),
                lower[1].start(local_dtls_parameters(certificates[0])),
            ),
            TIMEOUT,
        )
    kind: type[RTCSctpTransport] = RTCSctpTransport if stack == "aiortc" else CountingSctpTransport
    sctp = [kind(lower[0]), kind(lower[1])]
    await sctp[0].start(sctp[1].getCapabilities(), sctp[1].port)
    await sctp[1].start(sctp[0].getCapabilities(), sctp[0].port)
    return sctp[0], sctp[1], list(ends)


async def _channel(a: Any, b: Any) -> tuple[RTCDataChannel, RTCDataChannel]:
    """An open reliable ordered channel from ``a`` to ``b`` (both ends)."""
    incoming: asyncio.Future[RTCDataChannel] = asyncio.get_running_loop().create_future()

    def arrived(channel: RTCDataChannel) -> None:
        if not incoming.done():
            incoming.set_result(channel)

    b.on("datachannel", arrived)
    if isinstance(a, CountingSctpTransport):  # the channel class rtcpeer's peer connection makes
        near = open_data_channel(a, DataChannelOptions(label="floor"))
    else:
        near = RTCDataChannel(a, RTCDataChannelParameters(label="floor"))
    far = await asyncio.wait_for(incoming, TIMEOUT)
    await until(near, "open", lambda: near.readyState == "open", TIMEOUT)
    return near, far


async def _close(a: Any, b: Any) -> None:
    for sctp in (a, b):
        await sctp.stop()
        lower = sctp.transport
        if hasattr(lower, "stop"):
            await lower.stop()


#: One measurement: µs of CPU per unit (DATA packet or message), wall-clock rate.
Sample = tuple[float, float]


async def bulk(stack: str, certificates: Certificates) -> Sample:
    """dc_throughput's transfer on one channel: (µs CPU per DATA packet, MB/s)."""
    a, b, _ = await _pair(stack, certificates)
    try:
        near, far = await _channel(a, b)
        total = MESSAGES * SIZE
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        received = 0

        def on_message(message: Any) -> None:
            nonlocal received
            received += len(message)
            if received >= total and not done.done():
                done.set_result(None)

        far.on("message", on_message)
        near.bufferedAmountLowThreshold = LOW_WATER
        payload = b"x" * SIZE
        gc.collect()  # what earlier rounds left is not this round's cost
        cpu, wall = time.process_time(), time.perf_counter()
        sent = 0
        while sent < MESSAGES:
            while sent < MESSAGES and near.bufferedAmount < HIGH_WATER:
                near.send(payload)
                sent += 1
            if sent < MESSAGES:
                await until(
                    near, "bufferedamountlow", lambda: near.bufferedAmount <= LOW_WATER, TIMEOUT
                )
        await asyncio.wait_for(done, TIMEOUT)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        data_packets = MESSAGES * -(-SIZE // CHUNK)
        return 1e6 * cpu / data_packets, total / wall / 1e6
    finally:
        await _close(a, b)


async def small(stack: str, certificates: Certificates) -> Sample:
    """100-byte messages one at a time: (µs CPU per message, messages per s)."""
    a, b, _ = await _pair(stack, certificates)
    try:
        near, far = await _channel(a, b)
        arrived: asyncio.Future[None] | None = None

        def on_message(message: Any) -> None:
            if arrived is not None and not arrived.done():
                arrived.set_result(None)

        far.on("message", on_message)
        payload = b"y" * SMALL
        loop = asyncio.get_running_loop()
        gc.collect()
        cpu, wall = time.process_time(), time.perf_counter()
        async with asyncio.timeout(TIMEOUT):
            for _ in range(SMALL_MESSAGES):
                arrived = loop.create_future()
                near.send(payload)
                await arrived
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return 1e6 * cpu / SMALL_MESSAGES, SMALL_MESSAGES / wall
    finally:
        await _close(a, b)


async def many(stack: str, certificates: Certificates) -> Sample:
    """One message per pair a round, alternating direction, over
    :data:`MANY_PAIRS` pairs at once: (µs CPU per message, messages per s)."""
    pairs = [await _pair(stack, certificates) for _ in range(MANY_PAIRS)]
    try:
        channels = [await _channel(a, b) for a, b, _ in pairs]
        arrivals = Arrivals(channels)
        gc.collect()
        rounds = MANY_MESSAGES // MANY_PAIRS
        cpu, wall = time.process_time(), time.perf_counter()
        async with asyncio.timeout(TIMEOUT):
            for index in range(rounds):
                round_done = arrivals.expect(MANY_PAIRS)
                for near, far in channels:
                    (far if index % 2 else near).send("ping")
                await round_done
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return 1e6 * cpu / (rounds * MANY_PAIRS), rounds * MANY_PAIRS / wall
    finally:
        for a, b, _ in pairs:
            await _close(a, b)


class Arrivals:
    """Counts the messages arriving at either end of ``channels``."""

    def __init__(self, channels: list[tuple[Any, Any]]) -> None:
        self._count = 0
        self._wanted = 0
        self._done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for near, far in channels:
            near.on("message", self._on_message)
            far.on("message", self._on_message)

    def expect(self, count: int) -> asyncio.Future[None]:
        """A future done once ``count`` more messages have arrived."""
        self._count, self._wanted = 0, count
        self._done = asyncio.get_running_loop().create_future()
        return self._done

    def _on_message(self, message: object) -> None:
        self._count += 1
        if self._count == self._wanted and not self._done.done():
            self._done.set_result(None)


async def paced(stack: str, certificates: Certificates) -> Sample:
    """One message per pair every :data:`PACE` s, alternating direction, over
    :data:`MANY_PAIRS` pairs, for :data:`PACED_ROUNDS` rounds: (µs CPU per
    message over the whole window, messages per s)."""
    pairs = [await _pair(stack, certificates) for _ in range(MANY_PAIRS)]
    try:
        channels = [await _channel(a, b) for a, b, _ in pairs]
        loop = asyncio.get_running_loop()
        total = PACED_ROUNDS * MANY_PAIRS
        all_arrived = Arrivals(channels).expect(total)
        await asyncio.sleep(0.3)  # the opening's delayed SACKs are out: none counted here
        gc.collect()
        cpu, start = time.process_time(), loop.time()
        async with asyncio.timeout(TIMEOUT):
            for index in range(PACED_ROUNDS):
                await asyncio.sleep(max(0.0, start + index * PACE - loop.time()))
                for near, far in channels:
                    (far if index % 2 else near).send("ping")
            await asyncio.sleep(max(0.0, start + PACED_ROUNDS * PACE - loop.time()))
            await all_arrived
        cpu, wall = time.process_time() - cpu, loop.time() - start
        return 1e6 * cpu / total, total / wall
    finally:
        for a, b, _ in pairs:
            await _close(a, b)


Results = dict[tuple[str, str], list[Sample]]


async def run(rounds: int) -> Results:
    certificates = (RTCCertificate.generate("ECDSA"), RTCCertificate.generate("ECDSA"))
    results: Results = {}
    workloads = {"bulk": bulk, "small": small, "many": many, "paced": paced}
    for stack in STACKS:  # warm-up, not counted
        for name, measure in workloads.items():
            if name not in ("many", "paced"):  # (only imports and caches to warm: one is enough)
                await measure(stack, certificates)
    for _ in range(rounds):
        for name, measure in workloads.items():
            for stack in STACKS:
                results.setdefault((name, stack), []).append(await measure(stack, certificates))
    return results


def report(results: Results, rounds: int, command: str) -> str:
    def med(name: str, stack: str, index: int) -> float:
        return statistics.median(sample[index] for sample in results[(name, stack)])

    lines = [
        "### The SCTP + DTLS floor: aiortc's layers alone, in memory",
        "",
        f"Command: `{command}` ({rounds} interleaved rounds after a warm-up, medians; "
        "two associations back to back in one process, no ICE, no sockets; CPU time of "
        "this process).",
        "",
        f"| stack | bulk: µs CPU per DATA packet | bulk: MB/s ({MESSAGES} x {SIZE} B, "
        f"1 channel) | small: µs CPU per {SMALL}-byte message | small: messages/s "
        f"| small, many ({MANY_PAIRS} pairs, alternating): µs CPU per message "
        f"| paced (the same, a round per {PACE * 1000:.0f} ms): µs CPU per message |",
        "|---|---|---|---|---|---|---|",
    ]
    for stack in STACKS:
        lines.append(
            f"| {stack} | {med('bulk', stack, 0):.1f} | {med('bulk', stack, 1):.1f} "
            f"| {med('small', stack, 0):.1f} | {med('small', stack, 1):,.0f} "
            f"| {med('many', stack, 0):.1f} | {med('paced', stack, 0):.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 7)
    results = asyncio.run(run(rounds))
    flags = [("--quick", args.quick), (f"--rounds {rounds}", args.rounds is not None)]
    command = " ".join(["benchmarks/sctp_floor.py"] + [f for f, on in flags if on])
    print(report(results, rounds, ".venv/bin/python " + command))


if __name__ == "__main__":
    main()
