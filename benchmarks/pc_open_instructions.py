"""Instructions per rtcpeer <-> rtcpeer host open, counted by valgrind.

The open's wall time and CPU time drift +-25% from minute to minute on a
shared machine; the number of instructions it executes does not. This runs
two processes under ``valgrind --tool=callgrind``: one opening ``--few``
pairs and one opening ``--many`` (each after the same 10 warm-up opens, the
heap collected, ``PYTHONHASHSEED=0``), and prints the difference per open:
both peers' createDataChannel, offer/answer, trickled candidates, ICE, DTLS,
SCTP, the data channel open at both ends, and both closes -- the same pair
and signalling as ``pc_open.py``'s rtcpeer host row. Repeatable to ~0.5%.

Use it to A/B a change: run it on each tree (``PYTHONPATH=<tree>/src``
selects the tree). Under valgrind the process runs ~50x slower, so timers
fire at other points of the open than they would natively: a change that
only saves timer wake-ups does not show here.

Run: ``.venv/bin/python benchmarks/pc_open_instructions.py`` (needs root
for the private network namespace, and valgrind; ~2 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from pc_common import open_pair, rtcpeer_pc, sides

import rtcpeer

WARM_UP = 10


async def _one_open() -> None:
    a, b = rtcpeer_pc({}), rtcpeer_pc({})
    await open_pair(*sides("rtcpeer", a, b), a, b)
    await a.close()
    await b.close()


async def _opens(count: int) -> None:
    for _ in range(WARM_UP):
        await _one_open()
    gc.collect()
    for _ in range(count):
        await _one_open()


def _instructions(count: int) -> int:
    """Instructions callgrind counts for a process opening ``count`` pairs."""
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/callgrind.out",
             sys.executable, __file__, "--opens", str(count)],
            env={**os.environ, "PYTHONHASHSEED": "0"},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    found = re.search(r"Collected : (\d+)", result.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from callgrind: {result.stderr[-500:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 and 7 opens instead of 10 and 60")
    parser.add_argument("--few", type=int, default=None)
    parser.add_argument("--many", type=int, default=None)
    parser.add_argument("--opens", type=int, help=argparse.SUPPRESS)  # the counted process
    args = parser.parse_args()
    if args.opens is not None:
        from tests.support.netns import private_network

        with private_network():
            asyncio.run(_opens(args.opens))
        return
    few_opens = args.few or (2 if args.quick else 10)
    many_opens = args.many or (7 if args.quick else 60)
    few, many = _instructions(few_opens), _instructions(many_opens)
    per_open = (many - few) / (many_opens - few_opens)
    source = Path(str(rtcpeer.__file__)).parent
    command = ".venv/bin/python benchmarks/pc_open_instructions.py" + (
        " --quick" if args.quick else ""
    )
    print("### Instructions per rtcpeer <-> rtcpeer host open (callgrind)\n")
    print(
        f"Command: `{command}` ({many_opens} opens minus {few_opens}, each process after "
        f"{WARM_UP} warm-up opens; rtcpeer from {source}).\n"
    )
    print(f"{per_open / 1e6:.2f} M instructions per open (both peers, open and close).")


if __name__ == "__main__":
    main()
