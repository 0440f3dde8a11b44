"""An embedded TURN server (RFC 8656): a sans-IO core and an asyncio runtime.

``TurnServerCore`` holds every rule and allocation and is driven by bytes and
time; ``TurnServer`` binds UDP/TCP/TLS/DTLS listeners and relayed UDP sockets
around it. Used by tests and demos, and by ``rtcpeer turn-server``.
"""

from rtcpeer.turn.server.allocation import Allocation, ChannelRoute
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.core import TurnServerCore
from rtcpeer.turn.server.events import (
    AllocationCreated,
    AllocationDeleted,
    ClientKey,
    Event,
    Output,
    SendFromRelay,
    SendToClient,
)
from rtcpeer.turn.server.relay_provider import RelayProvider

__all__ = [
    "Allocation",
    "AllocationCreated",
    "AllocationDeleted",
    "ChannelRoute",
    "ClientKey",
    "Event",
    "Output",
    "RelayProvider",
    "SendFromRelay",
    "SendToClient",
    "TurnServerConfig",
    "TurnServerCore",
]
