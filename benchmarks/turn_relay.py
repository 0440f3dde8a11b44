"""UDP relayed through rtcpeer's embedded TURN server and through coturn.

Both servers run as their own processes on loopback, side by side in one
run; the same rtcpeer TURN client (UDP transport, a bound channel) drives
both, against the same UDP echo peer. Measured per server:

* round-trip latency of 64-byte packets through the relay, minus the same
  ping-pong sent directly to the echo peer ("added latency");
* relayed round trips per second with a window of packets in flight (the
  Python client and echo peer share one core, so this is client-bound and
  mostly shows that neither server is the bottleneck);
* the server process's CPU time per 10,000 relayed round trips (from
  /proc), which is what tells the servers' efficiency apart.

Results are printed as a Markdown table with rtcpeer/coturn ratios.
Run: ``.venv/bin/python benchmarks/turn_relay.py`` (add ``--quick`` for a
short run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import typing
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.coturn import start_coturn  # noqa: E402
from turn_process_common import start_turn_server_process  # noqa: E402

from rtcpeer.turn.client import TurnClient, TurnServer  # noqa: E402

HOST = "127.0.0.1"
PAYLOAD = bytes(60)


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
    name: str, target: TurnServer, server_pid: int, pings: int, burst: int
) -> Result:
    loop = asyncio.get_running_loop()
    echo_transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=(HOST, 0))
    echo = echo_transport.get_extra_info("sockname")[:2]
    client = await TurnClient.connect(target, "user", "pass", timeout=5.0)
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


async def run(pings: int, burst: int, rounds: int) -> list[tuple[Result, Result]]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        ours, port = start_turn_server_process(workdir, realm="example.test")
        coturn = start_coturn(workdir / "coturn")
        try:
            rtcpeer_target = TurnServer(HOST, port)
            coturn_target = coturn.target("udp")
            pairs = []
            for _ in range(rounds):  # interleave, so drift hits both alike
                mine = await _measure("rtcpeer", rtcpeer_target, ours.pid, pings, burst)
                theirs = await _measure("coturn", coturn_target, coturn.pid, pings, burst)
                pairs.append((mine, theirs))
            return pairs
        finally:
            ours.terminate()
            ours.wait(5)
            coturn.stop()


def report(pairs: list[tuple[Result, Result]], command: str) -> str:
    def med(values: list[float]) -> float:
        return statistics.median(values)

    mine = [p[0] for p in pairs]
    theirs = [p[1] for p in pairs]
    rows = [
        (
            "relayed round trips per second",
            med([r.packets_per_second for r in mine]),
            med([r.packets_per_second for r in theirs]),
            "{:.0f}",
        ),
        (
            "server CPU seconds per 10,000 relayed round trips",
            med([r.server_cpu_per_10k for r in mine]),
            med([r.server_cpu_per_10k for r in theirs]),
            "{:.3f}",
        ),
        (
            "round-trip time through the relay, ms",
            med([r.relay_rtt_ms for r in mine]),
            med([r.relay_rtt_ms for r in theirs]),
            "{:.3f}",
        ),
        (
            "added latency vs direct, ms",
            med([r.added_ms for r in mine]),
            med([r.added_ms for r in theirs]),
            "{:.3f}",
        ),
    ]
    lines = [
        "### TURN relay over UDP: rtcpeer's embedded server vs coturn",
        "",
        f"Command: `{command}` ({len(pairs)} interleaved rounds, medians).",
        "",
        "| measure | rtcpeer | coturn | rtcpeer / coturn |",
        "|---|---|---|---|",
    ]
    for label, a, b, fmt in rows:
        ratio = a / b if b else float("nan")
        lines.append(f"| {label} | {fmt.format(a)} | {fmt.format(b)} | {ratio:.2f} |")
    lost = (sum(r.lost for r in mine), sum(r.lost for r in theirs))
    lines.append(f"| packets lost in the window test | {lost[0]} | {lost[1]} | |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    args = parser.parse_args()
    pings, burst, rounds = (100, 2000, 1) if args.quick else (500, 20000, 3)
    pairs = asyncio.run(run(pings, burst, rounds))
    command = ".venv/bin/python benchmarks/turn_relay.py" + (" --quick" if args.quick else "")
    print(report(pairs, command))


if __name__ == "__main__":
    main()
