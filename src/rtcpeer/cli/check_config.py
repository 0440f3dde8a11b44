"""``rtcpeer check-config``: validate an RTCConfiguration as RTCPeerConnection would.

CONFIG is a JSON file, ``-`` for standard input, or an inline JSON object.
The checks are those of ``RTCPeerConnection(configuration)`` (see
:func:`rtcpeer.configuration.find_problems`), except that every
member and URL is checked on its own so that every problem is reported
in one run. TURN credentials are never printed.

Exit status: 0 valid, 1 invalid, 2 the input could not be read or parsed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from rtcpeer.cli.help import HelpFormatter, command_description
from rtcpeer.configuration import (
    MAX_ICE_SERVERS,
    Problem,
    RTCConfiguration,
    find_problems,
    ice_server_urls,
)

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2


class UnreadableConfigError(Exception):
    """The CONFIG argument could not be read or is not JSON."""


def register(subparsers: Any) -> None:
    """Add the ``check-config`` subcommand to ``subparsers``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check-config",
        help="validate an RTCConfiguration (JSON) exactly as RTCPeerConnection does",
        description=command_description(__doc__),
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "config",
        metavar="CONFIG",
        help="a JSON file, '-' for stdin, or an inline JSON object such as "
        '\'{"iceServers": [{"urls": "stun:stun.example.org"}]}\'',
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object (machine-readable output)"
    )
    parser.set_defaults(func=run)


def read_config(source: str) -> object:
    """The JSON value named by CONFIG: a file, ``-`` (stdin) or inline JSON."""
    if source == "-":
        text = sys.stdin.read()
    elif source.lstrip().startswith("{"):
        text = source
    else:
        try:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise UnreadableConfigError(f"cannot read {source}: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableConfigError(
            f"{source if source != '-' else 'stdin'}: invalid JSON: {exc}"
        ) from None


def redacted(configuration: dict[str, Any]) -> dict[str, Any]:
    """The configuration without TURN passwords: reports end up in CI logs."""
    servers = [
        {**server, "credential": "(redacted)"} if "credential" in server else server
        for server in configuration.get("iceServers", [])
    ]
    return {**configuration, "iceServers": servers}


def describe_problem(error: str, message: str, where: str, url: str | None) -> str:
    """One human-readable line: where, which URL, the error name, why."""
    for prefix in (f"{url!r}: " if url is not None else None, f"{where}: " if where else None):
        if prefix and message.startswith(prefix):
            message = message[len(prefix) :]
    parts = [where] if where else []
    if url is not None:
        parts.append(repr(url))
    head = " ".join(parts)
    return f"{head}: {error}: {message}" if head else f"{error}: {message}"


def print_problems(problems: Sequence[Problem], *, as_json: bool) -> None:
    """Print why a configuration is invalid: one line per problem, or one JSON object."""
    if as_json:
        report = {"valid": False, "problems": [p.to_dict() for p in problems]}
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(f"invalid configuration ({len(problems)} problem(s)):")
        for problem in problems:
            print(
                "  " + describe_problem(problem.error, problem.message, problem.where, problem.url)
            )


def load_valid_config(args: argparse.Namespace, command: str) -> RTCConfiguration | int:
    """Read and validate ``args.config`` as the constructor would.

    Returns the configuration, or — after printing why — the exit code
    (EXIT_UNREADABLE or EXIT_INVALID). Shared by every command taking CONFIG.
    """
    try:
        value = read_config(args.config)
    except UnreadableConfigError as exc:
        if args.json:
            print(json.dumps({"valid": False, "readable": False, "error": str(exc)}))
        else:
            print(f"rtcpeer {command}: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    config, problems = find_problems(value)
    if config is None or problems:
        print_problems(problems, as_json=args.json)
        return EXIT_INVALID
    return config


def run(args: argparse.Namespace) -> int:
    """Check the configuration named by ``args.config``; returns the exit code."""
    config = load_valid_config(args, "check-config")
    if isinstance(config, int):
        return config

    normalised = redacted(config.toJSON())
    ignored = max(0, len(config.iceServers) - MAX_ICE_SERVERS)
    if args.json:
        report = {
            "valid": True,
            "configuration": normalised,
            "iceServerUrls": [
                {
                    "url": u.url,
                    "scheme": u.scheme,
                    "host": u.host,
                    "port": u.port,
                    "transport": u.transport,
                    "secure": u.secure,
                }
                for u in ice_server_urls(config)
            ],
            "ignoredIceServers": ignored,
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(json.dumps(normalised, indent=2, ensure_ascii=False))
        if ignored:
            print(
                f"note: only the first {MAX_ICE_SERVERS} ICE servers are used; "
                f"{ignored} more are ignored",
                file=sys.stderr,
            )
    return EXIT_OK
