"""W3C RTCIceTransportState and RTCIceGatheringState, and how the agent derives them.

The transport state is computed from facts, not stepped: :func:`transport_state`
takes what the agent knows now and returns the state the W3C definition names
for it, so no code path can forget a transition.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class IceTransportState(StrEnum):
    """RTCIceTransportState (webrtc-pc §5.6.3)."""

    NEW = "new"
    CHECKING = "checking"
    CONNECTED = "connected"
    COMPLETED = "completed"
    DISCONNECTED = "disconnected"
    FAILED = "failed"
    CLOSED = "closed"


class IceGatheringState(StrEnum):
    """RTCIceGathererState / RTCIceGatheringState (webrtc-pc §5.6.2)."""

    NEW = "new"
    GATHERING = "gathering"
    COMPLETE = "complete"


class StateFacts(NamedTuple):
    """Everything the transport state depends on.

    A NamedTuple rather than a frozen dataclass: the agent builds one after
    every input, on the per-packet path, and this is several times cheaper.
    """

    closed: bool = False
    #: Some remote candidate is known (or a check arrived from the peer).
    has_remote_candidates: bool = False
    #: A pair is selected and its consent is fresh.
    has_usable_pair: bool = False
    #: The selected pair's consent checks have gone unanswered for a while.
    consent_unanswered: bool = False
    #: Consent expired (30 s) on the selected pair.
    consent_lost: bool = False
    #: The remote signalled end-of-candidates.
    remote_end_of_candidates: bool = False
    #: Local gathering is complete.
    gathering_complete: bool = False
    #: No pair is waiting, frozen or in progress.
    checks_finished: bool = False
    #: Every pair failed (or none could be formed).
    all_pairs_failed: bool = False
    #: A restart is under way while a previous generation still carries data.
    restarting_with_usable_pair: bool = False
    #: A restart is under way and the previous generation's pair went unanswered.
    restarting_with_unanswered_pair: bool = False
    #: The RFC 8863 patience (PAC) timer is running: failure must wait for it.
    awaiting_connectivity: bool = False
    #: The PAC timer has expired: failure no longer waits for end-of-candidates.
    patience_expired: bool = False
    #: Gathering is complete, the remote signalled end-of-candidates, and no
    #: local candidate can pair with any remote one (no address family in
    #: common): failure need not wait for the PAC timer.
    no_pair_possible: bool = False


def transport_state(facts: StateFacts) -> IceTransportState:
    """The W3C state that the facts describe."""
    if facts.closed:
        return IceTransportState.CLOSED
    if facts.has_usable_pair:
        if facts.consent_lost:
            return IceTransportState.FAILED
        if facts.consent_unanswered:
            return IceTransportState.DISCONNECTED
        if (
            facts.remote_end_of_candidates
            and facts.gathering_complete
            and facts.checks_finished
            and not facts.restarting_with_usable_pair
        ):
            return IceTransportState.COMPLETED
        return IceTransportState.CONNECTED
    if facts.restarting_with_usable_pair:
        return IceTransportState.CONNECTED
    if facts.restarting_with_unanswered_pair:
        # The pair that carried the session is silent and the new generation
        # has none yet: as good as the "disconnected" of a consent failure.
        return IceTransportState.DISCONNECTED
    if facts.consent_lost or facts.no_pair_possible:
        return IceTransportState.FAILED
    if (
        facts.all_pairs_failed
        and facts.gathering_complete
        and not facts.awaiting_connectivity
        and (facts.remote_end_of_candidates or facts.patience_expired)
    ):
        # RFC 8863 §4: never before the PAC timer, and not only after
        # end-of-candidates: a peer that never sends it must not hang us.
        return IceTransportState.FAILED
    if facts.has_remote_candidates:
        return IceTransportState.CHECKING
    return IceTransportState.NEW
