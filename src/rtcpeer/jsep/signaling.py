"""The signalling state machine (webrtc-pc §4.3.1, RFC 9429 §3.2, §5.5, §5.6) as a table.

Each allowed (state, source, type) names the state it leads to; anything
missing from the table is an InvalidStateError that names the state and the
call. Two rules of webrtc-pc are visible here rather than hidden in code:

* rollback is refused in ``stable`` and in both pranswer states ("set the
  RTCSessionDescription"), and leads to ``stable`` from either offer state,
  whichever side applies it;
* setRemoteDescription(offer) in ``have-local-offer`` performs an implicit
  rollback first (perfect negotiation): the transition is allowed and
  reported with ``implicit_rollback=True``. In the pranswer states that
  implicit rollback is itself illegal, so the offer is refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from rtcpeer.errors import InvalidStateError
from rtcpeer.jsep.description import RTCSdpType

logger = logging.getLogger(__name__)


class RTCSignalingState(StrEnum):
    """The signalling states of webrtc-pc."""

    STABLE = "stable"
    HAVE_LOCAL_OFFER = "have-local-offer"
    HAVE_REMOTE_OFFER = "have-remote-offer"
    HAVE_LOCAL_PRANSWER = "have-local-pranswer"
    HAVE_REMOTE_PRANSWER = "have-remote-pranswer"
    CLOSED = "closed"


class Source(StrEnum):
    """Which call applies the description."""

    LOCAL = "local"
    REMOTE = "remote"


_S = RTCSignalingState
_T = RTCSdpType
_L = Source.LOCAL
_R = Source.REMOTE

#: (state, source, type) -> next state. Everything absent is illegal.
TRANSITIONS: dict[tuple[RTCSignalingState, Source, RTCSdpType], RTCSignalingState] = {
    # setLocalDescription
    (_S.STABLE, _L, _T.OFFER): _S.HAVE_LOCAL_OFFER,
    (_S.HAVE_LOCAL_OFFER, _L, _T.OFFER): _S.HAVE_LOCAL_OFFER,
    (_S.HAVE_REMOTE_OFFER, _L, _T.ANSWER): _S.STABLE,
    (_S.HAVE_LOCAL_PRANSWER, _L, _T.ANSWER): _S.STABLE,
    (_S.HAVE_REMOTE_OFFER, _L, _T.PRANSWER): _S.HAVE_LOCAL_PRANSWER,
    (_S.HAVE_LOCAL_PRANSWER, _L, _T.PRANSWER): _S.HAVE_LOCAL_PRANSWER,
    (_S.HAVE_LOCAL_OFFER, _L, _T.ROLLBACK): _S.STABLE,
    (_S.HAVE_REMOTE_OFFER, _L, _T.ROLLBACK): _S.STABLE,
    # setRemoteDescription
    (_S.STABLE, _R, _T.OFFER): _S.HAVE_REMOTE_OFFER,
    (_S.HAVE_REMOTE_OFFER, _R, _T.OFFER): _S.HAVE_REMOTE_OFFER,
    (_S.HAVE_LOCAL_OFFER, _R, _T.ANSWER): _S.STABLE,
    (_S.HAVE_REMOTE_PRANSWER, _R, _T.ANSWER): _S.STABLE,
    (_S.HAVE_LOCAL_OFFER, _R, _T.PRANSWER): _S.HAVE_REMOTE_PRANSWER,
    (_S.HAVE_REMOTE_PRANSWER, _R, _T.PRANSWER): _S.HAVE_REMOTE_PRANSWER,
    (_S.HAVE_LOCAL_OFFER, _R, _T.ROLLBACK): _S.STABLE,
    (_S.HAVE_REMOTE_OFFER, _R, _T.ROLLBACK): _S.STABLE,
}

_CALL = {_L: "setLocalDescription", _R: "setRemoteDescription"}


@dataclass(frozen=True)
class Transition:
    """The outcome of applying one description."""

    #: The state before the call.
    previous: RTCSignalingState
    #: The state after it.
    state: RTCSignalingState
    #: True when a remote offer first rolled back our local offer.
    implicit_rollback: bool = False


def next_state(
    state: RTCSignalingState | str, source: Source | str, sdp_type: RTCSdpType | str
) -> Transition:
    """The transition for applying a description of ``sdp_type`` from ``source``.

    Raises InvalidStateError naming the state and the call when webrtc-pc
    forbids it (always when ``closed``).
    """
    # type() checks first: Enum(member) is a slow call, and callers pass members.
    if type(state) is not RTCSignalingState:
        state = RTCSignalingState(state)
    if type(source) is not Source:
        source = Source(source)
    if type(sdp_type) is not RTCSdpType:
        sdp_type = RTCSdpType(sdp_type)
    if state is _S.CLOSED:
        call = f"{_CALL[source]}({sdp_type.value})"
        raise InvalidStateError(f"{call} is not allowed: the RTCPeerConnection is closed")
    target = TRANSITIONS.get((state, source, sdp_type))
    if target is not None:
        return Transition(state, target)
    if (source, sdp_type) == (_R, _T.OFFER):
        # webrtc-pc setRemoteDescription step: an offer invalid in this state
        # is applied after setLocalDescription({type: "rollback"}).
        rolled_back = TRANSITIONS.get((state, _L, _T.ROLLBACK))
        if rolled_back is not None:
            after = TRANSITIONS[(rolled_back, _R, _T.OFFER)]
            return Transition(state, after, implicit_rollback=True)
    call = f"{_CALL[source]}({sdp_type.value})"
    raise InvalidStateError(f"{call} is not allowed in signaling state {state.value!r}")


def implicit_local_type(state: RTCSignalingState | str) -> RTCSdpType:
    """The type setLocalDescription() without a description creates (webrtc-pc).

    An offer in stable, have-local-offer and have-remote-pranswer; an answer
    otherwise.
    """
    state = RTCSignalingState(state)
    if state in (_S.STABLE, _S.HAVE_LOCAL_OFFER, _S.HAVE_REMOTE_PRANSWER):
        return _T.OFFER
    return _T.ANSWER


class SignalingStateMachine:
    """Holds the signalling state and applies the table to it."""

    def __init__(self) -> None:
        self._state = _S.STABLE

    @property
    def state(self) -> RTCSignalingState:
        """The current signalling state."""
        return self._state

    def check(self, source: Source | str, sdp_type: RTCSdpType | str) -> Transition:
        """The transition that applying would make, without making it (or raise)."""
        return next_state(self._state, source, sdp_type)

    def apply(self, source: Source | str, sdp_type: RTCSdpType | str) -> Transition:
        """Make the transition (or raise InvalidStateError and stay put)."""
        transition = next_state(self._state, source, sdp_type)
        logger.debug(
            "signaling %s: %s %s -> %s%s",
            self._state.value,
            source,
            sdp_type,
            transition.state.value,
            " (implicit rollback)" if transition.implicit_rollback else "",
        )
        self._state = transition.state
        return transition

    def restore(self, state: RTCSignalingState) -> None:
        """Undo a transition whose description then failed to apply.

        webrtc-pc applies a description atomically: one that fails changes
        nothing. Never leaves ``closed``.
        """
        if self._state is not _S.CLOSED:
            self._state = state

    def close(self) -> None:
        """Enter ``closed`` (close() is allowed from every state, and idempotent)."""
        self._state = _S.CLOSED


__all__ = [
    "TRANSITIONS",
    "RTCSignalingState",
    "SignalingStateMachine",
    "Source",
    "Transition",
    "implicit_local_type",
    "next_state",
]
