"""Local candidates on their way to ``icecandidate`` events, and remote ones on
their way into the ICE agent.

webrtc-pc surfaces a gathered candidate only once a local description with
its ICE ufrag is in force, and after setLocalDescription has resolved: an
application can then always signal the description before its candidates.
:class:`HeldCandidates` keeps candidates until that moment (a restarting
answerer gathers at setRemoteDescription, before its answer exists), and
:func:`candidate_events` turns one into the W3C events.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rtcpeer.ice import Candidate, CandidateParseError
from rtcpeer.ice.runtime.stats import relay_protocol
from rtcpeer.jsep import RTCIceCandidate
from rtcpeer.peerconnection.events import RTCPeerConnectionIceEvent
from rtcpeer.peerconnection.negotiation import Applied
from rtcpeer.sdp import CandidateFields

#: (ufrag of its generation, the candidate or None for end-of-candidates).
Gathered = tuple[str, Candidate | None]


@dataclass
class HeldCandidates:
    """Gathered candidates not surfaced yet."""

    #: A tuple, not a list: empty (the shared ``()``) for most of a
    #: connection's life, where an empty list would be one more object per
    #: connection for every full garbage collection to walk.
    pending: tuple[Gathered, ...] = ()
    #: setLocalDescription is running: surface nothing until it resolves.
    holding: bool = False

    def add(self, ufrag: str, candidate: Candidate | None) -> None:
        self.pending += ((ufrag, candidate),)

    def release(self, in_force: frozenset[str], current_ufrag: str) -> list[Gathered]:
        """The candidates that may surface now; those of a generation that is
        neither in force nor current (a rolled-back restart) are dropped."""
        if self.holding:
            return []
        ready = [item for item in self.pending if item[0] in in_force]
        self.pending = tuple(
            [item for item in self.pending if item[0] not in in_force and item[0] == current_ufrag]
        )
        return ready

    def clear(self) -> None:
        self.pending = ()


def candidate_events(
    ufrag: str, candidate: Candidate | None, local: Applied, url: str | None
) -> list[RTCPeerConnectionIceEvent]:
    """The ``icecandidate`` events for one gathered candidate of ``local``'s data section.

    End of gathering is two events, as webrtc-pc has it: an end-of-candidates
    RTCIceCandidate (empty ``candidate``) for the section, then ``None``.
    """
    index = local.transport_section()
    if index is None:
        return []
    if candidate is None:
        mid = local.description.media[index].mid
        end = RTCIceCandidate(candidate="", sdpMid=mid, sdpMLineIndex=index, usernameFragment=ufrag)
        return [RTCPeerConnectionIceEvent(end), RTCPeerConnectionIceEvent(None)]
    w3c = w3c_candidate(candidate, local, ufrag, url=url, local=True)
    return [RTCPeerConnectionIceEvent(w3c, url)]


def w3c_candidate(
    candidate: Candidate,
    description: Applied | None,
    ufrag: str | None,
    *,
    url: str | None = None,
    local: bool,
) -> RTCIceCandidate:
    """``candidate`` as an RTCIceCandidate of ``description``'s data section.

    Local candidates carry ``relayProtocol`` and ``url``, as webrtc-pc has it.
    """
    index = None if description is None else description.transport_section()
    mid = None if index is None or description is None else description.description.media[index].mid
    return RTCIceCandidate(
        candidate=candidate.to_sdp(),
        sdpMid=mid,
        sdpMLineIndex=index,
        usernameFragment=ufrag or candidate.ufrag,
        relayProtocol=relay_protocol(candidate) if local else None,
        url=url if local else None,
    )


def remote_candidate(
    value: str, ufrag: str, fields: CandidateFields | None = None
) -> Candidate | None:
    """The ICE model of a remote ``a=candidate`` value, tied to the remote generation;
    None when ICE refuses it. ``fields``: the value already parsed by the grammar."""
    try:
        if fields is None:
            candidate = Candidate.from_sdp(value)
        else:
            candidate = Candidate.from_fields(fields, value)
    except CandidateParseError:
        return None
    if candidate.ufrag is None:
        candidate = replace(candidate, ufrag=ufrag)
    return candidate


__all__ = ["Gathered", "HeldCandidates", "candidate_events", "remote_candidate", "w3c_candidate"]
