"""ICE restart onto a new TURN server under a live 5 ms stream: rtcpeer vs Chromium.

Two relay-only connections of the same stack (rtcpeer in one process;
Chromium as two RTCPeerConnections in one page) are connected through coturn
"region A" with a data channel carrying a message every 5 ms each way. Both
then setConfiguration() to "region B" (another coturn, disjoint relay ports)
and one side calls restartIce() and renegotiates. Measured: the time from
restartIce() until both sides' selected pair is on a region B relay
(Chromium: its ``selectedcandidatepairchange`` events; rtcpeer: its ICE
transport's), the longest gap between consecutive messages received, and
messages lost. Target (issue 5): at most 0.25x Chromium's time, no message
lost, and a gap no larger than Chromium's. coturn runs at real-time
priority (:func:`pc_common.serve_promptly`: a deployed TURN server does not
wait for CPU behind the clients it relays for); ``--co-located-turn`` runs it
at normal priority.

Run: ``.venv/bin/python benchmarks/pc_restart.py`` (``--quick`` for a short
run). Runs in a private network namespace (needs root).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pc_common import (
    REGION_A,
    REGION_B,
    TIMEOUT,
    bench_main,
    fresh_heap,
    median,
    median_ratio_interval,
    open_pair,
    ratio,
    rtcpeer_pc,
    serve_promptly,
    turn_setup,
    verdict,
)
from pc_common import w3c_config as config_for
from tests.support.chromium import BrowserPage, chromium_page
from tests.support.coturn import Coturn, start_coturn
from tests.support.signalling import RtcpeerSide

from rtcpeer import RTCPeerConnection

INTERVAL = 0.005


@dataclass
class Result:
    restart_ms: float
    max_gap_ms: float
    lost: int
    out_of_order: int
    sent: int


class Stream:
    """Sends "0", "1", ... every 5 ms; records arrival times at the far end."""

    def __init__(self, channel: Any, far: Any) -> None:
        self.channel = channel
        self.sent = 0
        self.got: list[int] = []
        self.at: list[float] = []
        far.on("message", self._on_message)
        self._stop = asyncio.Event()
        self._task = asyncio.ensure_future(self._run())

    def _on_message(self, message: str) -> None:
        self.got.append(int(message))
        self.at.append(time.perf_counter())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while not self._stop.is_set():
            self.channel.send(str(self.sent))
            self.sent += 1
            next_at += INTERVAL
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    async def stop(self) -> None:
        self._stop.set()
        await self._task


def _on_b(pc: RTCPeerConnection) -> bool:
    stack = pc._transports
    pair = None if stack is None else stack.ice.selected_pair
    return (
        pair is not None and pair[0].type == "relay" and REGION_B[0] <= pair[0].port <= REGION_B[1]
    )


async def _switched(pc: RTCPeerConnection) -> float:
    """perf_counter() when ``pc``'s selected pair is on region B."""
    stack = pc._transports
    assert stack is not None
    if _on_b(pc):
        return time.perf_counter()
    done = asyncio.get_running_loop().create_future()

    def check(*_: Any) -> None:
        if not done.done() and _on_b(pc):
            done.set_result(time.perf_counter())

    stack.ice.on("selectedcandidatepairchange", check)
    return float(await asyncio.wait_for(done, TIMEOUT))


async def rtcpeer_restart(region_a: Coturn, region_b: Coturn) -> Result:
    fresh_heap()
    a, b = rtcpeer_pc(config_for(region_a)), rtcpeer_pc(config_for(region_a))
    try:
        side_a, side_b = RtcpeerSide(a), RtcpeerSide(b)
        bridge, channel, far = await open_pair(side_a, side_b, a, b)
        streams = [Stream(channel, far), Stream(far, channel)]
        await asyncio.sleep(0.2)
        switched = [asyncio.ensure_future(_switched(pc)) for pc in (a, b)]
        for pc in (a, b):
            pc.setConfiguration(config_for(region_b))
        start = time.perf_counter()
        a.restartIce()
        await bridge.negotiate(side_a, side_b)
        times = await asyncio.gather(*switched)
        await asyncio.sleep(0.3)
        for stream in streams:
            await stream.stop()
        await asyncio.sleep(0.3)
        return _summarise((max(times) - start) * 1000, streams)
    finally:
        await a.close()
        await b.close()


def _summarise(restart_ms: float, streams: list[Stream]) -> Result:
    lost = sum(s.sent - len(set(s.got)) for s in streams)
    disorder = sum(sum(1 for i, v in enumerate(s.got) if v != i) for s in streams)
    gaps = [b - a for s in streams for a, b in zip(s.at, s.at[1:], strict=False)]
    gap = max(gaps, default=0.0)
    return Result(restart_ms, gap * 1000, lost, disorder, sum(s.sent for s in streams))


async def chromium_restart(browser: BrowserPage, region_a: Coturn, region_b: Coturn) -> Result:
    raw = await browser.call(
        "benchRestart", config_for(region_a), config_for(region_b), REGION_B[0], REGION_B[1], 5
    )
    return Result(
        raw["restartMs"], raw["maxGapMs"], raw["lost"], raw["duplicatesOrReordered"], raw["sent"]
    )


async def run(rounds: int) -> dict[str, list[Result]]:
    results: dict[str, list[Result]] = {"rtcpeer": [], "chromium": []}
    with tempfile.TemporaryDirectory() as tmp:
        region_a = serve_promptly(start_coturn(Path(tmp) / "a", relay_ports=REGION_A))
        region_b = serve_promptly(
            start_coturn(Path(tmp) / "b", relay_ports=REGION_B, certs=region_a.certs)
        )
        try:
            async with chromium_page() as browser:
                await rtcpeer_restart(region_a, region_b)  # warm-up
                await chromium_restart(browser, region_a, region_b)
                for _ in range(rounds):
                    results["rtcpeer"].append(await rtcpeer_restart(region_a, region_b))
                    results["chromium"].append(await chromium_restart(browser, region_a, region_b))
        finally:
            region_a.stop()
            region_b.stop()
    return results


def report(results: dict[str, list[Result]], rounds: int, command: str) -> str:
    ours, chrome = results["rtcpeer"], results["chromium"]
    t_ours, t_chrome = median([r.restart_ms for r in ours]), median([r.restart_ms for r in chrome])
    gaps_ours, gaps_chrome = [r.max_gap_ms for r in ours], [r.max_gap_ms for r in chrome]
    g_ours, g_chrome = median(gaps_ours), median(gaps_chrome)
    low, high = median_ratio_interval(gaps_ours, gaps_chrome)
    lost_ours, lost_chrome = sum(r.lost for r in ours), sum(r.lost for r in chrome)
    disorder = (sum(r.out_of_order for r in ours), sum(r.out_of_order for r in chrome))
    lines = [
        "### ICE restart from TURN region A to region B under a 5 ms stream each way",
        "",
        f"Command: `{command}` ({rounds} interleaved rounds after a warm-up, medians; "
        f"two coturn processes on loopback, relay-only over UDP; {turn_setup()}).",
        "",
        "| measure | rtcpeer | Chromium | rtcpeer / Chromium | target | met? |",
        "|---|---|---|---|---|---|",
        f"| restartIce() → both selected pairs on region B, ms | {t_ours:.1f} | {t_chrome:.1f} "
        f"| {ratio(t_ours, t_chrome)} | ≤ 0.25x | {verdict(t_ours <= 0.25 * t_chrome)} |",
        f"| longest gap between received messages, ms | {g_ours:.1f} | {g_chrome:.1f} "
        f"| {ratio(g_ours, g_chrome)} | ≤ Chromium's | {verdict(g_ours <= g_chrome)} |",
        f"| same, 95% bootstrap interval of the ratio | | | {low:.2f}-{high:.2f} | | |",
        f"| same, mean of the per-round longest gaps, ms | {statistics.mean(gaps_ours):.1f} "
        f"| {statistics.mean(gaps_chrome):.1f} "
        f"| {ratio(statistics.mean(gaps_ours), statistics.mean(gaps_chrome))} | | |",
        f"| messages lost (all rounds) | {lost_ours} of {sum(r.sent for r in ours)} "
        f"| {lost_chrome} of {sum(r.sent for r in chrome)} | | 0 | {verdict(lost_ours == 0)} |",
        f"| messages out of order (all rounds) | {disorder[0]} | {disorder[1]} | | 0 "
        f"| {verdict(disorder[0] == 0)} |",
        "",
        "Per round, ms (restart / gap): rtcpeer "
        + ", ".join(f"{r.restart_ms:.0f}/{r.max_gap_ms:.0f}" for r in ours)
        + "; Chromium "
        + ", ".join(f"{r.restart_ms:.0f}/{r.max_gap_ms:.0f}" for r in chrome)
        + ".",
    ]
    return "\n".join(lines) + "\n"


#: The gap is each round's single longest interval: for both stacks it ranges
#: over 6-13 ms from round to round on this 2-core machine, and medians of 15
#: or 30 rounds moved by 10% and more between runs. 100 rounds (~3.5 min) give
#: a stable median; the report adds a bootstrap interval for the ratio.
ROUNDS = 100


def main() -> None:
    bench_main(__doc__ or "", "pc_restart.py", run, report, default_rounds=ROUNDS)


if __name__ == "__main__":
    main()
