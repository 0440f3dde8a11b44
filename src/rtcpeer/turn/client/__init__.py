"""The TURN client: a sans-IO allocation state machine
(:class:`TurnClientConnection`) and its asyncio runtime (:class:`TurnClient`)."""

from rtcpeer.turn.client.connection import (
    CHANNEL_REFRESH,
    DEFAULT_LIFETIME,
    PERMISSION_REFRESH,
    AllocationState,
    TurnClientConnection,
    refresh_delay,
)
from rtcpeer.turn.client.events import (
    AllocationFailed,
    AllocationLost,
    AllocationRefreshed,
    AllocationSucceeded,
    ChannelBindFailed,
    ChannelBound,
    PeerDataReceived,
    PermissionCreated,
    PermissionFailed,
    Released,
    TurnEvent,
)
from rtcpeer.turn.client.runtime import TurnClient
from rtcpeer.turn.client.target import TurnServer, TurnServerTarget
from rtcpeer.turn.errors import UNREACHABLE, TurnError

__all__ = [
    "CHANNEL_REFRESH",
    "DEFAULT_LIFETIME",
    "PERMISSION_REFRESH",
    "UNREACHABLE",
    "AllocationFailed",
    "AllocationLost",
    "AllocationRefreshed",
    "AllocationState",
    "AllocationSucceeded",
    "ChannelBindFailed",
    "ChannelBound",
    "PeerDataReceived",
    "PermissionCreated",
    "PermissionFailed",
    "Released",
    "TurnClient",
    "TurnClientConnection",
    "TurnError",
    "TurnEvent",
    "TurnServer",
    "TurnServerTarget",
    "refresh_delay",
]
