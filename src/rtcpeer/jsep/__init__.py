"""Pure JSEP (RFC 9429) pieces for a data-channel peer: no I/O, no clocks.

* the W3C objects: :class:`RTCSessionDescription`, :class:`RTCIceCandidate`;
* the signalling state machine as a table (:mod:`rtcpeer.jsep.signaling`);
* our offers and answers (:func:`create_offer`, :func:`create_answer`);
* what a remote description gives the transports (:func:`parse_remote_description`);
* ICE restarts (:func:`detect_ice_restart`, :func:`credentials_to_replace`);
* trickled candidates (:func:`locate_remote_candidate`, :func:`add_candidate`).
"""

from __future__ import annotations

from rtcpeer.jsep.candidate import RTCIceCandidate, RTCIceCandidateInit, parse_candidate_attribute
from rtcpeer.jsep.credentials import (
    IceCredentials,
    credentials_problem,
    generate_ice_credentials,
)
from rtcpeer.jsep.description import (
    RTCSdpType,
    RTCSessionDescription,
    local_description_init,
)
from rtcpeer.jsep.errors import RTCError, sdp_syntax_error
from rtcpeer.jsep.local import (
    GeneratedOffer,
    LocalParameters,
    LocalTransport,
    answer_setup,
    create_answer,
    create_offer,
    default_candidate,
    new_session_id,
    sdp_fingerprints,
)
from rtcpeer.jsep.remote import (
    RemoteDataChannel,
    RemoteDescription,
    RemoteTransport,
    parse_remote_description,
    validate_remote_description,
)
from rtcpeer.jsep.restart import (
    CredentialChange,
    credentials_in,
    credentials_to_replace,
    detect_ice_restart,
    still_to_replace,
)
from rtcpeer.jsep.signaling import (
    TRANSITIONS,
    RTCSignalingState,
    SignalingStateMachine,
    Source,
    Transition,
    implicit_local_type,
    next_state,
)
from rtcpeer.jsep.trickle import LocatedCandidate, add_candidate, locate_remote_candidate

__all__ = [
    "TRANSITIONS",
    "CredentialChange",
    "GeneratedOffer",
    "IceCredentials",
    "LocalParameters",
    "LocalTransport",
    "LocatedCandidate",
    "RTCError",
    "RTCIceCandidate",
    "RTCIceCandidateInit",
    "RTCSdpType",
    "RTCSessionDescription",
    "RTCSignalingState",
    "RemoteDataChannel",
    "RemoteDescription",
    "RemoteTransport",
    "SignalingStateMachine",
    "Source",
    "Transition",
    "add_candidate",
    "answer_setup",
    "create_answer",
    "create_offer",
    "credentials_in",
    "credentials_problem",
    "credentials_to_replace",
    "default_candidate",
    "detect_ice_restart",
    "generate_ice_credentials",
    "implicit_local_type",
    "local_description_init",
    "locate_remote_candidate",
    "new_session_id",
    "next_state",
    "parse_candidate_attribute",
    "parse_remote_description",
    "sdp_fingerprints",
    "sdp_syntax_error",
    "still_to_replace",
    "validate_remote_description",
]
