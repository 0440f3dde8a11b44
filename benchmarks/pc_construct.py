"""Constructing 50 RTCPeerConnections, then their certificates: rtcpeer vs aiortc.

rtcpeer defers key generation until DTLS first needs a certificate
(``tests/configuration/test_config_algorithm.py`` checks that construction
generates no key and first use one per connection); aiortc generates its
certificate in the constructor. So two rows: constructing 50 connections
(with one TURN server configured), and constructing them plus having each
one's certificate -- the same work for both stacks. Rounds alternate which
stack goes first; medians.

Run: ``.venv/bin/python benchmarks/pc_construct.py`` (``--quick``).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rtcpeer import RTCPeerConnection

N = 50
TURN = {"urls": "turn:turn.example.invalid", "username": "user", "credential": "cred"}


def rtcpeer_round(with_certificates: bool) -> float:
    gc.collect()
    started = time.perf_counter()
    pcs = [RTCPeerConnection({"iceServers": [TURN]}) for _ in range(N)]
    if with_certificates:
        assert all(pc._certificates for pc in pcs)
    return (time.perf_counter() - started) * 1000


def aiortc_round(with_certificates: bool) -> float:
    from aiortc import RTCConfiguration, RTCIceServer
    from aiortc import RTCPeerConnection as AiortcPeerConnection

    config = RTCConfiguration(iceServers=[RTCIceServer(**TURN)])
    gc.collect()
    started = time.perf_counter()
    pcs: list[Any] = [AiortcPeerConnection(config) for _ in range(N)]
    if with_certificates:
        # aiortc generated it in the constructor already
        assert all(pc._RTCPeerConnection__certificates for pc in pcs)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    args = parser.parse_args()
    rounds = 3 if args.quick else 15
    results: dict[tuple[str, bool], list[float]] = {}
    rtcpeer_round(True)  # warm-up: imports, the first key
    aiortc_round(True)
    for index in range(rounds):
        for certs in (False, True):
            order = ("rtcpeer", "aiortc") if index % 2 == 0 else ("aiortc", "rtcpeer")
            for stack in order:
                run = rtcpeer_round if stack == "rtcpeer" else aiortc_round
                results.setdefault((stack, certs), []).append(run(certs))
    command = ".venv/bin/python benchmarks/pc_construct.py" + (" --quick" if args.quick else "")
    print(f"### Constructing {N} RTCPeerConnections: rtcpeer vs aiortc")
    print()
    print(f"Command: `{command}` ({rounds} rounds, stacks alternating, medians, ms).")
    print()
    print("| measure | rtcpeer | aiortc | rtcpeer / aiortc |")
    print("|---|---|---|---|")
    for certs, label in ((False, "construct"), (True, "construct, then every certificate")):
        ours = statistics.median(results[("rtcpeer", certs)])
        theirs = statistics.median(results[("aiortc", certs)])
        print(f"| {label}, ms | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} |")
    print()


if __name__ == "__main__":
    main()
