"""The coturn launcher for tests: it lives in :mod:`rtcpeer.testing.coturn` (the demo uses it too).

Kept as a re-export so ``from tests.support.coturn import ...`` keeps working.
"""

from __future__ import annotations

from rtcpeer.testing.coturn import (
    HOST,
    TURNSERVER,
    Coturn,
    CoturnMissingError,
    free_port,
    relay_range,
    start_coturn,
    turnserver_path,
)

__all__ = [
    "HOST",
    "TURNSERVER",
    "Coturn",
    "CoturnMissingError",
    "free_port",
    "relay_range",
    "start_coturn",
    "turnserver_path",
]
