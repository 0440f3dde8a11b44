"""``python -m rtcpeer.turn.server``: the same as ``rtcpeer turn-server``."""

from __future__ import annotations

import sys

from rtcpeer.turn.server.command import main

if __name__ == "__main__":
    sys.exit(main())
