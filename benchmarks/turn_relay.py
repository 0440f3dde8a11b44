"""Relayed UDP through rtcpeer's embedded TURN server and through coturn.

Both servers run as their own processes on loopback, side by side in one
run; the same rtcpeer TURN client (a bound channel) drives both, against the
same UDP echo peer, with the client talking to the server over UDP, TCP and
TLS in turn (the relay itself is UDP). rtcpeer's server runs twice: on
asyncio's event loop (the default) and, when uvloop is installed (the
``uvloop`` extra), on uvloop's, so the table shows what that extra buys.
Both servers use the same certificate for TLS. Measured per server and
client transport:

* round-trip latency of 64-byte packets through the relay, minus the same
  ping-pong sent directly to the echo peer ("added latency");
* relayed round trips per second with a window of packets in flight (the
  Python client and echo peer share one core, so this is client-bound and
  mostly shows that neither server is the bottleneck);
* the server process's CPU time per 10,000 relayed round trips (from
  /proc), which is what tells the servers' efficiency apart.

Each round measures every server in a shuffled order per transport, so load
that drifts during the run falls on all of them alike. Results are printed
as a Markdown table with ratios to coturn; the target (issue 19) is rtcpeer's
CPU per relayed packet over UDP at most 2.0x coturn's.
Run: ``.venv/bin/python benchmarks/turn_relay.py`` (add ``--quick`` for a
short run).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import random
import statistics
import sys
import tempfile
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.coturn import free_port, start_coturn  # noqa: E402
from turn_process_common import start_turn_server_process  # noqa: E402

from rtcpeer.testing.pki import make_certificates  # noqa: E402
from rtcpeer.turn.client import TurnClient, TurnServer  # noqa: E402

HOST = "127.0.0.1"
PAYLOAD = bytes(60)
#: Issue 19: CPU per relayed packet over UDP at most this times coturn's.
TARGET = 2.0


@dataclass
class Result:
    name: str
    direct_rtt_ms: float
    relay_rtt_ms: float
    packets_per_second: float
    lost: int
    #: Server CPU seconds (user + system) per 10,000 relayed round trips.
    server_cpu_per_10k: float

    @property
    def added_ms(self) -> float:
        return self.relay_rtt_ms - self.direct_rtt_ms


class Echo(asyncio.DatagramProtocol):
    """The peer: sends every datagram back where it came from."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = typing.cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.transport.sendto(data, addr)


async def _direct_rtt(echo: tuple[str, int], count: int) -> float:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue()

    class Client(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            queue.put_nowait(data)

    transport, _ = await loop.create_datagram_endpoint(Client, local_addr=(HOST, 0))
    samples = []
    for index in range(count):
        start = time.perf_counter()
        transport.sendto(index.to_bytes(4, "big") + PAYLOAD, echo)
        await asyncio.wait_for(queue.get(), 2.0)
        samples.append(time.perf_counter() - start)
    transport.close()
    return statistics.median(samples) * 1000


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _measure(
    name: str, target: TurnServer, server_pid: int, pings: int, burst: int, cafile: Path
) -> Result:
    loop = asyncio.get_running_loop()
    echo_transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=(HOST, 0))
    echo = echo_transport.get_extra_info("sockname")[:2]
    client = await TurnClient.connect(target, "user", "pass", cafile=cafile, timeout=5.0)
    await client.bind_channel(echo)

    samples = []
    for index in range(pings):
        start = time.perf_counter()
        client.send_to(index.to_bytes(4, "big") + PAYLOAD, echo)
        await asyncio.wait_for(client.recv_from(), 2.0)
        samples.append(time.perf_counter() - start)

    window, sent, received, lost = 32, 0, 0, 0
    cpu_before = _cpu_seconds(server_pid)
    start = time.perf_counter()
    while sent < min(window, burst):
        client.send_to(sent.to_bytes(4, "big") + PAYLOAD, echo)
        sent += 1
    while received + lost < burst:
        try:
            await asyncio.wait_for(client.recv_from(), 0.5)
            received += 1
        except TimeoutError:
            lost += sent - received - lost  # everything in flight is gone
        if sent < burst:
            client.send_to(sent.to_bytes(4, "big") + PAYLOAD, echo)
            sent += 1
    elapsed = time.perf_counter() - start
    server_cpu = _cpu_seconds(server_pid) - cpu_before

    await client.close()
    direct = await _direct_rtt(echo, pings)
    echo_transport.close()
    return Result(
        name,
        direct,
        statistics.median(samples) * 1000,
        received / elapsed,
        lost,
        server_cpu / received * 10_000,
    )


@dataclass(frozen=True)
class Server:
    """One TURN server process under test."""

    name: str
    pid: int
    targets: dict[str, TurnServer]


async def run(
    pings: int, burst: int, rounds: int, transports: list[str], with_uvloop: bool
) -> dict[tuple[str, str], list[Result]]:
    """Results by (transport, server name), one per round."""
    rng = random.Random(19)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        certs = make_certificates(workdir / "pki")
        processes = []
        servers: list[Server] = []
        coturn = start_coturn(workdir / "coturn", certs=certs)
        try:
            variants = [("rtcpeer", False)] + ([("rtcpeer on uvloop", True)] if with_uvloop else [])
            for name, uvloop in variants:
                tls_port = free_port()
                process, port = start_turn_server_process(
                    workdir, realm="example.test", uvloop=uvloop, tls_port=tls_port, certs=certs
                )
                processes.append(process)
                servers.append(
                    Server(
                        name,
                        process.pid,
                        {
                            "udp": TurnServer(HOST, port),
                            "tcp": TurnServer(HOST, port, transport="tcp"),
                            "tls": TurnServer(HOST, tls_port, transport="tcp", secure=True),
                        },
                    )
                )
            servers.append(
                Server(
                    "coturn",
                    coturn.pid,
                    {kind: coturn.target(kind) for kind in ("udp", "tcp", "tls")},
                )
            )
            results: dict[tuple[str, str], list[Result]] = {}
            for _ in range(rounds):
                for transport in transports:
                    order = list(servers)
                    rng.shuffle(order)  # drifting load falls on every server alike
                    for server in order:
                        result = await _measure(
                            server.name,
                            server.targets[transport],
                            server.pid,
                            pings,
                            burst,
                            certs.ca,
                        )
                        results.setdefault((transport, server.name), []).append(result)
            return results
        finally:
            for process in processes:
                process.terminate()
                process.wait(5)
            coturn.stop()


def report(results: dict[tuple[str, str], list[Result]], command: str, rounds: int) -> str:
    def med(values: list[float]) -> float:
        return statistics.median(values)

    present = {name for _, name in results}
    names = [name for name in ("rtcpeer", "rtcpeer on uvloop", "coturn") if name in present]
    ours = [name for name in names if name != "coturn"]
    measures: list[tuple[str, Callable[[Result], float], str]] = [
        ("relayed round trips per second", lambda r: r.packets_per_second, "{:.0f}"),
        (
            "server CPU seconds per 10,000 relayed round trips",
            lambda r: r.server_cpu_per_10k,
            "{:.3f}",
        ),
        ("round-trip time through the relay, ms", lambda r: r.relay_rtt_ms, "{:.3f}"),
        ("added latency vs direct, ms", lambda r: r.added_ms, "{:.3f}"),
    ]
    lines = [
        "### TURN relay: rtcpeer's embedded server vs coturn, client over UDP, TCP and TLS",
        "",
        f"Command: `{command}` ({rounds} rounds, servers in shuffled order per round, medians).",
        "",
        "| client ↔ server | measure | "
        + " | ".join(names)
        + " | "
        + " | ".join(f"{name} / coturn" for name in ours)
        + " |",
        "|---" * (2 + len(names) + len(ours)) + "|",
    ]
    for transport in dict.fromkeys(t for t, _ in results):
        for label, value, fmt in measures:
            cells = {name: med([value(r) for r in results[(transport, name)]]) for name in names}
            theirs = cells["coturn"]
            ratios = [f"{cells[name] / theirs:.2f}" if theirs else "n/a" for name in ours]
            lines.append(
                f"| {transport.upper()} | {label} | "
                + " | ".join(fmt.format(cells[name]) for name in names)
                + " | "
                + " | ".join(ratios)
                + " |"
            )
        lost = [str(sum(r.lost for r in results[(transport, name)])) for name in names]
        lines.append(
            f"| {transport.upper()} | packets lost in the window test | "
            + " | ".join(lost)
            + " |"
            + " |" * len(ours)
        )
    lines += ["", "Server CPU seconds per 10,000 relayed round trips, round by round:", ""]
    for transport in dict.fromkeys(t for t, _ in results):
        per_round = "; ".join(
            f"{name} "
            + ", ".join(f"{r.server_cpu_per_10k:.3f}" for r in results[(transport, name)])
            for name in names
        )
        lines.append(f"- {transport.upper()}: {per_round}")
    udp_cpu = {name: med([r.server_cpu_per_10k for r in results[("udp", name)]]) for name in names}
    if ("udp", "coturn") in results and udp_cpu["coturn"]:
        ratio = udp_cpu["rtcpeer"] / udp_cpu["coturn"]
        verdict = "met" if ratio <= TARGET else "missed"
        lines += [
            "",
            f"Target (issue 19): rtcpeer's server CPU per relayed packet over UDP at most"
            f" {TARGET:.1f}x"
            f" coturn's; measured {ratio:.2f}x on asyncio's loop: {verdict}.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument(
        "--transports", default="udp,tcp,tls", help="client-server transports (%(default)s)"
    )
    parser.add_argument(
        "--no-uvloop", action="store_true", help="skip the run on uvloop even if it is installed"
    )
    args = parser.parse_args()
    pings, burst, rounds = (100, 2000, 1) if args.quick else (500, 20000, 5)
    with_uvloop = not args.no_uvloop and importlib.util.find_spec("uvloop") is not None
    if not with_uvloop and not args.no_uvloop:
        print("uvloop is not installed: measuring asyncio's loop only", file=sys.stderr)
    transports = [t for t in args.transports.split(",") if t]
    results = asyncio.run(run(pings, burst, rounds, transports, with_uvloop))
    command = " ".join([".venv/bin/python benchmarks/turn_relay.py", *sys.argv[1:]])
    print(report(results, command, rounds))


if __name__ == "__main__":
    main()
