"""Run coturn on free loopback ports: TURN "regions" A, B, ... for tests and the demo.

``rtcpeer demo --turn coturn`` and the interoperability tests start real
coturn processes through this module. Each :class:`Coturn` is one
``turnserver`` process listening on 127.0.0.1 for UDP/TCP on ``port`` and
TLS/DTLS on ``tls_port``, relaying from its own port range so that a relay
candidate's port says which region it is on. Credentials are static users
(``--lt-cred-mech``) or a shared secret for REST API credentials
(``--use-auth-secret``). It is stopped by its PID; its log path is kept so a
failing test can show what coturn said.

A missing ``turnserver`` raises :class:`CoturnMissingError` (a RuntimeError):
tests that need coturn fail, they never skip, and the demo says what to install.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from rtcpeer.testing.pki import CertificateFiles, make_certificates
from rtcpeer.turn.client import TurnServer

TURNSERVER = "/usr/bin/turnserver"
HOST = "127.0.0.1"
_relay_blocks = itertools.count()


class CoturnMissingError(RuntimeError):
    """coturn's ``turnserver`` is not installed."""


def turnserver_path() -> str | None:
    """Where ``turnserver`` is installed, or None."""
    if Path(TURNSERVER).exists():
        return TURNSERVER
    return shutil.which("turnserver")


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 right now."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((HOST, 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((HOST, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port for TCP and UDP")


def relay_range(size: int = 40) -> tuple[int, int]:
    """A distinct relay port range per call within this process (below the
    Linux ephemeral range start of 32768, so sockets rarely collide)."""
    block = next(_relay_blocks) % 60
    start = 20000 + (os.getpid() % 50) * 200 + block * size
    start = 20000 + (start - 20000) % 12000
    return start, start + size - 1


@dataclass
class Coturn:
    """One running coturn; use :func:`start_coturn` to get one."""

    workdir: Path
    port: int
    tls_port: int
    min_port: int
    max_port: int
    realm: str
    users: dict[str, str]
    secret: str | None
    certs: CertificateFiles
    process: subprocess.Popen[bytes] = field(repr=False)
    #: The listening IPs (the first one is what :meth:`target` points at).
    listen: tuple[str, ...] = (HOST,)
    #: The relay IPs (one per family: IPv4, IPv6 or both).
    relay_ips: tuple[str, ...] = (HOST,)

    @property
    def host(self) -> str:
        return self.listen[0]

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log_path(self) -> Path:
        return self.workdir / "turn.log"

    def target(self, transport: str = "udp", host: str | None = None) -> TurnServer:
        """A TURN target for ``udp``, ``tcp``, ``tls`` or ``dtls`` on ``host``
        (default: the first listening IP)."""
        host = host or self.host
        secure = transport in ("tls", "dtls")
        wire = "tcp" if transport in ("tcp", "tls") else "udp"
        port = self.tls_port if secure else self.port
        scheme = "turns" if secure else "turn"
        url_host = f"[{host}]" if ":" in host else host
        return TurnServer(host, port, wire, secure, f"{scheme}:{url_host}:{port}?transport={wire}")

    def log(self, last: int = 60) -> str:
        """The tail of coturn's log, for failure messages."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError as exc:
            return f"(no log at {self.log_path}: {exc})"
        return "\n".join(lines[-last:])

    def is_running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop this process (by its PID only) and wait for it."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    def __enter__(self) -> Coturn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_coturn(
    workdir: Path,
    *,
    users: dict[str, str] | None = None,
    secret: str | None = None,
    realm: str = "example.test",
    relay_ports: tuple[int, int] | None = None,
    certs: CertificateFiles | None = None,
    extra_args: tuple[str, ...] = (),
    ready_timeout: float = 10.0,
    listen: tuple[str, ...] = (HOST,),
    relay_ips: tuple[str, ...] = (HOST,),
) -> Coturn:
    """Start coturn in ``workdir`` and wait until its TCP and TLS ports accept.

    Give ``users`` for static long-term credentials or ``secret`` for REST API
    credentials (default: the single user ``user``/``pass``). ``listen`` and
    ``relay_ips`` are the listening and relay IPs (IPv4 and/or IPv6; IPv6
    ones must exist, e.g. ``::1`` in a namespace with ``lo`` up).
    """
    binary = turnserver_path()
    if binary is None:
        raise CoturnMissingError(
            "coturn's turnserver is not installed (Debian package 'coturn': apt-get install coturn)"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    if secret is None and users is None:
        users = {"user": "pass"}
    certs = certs or make_certificates(workdir / "pki")
    port, tls_port = free_port(), free_port()
    while tls_port == port:
        tls_port = free_port()
    min_port, max_port = relay_ports or relay_range()
    args = [
        binary,
        "-n",
        "--no-cli",
        *(f"--listening-ip={ip}" for ip in listen),
        *(f"--relay-ip={ip}" for ip in relay_ips),
        f"--listening-port={port}",
        f"--tls-listening-port={tls_port}",
        f"--alt-listening-port={free_port()}",
        f"--alt-tls-listening-port={free_port()}",
        f"--min-port={min_port}",
        f"--max-port={max_port}",
        "--allow-loopback-peers",
        "--fingerprint",
        f"--realm={realm}",
        f"--userdb={workdir / 'turn.db'}",
        f"--pidfile={workdir / 'turn.pid'}",
        f"--log-file={workdir / 'turn.log'}",
        "--simple-log",
        "--no-stdout-log",
        f"--cert={certs.cert}",
        f"--pkey={certs.key}",
        "--verbose",
    ]
    if secret is not None:
        args += ["--use-auth-secret", f"--static-auth-secret={secret}"]
    else:
        assert users is not None
        args += ["--lt-cred-mech"] + [f"--user={u}:{p}" for u, p in users.items()]
    args += list(extra_args)
    log_path = workdir / "turn.log"
    with contextlib.suppress(FileNotFoundError):
        log_path.unlink()
    with open(workdir / "stderr.txt", "wb") as stderr:  # the child keeps its own copy
        process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr
        )
    server = Coturn(
        workdir,
        port,
        tls_port,
        min_port,
        max_port,
        realm,
        dict(users or {}),
        secret,
        certs,
        process,
        tuple(listen),
        tuple(relay_ips),
    )
    try:
        _wait_ready(server, ready_timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_ready(server: Coturn, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = {server.port, server.tls_port}
    while pending:
        if not server.is_running():
            raise RuntimeError(
                f"coturn exited with {server.process.returncode}:\n{server.log()}\n"
                + (server.workdir / "stderr.txt").read_text(errors="replace")
            )
        for port in list(pending):
            with contextlib.suppress(OSError), socket.create_connection((server.host, port), 0.2):
                pending.discard(port)
        if pending and time.monotonic() > deadline:
            raise RuntimeError(f"coturn not listening on {sorted(pending)}:\n{server.log()}")
        if pending:
            time.sleep(0.05)
    # UDP/DTLS listeners start together with the TCP ones; give the log a
    # line to confirm rather than sleeping.
    deadline = time.monotonic() + timeout
    while "DTLS" not in server.log(400) and time.monotonic() < deadline:
        time.sleep(0.05)
