"""What the ICE agent reports: small frozen dataclasses read with ``next_event()``."""

from __future__ import annotations

from dataclasses import dataclass

from rtcpeer.ice.candidate import Candidate
from rtcpeer.ice.states import IceGatheringState, IceTransportState


@dataclass(frozen=True)
class LocalCandidate:
    """A local candidate to signal to the peer (trickle)."""

    #: The candidate, with ``ufrag`` and ``generation`` set.
    candidate: Candidate
    #: The generation that gathered it.
    generation_id: int


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


@dataclass(frozen=True)
class DataReceived:
    """Application data (not STUN) arrived over a validated path."""

    #: The payload.
    data: bytes
    #: The local socket it came in on.
    socket_id: int
    #: Where it came from.
    source: tuple[str, int]


@dataclass(frozen=True)
class GenerationRetired:
    """A previous generation was dropped after a restart; release its resources."""

    #: The retired generation.
    generation_id: int
    #: Sockets (e.g. TURN allocations) only that generation used.
    sockets: tuple[int, ...]


IceEvent = (
    LocalCandidate
    | GatheringStateChanged
    | CandidateError
    | StateChanged
    | SelectedPairChanged
    | RoleChanged
    | DataReceived
    | GenerationRetired
)
