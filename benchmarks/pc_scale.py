"""1,000 connection pairs in one process, open and busy: rtcpeer vs aiortc.

Each stack runs in a fresh Python process of its own (inside a private
network namespace with only ``lo``; host candidates on 127.0.0.1, signalled
in-process through :class:`tests.support.signalling.Bridge`). The process
opens N pairs at once (each: a data channel, an offer/answer) and waits until
every data channel is open at both ends; then, for a steady-state window,
every pair carries one message each 100 ms, alternating direction (so each
end sends one and receives one every 200 ms), driven by one timer in a
hundred 1 ms slots (at 1,000 pairs, 10 pairs' sends per callback: independent
pairs do not send in lock-step, and a callback of 100 sends would itself be a
timer-late burst of several ms); then it closes every connection.
Measured:

- wall time until all 2N data channel ends are open, and the process's CPU
  time for it (with the part the garbage collector took);
- resident memory (VmRSS) growth per connection while all are open, and --
  in a separate, traced process per stack, as tracemalloc slows everything
  -- the Python heap per connection; how many objects the garbage collector
  tracks per open connection (what each full collection walks);
- CPU time (user + system, the whole process) per connection per second
  during the steady window, per message sent (each message is sent and
  received in this process; the idle connections' timers are in it too),
  and whether the process kept up with the load;
- how late a 5 ms timer fires (p50/p99/max) while opening and while steady;
- after closing everything and dropping every reference: open file
  descriptors and pending asyncio tasks compared with before the first pair
  was made; in the traced process, the Python heap left, and how much more
  it grows over a second open/close cycle of N pairs (what the first cycle
  left that is only containers' high-water marks and free lists is reused
  by the second; what still grows is a leak).

A warm-up pair is opened and closed first in each process (imports, the
first certificate, caches), so "before" is a process that has done it once.
aiortc runs at the same N; if not every one of its pairs opens, it is run
again at half the count until it manages, and the report says so. Rounds
(2 by default) alternate which stack goes first; the report gives medians
(and the worst round for anything left after close).

Targets (issue 19, outcome 1): time to open and memory per connection at
most 0.7x aiortc's, steady-state p99 lateness at most 5 ms, nothing left
after close (no descriptor, no task, no heap growth over a second cycle
beyond 0.1 KiB per connection).

Run: ``.venv/bin/python benchmarks/pc_scale.py`` (``--quick``: 100 pairs,
3 s, one round; ``--pairs N``, ``--seconds S``, ``--rounds R``). Needs root
for the namespace, as the tests do.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

from pc_common import open_pair, patch_aioice_loopback, ratio, rtcpeer_pc, sides, verdict

STACKS = ("rtcpeer", "aiortc")
#: The lateness probe's timer, seconds.
PROBE_INTERVAL = 0.005
#: A message per pair per this many seconds.
MESSAGE_INTERVAL = 0.1
#: The steady-state driver ticks this many times per message interval (1 ms
#: slots; the same schedule for both stacks).
SLOTS = 100
#: How long opening (and then closing's clean-up) may take, seconds.
OPEN_TIMEOUT = 180.0
SETTLE_TIMEOUT = 10.0
#: Heap left after closing that still counts as nothing, KiB per connection.
HEAP_LEFT_SLACK_KIB = 0.1


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _pending_tasks() -> int:
    current = asyncio.current_task()
    return sum(1 for task in asyncio.all_tasks() if task is not current)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _type_counts() -> Counter[str]:
    """Objects the garbage collector tracks, by type name (``--leaks``)."""
    return Counter(type(o).__qualname__ for o in gc.get_objects())


def _make(stack: str) -> Any:
    if stack == "rtcpeer":
        return rtcpeer_pc({})
    from aiortc import RTCPeerConnection

    return RTCPeerConnection()


class LatenessProbe:
    """A 5 ms timer re-armed as it fires; how late each firing was, by phase."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.phase = "idle"
        self.samples: dict[str, list[float]] = {}
        self._due = 0.0
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._arm()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _arm(self) -> None:
        self._due = self._loop.time() + PROBE_INTERVAL
        self._handle = self._loop.call_at(self._due, self._fire)

    def _fire(self) -> None:
        late = max(0.0, self._loop.time() - self._due)
        self.samples.setdefault(self.phase, []).append(late * 1000)
        self._arm()

    def summary(self, phase: str) -> dict[str, float]:
        values = sorted(self.samples.get(phase, [])) or [float("nan")]

        def at(q: float) -> float:
            return values[min(len(values) - 1, int(q * len(values)))]

        return {"p50": at(0.5), "p99": at(0.99), "max": values[-1], "n": len(values)}


class GcPauses:
    """How long the garbage collector stopped the process, by probe phase."""

    def __init__(self, probe: LatenessProbe) -> None:
        self._probe = probe
        self._started = 0.0
        self.pauses: dict[str, list[float]] = {}
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            pause = (time.perf_counter() - self._started) * 1000
            self.pauses.setdefault(self._probe.phase, []).append(pause)

    def stop(self) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self, phase: str) -> dict[str, float]:
        values = self.pauses.get(phase, [])
        return {"count": len(values), "total_ms": sum(values), "max_ms": max(values, default=0.0)}


class Traffic:
    """One message per pair per :data:`MESSAGE_INTERVAL`, alternating direction,
    spread over :data:`SLOTS` ticks (pair i sends in slot i mod SLOTS)."""

    def __init__(self, channels: list[tuple[Any, Any]]) -> None:
        self._loop = asyncio.get_running_loop()
        self._channels = channels
        self.sent = 0
        self.received = 0
        self._handle: asyncio.TimerHandle | None = None
        self._tick = 0
        for near, far in channels:
            near.on("message", self._count)
            far.on("message", self._count)

    def _count(self, message: Any) -> None:
        self.received += 1

    def start(self) -> None:
        self._start = self._loop.time()
        self._step()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def forget(self) -> None:
        """Drop the channels (so closed connections can be freed)."""
        self._channels = []

    def _step(self) -> None:
        slot = self._tick % SLOTS
        backwards = (self._tick // SLOTS) % 2 == 1
        for near, far in self._channels[slot::SLOTS]:
            (far if backwards else near).send("ping")
            self.sent += 1
        self._tick += 1
        self._handle = self._loop.call_at(
            self._start + self._tick * MESSAGE_INTERVAL / SLOTS, self._step
        )


async def _open_and_close(stack: str, pairs: int) -> None:
    """Open ``pairs`` pairs at once and close them all again."""
    pcs = [(_make(stack), _make(stack)) for _ in range(pairs)]
    await asyncio.gather(
        *(open_pair(*sides(stack, a, b), a, b, timeout=OPEN_TIMEOUT) for a, b in pcs),
        return_exceptions=True,
    )
    await _close_all(pcs)
    del pcs
    await _settle(lambda: False, 1.0)  # what closing scheduled has run


async def _close_all(pcs: list[tuple[Any, Any]]) -> None:
    """Close every connection, one task each (the tasks end with this call)."""
    tasks = [asyncio.ensure_future(pc.close()) for pair in pcs for pc in pair]
    await asyncio.wait(tasks)
    for task in tasks:
        task.result()


async def _settle(predicate: Any, timeout: float) -> bool:
    """Wait (polling every 50 ms) until ``predicate()`` holds; False on timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def _worker(
    stack: str, pairs: int, seconds: float, trace: bool, leaks: bool
) -> dict[str, Any]:
    patch_aioice_loopback()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    a, b = _make(stack), _make(stack)
    await open_pair(*sides(stack, a, b), a, b)
    await a.close()
    await b.close()
    del a, b
    await asyncio.sleep(0.2)
    gc.collect()
    if trace:
        tracemalloc.start(8 if leaks else 1)
    fds_before, tasks_before = _open_fds(), _pending_tasks()
    rss_before = _rss_kib()
    objects_before = len(gc.get_objects())
    traced_before = tracemalloc.get_traced_memory()[0] if trace else 0
    snapshot_before = tracemalloc.take_snapshot() if leaks else None
    types_before = _type_counts() if leaks else Counter()

    probe = LatenessProbe()
    probe.start()
    pauses = GcPauses(probe)
    probe.phase = "opening"
    start, open_cpu = time.perf_counter(), _cpu_seconds()
    pcs = [(_make(stack), _make(stack)) for _ in range(pairs)]
    outcomes = await asyncio.gather(
        *(open_pair(*sides(stack, a, b), a, b, timeout=OPEN_TIMEOUT) for a, b in pcs),
        return_exceptions=True,
    )
    wall = time.perf_counter() - start
    open_cpu = _cpu_seconds() - open_cpu
    probe.phase = "idle"
    opened = [o for o in outcomes if not isinstance(o, BaseException)]
    failures = sorted({type(o).__name__ for o in outcomes if isinstance(o, BaseException)})
    opened_pairs = len(opened)
    gc.collect()
    rss_open = _rss_kib()
    objects_open = len(gc.get_objects())
    traced_open = tracemalloc.get_traced_memory()[0] if trace else 0

    traffic = Traffic([(near, far) for _, near, far in opened])
    await asyncio.sleep(0.5)  # let the last opening work finish before the window
    probe.phase = "steady"
    cpu_start, wall_start = _cpu_seconds(), time.perf_counter()
    traffic.start()
    await asyncio.sleep(seconds)
    traffic.stop()
    cpu = _cpu_seconds() - cpu_start
    steady_wall = time.perf_counter() - wall_start
    probe.phase = "idle"
    sent = traffic.sent
    await _settle(lambda: traffic.received >= sent, 5.0)
    received = traffic.received

    probe.phase = "closing"
    close_start = time.perf_counter()
    await _close_all(pcs)
    close_wall = time.perf_counter() - close_start
    probe.stop()
    pauses.stop()
    traffic.forget()
    del pcs, opened, outcomes
    gc.collect()
    settled = await _settle(
        lambda: _open_fds() <= fds_before and _pending_tasks() <= tasks_before, SETTLE_TIMEOUT
    )
    gc.collect()
    heap_left = tracemalloc.get_traced_memory()[0] - traced_before if trace else 0
    heap_second = 0
    if trace:
        # A second open/close cycle: what the first left behind that is only
        # the high-water mark of containers and free lists (a WeakSet of
        # tasks, the selector's maps, ...) is reused, so what grows now is
        # what every cycle leaves: a leak.
        await _open_and_close(stack, pairs)
        gc.collect()
        heap_second = tracemalloc.get_traced_memory()[0] - traced_before - heap_left
    connections = 2 * pairs
    result: dict[str, Any] = {
        "pairs": pairs,
        "opened_pairs": opened_pairs,
        "wall_ms": wall * 1000,
        "open_cpu_ms": open_cpu * 1000,
        "rss_kib_per_connection": (rss_open - rss_before) / connections,
        "traced_kib_per_connection": (traced_open - traced_before) / 1024 / connections,
        "cpu_us_per_connection_second": cpu / steady_wall / connections * 1e6,
        "cpu_share_of_a_core": cpu / steady_wall,
        "cpu_us_per_message": cpu / max(sent, 1) * 1e6,
        "gc_objects_per_connection": (objects_open - objects_before) / connections,
        "steady_seconds": steady_wall,
        "sent": sent,
        "intended": round(opened_pairs * steady_wall / MESSAGE_INTERVAL),
        "received": received,
        "lateness": {phase: probe.summary(phase) for phase in ("opening", "steady", "closing")},
        "gc": {phase: pauses.summary(phase) for phase in ("opening", "steady")},
        "close_ms": close_wall * 1000,
        "settled": settled,
        "fds_left": _open_fds() - fds_before,
        "tasks_left": _pending_tasks() - tasks_before,
        "rss_left_kib": _rss_kib() - rss_before,
        "heap_left_kib": heap_left / 1024,
        "heap_second_cycle_kib": heap_second / 1024,
        "failures": failures,
    }
    if leaks:
        grown = (_type_counts() - types_before).most_common(25)
        print("objects alive after close, more than before:", grown, file=sys.stderr)
        tasks = [o for o in gc.get_objects() if isinstance(o, asyncio.Task) and o.done()]
        print("done tasks still referenced:", Counter(t.get_name() for t in tasks),
              Counter(type(r).__qualname__ for t in tasks[:20] for r in gc.get_referrers(t)),
              file=sys.stderr)  # fmt: skip
    if snapshot_before is not None:
        after = tracemalloc.take_snapshot()
        for stat in after.compare_to(snapshot_before, "traceback")[:15]:
            print(f"{stat.size_diff / 1024:9.1f} KiB {stat.count_diff:+7d}", file=sys.stderr)
            for line in stat.traceback.format()[-12:]:
                print("    " + line, file=sys.stderr)
    return result


def _measure(stack: str, pairs: int, seconds: float, trace: bool) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--worker", stack, "--pairs", str(pairs),
         "--seconds", str(seconds)] + (["--trace"] if trace else []),
        check=True, capture_output=True, text=True, timeout=1800,
    ).stdout  # fmt: skip
    return dict(json.loads(output.strip().splitlines()[-1]))


def _largest(stack: str, pairs: int, seconds: float) -> dict[str, Any]:
    """The stack at ``pairs``, or at half that until every pair opens."""
    while True:
        result = _measure(stack, pairs, seconds, trace=False)
        if not result["failures"] or pairs <= 1:
            return result
        print(f"{stack}: not every one of {pairs} pairs opened ({result['failures']})",
              file=sys.stderr)  # fmt: skip
        pairs //= 2


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One run's shape, each number the median over ``runs`` (the last run's
    value where there is no number; the smallest pair count, as all ran at it
    after a halving)."""
    last = runs[-1]
    merged: dict[str, Any] = {}
    for key, value in last.items():
        if isinstance(value, dict):
            merged[key] = _median_run([run[key] for run in runs])
        elif key.endswith("_left") and isinstance(value, int):
            merged[key] = max(run[key] for run in runs)  # left in any round counts
        elif isinstance(value, int) and not isinstance(value, bool):
            merged[key] = round(statistics.median(run[key] for run in runs))
        elif isinstance(value, float):
            merged[key] = statistics.median(run[key] for run in runs)
        else:
            merged[key] = value
    merged["pairs"] = min(run["pairs"] for run in runs) if "pairs" in last else None
    if "pairs" not in last:
        del merged["pairs"]
    return merged


def report(untraced: dict[str, dict[str, Any]], traced: dict[str, dict[str, Any]],
           pairs: int, seconds: float, rounds: int, command: str) -> str:  # fmt: skip
    ours, theirs = untraced["rtcpeer"], untraced["aiortc"]
    same_n = ours["pairs"] == theirs["pairs"]
    lines = [
        f"### {pairs} connection pairs in one process, open and busy: rtcpeer vs aiortc",
        "",
        f"Command: `{command}` ({rounds} rounds, each one process per stack, alternating "
        f"which goes first, medians; then one traced process per stack for the heap rows; "
        f"{seconds:g} s steady window: one message per pair per 100 ms, alternating direction).",
        "",
    ]
    if not same_n:
        lines += [
            f"aiortc did not open all {pairs} pairs; its column is at {theirs['pairs']} pairs, "
            "the largest count (halving) at which every pair opened.",
            "",
        ]
    lines += [
        "| measure | rtcpeer | aiortc | rtcpeer / aiortc | target | met? |",
        "|---|---|---|---|---|---|",
        f"| pairs (rtcpeer / aiortc) | {ours['pairs']} | {theirs['pairs']} | | same N "
        f"| {verdict(same_n)} |",
    ]

    def row(
        label: str, key: str, fmt: str, target: float, source: dict[str, dict[str, Any]]
    ) -> None:
        a, b = source["rtcpeer"][key], source["aiortc"][key]
        met = a <= target * b
        lines.append(
            f"| {label} | {a:{fmt}} | {b:{fmt}} | {ratio(a, b)} | at most {target}x "
            f"| {verdict(met)} |"
        )

    row("wall time until all data channel ends are open, ms", "wall_ms", ".0f", 0.7, untraced)
    per_pair = {s: untraced[s]["open_cpu_ms"] / untraced[s]["pairs"] for s in STACKS}
    gc_open = {s: untraced[s]["gc"]["opening"]["total_ms"] / untraced[s]["pairs"] for s in STACKS}
    lines.append(
        f"| CPU time to open, per pair, ms (of which garbage collection) "
        f"| {per_pair['rtcpeer']:.2f} ({gc_open['rtcpeer']:.2f}) "
        f"| {per_pair['aiortc']:.2f} ({gc_open['aiortc']:.2f}) "
        f"| {ratio(per_pair['rtcpeer'], per_pair['aiortc'])} | | |"
    )
    row("resident memory (VmRSS) growth per connection, KiB", "rss_kib_per_connection", ".1f",
        0.7, untraced)  # fmt: skip
    row("Python heap per connection (tracemalloc), KiB", "traced_kib_per_connection", ".1f",
        0.7, traced)  # fmt: skip
    objects = {s: untraced[s]["gc_objects_per_connection"] for s in STACKS}
    lines.append(
        f"| objects the garbage collector tracks, per connection "
        f"| {objects['rtcpeer']:.0f} | {objects['aiortc']:.0f} "
        f"| {ratio(objects['rtcpeer'], objects['aiortc'])} | | |"
    )
    cpu = {s: untraced[s]["cpu_us_per_connection_second"] for s in STACKS}
    share = {s: untraced[s]["cpu_share_of_a_core"] for s in STACKS}
    lines.append(
        f"| CPU per connection per second, steady, µs (whole process, share of a core) "
        f"| {cpu['rtcpeer']:.0f} ({share['rtcpeer']:.2f}) | {cpu['aiortc']:.0f} "
        f"({share['aiortc']:.2f}) | {ratio(cpu['rtcpeer'], cpu['aiortc'])} | | |"
    )
    per_message = {s: untraced[s]["cpu_us_per_message"] for s in STACKS}
    lines.append(
        f"| steady: CPU per message sent, µs (whole process: send, receive, SACKs, "
        f"idle timers) | {per_message['rtcpeer']:.0f} | {per_message['aiortc']:.0f} "
        f"| {ratio(per_message['rtcpeer'], per_message['aiortc'])} | | |"
    )
    for phase in ("opening", "steady"):
        late = {s: untraced[s]["lateness"][phase] for s in STACKS}
        for q in ("p50", "p99", "max"):
            target = "at most 5 ms" if (phase, q) == ("steady", "p99") else ""
            met = verdict(late["rtcpeer"][q] <= 5.0) if target else ""
            lines.append(
                f"| 5 ms timer lateness, {phase}, {q}, ms | {late['rtcpeer'][q]:.2f} "
                f"| {late['aiortc'][q]:.2f} | {ratio(late['rtcpeer'][q], late['aiortc'][q])} "
                f"| {target} | {met} |"
            )
    offered = {s: f"{untraced[s]['sent']}/{untraced[s]['intended']}" for s in STACKS}
    lines.append(
        f"| steady: messages sent / due at one per pair per 100 ms (below: the process "
        f"could not keep up) | {offered['rtcpeer']} | {offered['aiortc']} | | | |"
    )
    delivered = {s: f"{untraced[s]['received']}/{untraced[s]['sent']}" for s in STACKS}
    lines.append(
        f"| steady: messages delivered / sent | {delivered['rtcpeer']} "
        f"| {delivered['aiortc']} | | all | "
        f"{verdict(ours['received'] == ours['sent'])} |"
    )
    gc_steady = {s: untraced[s]["gc"]["steady"] for s in STACKS}
    lines.append(
        f"| steady: garbage collection, total ms (longest pause) "
        f"| {gc_steady['rtcpeer']['total_ms']:.0f} ({gc_steady['rtcpeer']['max_ms']:.0f}) "
        f"| {gc_steady['aiortc']['total_ms']:.0f} ({gc_steady['aiortc']['max_ms']:.0f}) | | | |"
    )
    lines.append(
        f"| closing all, ms | {ours['close_ms']:.0f} | {theirs['close_ms']:.0f} "
        f"| {ratio(ours['close_ms'], theirs['close_ms'])} | | |"
    )
    for label, key in (
        ("open file descriptors", "fds_left"),
        ("pending asyncio tasks", "tasks_left"),
    ):
        lines.append(
            f"| after close: {label} left | {ours[key]} | {theirs[key]} | | 0 "
            f"| {verdict(ours[key] <= 0)} |"
        )
    heap = {s: traced[s]["heap_left_kib"] for s in STACKS}
    lines.append(
        f"| after close: Python heap left (traced), KiB, of it containers' high-water "
        f"marks and free lists | {heap['rtcpeer']:.0f} | {heap['aiortc']:.0f} | | | |"
    )
    second = {s: traced[s]["heap_second_cycle_kib"] for s in STACKS}
    slack = HEAP_LEFT_SLACK_KIB * 2 * traced["rtcpeer"]["pairs"]
    lines.append(
        f"| after a second open/close cycle: Python heap grown further (a leak), KiB "
        f"| {second['rtcpeer']:.1f} | {second['aiortc']:.1f} | "
        f"| at most {slack:.0f} ({HEAP_LEFT_SLACK_KIB} per connection) "
        f"| {verdict(second['rtcpeer'] <= slack)} |"
    )
    lines.append(
        f"| after close: VmRSS left, KiB | {ours['rss_left_kib']:.0f} "
        f"| {theirs['rss_left_kib']:.0f} "
        "| | (allocator keeps freed pages) | |"
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run: 100 pairs, 3 s")
    parser.add_argument("--pairs", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None, help="the steady window")
    parser.add_argument("--rounds", type=int, default=None, help="processes per stack (2)")
    parser.add_argument("--worker", choices=STACKS, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--leaks", action="store_true", help="(worker) print what the heap kept after close"
    )
    args = parser.parse_args()
    pairs = args.pairs or (100 if args.quick else 1000)
    seconds = args.seconds if args.seconds is not None else (3.0 if args.quick else 30.0)
    if args.worker:
        result = asyncio.run(_worker(args.worker, pairs, seconds, args.trace, args.leaks))
        print(json.dumps(result))
        return
    from tests.support.netns import private_network

    rounds = args.rounds or (1 if args.quick else 2)
    runs: dict[str, list[dict[str, Any]]] = {stack: [] for stack in STACKS}
    with private_network():  # the worker processes inherit the namespace
        counts = dict.fromkeys(STACKS, pairs)
        for index in range(rounds):
            # A round is one process of each stack, alternating which goes first.
            for stack in STACKS if index % 2 == 0 else tuple(reversed(STACKS)):
                runs[stack].append(_largest(stack, counts[stack], seconds))
                counts[stack] = runs[stack][-1]["pairs"]
        untraced = {stack: _median_run(runs[stack]) for stack in STACKS}
        # The heap is measured at the count each stack managed; tracing is
        # slow, so the traced window is at most 5 s.
        traced = {
            stack: _measure(stack, untraced[stack]["pairs"], min(seconds, 5.0), trace=True)
            for stack in STACKS
        }
    flags = [("--quick", args.quick), (f"--pairs {args.pairs}", args.pairs is not None),
             (f"--seconds {seconds:g}", args.seconds is not None),
             (f"--rounds {rounds}", args.rounds is not None)]  # fmt: skip
    command = " ".join([".venv/bin/python benchmarks/pc_scale.py"] + [f for f, on in flags if on])
    print(report(untraced, traced, pairs, seconds, rounds, command))


if __name__ == "__main__":
    main()
