"""Candidate pairs: their priority (RFC 8445 §6.1.2.3) and their states as a table.

Allowed transitions live in :data:`TRANSITIONS` (h11 style) rather than in
scattered ``if``s; an illegal move raises :class:`PairStateError` naming both
states, which turns a checklist bug into a loud failure instead of a stall.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import Enum

from rtcpeer.ice.candidate import Candidate
from rtcpeer.ice.errors import PairStateError
from rtcpeer.sansio import Address


class PairState(Enum):
    """RFC 8445 §6.1.2.6 candidate pair states."""

    FROZEN = "frozen"
    WAITING = "waiting"
    IN_PROGRESS = "in-progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


TRANSITIONS: dict[PairState, frozenset[PairState]] = {
    # Unfrozen by foundation, or failed when the checklist gives up.
    PairState.FROZEN: frozenset({PairState.WAITING, PairState.FAILED}),
    # A check is sent; the checklist gives up on it; or a check cancelled by a
    # triggered check (RFC 8445 §7.3.1.4) is answered after all.
    PairState.WAITING: frozenset({PairState.IN_PROGRESS, PairState.FAILED, PairState.SUCCEEDED}),
    # The check's outcome; back to waiting after a 487 role conflict or when a
    # triggered check replaces the one in flight (RFC 8445 §7.3.1.4).
    PairState.IN_PROGRESS: frozenset({PairState.SUCCEEDED, PairState.FAILED, PairState.WAITING}),
    # Consent lost; or re-checked after an incoming triggered check.
    PairState.SUCCEEDED: frozenset({PairState.FAILED}),
    # A triggered check (the peer reached us on it) revives a failed pair.
    PairState.FAILED: frozenset({PairState.WAITING}),
}


def pair_priority(controlling_priority: int, controlled_priority: int) -> int:
    """2^32·MIN(G,D) + 2·MAX(G,D) + (G>D ? 1 : 0), G from the controlling agent."""
    g, d = controlling_priority, controlled_priority
    return (min(g, d) << 32) + 2 * max(g, d) + (1 if g > d else 0)


#: The transactions of a pair with no check in flight: one shared empty set.
_NO_TRANSACTIONS: frozenset[bytes] = frozenset()


@dataclass(eq=False, slots=True)
class CandidatePair:
    """A local candidate (sending through ``socket_id``) and a remote candidate."""

    local: Candidate
    remote: Candidate
    #: The local socket (host socket or relay allocation) the pair sends through.
    socket_id: int
    #: Changed only by :meth:`set_state`, through :data:`TRANSITIONS`.
    state: PairState = PairState.FROZEN
    priority: int = 0
    #: Nominated: both sides agree to use it (RFC 8445 §8).
    nominated: bool = False
    #: The controlled side saw USE-CANDIDATE before the pair succeeded.
    use_candidate_received: bool = False
    #: A check on it succeeded (it is in the valid list).
    valid: bool = False
    #: When the last nomination of this pair was accepted (renomination order).
    nominated_at: float = -1.0
    #: Transaction ids of checks in flight on this pair: a set only while there
    #: are some (the shared empty frozenset otherwise, not an empty set kept
    #: per pair); changed by :meth:`add_transaction` and :meth:`forget_transaction`.
    transactions: AbstractSet[bytes] = _NO_TRANSACTIONS
    #: Checks (connectivity and consent) sent on it, retransmissions not counted.
    requests_sent: int = 0
    #: Success responses to them.
    responses_received: int = 0
    #: Sum of their round trips; a retransmitted check is timed from its last
    #: transmission (as libwebrtc does), so total / responses is the average.
    total_round_trip_time: float = 0.0
    #: The latest unambiguous round trip (Karn: none from retransmitted checks).
    current_round_trip_time: float | None = None
    #: (socket id, remote address): the path the pair's traffic takes, the key
    #: of the agent's per-path facts. Made once: asked for on every timer read
    #: and datagram sent (``remote`` is only ever replaced by a candidate at
    #: the same address, a signalled one for a peer-reflexive one).
    path: tuple[int, Address] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.path = (self.socket_id, self.remote.address)

    @property
    def foundation(self) -> tuple[str, str]:
        return (self.local.foundation, self.remote.foundation)

    @property
    def key(self) -> tuple[int, Address, Address]:
        """Identity of the path: local socket, local address, remote address."""
        return (self.socket_id, self.local.address, self.remote.address)

    def update_priority(self, controlling: bool) -> None:
        local, remote = self.local.priority, self.remote.priority
        self.priority = (
            pair_priority(local, remote) if controlling else pair_priority(remote, local)
        )

    def add_transaction(self, transaction_id: bytes) -> None:
        """A check with this transaction id is in flight on the pair."""
        transactions = self.transactions
        if not isinstance(transactions, set):
            transactions = self.transactions = set()
        transactions.add(transaction_id)

    def forget_transaction(self, transaction_id: bytes) -> None:
        """The check with this transaction id is no longer in flight (if it was)."""
        transactions = self.transactions
        if transaction_id in transactions:
            assert isinstance(transactions, set)  # only a set holds ids
            transactions.discard(transaction_id)
            if not transactions:
                self.transactions = _NO_TRANSACTIONS

    def set_state(self, state: PairState) -> None:
        if state == self.state:
            return
        if state not in TRANSITIONS[self.state]:
            raise PairStateError(f"pair cannot go from {self.state.value} to {state.value}")
        self.state = state

    def __repr__(self) -> str:
        return (
            f"<CandidatePair {self.local.type} {self.local.host}:{self.local.port} -> "
            f"{self.remote.type} {self.remote.host}:{self.remote.port} {self.state.value}"
            f"{' nominated' if self.nominated else ''}>"
        )
