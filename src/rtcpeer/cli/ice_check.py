"""``rtcpeer ice-check``: validate an RTCConfiguration, then test every STUN/TURN URL in it.

What the "Trickle ICE" web page does, as a command that can guard a
deployment. CONFIG is a JSON file, - for standard input, or an inline
JSON object. It is first validated exactly as setConfiguration() validates
it (every problem is printed with its DOMException name). Then each ICE
server URL is gathered from on its own ICE transport, all at once, and a
table per URL shows the server-reflexive and relay candidates found (type,
protocol, address:port, relay protocol), the time to the first candidate,
and every icecandidateerror (code and text). With --connect, two relay-only
transports are connected to each other through each TURN URL and a datagram
goes each way through the relay; the round trip is shown. --json prints one
JSON object (TURN credentials redacted).

A URL passes when it produced no error and: a turn:/turns: URL gave a relay
candidate (and, with --connect, relayed the datagram); a stun: URL gave a
srflx candidate or answered a Binding request; a stuns: URL answered over TLS.

Exit status:
  0  every URL passed (or the configuration has no ICE server)
  1  the configuration is invalid (the DOMException names are printed)
  2  CONFIG could not be read or is not JSON (or bad arguments)
  3  at least one URL failed: an error, no candidate, or --connect failed
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from rtcpeer.cli.check_config import load_valid_config, print_problems, redacted
from rtcpeer.cli.help import HelpFormatter, command_description
from rtcpeer.cli.ice_check_report import UrlResult, render_json, render_text
from rtcpeer.cli.ice_check_run import CheckOptions, TransportFactory, check_urls
from rtcpeer.cli.logs import add_verbose_argument, configure_logging
from rtcpeer.configuration import (
    MAX_ICE_SERVERS,
    Problem,
    RTCConfiguration,
    set_configuration,
)
from rtcpeer.errors import DOMException
from rtcpeer.ice.runtime import IceTransport
from rtcpeer.turn.trust import TurnTls

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2
EXIT_SERVER_FAILED = 3

DEFAULT_TIMEOUT = 5.0


def register(subparsers: Any) -> None:
    """Add the ``ice-check`` subcommand to ``subparsers``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "ice-check",
        help="validate an RTCConfiguration and gather from every STUN/TURN server in it",
        description=command_description(__doc__),
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "config",
        metavar="CONFIG",
        help="a JSON file, '-' for stdin, or an inline JSON object such as "
        '\'{"iceServers": [{"urls": "turn:turn.example.org", "username": "u", '
        '"credential": "p"}]}\'',
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object (machine-readable output)"
    )
    parser.add_argument(
        "--connect",
        action="store_true",
        help="also connect two relay-only transports through each TURN URL and send a "
        "datagram each way, proving the server relays (round trip shown)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"gathering budget: how long each server gets to give a candidate "
        f"(also the DNS and --connect limits; default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--cafile",
        metavar="PEM",
        help="verify turns:/stuns: servers (TLS and DTLS) against this CA bundle "
        "instead of the system's",
    )
    parser.add_argument(
        "--spki-pin",
        action="append",
        default=[],
        type=_spki_pin,
        metavar="BASE64",
        help="accept a turns: server whose certificate's public key has this "
        "SHA-256 SubjectPublicKeyInfo hash (base64), even if no CA trusts it "
        "(repeatable; like Chromium's --ignore-certificate-errors-spki-list)",
    )
    parser.add_argument(
        "--loopback",
        action="store_true",
        help="also gather host candidates on loopback (always done for servers on "
        "127.0.0.1, ::1 or localhost)",
    )
    add_verbose_argument(parser)
    parser.set_defaults(func=run)


def _spki_pin(text: str) -> str:
    try:
        (pin,) = TurnTls(spki_pins=(text,)).spki_pins
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return pin


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def run(args: argparse.Namespace, factory: TransportFactory = IceTransport) -> int:
    """Validate, check every URL, print the report; returns the exit code."""
    configure_logging(args.verbose)
    config = load_valid_config(args, "ice-check")
    if isinstance(config, int):
        return config
    try:
        # The very call RTCPeerConnection makes: what it accepts is what gets checked.
        applied = set_configuration(config)
    except (DOMException, TypeError) as exc:  # find_problems should have said so
        name = exc.name if isinstance(exc, DOMException) else "TypeError"
        print_problems([Problem(name, str(exc))], as_json=args.json)
        return EXIT_INVALID

    options = CheckOptions(
        timeout=args.timeout,
        cafile=args.cafile,
        spki_pins=tuple(args.spki_pin),
        connect=args.connect,
        loopback=args.loopback,
    )
    urls = applied.ice_server_urls
    progress = None
    if urls and not args.json and sys.stderr.isatty():  # a pipe gets the report alone
        connect = " and relaying through each TURN URL" if args.connect else ""
        print(f"gathering from {len(urls)} URL(s){connect}...", file=sys.stderr)
        progress = _print_progress
    results = asyncio.run(check_urls(urls, options, factory, on_gathered=progress))
    for result, where in zip(results, _positions(config), strict=True):
        result.where = where
    ignored = max(0, len(config.iceServers) - MAX_ICE_SERVERS)
    if args.json:
        report = render_json(results, redacted(config.toJSON()), ignored_servers=ignored)
        print(json.dumps(report, indent=2, ensure_ascii=False))
    elif results:
        print(render_text(results, ignored_servers=ignored))
    else:
        print("no ICE server URLs to check")
    return EXIT_OK if all(r.ok for r in results) else EXIT_SERVER_FAILED


def _print_progress(result: UrlResult) -> None:
    """One line on stderr as each URL's gathering ends (the table follows at the end)."""
    found = len(result.candidates)
    errors = ", ".join(f"{e.code or ''} {e.text}".strip() for e in result.errors)
    status = f"{found} candidate(s)" + (f", error {errors}" if errors else "")
    print(f"  {result.url.url}: {status}", file=sys.stderr)


def _positions(config: RTCConfiguration) -> list[str]:
    """Where each checked URL sits, in the order setConfiguration lists them."""
    return [
        f"iceServers[{index}].urls[{url_index}]"
        for index, server in enumerate(config.iceServers[:MAX_ICE_SERVERS])
        for url_index in range(len(server.url_list))
    ]
