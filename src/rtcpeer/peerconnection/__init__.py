"""RTCPeerConnection and the W3C objects it hands out.

``from rtcpeer.peerconnection import RTCPeerConnection`` (or ``from rtcpeer
import RTCPeerConnection``). The class lives in :mod:`.connection`; JSEP
bookkeeping, the operations chain, transports, data channels, states and
stats each have their own module here.
"""

from __future__ import annotations

from rtcpeer.peerconnection.connection import RTCPeerConnection
from rtcpeer.peerconnection.events import (
    RTCDataChannelEvent,
    RTCPeerConnectionIceErrorEvent,
    RTCPeerConnectionIceEvent,
)
from rtcpeer.peerconnection.stats import RTCStatsReport

__all__ = [
    "RTCDataChannelEvent",
    "RTCPeerConnection",
    "RTCPeerConnectionIceErrorEvent",
    "RTCPeerConnectionIceEvent",
    "RTCStatsReport",
]
