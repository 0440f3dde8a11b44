"""The ``rtcpeer`` command line: one module per subcommand.

Each subcommand module exposes ``register(subparsers)``, which adds its parser
and sets ``func`` (``Callable[[argparse.Namespace], int]``) as the default.
Add a subcommand by writing such a module and listing it in ``_SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from rtcpeer.version import __version__

_SUBCOMMANDS = (
    "rtcpeer.cli.demo",
    "rtcpeer.cli.check_config",
    "rtcpeer.cli.turn_server",
    "rtcpeer.cli.ice_check",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rtcpeer",
        description="rtcpeer: an asyncio WebRTC peer connection with a spec-exact "
        "RTCConfiguration and live ICE restarts onto new TURN servers.",
    )
    parser.add_argument("--version", action="version", version=f"rtcpeer {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _SUBCOMMANDS:
        importlib.import_module(name).register(subparsers)
    return parser


#: The exit status when stdout closed early (``rtcpeer ... | head``): 128 + SIGPIPE.
EXIT_BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; returns the exit code.

    A reader that closes stdout early (``| head``) ends the command quietly,
    as other command-line tools do, instead of with a BrokenPipeError.
    """
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit: point it at /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE
    return code
