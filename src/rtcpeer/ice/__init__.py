"""The sans-IO ICE agent: candidates, checklist, checks, nomination, consent, restarts."""

from rtcpeer.ice.agent import IceAgent, IceAgentConfig, TransportPolicy
from rtcpeer.ice.candidate import (
    Candidate,
    candidate_priority,
    compute_foundation,
    local_preference,
)
from rtcpeer.ice.consent import ConsentPolicy
from rtcpeer.ice.errors import (
    CandidateParseError,
    IceArgumentError,
    IceClosedError,
    IceCredentialsError,
    IceError,
    IceLimitError,
    PairStateError,
)
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
from rtcpeer.ice.send_path import PacketSink, Transmit
from rtcpeer.ice.states import IceGatheringState, IceTransportState

__all__ = [
    "Candidate",
    "CandidateError",
    "CandidatePair",
    "CandidateParseError",
    "ConsentPolicy",
    "DataReceived",
    "GatheringStateChanged",
    "GenerationRetired",
    "IceAgent",
    "IceAgentConfig",
    "IceArgumentError",
    "IceClosedError",
    "IceCredentialsError",
    "IceError",
    "IceEvent",
    "IceGatheringState",
    "IceLimitError",
    "IceTransportState",
    "LocalCandidate",
    "PacketSink",
    "PairState",
    "PairStateError",
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
