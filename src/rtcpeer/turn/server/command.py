"""The TURN server's command line: ``rtcpeer turn-server`` and
``python -m rtcpeer.turn.server`` (the same parser and the same run).

It lives with the server rather than in :mod:`rtcpeer.cli` so that the
server's own entry point imports nothing above its layer; the ``rtcpeer``
command lists this module among its subcommands.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import re
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from rtcpeer.logs import add_verbose_argument, configure_logging
from rtcpeer.turn.server.config import (
    MAX_LIFETIME,
    NONCE_LIFETIME,
    TOTAL_QUOTA,
    USER_QUOTA,
    TurnServerConfig,
)
from rtcpeer.turn.server.peer_policy import parse_network
from rtcpeer.turn.server.relay_sockets import DEFAULT_MAX_PORT, DEFAULT_MIN_PORT
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer
from rtcpeer.turn.server.stream_listener import StreamLimits
from rtcpeer.version import __version__

_LIMITS = StreamLimits()
_DNS_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def _user(text: str) -> tuple[str, str]:
    name, sep, password = text.partition(":")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected user:password, got {text!r}")
    return name, password


def _network(text: str) -> str:
    try:
        return str(parse_network(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an IP address or CIDR, got {text!r}") from None


def _cert_name(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        pass
    name = text.rstrip(".").lower()
    if not all(_DNS_LABEL.fullmatch(label) for label in name.split(".")):
        raise argparse.ArgumentTypeError(f"expected a DNS name or an IP address, got {text!r}")
    return name


def _usage_error(message: str) -> NoReturn:
    """One line on stderr and exit status 2 (bad arguments), no traceback."""
    print(f"turn-server: {message}", file=sys.stderr)
    raise SystemExit(2)


def _check_tls_files(cert: Path, key: Path) -> None:
    """Fail with a one-line error naming the file unless ``cert`` holds PEM
    certificates and ``key`` an unencrypted PEM private key for the first."""
    contents = {}
    for option, path in (("--cert", cert), ("--key", key)):
        try:
            contents[option] = path.read_bytes()
        except OSError as exc:
            _usage_error(f"cannot read {option} {path}: {exc.strerror or exc}")
    try:
        chain = x509.load_pem_x509_certificates(contents["--cert"])
    except ValueError:
        _usage_error(f"--cert {cert} holds no PEM certificate")
    try:
        private = serialization.load_pem_private_key(contents["--key"], password=None)
    except TypeError:
        _usage_error(f"--key {key} is encrypted; give an unencrypted PEM private key")
    except (ValueError, UnsupportedAlgorithm):
        _usage_error(f"--key {key} holds no PEM private key")
    der, spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ours = private.public_key().public_bytes(der, spki)
    if ours != chain[0].public_key().public_bytes(der, spki):
        _usage_error(f"--key {key} is not the key of the certificate in --cert {cert}")


def register(subparsers: Any) -> None:
    """Add the ``turn-server`` subcommand."""
    parser = subparsers.add_parser(
        "turn-server",
        help="run an embedded TURN server (RFC 8656) for tests and demos",
        description="Run a TURN server over UDP and TCP (and TLS/DTLS with a "
        "certificate). Relays UDP only; never relays to its own listening "
        "ports, nor to loopback unless --allow-loopback-peers, nor (unless "
        "--allow-peer) to private and special-purpose ranges: 0/8, 10/8, "
        "100.64/10, 169.254/16, 172.16/12, 192.0.0/24, 192.168/16, 198.18/15, "
        "224/4, 240/4, fc00::/7, fe80::/10, ff00::/8.",
    )
    parser.add_argument("--version", action="version", version=f"rtcpeer {__version__}")
    parser.add_argument(
        "--listen", default="127.0.0.1", help="listening IP, IPv4 or IPv6 (default: 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=3478, help="UDP and TCP port (0: any)")
    parser.add_argument("--tls-port", type=int, default=None, help="TLS and DTLS port")
    parser.add_argument("--cert", type=Path, help="PEM certificate chain for TLS/DTLS")
    parser.add_argument("--key", type=Path, help="PEM private key for TLS/DTLS")
    parser.add_argument(
        "--self-signed",
        action="store_true",
        help="generate a throwaway CA and certificate for TLS/DTLS (prints the CA path); "
        "it certifies localhost, 127.0.0.1, ::1 and every --cert-name",
    )
    parser.add_argument(
        "--cert-name",
        type=_cert_name,
        action="append",
        default=[],
        metavar="NAME|IP",
        help="with --self-signed: also certify this DNS name or IP address, e.g. the "
        "name clients use in turns: URLs (repeatable; the first is the subject)",
    )
    parser.add_argument(
        "--relay-ip",
        action="append",
        default=[],
        metavar="IP",
        help="relayed sockets' IP; repeat once per family (one IPv4, one IPv6) for a "
        "dual-stack relay (default: the --listen IP). A client that asks for no "
        "family (REQUESTED-ADDRESS-FAMILY) gets an IPv4 relay, or an IPv6 one when "
        "every relay IP is IPv6; one that asks for a family this server does not "
        "relay gets 440; ADDITIONAL-ADDRESS-FAMILY gets an IPv4 and an IPv6 relay "
        "when both are configured",
    )
    parser.add_argument(
        "--min-port",
        type=int,
        default=DEFAULT_MIN_PORT,
        help=f"lowest relay port (default {DEFAULT_MIN_PORT}; 0 with --max-port 0: any)",
    )
    parser.add_argument(
        "--max-port",
        type=int,
        default=DEFAULT_MAX_PORT,
        help=f"highest relay port (default {DEFAULT_MAX_PORT})",
    )
    parser.add_argument(
        "--user",
        type=_user,
        action="append",
        default=[],
        metavar="USER:PASS",
        help="a long-term credential (repeatable)",
    )
    parser.add_argument(
        "--auth-secret",
        action="append",
        default=[],
        metavar="SECRET",
        help="shared secret for time-limited REST-API usernames (repeatable)",
    )
    parser.add_argument("--realm", default="rtcpeer", help="long-term credential realm")
    parser.add_argument(
        "--allow-loopback-peers",
        action="store_true",
        help="allow relaying to 127.0.0.0/8 and ::1 (tests only)",
    )
    parser.add_argument(
        "--legacy-channels",
        action="store_true",
        help="also accept RFC 5766 channel numbers 0x5000-0x7FFF (UDP/DTLS clients)",
    )
    parser.add_argument(
        "--allow-peer",
        type=_network,
        action="append",
        default=[],
        metavar="CIDR",
        help="relay to this range although a default or --deny-peer rule refuses it "
        "(repeatable; the most specific rule wins, allow over deny when equal)",
    )
    parser.add_argument(
        "--deny-peer",
        type=_network,
        action="append",
        default=[],
        metavar="CIDR",
        help="never relay to this range (repeatable)",
    )
    parser.add_argument(
        "--quota",
        type=int,
        default=USER_QUOTA,
        help=f"allocations per user (default {USER_QUOTA}; 0: no limit)",
    )
    parser.add_argument(
        "--total-quota",
        type=int,
        default=TOTAL_QUOTA,
        help=f"allocations in all (default {TOTAL_QUOTA}; 0: no limit)",
    )
    parser.add_argument(
        "--nonce-lifetime",
        type=int,
        default=NONCE_LIFETIME,
        help=f"seconds a nonce stays valid before 438 (default {NONCE_LIFETIME})",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=_LIMITS.max_connections,
        help=f"TCP/TLS connections at once (default {_LIMITS.max_connections}; 0: no limit)",
    )
    parser.add_argument(
        "--max-connections-per-ip",
        type=int,
        default=_LIMITS.max_per_source,
        help="TCP/TLS connections at once from one IP "
        f"(default {_LIMITS.max_per_source}; 0: no limit)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=_LIMITS.idle_timeout,
        help="seconds a TCP/TLS connection without an allocation may stay silent "
        f"(default {_LIMITS.idle_timeout:g}; the first request must come within "
        f"{_LIMITS.first_request_timeout:g} s)",
    )
    parser.add_argument(
        "--lifetime-max", type=int, default=MAX_LIFETIME, help="longest allocation lifetime (s)"
    )
    add_verbose_argument(parser)
    parser.set_defaults(func=run)


def build(args: argparse.Namespace, workdir: Path) -> TurnServer:
    """The server the parsed arguments describe (not started)."""
    if not args.user and not args.auth_secret:
        raise SystemExit("turn-server: give at least one --user or --auth-secret")
    cert, key = args.cert, args.key
    if args.cert_name and not args.self_signed:
        _usage_error("--cert-name needs --self-signed")
    if args.tls_port is not None and args.self_signed:
        from rtcpeer.testing.pki import LOOPBACK_NAMES, make_certificates

        names = tuple(dict.fromkeys((*args.cert_name, *LOOPBACK_NAMES)))
        files = make_certificates(workdir, names)
        cert, key = files.cert, files.key
        print(f"CA certificate: {files.ca}", flush=True)
    elif args.tls_port is not None and cert is not None and key is not None:
        _check_tls_files(cert, key)
    if args.tls_port is not None and (cert is None or key is None):
        raise SystemExit("turn-server: --tls-port needs --cert and --key, or --self-signed")
    families = [":" in ip for ip in args.relay_ip]
    if len(families) != len(set(families)):
        raise SystemExit("turn-server: give at most one --relay-ip per address family")
    config = TurnServerConfig(
        realm=args.realm,
        users=dict(args.user),
        auth_secrets=tuple(args.auth_secret),
        max_lifetime=args.lifetime_max,
        user_quota=args.quota,
        total_quota=args.total_quota,
        nonce_lifetime=args.nonce_lifetime,
        allow_loopback_peers=args.allow_loopback_peers,
        allowed_peers=tuple(args.allow_peer),
        denied_peers=tuple(args.deny_peer),
        legacy_channel_numbers=args.legacy_channels,
    )
    settings = ListenSettings(
        host=args.listen,
        port=args.port,
        tls_port=args.tls_port,
        cert=cert,
        key=key,
        relay_ip=tuple(args.relay_ip) or None,
        min_port=args.min_port,
        max_port=args.max_port,
        stream_limits=StreamLimits(
            max_connections=args.max_connections,
            max_per_source=args.max_connections_per_ip,
            idle_timeout=args.idle_timeout,
        ),
    )
    return TurnServer(config, settings)


async def serve(server: TurnServer) -> None:
    """Start, print the URLs, and run until SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    stop: asyncio.Future[None] = loop.create_future()

    def request_stop() -> None:
        if not stop.done():
            stop.set_result(None)

    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, request_stop)
    await server.start()
    try:
        print(f"TURN server ready in {server.startup_seconds * 1000:.1f} ms", flush=True)
        for url in server.urls():
            print(url, flush=True)
        await stop
    finally:
        await server.close()
        print("TURN server closed", flush=True)


def run(args: argparse.Namespace) -> int:
    configure_logging(args.verbose)
    with tempfile.TemporaryDirectory(prefix="rtcpeer-turn-") as workdir:
        server = build(args, Path(workdir))
        try:
            asyncio.run(serve(server))
        except OSError as exc:
            print(f"turn-server: {exc}", file=sys.stderr)
            return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rtcpeer.turn.server [options]``: parse as ``rtcpeer
    turn-server [options]`` does (same usage, help and errors) and run."""
    parser = argparse.ArgumentParser(prog="rtcpeer")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(["turn-server", *(sys.argv[1:] if argv is None else argv)])
    code: int = args.func(args)
    return code
