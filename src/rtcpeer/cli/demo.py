"""``rtcpeer demo``: watch a live session move from TURN region A to region B.

Starts two TURN servers on loopback as "region A" and "region B" (our
embedded server; --turn coturn for coturn), connects two peers relay-only
through region A, streams a data-channel message every 5 ms, then does what
MDN's setConfiguration() page shows: setConfiguration() with region B's
servers and an ICE restart, while the messages keep flowing. The timeline
shows gathering, candidates, ICE states and each side's selected pair as
getStats() reports it; on a terminal a status block is redrawn in place,
through a pipe every event is a plain timestamped line. The summary gives
the restart time, the longest gap between messages, messages lost,
duplicated or reordered, and the relay (address:port, region) each side
used before and after.

With --media each peer also sends a synthetic video (320x240, 30 fps, the
frame number drawn into each picture) and audio (20 ms frames) stream; the
summary adds, for each direction, the video frames sent, received and lost
and the longest gap between received frames, and the audio RTP packets
sent, received and lost (from getStats()), across the region move.

Exit status:
  0  both peers moved to region B and every message arrived once, in order
     (with --media: and every video frame and audio packet arrived, and both
     kept arriving after the move)
  1  a message, frame or packet was lost, duplicated or reordered, or a relay
     did not move
  2  the demo could not run (coturn missing, the peers never connected)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from rtcpeer.cli.help import HelpFormatter, command_description
from rtcpeer.cli.logs import add_verbose_argument, configure_logging
from rtcpeer.demo import (
    DemoError,
    DemoOptions,
    LiveRenderer,
    PlainRenderer,
    Recorder,
    render_summary,
    run_demo,
)
from rtcpeer.demo.timeline import Observer
from rtcpeer.testing.coturn import CoturnMissingError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CANNOT_RUN = 2


def _positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return number


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand to ``subparsers``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="move a live session from TURN region A to region B (setConfiguration + ICE restart)",
        description=command_description(__doc__),
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--turn",
        choices=("embedded", "coturn"),
        default="embedded",
        help="the TURN servers: rtcpeer's embedded server (default) or coturn processes",
    )
    parser.add_argument(
        "--duration",
        type=_positive,
        default=3.0,
        metavar="SECONDS",
        help="seconds of streaming; the move happens 40%% of the way in (default 3)",
    )
    parser.add_argument(
        "--interval",
        type=_positive,
        default=5.0,
        metavar="MS",
        help="milliseconds between two data-channel messages (default 5)",
    )
    parser.add_argument(
        "--media",
        action="store_true",
        help="also stream synthetic video (320x240, 30 fps) and audio (20 ms) both ways",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the summary as one JSON object on stdout (the timeline goes to stderr)",
    )
    display = parser.add_mutually_exclusive_group()
    display.add_argument(
        "--live", action="store_true", help="redraw a status display even when not on a terminal"
    )
    display.add_argument(
        "--plain", action="store_true", help="plain timestamped lines even on a terminal"
    )
    display.add_argument("--quiet", action="store_true", help="no timeline, just the summary")
    add_verbose_argument(parser)
    parser.set_defaults(func=run)


def _observer(args: argparse.Namespace) -> Observer:
    stream = sys.stderr if args.json else sys.stdout
    if args.quiet:
        return Recorder()
    # Log lines on stderr would tear a redrawn display: -v means plain lines.
    live = args.live or (not args.plain and not args.verbose and stream.isatty())
    return LiveRenderer(stream) if live else PlainRenderer(stream)


def run(args: argparse.Namespace) -> int:
    configure_logging(args.verbose)
    options = DemoOptions(
        turn=args.turn,
        duration=args.duration,
        interval=args.interval / 1000,
        media=args.media,
    )
    try:
        summary = asyncio.run(run_demo(options, _observer(args)))
    except CoturnMissingError as error:
        print(f"rtcpeer demo --turn coturn: {error}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except DemoError as error:
        print(f"rtcpeer demo: {error}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        return 130
    if args.json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        print()
        print(render_summary(summary))
    return EXIT_OK if summary.ok else EXIT_FAILED
