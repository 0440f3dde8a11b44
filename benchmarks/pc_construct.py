"""Constructing 50 RTCPeerConnections, then their certificates: rtcpeer vs aiortc.

rtcpeer defers the certificate until DTLS first needs one, and then a
connection configured without ``certificates`` takes the process's default
(generated once per process and shared, as a browser keeps one per origin;
``tests/configuration/test_config_algorithm.py`` checks that construction
generates no key and first use at most one for all); aiortc generates a key
and certificate in every constructor. So three rows: constructing 50
connections (with one TURN server configured); constructing them plus
having each one's certificate (rtcpeer: the process default, made in the
warm-up, so no key in the timed rounds -- that is the point of it); and, for
the same work as aiortc, constructing them each with a fresh certificate of
its own (``RTCCertificate.generate``, what ``generateCertificate`` does off
the event loop). Rounds alternate which stack goes first; medians.

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

from rtcpeer import RTCCertificate, RTCPeerConnection

N = 50
TURN = {"urls": "turn:turn.example.invalid", "username": "user", "credential": "cred"}


#: The rows: what each round does beyond constructing.
ROWS = {
    "none": "construct",
    "default": "construct, then every certificate (rtcpeer: the process default)",
    "fresh": "construct, each with a fresh certificate of its own",
}


def rtcpeer_round(certificates: str) -> float:
    gc.collect()
    started = time.perf_counter()
    if certificates == "fresh":
        pcs = [
            RTCPeerConnection({"iceServers": [TURN], "certificates": [RTCCertificate.generate()]})
            for _ in range(N)
        ]
    else:
        pcs = [RTCPeerConnection({"iceServers": [TURN]}) for _ in range(N)]
    if certificates != "none":
        assert all(pc._certificates for pc in pcs)
    return (time.perf_counter() - started) * 1000


def aiortc_round(certificates: str) -> float:
    from aiortc import RTCConfiguration, RTCIceServer
    from aiortc import RTCPeerConnection as AiortcPeerConnection

    config = RTCConfiguration(iceServers=[RTCIceServer(**TURN)])
    gc.collect()
    started = time.perf_counter()
    pcs: list[Any] = [AiortcPeerConnection(config) for _ in range(N)]
    if certificates != "none":
        # aiortc generated it in the constructor already
        assert all(pc._RTCPeerConnection__certificates for pc in pcs)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    args = parser.parse_args()
    rounds = 3 if args.quick else 15
    results: dict[tuple[str, str], list[float]] = {}
    rtcpeer_round("default")  # warm-up: imports, the first key (the process default)
    aiortc_round("default")
    for index in range(rounds):
        for certs in ROWS:
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
    for certs, label in ROWS.items():
        ours = statistics.median(results[("rtcpeer", certs)])
        theirs = statistics.median(results[("aiortc", certs)])
        print(f"| {label}, ms | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} |")
    print()


if __name__ == "__main__":
    main()
