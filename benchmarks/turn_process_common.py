"""rtcpeer's embedded TURN server as its own process, for benchmarks.

A separate process, like coturn, so the server's CPU is measured apart from
the client's and both stacks compete on equal terms.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from rtcpeer.coturn import free_port, relay_range

HOST = "127.0.0.1"


def start_turn_server_process(
    workdir: Path, realm: str = "bench"
) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``python -m rtcpeer.turn.server`` (user ``user``/``pass``, loopback
    peers allowed) and wait until it accepts; returns the process and its port."""
    port = free_port()
    low, high = relay_range()
    log = workdir / "rtcpeer-turn.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rtcpeer.turn.server",
            "--listen",
            HOST,
            "--port",
            str(port),
            "--user",
            "user:pass",
            "--realm",
            realm,
            "--allow-loopback-peers",
            "--min-port",
            str(low),
            "--max-port",
            str(high),
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(log, "wb"),  # noqa: SIM115 - the child owns it
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((HOST, port)) == 0:
                return process, port
        if process.poll() is not None:
            break
        time.sleep(0.02)
    process.kill()
    raise RuntimeError(f"rtcpeer turn-server did not start; see {log}")
