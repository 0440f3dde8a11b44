"""Trickled candidates and descriptions: addIceCandidate's checks, and
recording candidates in a description (webrtc-pc §4.4.1.6 addIceCandidate,
RFC 8840)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rtcpeer.errors import OperationError
from rtcpeer.jsep.candidate import RTCIceCandidate, RTCIceCandidateInit
from rtcpeer.sdp import SdpValueError, SessionDescription
from rtcpeer.sdp.candidate import CandidateFields, parse_candidate_value
from rtcpeer.sdp.ice import MAX_REMOTE_CANDIDATES


@dataclass(frozen=True)
class LocatedCandidate:
    """Where a remote candidate goes."""

    #: The m-line indexes it applies to (all sections for a bare end-of-candidates).
    indexes: tuple[int, ...]
    #: The ``a=candidate`` value, or None for end-of-candidates.
    value: str | None
    usernameFragment: str | None
    #: ``value`` parsed by the grammar (None for end-of-candidates): the ICE
    #: agent builds its candidate from these fields instead of parsing again.
    fields: CandidateFields | None = None


def _strip(candidate: str) -> str:
    for prefix in ("a=candidate:", "candidate:"):
        if candidate.startswith(prefix):
            return candidate[len(prefix) :]
    return candidate


def locate_remote_candidate(
    remote: SessionDescription,
    candidate: RTCIceCandidateInit | RTCIceCandidate | Mapping[str, object] | None,
) -> LocatedCandidate:
    """addIceCandidate's checks against the applied remote description.

    TypeError when a non-empty candidate has neither sdpMid nor
    sdpMLineIndex; OperationError when sdpMid names no section, the index
    is out of range, the usernameFragment is not that section's, or the
    candidate does not parse.
    """
    init = RTCIceCandidateInit.from_value(candidate)
    if init.sdpMid is None and init.sdpMLineIndex is None:
        if not init.is_end_of_candidates:
            raise TypeError("sdpMid and sdpMLineIndex are both null")
        indexes = tuple(i for i, s in enumerate(remote.media) if not s.is_rejected)
        return LocatedCandidate(indexes, None, init.usernameFragment)
    if init.sdpMid is not None:
        index = remote.index_of_mid(init.sdpMid)
        if index is None:
            raise OperationError(f"no media section has mid {init.sdpMid!r}")
    else:
        assert init.sdpMLineIndex is not None
        index = init.sdpMLineIndex
        if index >= len(remote.media):
            raise OperationError(f"sdpMLineIndex {index} is out of range")
    if init.usernameFragment is not None:
        ufrag = remote.ice_credentials_of(index)[0]
        if init.usernameFragment != ufrag:
            raise OperationError(
                f"usernameFragment {init.usernameFragment!r} does not match the section's"
            )
    if init.is_end_of_candidates:
        return LocatedCandidate((index,), None, init.usernameFragment)
    value = _strip(init.candidate)
    try:
        fields = parse_candidate_value(value)
    except SdpValueError as error:
        raise OperationError(f"invalid candidate: {error}") from None
    return LocatedCandidate((index,), value, init.usernameFragment, fields)


def add_candidate(description: SessionDescription, located: LocatedCandidate) -> SessionDescription:
    """``description`` with the candidate (or end-of-candidates) recorded in its sections.

    ``description`` itself when nothing is new (a candidate the description
    already lists, as a browser's trickle repeats those of its offer).
    """
    for index in located.indexes:
        current = description.media[index]
        if located.value is None:
            section = current.with_end_of_candidates()
        elif len(current.candidates) >= MAX_REMOTE_CANDIDATES:
            continue  # the ICE agent drops (and counts) it too: keep the SDP bounded
        elif located.value not in current.candidates:
            section = current.with_candidate(located.value)
        else:
            continue
        if section is not current:
            description = description.with_media(index, section)
    return description


__all__ = ["LocatedCandidate", "add_candidate", "locate_remote_candidate"]
