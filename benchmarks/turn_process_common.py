"""rtcpeer's embedded TURN server as its own process, for benchmarks.

A separate process, like coturn, so the server's CPU is measured apart from
the client's and both stacks compete on equal terms.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path

from rtcpeer.testing.coturn import free_port, relay_range
from rtcpeer.testing.pki import CertificateFiles

HOST = "127.0.0.1"


#: Runs ``rtcpeer turn-server`` on uvloop's event loop (the ``uvloop`` extra).
_ON_UVLOOP = (
    "import sys, uvloop; uvloop.install(); from rtcpeer.cli import main; "
    "sys.exit(main(['turn-server', *sys.argv[1:]]))"
)


def start_turn_server_process(
    workdir: Path,
    realm: str = "bench",
    *,
    uvloop: bool = False,
    tls_port: int | None = None,
    certs: CertificateFiles | None = None,
) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``python -m rtcpeer.turn.server`` (user ``user``/``pass``, loopback
    peers allowed) and wait until it accepts; returns the process and its port.
    ``uvloop``: run it on uvloop's event loop instead of asyncio's
    (RuntimeError if uvloop is not installed). ``tls_port`` and ``certs``:
    also listen for TLS and DTLS there, with that certificate."""
    if uvloop and importlib.util.find_spec("uvloop") is None:
        raise RuntimeError("uvloop is not installed: pip install 'rtcpeer[uvloop]'")
    port = free_port()
    low, high = relay_range()
    log = workdir / "rtcpeer-turn.log"
    launcher = ["-c", _ON_UVLOOP] if uvloop else ["-m", "rtcpeer.turn.server"]
    secure: list[str] = []
    if tls_port is not None:
        if certs is None:
            raise ValueError("tls_port needs certs")
        secure = ["--tls-port", str(tls_port), "--cert", str(certs.cert), "--key", str(certs.key)]
    process = subprocess.Popen(
        [
            sys.executable,
            *launcher,
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
            *secure,
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
