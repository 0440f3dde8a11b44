"""Time to gather (to gathering "complete") from 1, 2, 4 and 8 TURN servers.

The servers are instances of rtcpeer's embedded TURN server on loopback
(UDP, in this process). Two cases per server count: every server answers,
and one of them never answers (it is a UDP socket that reads and ignores
everything) — then gathering can only complete when that server's budget
runs out. aioice 0.13 takes one STUN and one TURN server at most, so for
N > 1 its column is its best possible configuration, one server, and the
table says so. Timing starts at ``gather()`` / ``gather_candidates()`` and
stops at end-of-candidates; host candidates are included for both stacks
(127.0.0.1 only; aioice patched to offer it).

A second table repeats the all-answer rows with the servers in a child
process, as real TURN servers are on other machines: there the time is the
client's own work plus the waits, without the servers' CPU in the same
process (same treatment for aioice, against the same child).

A third table puts the child's servers at a distance: each sits behind a
UDP relay in the child that holds every datagram for half a round trip each
way (server i of 8 at 10 x (i + 1) ms, so the slowest at 80 ms; there is no
netem on this machine, TESTING-NOTES.md). It compares 8 servers with the
slowest one alone, which is what "the time tracks the slowest server" means
once the round trips are real; aioice gets that slowest server too.

Run: ``.venv/bin/python benchmarks/ice_gathering.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import cast

from ice_common import HOST, aioice_on_loopback, ratio

from rtcpeer.configuration.urls import IceServerUrl
from rtcpeer.ice.runtime import IceTransport
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer

COUNTS = (1, 2, 4, 8)


def _url(port: int) -> IceServerUrl:
    text = f"turn:{HOST}:{port}?transport=udp"
    return IceServerUrl(text, "turn", HOST, port, "udp", False, "user", "pass")


async def _servers(count: int) -> list[TurnServer]:
    servers = []
    for _ in range(count):
        server = TurnServer(
            TurnServerConfig(realm="bench", users={"user": "pass"}),
            ListenSettings(host=HOST, port=0, tcp=False),
        )
        await server.start()
        servers.append(server)
    return servers


async def _settled(servers: list[TurnServer]) -> None:
    """Wait (1 s at most) until every server has released every allocation.

    rtcpeer's ``close()`` sends each Refresh(0) and returns; aioice's waits
    for the answer. Without this the in-process servers would release one
    round's allocations during the next round's timing, charging rtcpeer
    (and N times over with N servers) for server work of a finished round.
    """
    deadline = time.perf_counter() + 1.0
    while any(server.relay_count for server in servers):
        if time.perf_counter() > deadline:
            raise RuntimeError("the TURN servers kept allocations after close()")
        await asyncio.sleep(0.001)


async def rtcpeer_gather(ports: list[int], cpu: list[float] | None = None) -> tuple[float, int]:
    """(seconds to end-of-candidates, relay candidates); ``cpu`` gets this
    process's CPU seconds over the same interval."""
    t = IceTransport(
        controlling=True, servers=[_url(p) for p in ports], addresses=[HOST], include_loopback=True
    )
    relays = 0
    done = asyncio.get_running_loop().create_future()

    def on_candidate(candidate: object) -> None:
        nonlocal relays
        if candidate is None:
            if not done.done():
                done.set_result(None)
        elif getattr(candidate, "type", "") == "relay":
            relays += 1

    t.on("icecandidate", on_candidate)
    start, start_cpu = time.perf_counter(), time.process_time()
    await t.gather()
    await asyncio.wait_for(done, 30)
    elapsed = time.perf_counter() - start
    if cpu is not None:
        cpu.append(time.process_time() - start_cpu)
    await t.close()
    return elapsed, relays


async def aioice_gather(port: int) -> tuple[float, int]:
    import aioice

    with aioice_on_loopback():
        connection = aioice.Connection(
            ice_controlling=True,
            turn_server=(HOST, port),
            turn_username="user",
            turn_password="pass",
            use_ipv6=False,
        )
        start = time.perf_counter()
        await connection.gather_candidates()
        elapsed = time.perf_counter() - start
        relays = sum(c.type == "relay" for c in connection.local_candidates)
        await connection.close()
    return elapsed, relays


#: The round trip to server i of a distant set, seconds (the slowest last).
DISTANT_RTTS = tuple(0.010 * (i + 1) for i in range(max(COUNTS)))


class _Reply(asyncio.DatagramProtocol):
    """The relay's socket towards the server for one client: what the server
    sends back is held for half a round trip, then sent to that client."""

    def __init__(self, relay: DelayRelay, client: tuple[str, int]) -> None:
        self.relay, self.client = relay, client
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.relay.later(lambda: self.relay.send_to_client(data, self.client))


class DelayRelay(asyncio.DatagramProtocol):
    """A UDP relay in front of one TURN server: each datagram waits
    ``rtt / 2`` on the way in and again on the way out. One socket towards
    the server per client address, so the server sees one client each."""

    def __init__(self, server: tuple[str, int], rtt: float) -> None:
        self.server, self.half = server, rtt / 2
        self.transport: asyncio.DatagramTransport | None = None
        self.upstream: dict[tuple[str, int], _Reply] = {}
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def later(self, action: Callable[[], object]) -> None:
        self.loop.call_later(self.half, action)

    @property
    def port(self) -> int:
        """The port clients send to."""
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def send_to_client(self, data: bytes, client: tuple[str, int]) -> None:
        assert self.transport is not None
        self.transport.sendto(data, client)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.later(lambda: self.loop.create_task(self._forward(data, addr)))

    async def _forward(self, data: bytes, client: tuple[str, int]) -> None:
        reply = self.upstream.get(client)
        if reply is None:
            reply = self.upstream[client] = _Reply(self, client)
            await self.loop.create_datagram_endpoint(lambda: reply, remote_addr=self.server)
        assert reply.transport is not None
        reply.transport.sendto(data)

    def close(self) -> None:
        for reply in self.upstream.values():
            if reply.transport is not None:
                reply.transport.close()
        if self.transport is not None:
            self.transport.close()


async def _open_relay(server_port: int, rtt: float) -> DelayRelay:
    relay = DelayRelay((HOST, server_port), rtt)
    await asyncio.get_running_loop().create_datagram_endpoint(lambda: relay, local_addr=(HOST, 0))
    return relay


async def serve(count: int, distant: bool = False) -> None:
    """The child process: ``count`` servers (behind :class:`DelayRelay`s at
    :data:`DISTANT_RTTS` if ``distant``); the ports to use on the first line,
    then one "ok" line per "settle" line once every allocation is released."""
    servers = await _servers(count)
    loop = asyncio.get_running_loop()
    relays: list[DelayRelay] = []
    ports = [s.addresses["udp"][1] for s in servers]
    if distant:
        pairs = zip(ports, DISTANT_RTTS, strict=True)
        relays = [await _open_relay(port, rtt) for port, rtt in pairs]
        ports = [relay.port for relay in relays]
    print(" ".join(str(port) for port in ports), flush=True)
    try:
        while await loop.run_in_executor(None, sys.stdin.readline):
            await _settled(servers)
            print("ok", flush=True)
    finally:
        for relay in relays:
            relay.close()
        for server in servers:
            await server.close()


class ChildServers:
    """TURN servers in a child process (``serve``), driven over its stdin/stdout."""

    def __init__(self, process: asyncio.subprocess.Process, ports: list[int]) -> None:
        self.process = process
        self.ports = ports

    @classmethod
    async def start(cls, count: int, distant: bool = False) -> ChildServers:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--serve-distant" if distant else "--serve",
            str(count),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        ports = [int(port) for port in line.split()]
        if len(ports) != count:
            raise RuntimeError(f"the server process gave {line!r}")
        return cls(process, ports)

    async def settled(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(b"settle\n")
        await self.process.stdin.drain()
        if await asyncio.wait_for(self.process.stdout.readline(), 5) != b"ok\n":
            raise RuntimeError("the server process kept allocations after close()")

    async def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        await asyncio.wait_for(self.process.wait(), 10)


#: (label, rtcpeer seconds, this process's CPU seconds or None, aioice seconds, note)
Row = tuple[str, float, float | None, float, str]


class LiveRounds:
    """All-answer rounds, interleaved: each round times aioice once, then
    rtcpeer with every server count, so a busy moment of the machine falls
    on every column alike instead of on one server count's block."""

    def __init__(self) -> None:
        self.theirs: list[float] = []
        self.ours: dict[int, list[float]] = {count: [] for count in COUNTS}
        self.cpu: dict[int, list[float]] = {count: [] for count in COUNTS}

    async def run(
        self, live: list[int], rounds: int, settled: Callable[[], Awaitable[None]]
    ) -> None:
        for _ in range(rounds):
            elapsed, relays = await aioice_gather(live[0])
            assert relays == 1, f"aioice gathered {relays} relay candidates, not 1"
            self.theirs.append(elapsed)
            await settled()
            for count in COUNTS:
                elapsed, relays = await rtcpeer_gather(live[:count], self.cpu[count])
                assert relays == count, f"expected {count} relay candidates, got {relays}"
                self.ours[count].append(elapsed)
                await settled()


async def run_child(rounds: int) -> list[Row]:
    """All-answer rows against servers in a child process: wall time, and
    this process's CPU (the client's alone)."""
    child = await ChildServers.start(max(COUNTS))
    live = child.ports
    rows: list[Row] = []
    try:
        await rtcpeer_gather(live[:1])  # warm-up
        await aioice_gather(live[0])
        await child.settled()
        measured = LiveRounds()
        await measured.run(live, rounds, child.settled)
        for count in COUNTS:
            rows.append(
                (
                    f"{count} server(s), all answer",
                    statistics.median(measured.ours[count]),
                    statistics.median(measured.cpu[count]),
                    statistics.median(measured.theirs),
                    "" if count == 1 else "aioice: 1 server",
                )
            )
    finally:
        await child.close()
    return rows


async def run_distant(rounds: int) -> tuple[list[float], list[float], list[float]]:
    """Servers at :data:`DISTANT_RTTS`: rtcpeer's times with the slowest
    server alone and with all 8, and aioice's with the slowest, interleaved
    round by round."""
    child = await ChildServers.start(max(COUNTS), distant=True)
    slowest = child.ports[-1]
    one: list[float] = []
    eight: list[float] = []
    theirs: list[float] = []
    try:
        await rtcpeer_gather([slowest])  # warm-up
        await child.settled()
        for _ in range(rounds):
            elapsed, relays = await aioice_gather(slowest)
            assert relays == 1, f"aioice gathered {relays} relay candidates, not 1"
            theirs.append(elapsed)
            await child.settled()
            for ports, times in (([slowest], one), (child.ports, eight)):
                elapsed, relays = await rtcpeer_gather(ports)
                assert relays == len(ports), f"expected {len(ports)} relays, got {relays}"
                times.append(elapsed)
                await child.settled()
    finally:
        await child.close()
    return one, eight, theirs


def _distant_table(one: list[float], eight: list[float], theirs: list[float]) -> list[str]:
    rtts = f"{DISTANT_RTTS[0] * 1000:.0f}-{DISTANT_RTTS[-1] * 1000:.0f}"
    slow = f"{DISTANT_RTTS[-1] * 1000:.0f}"
    t1, t8, ta = (statistics.median(x) for x in (one, eight, theirs))
    growth = t8 / t1
    return [
        "| servers | rtcpeer, ms | aioice 0.13, ms | rtcpeer / aioice |",
        "|---|---|---|---|",
        f"| 1 server, round trip {slow} ms (the slowest) | {t1 * 1000:.1f} | {ta * 1000:.1f} "
        f"| {ratio(t1, ta)} |",
        f"| 8 servers, round trips {rtts} ms | {t8 * 1000:.1f} | {ta * 1000:.1f} (its 1 server) "
        f"| {ratio(t8, ta)} |",
        "",
        f"8 servers / the slowest alone: **{growth:.2f}x** (+{(t8 - t1) * 1000:.1f} ms; "
        f"target <= 2x: {'met' if growth <= 2.0 else 'missed'}). Range (min-max, ms): "
        f"1 server {min(one) * 1000:.1f}-{max(one) * 1000:.1f}, "
        f"8 servers {min(eight) * 1000:.1f}-{max(eight) * 1000:.1f}.",
    ]


def _growth(times: dict[str, float]) -> tuple[float, str]:
    """The 8-server / 1-server ratio of the all-answer rows, and the verdict."""
    growth = times["8 server(s), all answer"] / times["1 server(s), all answer"]
    return growth, "met" if growth <= 2.0 else "missed"


def _table(rows: list[Row], cpu_header: str) -> list[str]:
    lines = [
        f"| servers | rtcpeer, ms | {cpu_header} | aioice 0.13, ms | rtcpeer / aioice | note |",
        "|---|---|---|---|---|---|",
    ]
    for label, ours, cpu, theirs, note in rows:
        cpu_ms = "" if cpu is None else f"{cpu * 1000:.1f}"
        ms = f"{ours * 1000:.1f} | {cpu_ms} | {theirs * 1000:.1f}"
        lines.append(f"| {label} | {ms} | {ratio(ours, theirs)} | {note} |")
    return lines


def _verdicts(rows: list[Row]) -> str:
    """8 servers / 1 server in time and in CPU, against the 2x target."""
    wall = _growth({row[0]: row[1] for row in rows})
    cpu = _growth({row[0]: row[2] or 0.0 for row in rows})
    return (
        f"8 servers / 1 server, all answer: **{wall[0]:.2f}x** in time "
        f"(target <= 2x: {wall[1]}), **{cpu[0]:.2f}x** in CPU ({cpu[1]})."
    )


async def run(rounds_live: int, rounds_dead: int) -> list[Row]:
    loop = asyncio.get_running_loop()
    servers = await _servers(max(COUNTS))
    silent, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=(HOST, 0))
    dead = int(silent.get_extra_info("sockname")[1])
    live = [s.addresses["udp"][1] for s in servers]
    rows: list[Row] = []
    try:
        await rtcpeer_gather(live[:1])  # warm-up
        await aioice_gather(live[0])
        await _settled(servers)
        measured = LiveRounds()
        await measured.run(live, rounds_live, lambda: _settled(servers))
        theirs_dead = []
        for _ in range(rounds_dead):
            elapsed, relays = await aioice_gather(dead)
            assert relays == 0
            theirs_dead.append(elapsed)
        for count in COUNTS:
            rows.append(
                (
                    f"{count} server(s), all answer",
                    statistics.median(measured.ours[count]),
                    statistics.median(measured.cpu[count]),
                    statistics.median(measured.theirs),
                    "" if count == 1 else "aioice: 1 server",
                )
            )
            ours = []
            for _ in range(rounds_dead):
                elapsed, relays = await rtcpeer_gather([*live[: count - 1], dead])
                assert relays == count - 1, f"expected {count - 1} relays, got {relays}"
                ours.append(elapsed)
                await _settled(servers)
            rows.append(
                (
                    f"{count} server(s), one never answers",
                    statistics.median(ours),
                    None,
                    statistics.median(theirs_dead),
                    "aioice: its 1 server silent" if count > 1 else "",
                )
            )
    finally:
        silent.close()
        for server in servers:
            await server.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--serve", type=int, metavar="N", help=argparse.SUPPRESS)
    parser.add_argument("--serve-distant", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve or args.serve_distant:
        asyncio.run(serve(args.serve or args.serve_distant, distant=bool(args.serve_distant)))
        return
    # Live rounds take milliseconds: enough of them for a median a busy machine
    # does not move; silent rounds take seconds each.
    rounds_live, rounds_dead = (2, 1) if args.quick else (25, 2)
    rows = asyncio.run(run(rounds_live, rounds_dead))
    child_rows = asyncio.run(run_child(rounds_live))
    rounds_distant = 2 if args.quick else 9
    distant = asyncio.run(run_distant(rounds_distant))
    command = ".venv/bin/python benchmarks/ice_gathering.py" + (" --quick" if args.quick else "")
    lines = [
        "### ICE gathering from N TURN servers: rtcpeer IceTransport vs aioice",
        "",
        f"Command: `{command}`. Medians of {rounds_live} interleaved rounds (all answer) and "
        f"{rounds_dead} (one silent). aioice 0.13 supports one TURN server only: for N > 1 "
        "its column repeats its 1-server time, which is not the same work. Every round "
        "starts once the servers have released the previous round's allocations.",
        "",
        "TURN servers in the benchmark's own process (their CPU counts in the time, and "
        "in the CPU column: this process's CPU from gather() to end-of-candidates, "
        "which a busy machine does not inflate as it does the time):",
        "",
        *_table(rows, "CPU, client + servers, ms"),
        "",
        _verdicts(rows),
        "",
        "The same TURN servers in one child process (all 8 share it, as they share the "
        "machine's 2 cores with the client); CPU is the benchmark process's alone, "
        "i.e. the client's own work:",
        "",
        *_table(child_rows, "CPU, client alone, ms"),
        "",
        _verdicts(child_rows),
        "",
        "The child's servers at a distance: each behind a relay in the child that holds "
        "every datagram half a round trip each way (server i of 8 at 10 x (i + 1) ms; "
        f"no netem on this machine). Medians of {rounds_distant} interleaved rounds:",
        "",
        *_distant_table(*distant),
    ]
    print("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
