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

# Defined beside the record factory, so the TURN server's own command
# (``python -m rtcpeer.turn.server``) configures logging without importing the CLI.
from rtcpeer.logs import LOG_FORMAT, add_verbose_argument, configure_logging

__all__ = ["LOG_FORMAT", "add_verbose_argument", "configure_logging"]
