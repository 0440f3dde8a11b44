"""``rtcpeer turn-server``: run the embedded TURN server until interrupted."""

from __future__ import annotations

# The command lives with the server (rtcpeer.turn.server.command), so that
# ``python -m rtcpeer.turn.server`` needs nothing from this package.
from rtcpeer.turn.server.command import build, register, run, serve

__all__ = ["build", "register", "run", "serve"]
