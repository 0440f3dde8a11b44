"""What the ICE agent reports: small frozen dataclasses read with ``next_event()``."""

from __future__ import annotations

from dataclasses import dataclass

from rtcpeer.ice.candidate import Candidate
from rtcpeer.ice.states import IceGatheringState, IceTransportState
from rtcpeer.sansio import Address


@dataclass(frozen=True)
class LocalCandidate:
    """A local candidate to signal to the peer (trickle)."""

    #: The candidate, with ``ufrag`` and ``generation`` set.
    candidate: Candidate
    #: The generation that gathered it.
    generation_id: int
    #: The STUN/TURN server URL it came from (RTCIceCandidate.url); None for host.
    url: str | None = None
    #: For relay candidates: "udp", "tcp", "tls" or "dtls" to the TURN server.
    relay_protocol: str | None = None


@dataclass(frozen=True)
class GatheringStateChanged:
    """RTCIceGatheringState changed; "complete" also means end-of-candidates."""

    #: The new gathering state.
    state: IceGatheringState
    #: The generation whose gathering this is.
    generation_id: int


@dataclass(frozen=True)
class CandidateError:
    """A STUN/TURN server could not give us a candidate (icecandidateerror)."""

    #: The server URL as configured.
    url: str
    #: Address of the local socket used to reach the server.
    address: str | None
    #: Port of that socket.
    port: int | None
    #: The STUN error code, or 701 when the server was unreachable.
    error_code: int
    #: The reason phrase.
    error_text: str


@dataclass(frozen=True)
class StateChanged:
    """RTCIceTransportState changed."""

    #: The new state.
    state: IceTransportState


@dataclass(frozen=True)
class SelectedPairChanged:
    """Application data now goes over a different pair (None: no usable pair)."""

    #: The local candidate of the selected pair.
    local: Candidate | None
    #: The remote candidate of the selected pair.
    remote: Candidate | None
    #: The generation the pair belongs to.
    generation_id: int


@dataclass(frozen=True)
class RoleChanged:
    """A role conflict (487) switched this agent's role."""

    #: True when the agent is now controlling.
    controlling: bool


@dataclass(slots=True)  # not frozen: one per datagram, and frozen init costs 5x
class DataReceived:
    """Application data (not STUN) arrived over a validated path (read-only)."""

    #: The payload.
    data: bytes
    #: The local socket it came in on.
    socket_id: int
    #: Where it came from.
    source: Address


@dataclass(frozen=True)
class GenerationRetired:
    """A previous generation was dropped after a restart; release its resources."""

    #: The retired generation.
    generation_id: int
    #: Sockets only that generation used that the driver must close now. Sockets
    #: the agent requested itself (TURN allocations) are not named here: they
    #: are released after their allocation is, each with a SocketReleased.
    sockets: tuple[int, ...]


@dataclass(frozen=True)
class SocketRequested:
    """The agent needs a socket beyond the host ones; answer with ``socket_opened``
    or ``socket_failed`` (stream sockets: one whole STUN/ChannelData frame per
    ``receive`` and per Transmit; TLS/DTLS are done by the driver)."""

    #: The id the agent will use for it in Transmits and expects in ``receive``.
    socket_id: int
    #: "udp", "tcp", "tls" or "dtls".
    transport: str
    #: Where to connect (the server's resolved address); None for an unconnected socket.
    remote: Address | None
    #: Host name for TLS/DTLS certificate checks (SNI); the URL's host.
    server_name: str


@dataclass(frozen=True)
class SocketReleased:
    """The agent is done with a socket it requested; close it (after sending its Transmits)."""

    #: The socket to close.
    socket_id: int


IceEvent = (
    LocalCandidate
    | GatheringStateChanged
    | CandidateError
    | StateChanged
    | SelectedPairChanged
    | RoleChanged
    | DataReceived
    | GenerationRetired
    | SocketRequested
    | SocketReleased
)
