"""The event objects RTCPeerConnection hands to its listeners (webrtc-pc §4.8.2, §6.1).

W3C event names and members, emitted pyee-style: ``icecandidate`` gets an
:class:`RTCPeerConnectionIceEvent`, ``icecandidateerror`` an
:class:`RTCPeerConnectionIceErrorEvent`, ``datachannel`` an
:class:`RTCDataChannelEvent`, and the DTLS transport's ``error`` an
:class:`RTCErrorEvent`. The state-change events and
``negotiationneeded`` carry nothing: listeners read the attribute, as in a
browser (and as aiortc does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rtcpeer.jsep import RTCError, RTCIceCandidate


@dataclass(frozen=True)
class RTCPeerConnectionIceEvent:
    """A local candidate was found (``candidate`` None: gathering ended)."""

    #: The candidate, ready to signal (``toJSON()``); None marks end-of-candidates.
    candidate: RTCIceCandidate | None
    #: The STUN/TURN server URL the candidate came from (None for host candidates).
    url: str | None = None


@dataclass(frozen=True)
class RTCPeerConnectionIceErrorEvent:
    """A STUN/TURN server failed to give us a candidate."""

    #: Local address of the socket that talked to the server (None if hidden).
    address: str | None
    #: Local port of that socket.
    port: int | None
    #: The server URL as configured.
    url: str
    #: The STUN error code, or 701 when the server could not be reached.
    errorCode: int
    #: The server's reason phrase (or ours for 701).
    errorText: str


@dataclass(frozen=True)
class RTCDataChannelEvent:
    """The peer opened a data channel (the ``datachannel`` event)."""

    #: The aiortc RTCDataChannel, already open.
    channel: Any


@dataclass(frozen=True)
class RTCErrorEvent:
    """An error on a transport (webrtc-pc §11.2), e.g. DTLS fingerprint failure."""

    #: The RTCError; ``errorDetail`` says what failed.
    error: RTCError


__all__ = [
    "RTCDataChannelEvent",
    "RTCErrorEvent",
    "RTCPeerConnectionIceErrorEvent",
    "RTCPeerConnectionIceEvent",
]
