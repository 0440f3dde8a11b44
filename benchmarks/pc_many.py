"""50 connection pairs in one process: rtcpeer vs aiortc.

Each measurement runs in a fresh Python process (inside a private network
namespace with only ``lo``): it opens N pairs of the stack at once (each
pair: a data channel, an offer/answer, loopback host candidates) and
reports the wall time until every data channel is open at both ends, the
growth of the process's resident memory (VmRSS) per connection, and -- in a
second, separate process, since tracing slows everything down -- the Python
heap still allocated per connection (tracemalloc) while all are open.
Target (issue 5): no slower, and no larger per connection, than aiortc.

The VM's speed drifts by ±25% from one process to the next, for both
stacks alike, so rounds are paired: each round runs one process of each
stack back to back (alternating which goes first), and besides the ratio of
the medians the report gives the median of the per-round ratios, which the
drift between rounds cancels out of. The wall-time target counts as met
only when both are at most 1.

Run: ``.venv/bin/python benchmarks/pc_many.py`` (``--quick`` for a short
run; ``--pairs N``). Needs root for the namespace, as the tests do.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from pc_common import median, open_pair, patch_aioice_loopback, ratio, rtcpeer_pc, sides, verdict

STACKS = ("rtcpeer", "aiortc")


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _make(stack: str) -> Any:
    if stack == "rtcpeer":
        return rtcpeer_pc({})
    from aiortc import RTCPeerConnection

    return RTCPeerConnection()


async def _worker(stack: str, pairs: int, trace: bool) -> dict[str, float]:
    patch_aioice_loopback()
    # Warm up imports, certificate generation paths and the loop with one pair.
    a, b = _make(stack), _make(stack)
    await open_pair(*sides(stack, a, b), a, b)
    await a.close()
    await b.close()
    gc.collect()
    if trace:
        tracemalloc.start()
    rss_before = _rss_kib()
    traced_before = tracemalloc.get_traced_memory()[0] if trace else 0
    start = time.perf_counter()
    pcs = [(_make(stack), _make(stack)) for _ in range(pairs)]
    await asyncio.gather(*(open_pair(*sides(stack, a, b), a, b) for a, b in pcs))
    wall = time.perf_counter() - start
    gc.collect()
    rss_after = _rss_kib()
    traced = tracemalloc.get_traced_memory()[0] - traced_before if trace else 0
    result = {
        "wall_ms": wall * 1000,
        "rss_kib_per_connection": (rss_after - rss_before) / (2 * pairs),
        "traced_kib_per_connection": traced / 1024 / (2 * pairs),
    }
    await asyncio.gather(*(pc.close() for pair in pcs for pc in pair))
    return result


def _measure(stack: str, pairs: int, trace: bool) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--worker", stack, "--pairs", str(pairs)]
        + (["--trace"] if trace else []),
        check=True, capture_output=True, text=True, timeout=300,
    ).stdout  # fmt: skip
    return dict(json.loads(output.strip().splitlines()[-1]))


def report(results: dict[str, list[dict[str, float]]], traced: dict[str, dict[str, float]],
           pairs: int, rounds: int, command: str) -> str:  # fmt: skip
    wall = {s: median([r["wall_ms"] for r in results[s]]) for s in STACKS}
    rounds_of = zip(results["rtcpeer"], results["aiortc"], strict=True)
    paired = sorted(r["wall_ms"] / a["wall_ms"] for r, a in rounds_of)
    paired_median = median(paired)
    wall_met = wall["rtcpeer"] <= wall["aiortc"] and paired_median <= 1
    rss = {s: median([r["rss_kib_per_connection"] for r in results[s]]) for s in STACKS}
    heap = {s: traced[s]["traced_kib_per_connection"] for s in STACKS}
    lines = [
        f"### {pairs} connection pairs in one process: rtcpeer vs aiortc",
        "",
        f"Command: `{command}` ({rounds} rounds, each stack in a fresh process per round, "
        "medians; the heap row is one more traced process per stack).",
        "",
        "| measure | rtcpeer | aiortc | rtcpeer / aiortc | target | met? |",
        "|---|---|---|---|---|---|",
        f"| wall time until all {2 * pairs} data channel ends are open, ms | {wall['rtcpeer']:.0f} "
        f"| {wall['aiortc']:.0f} | {ratio(wall['rtcpeer'], wall['aiortc'])} | no slower "
        f"| {verdict(wall_met)} |",
        f"| same, median of the {len(paired)} per-round ratios (rounds paired) | | "
        f"| {paired_median:.2f} (range {paired[0]:.2f}-{paired[-1]:.2f}) | at most 1 "
        f"| {verdict(wall_met)} |",
        f"| resident memory (VmRSS) growth per connection, KiB | {rss['rtcpeer']:.0f} "
        f"| {rss['aiortc']:.0f} | {ratio(rss['rtcpeer'], rss['aiortc'])} | no larger "
        f"| {verdict(rss['rtcpeer'] <= rss['aiortc'])} |",
        f"| Python heap per connection (tracemalloc), KiB | {heap['rtcpeer']:.0f} "
        f"| {heap['aiortc']:.0f} | {ratio(heap['rtcpeer'], heap['aiortc'])} | no larger "
        f"| {verdict(heap['rtcpeer'] <= heap['aiortc'])} |",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--worker", choices=STACKS, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(_worker(args.worker, args.pairs, args.trace))))
        return
    from tests.support.netns import private_network

    rounds = args.rounds or (1 if args.quick else 15)
    results: dict[str, list[dict[str, float]]] = {s: [] for s in STACKS}
    with private_network():  # the worker processes inherit the namespace
        for index in range(rounds):
            # A round is one process of each stack, back to back, alternating
            # which goes first.
            for stack in STACKS if index % 2 == 0 else reversed(STACKS):
                results[stack].append(_measure(stack, args.pairs, trace=False))
        traced = {stack: _measure(stack, args.pairs, trace=True) for stack in STACKS}
    command = ".venv/bin/python benchmarks/pc_many.py" + (" --quick" if args.quick else "")
    print(report(results, traced, args.pairs, rounds, command))


if __name__ == "__main__":
    main()
