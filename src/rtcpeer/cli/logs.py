"""``-v`` / ``-vv`` for the subcommands: rtcpeer's log lines on standard error.

rtcpeer logs through one logger per module (``rtcpeer.ice.agent``,
``rtcpeer.turn.client.connection``, ...), so a layer is chosen by its
prefix: ``rtcpeer.ice``, ``rtcpeer.stun``, ``rtcpeer.turn.client``,
``rtcpeer.turn.server``, ``rtcpeer.jsep``, ``rtcpeer.peerconnection``.
``-v`` shows rtcpeer's INFO lines (state changes, gathering results,
selected pairs, restarts, TURN allocations and refusals); ``-vv`` adds its
DEBUG lines (connectivity checks, STUN transactions, TURN permissions and
channels) and the INFO lines of the libraries below (aiortc's DTLS/SCTP).
No level logs a password, a TURN key or a message-integrity value.
Each line names the peer connection it is about (``pc1``, ``pc2``, ...;
``-`` for the process's own lines, e.g. the TURN server's), see
:mod:`rtcpeer.logs`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TextIO

from rtcpeer.logs import RECORD_ATTRIBUTE, UNNAMED

#: The format of every line: time, level, peer connection, logger (the layer), message.
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(peer_connection)s %(name)s: %(message)s"
#: Set on the handler configure_logging installs, so a second call replaces it.
_MARK = "_rtcpeer_cli_handler"


def add_verbose_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``-v``/``--verbose`` (repeatable) to a subcommand's parser."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log rtcpeer's state changes, gathering, selected pairs, restarts and TURN "
        "allocations to stderr; -vv adds checks and STUN/TURN transactions",
    )


def configure_logging(verbosity: int, stream: TextIO | None = None) -> None:
    """Send log lines to ``stream`` (stderr): rtcpeer's INFO at verbosity 1,
    rtcpeer's DEBUG (and other libraries' INFO) at 2 or more. At 0 nothing
    is configured: Python's last-resort handler prints warnings and errors.
    Called again, it replaces the handler it installed before."""
    if verbosity <= 0:
        return
    rtcpeer_level = logging.INFO if verbosity == 1 else logging.DEBUG
    other_level = logging.WARNING if verbosity == 1 else logging.INFO
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    # The defaults cover records made by a record factory that replaced rtcpeer's.
    handler.setFormatter(logging.Formatter(LOG_FORMAT, defaults={RECORD_ATTRIBUTE: UNNAMED}))
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(other_level)
    logging.getLogger("rtcpeer").setLevel(rtcpeer_level)


__all__ = ["LOG_FORMAT", "add_verbose_argument", "configure_logging"]
