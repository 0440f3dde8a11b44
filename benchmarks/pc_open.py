"""Time from createOffer to data channel open: rtcpeer vs aiortc vs Chromium.

For each scenario -- host candidates on loopback, and relay-only
(``iceTransportPolicy: "relay"``) through coturn over UDP, TCP and TLS --
two connections of the same stack in one process (Chromium: two
RTCPeerConnections in one page, signalled inside the page) are timed from
the offerer's createOffer/setLocalDescription until the data channel is open
at both ends. Candidates trickle directly; rounds are interleaved across the
stacks and medians reported with ratios. Targets (issue 5): host at most
0.6x aiortc's time; relay-only at most 0.3x Chromium's.

Run: ``.venv/bin/python benchmarks/pc_open.py`` (``--quick`` for a short
run). Runs in a private network namespace (needs root, as the tests do).
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pc_common import (
    REGION_A,
    aiortc_config,
    bench_main,
    fresh_heap,
    median,
    open_pair,
    patch_aioice_loopback,
    ratio,
    rtcpeer_pc,
    serve_promptly,
    sides,
    turn_setup,
    verdict,
    w3c_config,
)
from tests.support.chromium import BrowserPage, chromium_page, trust_args
from tests.support.coturn import Coturn, start_coturn

from rtcpeer.pki import make_certificates

SCENARIOS = ("host", "udp", "tcp", "tls")
STACKS = ("rtcpeer", "aiortc", "chromium")


async def _python_pair(stack: str, config: dict[str, Any], cafile: str) -> float:
    a: Any
    b: Any
    if stack == "rtcpeer":
        a, b = rtcpeer_pc(config, cafile), rtcpeer_pc(config, cafile)
    else:
        from aiortc import RTCPeerConnection

        a, b = RTCPeerConnection(aiortc_config(config)), RTCPeerConnection(aiortc_config(config))
    side_a, side_b = sides(stack, a, b)
    fresh_heap()
    try:
        start = time.perf_counter()
        await open_pair(side_a, side_b, a, b)
        return (time.perf_counter() - start) * 1000
    except (TimeoutError, asyncio.TimeoutError):
        states = [(pc.signalingState, pc.iceConnectionState, pc.connectionState) for pc in (a, b)]
        print(f"pc_open: {stack} pair stuck in {states}", file=sys.stderr)
        raise
    finally:
        await a.close()
        await b.close()


async def _one(
    stack: str, scenario: str, coturn: Coturn, browser: BrowserPage, cafile: str
) -> float:
    """One open, in ms; NaN (counted and reported as a failure) if it timed out."""
    config = w3c_config(None if scenario == "host" else coturn, scenario)
    try:
        if stack == "chromium":
            return float(await browser.call("benchOpen", config))
        return await _python_pair(stack, config, cafile)
    except (TimeoutError, asyncio.TimeoutError):
        print(f"pc_open: {stack} {scenario} did not open in time", file=sys.stderr)
        return math.nan


async def run(rounds: int) -> dict[tuple[str, str], list[float]]:
    patch_aioice_loopback()
    results: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        certs = make_certificates(Path(tmp) / "pki")
        os.environ["SSL_CERT_FILE"] = str(certs.ca) # aioice's turns: uses the default context
        coturn = serve_promptly(
            start_coturn(Path(tmp) / "coturn", relay_ports=REGION_A, certs=certs)
        )
        try:
            async with chromium_page(trust_args(certs.cert)) as browser:
                for scenario in SCENARIOS:  # one warm-up each, not counted
                    for stack in STACKS:
                        await _one(stack, scenario, coturn, browser, str(certs.ca))
                for _ in range(rounds):
                    for scenario in SCENARIOS:
                        for stack in STACKS:
                            value = await _one(stack, scenario, coturn, browser, str(certs.ca))
                            results.setdefault((stack, scenario), []).append(value)
        finally:
            coturn.stop()
    return results


def _opened(values: list[float]) -> list[float]:
    return [v for v in values if not math.isnan(v)]


def report(results: dict[tuple[str, str], list[float]], rounds: int, command: str) -> str:
    lines = [
        "### Peer connection open: createOffer to data channel open (ms)",
        "",
        f"Command: `{command}` ({rounds} interleaved rounds after a warm-up, medians; "
        f"relay rows are relay-only through one coturn on loopback, {turn_setup()}).",
        "",
        "| scenario | rtcpeer | aiortc | Chromium | rtcpeer / aiortc | rtcpeer / Chromium "
        "| target | met? |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for scenario in SCENARIOS:
        ours, aio, chrome = (median(_opened(results[(s, scenario)])) for s in STACKS)
        if scenario == "host":
            target, ok = "≤ 0.6x aiortc", ours <= 0.6 * aio
        else:
            target, ok = "≤ 0.3x Chromium", ours <= 0.3 * chrome
        label = "host (loopback)" if scenario == "host" else f"relay-only, TURN/{scenario.upper()}"
        lines.append(
            f"| {label} | {ours:.1f} | {aio:.1f} | {chrome:.1f} | {ratio(ours, aio)} "
            f"| {ratio(ours, chrome)} | {target} | {verdict(ok)} |"
        )
    spread = ", ".join(
        f"{stack}/{scenario}: {min(_opened(v)):.0f}-{max(_opened(v)):.0f}"
        for (stack, scenario), v in results.items()
        if _opened(v)
    )
    failed = ", ".join(
        f"{stack}/{scenario}: {len(v) - len(_opened(v))}"
        for (stack, scenario), v in results.items()
        if len(_opened(v)) < len(v)
    )
    lines += ["", f"Range (min-max, ms): {spread}."]
    lines += ["", f"Opens that timed out (left out of the medians): {failed or 'none'}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    bench_main(__doc__ or "", "pc_open.py", run, report)


if __name__ == "__main__":
    main()
