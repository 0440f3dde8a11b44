"""Data channel bulk throughput on loopback: rtcpeer vs aiortc vs Chromium.

Two connections of the same stack (rtcpeer and aiortc: in this process,
signalled through :class:`tests.support.signalling.Bridge`; Chromium: two
RTCPeerConnections in one headless page, signalled inside it,
:file:`dc_throughput.js`), host candidates on 127.0.0.1, open reliable,
ordered data channels -- one, or eight on the one pair -- and the offerer
sends 12.8 MB as 800 messages of 16,000 bytes, split evenly over the
channels. Each channel's sender respects ``bufferedAmount`` the W3C way:
``bufferedAmountLowThreshold`` is 256 KiB, it sends while ``bufferedAmount``
is below 1 MiB, then waits for ``bufferedamountlow``; the largest
``bufferedAmount`` seen right after a send is reported per stack, to show
that memory stays bounded. Timed from the first send to the far end's
receipt of the last byte, on the same clock points in Python and in the
page. Before each timed transfer the heaps are collected (Python
``gc.collect()``; the page's JavaScript heap through DevTools). Rounds are
interleaved (every stack and channel count once per round, after one
warm-up of each); medians, ratios with a 95% bootstrap interval.

Both Python stacks use aiortc's SCTP (rtcpeer's with delayed SACK, bundling,
an eager flush and leaner per-packet steps, :mod:`rtcpeer.transport.sctp`;
:file:`sctp_floor.py` measures what SCTP and DTLS alone cost) and run both peers in one
Python process, i.e. on one core; Chromium runs both peers in its own
processes and threads (dcSCTP). Targets (issue 19, outcome 3): one channel
at least 20 MB/s; eight channels at least 3x aiortc's throughput.

Run: ``.venv/bin/python benchmarks/dc_throughput.py`` (``--quick`` for a
short run). Runs in a private network namespace (needs root); Chromium
(Debian's ``/usr/bin/chromium``, driven by Playwright) must be installed.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from pc_common import (
    TIMEOUT,
    aiortc_config,
    bench_main,
    fresh_heap,
    median,
    median_ratio_interval,
    patch_aioice_loopback,
    ratio,
    rtcpeer_pc,
    sides,
    verdict,
    wait_open,
)
from tests.support.chromium import BrowserPage, chromium_page
from tests.support.signalling import Bridge
from tests.support.waiting import until

STACKS = ("rtcpeer", "aiortc", "chromium")
#: Channels on the one pair: the total is split evenly over them.
CHANNELS = (1, 8)
MESSAGES = 800
SIZE = 16_000
#: A sender sends while its channel's bufferedAmount is below this...
HIGH_WATER = 1 << 20
#: ... and then waits for bufferedamountlow, fired when it falls to this.
LOW_WATER = 256 << 10
#: Single channel: MB/s at least this.
ONE_CHANNEL_TARGET = 20.0
#: Eight channels: at least this many times aiortc's MB/s.
EIGHT_CHANNEL_TARGET = 3.0
PAGE_JS = (Path(__file__).parent / "dc_throughput.js").read_text()

#: One transfer: MB/s and the largest bufferedAmount any channel had after a send.
Transfer = tuple[float, int]


async def _open_channels(stack: str, a: Any, b: Any, count: int) -> tuple[list[Any], list[Any]]:
    """``count`` channels created by ``a`` before the offer; both ends of each, open."""
    arrived: list[Any] = []
    all_arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_datachannel(event: Any) -> None:
        arrived.append(getattr(event, "channel", event))  # rtcpeer: an event; aiortc: the channel
        if len(arrived) == count and not all_arrived.done():
            all_arrived.set_result(None)

    b.on("datachannel", on_datachannel)
    near = [a.createDataChannel(f"bench{i}") for i in range(count)]
    side_a, side_b = sides(stack, a, b)
    await Bridge(side_a, side_b).negotiate(side_a, side_b)
    await asyncio.wait_for(all_arrived, TIMEOUT)
    for channel in near + arrived:
        await wait_open(channel)
    return near, arrived


async def _send_all(channel: Any, count: int, payload: bytes) -> int:
    """Send ``count`` messages, keeping ``bufferedAmount`` under the high-water
    mark; the largest ``bufferedAmount`` seen right after a send."""
    channel.bufferedAmountLowThreshold = LOW_WATER
    peak = sent = 0
    while sent < count:
        while sent < count and channel.bufferedAmount < HIGH_WATER:
            channel.send(payload)
            sent += 1
            peak = max(peak, channel.bufferedAmount)
        if sent < count:
            await until(
                channel, "bufferedamountlow", lambda: channel.bufferedAmount <= LOW_WATER, TIMEOUT
            )
    return peak


async def _python_transfer(stack: str, channels: int) -> Transfer:
    """One transfer between two fresh connections of ``stack`` (rtcpeer or aiortc)."""
    a: Any
    b: Any
    if stack == "rtcpeer":
        a, b = rtcpeer_pc({}), rtcpeer_pc({})
    else:
        from aiortc import RTCPeerConnection

        a, b = RTCPeerConnection(aiortc_config({})), RTCPeerConnection(aiortc_config({}))
    try:
        near, far = await _open_channels(stack, a, b, channels)
        done = asyncio.get_running_loop().create_future()
        total = MESSAGES * SIZE
        received = 0
        end = 0.0

        def on_message(message: Any) -> None:
            nonlocal received, end
            received += len(message)
            if received >= total and not done.done():
                end = time.perf_counter()
                done.set_result(None)

        for channel in far:
            channel.on("message", on_message)
        payload = b"x" * SIZE
        fresh_heap()
        start = time.perf_counter()
        peaks = await asyncio.gather(
            *(_send_all(channel, MESSAGES // channels, payload) for channel in near)
        )
        await asyncio.wait_for(done, TIMEOUT)
        return total / (end - start) / 1e6, max(peaks)
    finally:
        await a.close()
        await b.close()


async def _chromium_transfer(browser: BrowserPage, devtools: Any, channels: int) -> Transfer:
    """One transfer between two fresh connections in the page."""
    await devtools.send("HeapProfiler.collectGarbage")
    record = await asyncio.wait_for(
        browser.page.evaluate(
            "(args) => window.rtcpeerThroughput.run(...args)",
            [channels, MESSAGES, SIZE, HIGH_WATER, LOW_WATER],
        ),
        TIMEOUT,
    )
    return MESSAGES * SIZE / (record["ms"] / 1000) / 1e6, int(record["peak"])


Results = dict[tuple[str, int], list[Transfer]]


async def run(rounds: int) -> Results:
    patch_aioice_loopback()
    results: Results = {}
    async with chromium_page() as browser:
        await browser.page.evaluate(PAGE_JS)
        devtools = await browser.page.context.new_cdp_session(browser.page)

        async def one(stack: str, channels: int) -> Transfer:
            if stack == "chromium":
                return await _chromium_transfer(browser, devtools, channels)
            return await _python_transfer(stack, channels)

        for channels in CHANNELS:  # warm-up, not counted
            for stack in STACKS:
                await one(stack, channels)
        for _ in range(rounds):
            for channels in CHANNELS:
                for stack in STACKS:
                    results.setdefault((stack, channels), []).append(await one(stack, channels))
    return results


def _rates(results: Results, stack: str, channels: int) -> list[float]:
    return [rate for rate, _ in results[(stack, channels)]]


def _with_interval(ours: list[float], theirs: list[float]) -> str:
    low, high = median_ratio_interval(ours, theirs)
    return f"{ratio(median(ours), median(theirs))} ({low:.2f}-{high:.2f})"


def report(results: Results, rounds: int, command: str) -> str:
    lines = [
        "### Data channel bulk throughput on loopback: rtcpeer vs aiortc vs Chromium",
        "",
        f"Command: `{command}` ({rounds} interleaved rounds after a warm-up, medians; "
        f"{MESSAGES} messages of {SIZE} bytes ({MESSAGES * SIZE / 1e6:.1f} MB) from the "
        "offerer, reliable and ordered, over 1 channel or split evenly over 8 channels of "
        "one pair; host candidates on 127.0.0.1; timed from the first send to the last "
        "byte received; each sender keeps `bufferedAmount` below "
        f"{HIGH_WATER >> 10} KiB and then waits for `bufferedamountlow` "
        f"(threshold {LOW_WATER >> 10} KiB); rtcpeer and aiortc run both peers in this "
        "one Python process, Chromium both in one page; ratios with a 95% bootstrap "
        "interval).",
        "",
        "| channels | rtcpeer, MB/s | aiortc, MB/s | Chromium, MB/s | rtcpeer / aiortc "
        "| rtcpeer / Chromium | target | met? |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for channels in CHANNELS:
        ours, aio, chrome = (_rates(results, s, channels) for s in STACKS)
        if channels == 1:
            target = f"≥ {ONE_CHANNEL_TARGET:.0f} MB/s"
            ok = median(ours) >= ONE_CHANNEL_TARGET
        else:
            target = f"≥ {EIGHT_CHANNEL_TARGET:.0f}x aiortc"
            ok = median(ours) >= EIGHT_CHANNEL_TARGET * median(aio)
        lines.append(
            f"| {channels} | {median(ours):.1f} | {median(aio):.1f} | {median(chrome):.1f} "
            f"| {_with_interval(ours, aio)} | {_with_interval(ours, chrome)} "
            f"| {target} | {verdict(ok)} |"
        )
    lines += [
        "",
        "Peak `bufferedAmount` of any one channel right after a send, over all rounds "
        f"(KiB; a sender sends only below {HIGH_WATER >> 10} KiB, so at most "
        f"{(HIGH_WATER + SIZE) / 1024:.0f} KiB, one message more, is possible):",
        "",
        "| channels | rtcpeer | aiortc | Chromium |",
        "|---|---|---|---|",
    ]
    for channels in CHANNELS:
        peaks = (max(peak for _, peak in results[(s, channels)]) for s in STACKS)
        lines.append(f"| {channels} | " + " | ".join(f"{p / 1024:.0f}" for p in peaks) + " |")
    spread = ", ".join(
        f"{stack}/{channels}: {min(r):.1f}-{max(r):.1f}"
        for (stack, channels) in results
        for r in [_rates(results, stack, channels)]
    )
    lines += ["", f"Range (min-max, MB/s): {spread}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    bench_main(__doc__ or "", "dc_throughput.py", run, report)


if __name__ == "__main__":
    main()
