"""Pure JSEP (RFC 9429) pieces for a data-channel peer: no I/O, no clocks.

* the W3C objects: :class:`RTCSessionDescription`, :class:`RTCIceCandidate`;
* the signalling state machine as a table (:mod:`rtcpeer.jsep.signaling`);
* our offers and answers (:func:`create_offer`, :func:`create_answer`);
* what a remote description gives the transports (:func:`parse_remote_description`);
* ICE restarts (:func:`detect_ice_restart`, :func:`credentials_to_replace`);
* trickled candidates (:func:`locate_remote_candidate`, :func:`add_candidate`).
"""

from __future__ import annotations

from rtcpeer.jsep.candidate import (
    CandidateLike,
    CandidateObject,
    RTCIceCandidate,
    RTCIceCandidateInit,
    parse_candidate_attribute,
)
from rtcpeer.jsep.codecs import (
    Codec,
    HeaderExtension,
    MediaCapabilities,
    RtcpFeedback,
    answer_codecs,
    check_codec_preferences,
    codecs_match,
    offer_codecs,
)
from rtcpeer.jsep.credentials import (
    IceCredentials,
    credentials_problem,
    generate_ice_credentials,
)
from rtcpeer.jsep.description import (
    DescriptionInit,
    RTCSdpType,
    RTCSessionDescription,
    local_description_init,
)
from rtcpeer.jsep.dtls_role import DtlsRole, answer_setup, dtls_role, setup_in_force
from rtcpeer.jsep.errors import RTCError, sdp_syntax_error
from rtcpeer.jsep.local import (
    GeneratedOffer,
    LocalParameters,
    LocalTransport,
    create_answer,
    create_offer,
    default_candidate,
    new_session_id,
    sdp_fingerprints,
)
from rtcpeer.jsep.media import (
    AnsweredMedia,
    LocalSender,
    MediaSectionPlan,
    NegotiatedMedia,
    RemoteMedia,
    SectionTransport,
    answer_direction,
    media_answer_section,
    media_offer_section,
    negotiate_from_answer,
    remote_media,
    remote_media_section,
)
from rtcpeer.jsep.media_session import (
    MediaAnswer,
    create_media_answer,
    create_media_offer,
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
    "AnsweredMedia",
    "CandidateLike",
    "CandidateObject",
    "Codec",
    "CredentialChange",
    "DescriptionInit",
    "DtlsRole",
    "GeneratedOffer",
    "HeaderExtension",
    "IceCredentials",
    "LocalParameters",
    "LocalSender",
    "LocalTransport",
    "LocatedCandidate",
    "MediaAnswer",
    "MediaCapabilities",
    "MediaSectionPlan",
    "NegotiatedMedia",
    "RTCError",
    "RTCIceCandidate",
    "RTCIceCandidateInit",
    "RTCSdpType",
    "RTCSessionDescription",
    "RTCSignalingState",
    "RemoteDataChannel",
    "RemoteDescription",
    "RemoteMedia",
    "RemoteTransport",
    "RtcpFeedback",
    "SectionTransport",
    "SignalingStateMachine",
    "Source",
    "Transition",
    "add_candidate",
    "answer_codecs",
    "answer_direction",
    "answer_setup",
    "check_codec_preferences",
    "codecs_match",
    "create_answer",
    "create_media_answer",
    "create_media_offer",
    "create_offer",
    "credentials_in",
    "credentials_problem",
    "credentials_to_replace",
    "default_candidate",
    "detect_ice_restart",
    "dtls_role",
    "generate_ice_credentials",
    "implicit_local_type",
    "local_description_init",
    "locate_remote_candidate",
    "media_answer_section",
    "media_offer_section",
    "negotiate_from_answer",
    "new_session_id",
    "next_state",
    "offer_codecs",
    "parse_candidate_attribute",
    "parse_remote_description",
    "remote_media",
    "remote_media_section",
    "sdp_fingerprints",
    "sdp_syntax_error",
    "setup_in_force",
    "still_to_replace",
    "validate_remote_description",
]
