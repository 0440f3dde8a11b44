"""The sans-IO ICE agent: candidates, checklist, checks, nomination, consent, restarts."""

from rtcpeer.ice.agent import Gatherer, IceAgent, IceAgentConfig, TransportPolicy
from rtcpeer.ice.candidate import (
    Candidate,
    CandidateParseError,
    candidate_priority,
    compute_foundation,
    local_preference,
)
from rtcpeer.ice.consent import ConsentPolicy
from rtcpeer.ice.events import (
    CandidateError,
    DataReceived,
    GatheringStateChanged,
    GenerationRetired,
    IceEvent,
    LocalCandidate,
    RoleChanged,
    SelectedPairChanged,
    StateChanged,
)
from rtcpeer.ice.pair import CandidatePair, PairState, pair_priority
from rtcpeer.ice.states import IceGatheringState, IceTransportState
from rtcpeer.ice.transport import PacketSink, Transmit

__all__ = [
    "Candidate",
    "CandidateError",
    "CandidatePair",
    "CandidateParseError",
    "ConsentPolicy",
    "DataReceived",
    "Gatherer",
    "GatheringStateChanged",
    "GenerationRetired",
    "IceAgent",
    "IceAgentConfig",
    "IceEvent",
    "IceGatheringState",
    "IceTransportState",
    "LocalCandidate",
    "PacketSink",
    "PairState",
    "RoleChanged",
    "SelectedPairChanged",
    "StateChanged",
    "Transmit",
    "TransportPolicy",
    "candidate_priority",
    "compute_foundation",
    "local_preference",
    "pair_priority",
]
