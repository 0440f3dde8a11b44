"""TURN server start-up: rtcpeer's embedded server vs coturn.

Two rows. In process: ``await TurnServer.start()`` with UDP, TCP, TLS and
DTLS listeners (what ``TurnServer.startup_seconds`` and the CLI's "ready in
... ms" line report). As a process: from spawning the server until it answers
a STUN Binding request on its UDP port -- ``python -m rtcpeer.turn.server``
against coturn's ``turnserver``, the same probe for both (a Binding request
every 2 ms). The Python figure includes the interpreter's start and imports.
Rounds alternate which server goes first; medians. (The unit tests used to
bound these at 0.5 s; they now check what start-up produces, and the timing
is here.)

Run: ``.venv/bin/python benchmarks/turn_startup.py`` (``--quick``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rtcpeer.stun import MessageClass, Method, StunMessage
from rtcpeer.testing.coturn import free_port, turnserver_path
from rtcpeer.testing.pki import make_certificates
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer

HOST = "127.0.0.1"


async def in_process(workdir: Path) -> float:
    """ms for TurnServer.start() with all four listeners."""
    certs = make_certificates(workdir / "pki")
    config = TurnServerConfig(realm="bench", users={"user": "pass"}, allow_loopback_peers=True)
    settings = ListenSettings(port=0, tls_port=0, cert=certs.cert, key=certs.key)
    server = TurnServer(config, settings)
    started = time.perf_counter()
    await server.start()
    elapsed = time.perf_counter() - started
    await server.close()
    return elapsed * 1000


def until_binding_answered(command: list[str], port: int, timeout: float = 20.0) -> float:
    """ms from spawning ``command`` until its UDP ``port`` answers a Binding."""
    request = StunMessage(Method.BINDING, MessageClass.REQUEST).encode()
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((HOST, port))
            while time.perf_counter() - started < timeout:
                with contextlib.suppress(ConnectionRefusedError):
                    probe.send(request)
                ready, _, _ = select.select([probe], [], [], 0.002)
                if ready:
                    try:
                        probe.recv(2048)
                    except ConnectionRefusedError:
                        continue  # ICMP port unreachable: not listening yet
                    return (time.perf_counter() - started) * 1000
            raise RuntimeError(f"{command[0]} did not answer within {timeout} s")
    finally:
        process.terminate()
        process.wait(10)


def rtcpeer_process(port: int) -> list[str]:
    return [sys.executable, "-m", "rtcpeer.turn.server", "--listen", HOST, "--port", str(port),
            "--user", "user:pass", "--realm", "bench", "--allow-loopback-peers"]  # fmt: skip


def coturn_process(port: int, workdir: Path) -> list[str]:
    binary = turnserver_path()
    if binary is None:
        raise SystemExit("coturn is not installed (apt-get install coturn)")
    return [str(binary), "-n", "--no-cli", f"--listening-ip={HOST}", f"--relay-ip={HOST}",
            f"--listening-port={port}", "--no-tls", "--no-dtls", "--allow-loopback-peers",
            "--fingerprint", "--lt-cred-mech", "--user=user:pass", "--realm=bench",
            f"--userdb={workdir / 'turn.db'}", f"--pidfile={workdir / 'turn.pid'}",
            f"--log-file={workdir / 'turn.log'}", "--simple-log", "--no-stdout-log"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    args = parser.parse_args()
    rounds = 3 if args.quick else 15
    inside: list[float] = []
    spawned: dict[str, list[float]] = {"rtcpeer": [], "coturn": []}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        asyncio.run(in_process(work / "warm"))
        for index in range(rounds):
            inside.append(asyncio.run(in_process(work / f"r{index}")))
            order = ("rtcpeer", "coturn") if index % 2 == 0 else ("coturn", "rtcpeer")
            for stack in order:
                port = free_port()
                (work / f"c{index}").mkdir(exist_ok=True)
                argv = (
                    rtcpeer_process(port)
                    if stack == "rtcpeer"
                    else coturn_process(port, work / f"c{index}")
                )
                spawned[stack].append(until_binding_answered(argv, port))
    ours, theirs = statistics.median(spawned["rtcpeer"]), statistics.median(spawned["coturn"])
    command = ".venv/bin/python benchmarks/turn_startup.py" + (" --quick" if args.quick else "")
    print("### TURN server start-up: rtcpeer's embedded server vs coturn")
    print()
    print(f"Command: `{command}` ({rounds} rounds, servers alternating, medians, ms).")
    print()
    print("| measure | rtcpeer | coturn | rtcpeer / coturn |")
    print("|---|---|---|---|")
    print(f"| TurnServer.start(), UDP+TCP+TLS+DTLS, in process | {statistics.median(inside):.1f} "
          "| | |")  # fmt: skip
    print(f"| spawn → first Binding answered on UDP | {ours:.0f} | {theirs:.0f} "
          f"| {ours / theirs:.2f} |")  # fmt: skip
    print()


if __name__ == "__main__":
    main()
