"""Data channel bulk throughput on loopback: rtcpeer vs aiortc.

Two connections of the same stack in one process (host candidates on
127.0.0.1) open a reliable, ordered data channel; the offerer then queues
3.2 MB as 200 messages of 16 KB and the time until the last byte arrives
is measured. Both stacks use aiortc's SCTP; rtcpeer's acknowledges every
second packet (RFC 4960 §6.2 delayed SACK) where aiortc acknowledges
every packet. Rounds are interleaved; medians and the ratio are reported.
No target: this records what the SCTP acknowledgement policy costs.

Run: ``.venv/bin/python benchmarks/dc_throughput.py`` (``--quick`` for a
short run). Runs in a private network namespace (needs root).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pc_common import (
    TIMEOUT,
    aiortc_config,
    bench_main,
    median,
    open_pair,
    patch_aioice_loopback,
    ratio,
    rtcpeer_pc,
    sides,
)

STACKS = ("rtcpeer", "aiortc")
MESSAGES = 200
SIZE = 16_000


async def _throughput(stack: str) -> float:
    """MB/s for one bulk transfer between two fresh connections of ``stack``."""
    a: Any
    b: Any
    if stack == "rtcpeer":
        a, b = rtcpeer_pc({}), rtcpeer_pc({})
    else:
        from aiortc import RTCPeerConnection

        a, b = RTCPeerConnection(aiortc_config({})), RTCPeerConnection(aiortc_config({}))
    try:
        _, channel, far = await open_pair(*sides(stack, a, b), a, b)
        done = asyncio.get_running_loop().create_future()
        received = 0

        def on_message(message: Any) -> None:
            nonlocal received
            received += len(message)
            if received >= MESSAGES * SIZE and not done.done():
                done.set_result(None)

        far.on("message", on_message)
        payload = b"x" * SIZE
        start = time.perf_counter()
        for _ in range(MESSAGES):
            channel.send(payload)
        await asyncio.wait_for(done, TIMEOUT)
        return MESSAGES * SIZE / (time.perf_counter() - start) / 1e6
    finally:
        await a.close()
        await b.close()


async def run(rounds: int) -> dict[str, list[float]]:
    patch_aioice_loopback()
    results: dict[str, list[float]] = {stack: [] for stack in STACKS}
    for stack in STACKS:  # warm-up, not counted
        await _throughput(stack)
    for _ in range(rounds):
        for stack in STACKS:
            results[stack].append(await _throughput(stack))
    return results


def report(results: dict[str, list[float]], rounds: int, command: str) -> str:
    ours, theirs = median(results["rtcpeer"]), median(results["aiortc"])
    spread = ", ".join(f"{s}: {min(v):.1f}-{max(v):.1f}" for s, v in results.items())
    lines = [
        "### Data channel bulk throughput on loopback: rtcpeer vs aiortc",
        "",
        f"Command: `{command}` ({rounds} interleaved rounds after a warm-up, medians; "
        f"{MESSAGES} messages of {SIZE} bytes, reliable and ordered, host candidates).",
        "",
        "| measure | rtcpeer | aiortc | rtcpeer / aiortc |",
        "|---|---|---|---|",
        f"| throughput, MB/s | {ours:.1f} | {theirs:.1f} | {ratio(ours, theirs)} |",
        "",
        f"Range (min-max, MB/s): {spread}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    bench_main(__doc__ or "", "dc_throughput.py", run, report)


if __name__ == "__main__":
    main()
