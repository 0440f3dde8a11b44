"""Shared by the peer-connection benchmarks (pc_open, pc_restart, pc_many).

Every benchmark runs inside a private network namespace with only ``lo``
(:func:`tests.support.netns.private_network`), so Chromium, aiortc and
rtcpeer all use 127.0.0.1 and nothing else; coturn "regions" run in it too.
Pairs are connected in-process and signalled directly (the same
:class:`tests.support.signalling.Bridge` for rtcpeer and aiortc; inside the
page for Chromium), so the times measure the stacks, not the signalling.
Running this file does nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import statistics
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.coturn import Coturn  # noqa: E402
from tests.support.netns import private_network  # noqa: E402
from tests.support.signalling import AiortcSide, Bridge, RtcpeerSide, Side  # noqa: E402
from tests.support.waiting import until  # noqa: E402

from rtcpeer import RTCPeerConnection  # noqa: E402

USER, PASSWORD = "user", "pass"
REGION_A = (58000, 58199)
REGION_B = (58200, 58399)
TIMEOUT = 20.0


def turn_url(server: Coturn, transport: str) -> str:
    if transport == "tls":
        return f"turns:127.0.0.1:{server.tls_port}?transport=tcp"
    return f"turn:127.0.0.1:{server.port}?transport={transport}"


def w3c_config(server: Coturn | None, transport: str = "udp") -> dict[str, Any]:
    """The W3C RTCConfiguration for ``host`` (server None) or relay-only."""
    if server is None:
        return {}
    return {
        "iceServers": [
            {"urls": turn_url(server, transport), "username": USER, "credential": PASSWORD}
        ],
        "iceTransportPolicy": "relay",
    }


def aiortc_config(config: dict[str, Any]) -> Any:
    from aiortc import RTCConfiguration, RTCIceServer
    from aiortc.rtcconfiguration import RTCIceTransportPolicy

    servers = [RTCIceServer(**server) for server in config.get("iceServers", [])]
    policy = RTCIceTransportPolicy(config.get("iceTransportPolicy", "all"))
    return RTCConfiguration(iceServers=servers, iceTransportPolicy=policy)


def patch_aioice_loopback() -> None:
    """aioice never offers 127.0.0.1 by itself (TESTING-NOTES.md)."""
    import aioice.ice

    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def rtcpeer_pc(config: dict[str, Any], cafile: str | None = None) -> RTCPeerConnection:
    """An rtcpeer connection on 127.0.0.1 only: the host address aiortc is patched to use."""
    return RTCPeerConnection(
        config, _include_loopback=True, _cafile=cafile, _host_addresses=("127.0.0.1",)
    )


async def wait_open(channel: Any, timeout: float = TIMEOUT) -> None:
    await until(channel, "open", lambda: channel.readyState == "open", timeout)


async def open_pair(
    a: Side, b: Side, a_pc: Any, b_pc: Any, timeout: float = TIMEOUT
) -> tuple[Bridge, Any, Any]:
    """createDataChannel + offer/answer from ``a``; returns when both ends are
    open (each wait at most ``timeout`` seconds)."""
    bridge = Bridge(a, b)
    remote: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def arrived(event: Any) -> None:
        if not remote.done():
            remote.set_result(getattr(event, "channel", event))

    b_pc.on("datachannel", arrived)
    channel = a_pc.createDataChannel("bench")
    await bridge.negotiate(a, b)
    far = await asyncio.wait_for(remote, timeout)
    await wait_open(channel, timeout)
    await wait_open(far, timeout)
    return bridge, channel, far


def sides(stack: str, a_pc: Any, b_pc: Any) -> tuple[Side, Side]:
    if stack == "rtcpeer":
        return RtcpeerSide(a_pc), RtcpeerSide(b_pc)
    return AiortcSide(a_pc), AiortcSide(b_pc)


#: Whether :func:`serve_promptly` raises coturn's priority (``--co-located-turn``
#: turns it off to measure the plain co-located setup).
PROMPT_TURN = True


def serve_promptly(server: Coturn) -> Coturn:
    """Run ``server``'s threads at real-time priority (SCHED_FIFO 10), as if
    it had a machine of its own, which a deployed TURN server has.

    Co-located on these 2 cores, coturn competes with the client stack it
    relays for: a ``sendto`` on loopback is a sync wakeup, the kernel queues
    coturn's thread on the sender's CPU, and while the sender stays busy (a
    whole ICE restart in one Python process) coturn waits out the sender's
    slice -- ``perf sched`` shows ~1.3 ms per relay hop, twice per relayed
    message. That wait belongs to the test bench, not to either stack; with
    coturn prompt it is gone for every stack alike (coturn relays a few
    hundred small datagrams a second, so it never hogs a CPU, and the
    kernel's real-time throttling caps it regardless). Needs root, as the
    benchmarks' private network namespace does."""
    if PROMPT_TURN:
        try:
            set_turn_priority(server, prompt=True)
        except PermissionError as error:
            server.stop()
            raise SystemExit(
                f"cannot raise coturn's priority ({error}): run as root, "
                "or pass --co-located-turn to leave it at normal priority"
            ) from error
    return server


def set_turn_priority(server: Coturn, *, prompt: bool) -> None:
    """Put every thread of ``server`` at real-time priority (SCHED_FIFO 10,
    ``prompt``) or back at normal priority (SCHED_OTHER), so one run can
    interleave rounds of both setups. Raising needs root."""
    policy, priority = (os.SCHED_FIFO, 10) if prompt else (os.SCHED_OTHER, 0)
    for task in Path(f"/proc/{server.pid}/task").iterdir():
        os.sched_setscheduler(int(task.name), policy, os.sched_param(priority))


def turn_setup() -> str:
    """How coturn ran, for a report."""
    if PROMPT_TURN:
        return "coturn at real-time priority, as if on its own machine (`serve_promptly`)"
    return "coturn at normal priority, competing for the clients' CPUs"


def fresh_heap() -> None:
    """Collect the garbage earlier rounds left (of any stack in this process)
    before a timed round, so a full collection of it -- 40-100 ms here, the
    heap holds aiortc, cryptography and pyOpenSSL -- is not charged to
    whichever round happens to trigger it. A round still pays for its own."""
    gc.collect()


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def median_ratio_interval(
    ours: list[float], theirs: list[float], resamples: int = 2000
) -> tuple[float, float]:
    """A 95% bootstrap interval for median(ours) / median(theirs): rounds are
    resampled with replacement (seeded, so a report can be reproduced)."""
    rng = random.Random(5)
    ratios = sorted(
        statistics.median(rng.choices(ours, k=len(ours)))
        / statistics.median(rng.choices(theirs, k=len(theirs)))
        for _ in range(resamples)
    )
    return ratios[int(0.025 * resamples)], ratios[int(0.975 * resamples) - 1]


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def bench_main(
    doc: str,
    script: str,
    run: Callable[[int], Coroutine[Any, Any, Any]],
    report: Callable[[Any, int, str], str],
    default_rounds: int = 15,
) -> None:
    """The command line shared by the round-based benchmarks: ``--quick`` and
    ``--rounds``; runs inside a private network namespace (only loopback)."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument(
        "--co-located-turn",
        action="store_true",
        help="leave coturn at normal priority, competing for the clients' CPUs",
    )
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else default_rounds)
    global PROMPT_TURN
    PROMPT_TURN = not args.co_located_turn
    with private_network():
        results: Any = asyncio.run(run(rounds))
    flags = [
        ("--quick", args.quick),
        (f"--rounds {rounds}", args.rounds is not None),
        ("--co-located-turn", args.co_located_turn),
    ]
    command = " ".join([f".venv/bin/python benchmarks/{script}"] + [f for f, on in flags if on])
    print(report(results, rounds, command))
