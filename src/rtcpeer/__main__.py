"""``python -m rtcpeer``: the same command line as the ``rtcpeer`` script."""

from __future__ import annotations

import sys

from rtcpeer.cli import main

if __name__ == "__main__":
    sys.exit(main())
