"""The checklist of one generation: forming, pruning, ordering and unfreezing pairs.

RFC 8445 §6.1.2 with the trickle rules of RFC 8838 §8: a pair may be formed at
any time. A new pair starts Waiting unless another pair of its foundation is
already Waiting or In-Progress (then Frozen, to be unfrozen when that
foundation succeeds or nothing else is left to check). Checks take triggered
pairs first, then the best Waiting pair. The list holds at most ``max_pairs``
pairs; the lowest-priority untouched ones make room (RFC 8445 §6.1.2.5).
"""

from __future__ import annotations

from rtcpeer.ice.candidate import Candidate
from rtcpeer.ice.pair import CandidatePair, PairState
from rtcpeer.sansio import Address

DEFAULT_MAX_PAIRS = 100
_ACTIVE = (PairState.WAITING, PairState.IN_PROGRESS)
#: The states a check ends in (a module global: an Enum member looked up on
#: its class per pair costs several times as much).
_CONCLUDED = (PairState.SUCCEEDED, PairState.FAILED)


def can_pair(local: Candidate, remote: Candidate) -> bool:
    """Same component, transport and IP family (RFC 8445 §6.1.2.2)."""
    return (
        local.component == remote.component
        and local.transport == remote.transport
        and (":" in local.host) == (":" in remote.host)
    )


class Checklist:
    """The ordered pairs of one generation plus its triggered-check queue."""

    def __init__(self, *, controlling: bool, max_pairs: int = DEFAULT_MAX_PAIRS) -> None:
        self.controlling = controlling
        self.max_pairs = max_pairs
        self.pairs: list[CandidatePair] = []
        #: The triggered-check queue: a short list (a deque would cost ~600
        #: bytes per checklist), and only while it holds pairs (the shared
        #: empty tuple otherwise, not an empty list kept per connection).
        self._triggered: list[CandidatePair] | tuple[()] = ()

    def __len__(self) -> int:
        return len(self.pairs)

    def find(self, socket_id: int, local: Address, remote: Address) -> CandidatePair | None:
        key = (socket_id, local, remote)
        for pair in self.pairs:
            if pair.key == key:
                return pair
        return None

    def add(
        self,
        local: Candidate,
        remote: Candidate,
        socket_id: int,
        state: PairState | None = None,
    ) -> CandidatePair | None:
        """Form a pair (in ``state``, else Waiting or Frozen by its foundation);
        None when it is redundant, unpairable or over the limit."""
        if not can_pair(local, remote):
            return None
        existing = self.find(socket_id, local.address, remote.address)
        if existing is not None:
            return None
        if state is None:
            foundation = (local.foundation, remote.foundation)
            busy = any(p.foundation == foundation and p.state in _ACTIVE for p in self.pairs)
            state = PairState.FROZEN if busy else PairState.WAITING
        # The state a pair is born in; every later move goes through the table.
        pair = CandidatePair(local, remote, socket_id, state)
        pair.update_priority(self.controlling)
        self.pairs.append(pair)
        self._sort()
        if len(self.pairs) > self.max_pairs and not self._make_room(keep=pair):
            return None
        return pair if pair in self.pairs else None

    def _make_room(self, keep: CandidatePair) -> bool:
        """Drop the lowest-priority untouched pair; False if ``keep`` was dropped."""
        for victim in reversed(self.pairs):
            if victim.state in (PairState.FROZEN, PairState.WAITING) and not victim.valid:
                self.remove(victim)
                return victim is not keep
        self.remove(keep)
        return False

    def remove(self, pair: CandidatePair) -> None:
        if pair in self.pairs:
            self.pairs.remove(pair)
        triggered = self._triggered
        if isinstance(triggered, list) and pair in triggered:
            triggered.remove(pair)
            if not triggered:
                self._triggered = ()

    def set_role(self, controlling: bool) -> None:
        """Pair priorities depend on who is controlling: recompute and re-sort."""
        self.controlling = controlling
        for pair in self.pairs:
            pair.update_priority(controlling)
        self._sort()

    def _sort(self) -> None:
        self.pairs.sort(key=lambda p: p.priority, reverse=True)

    # -- scheduling -------------------------------------------------------
    def trigger(self, pair: CandidatePair) -> None:
        """Queue a triggered check (RFC 8445 §7.3.1.4); the pair becomes Waiting."""
        if pair.state in (PairState.FROZEN, PairState.FAILED):
            pair.set_state(PairState.WAITING)
        if pair.state == PairState.WAITING and pair not in self._triggered:
            triggered = self._triggered
            if not isinstance(triggered, list):
                triggered = self._triggered = []
            triggered.append(pair)

    def has_work(self) -> bool:
        """Is there a pair a paced check could be sent on now?"""
        if self._triggered or any(p.state == PairState.WAITING for p in self.pairs):
            return True
        busy = {p.foundation for p in self.pairs if p.state in _ACTIVE}
        return any(p.state == PairState.FROZEN and p.foundation not in busy for p in self.pairs)

    def next_pair(self) -> CandidatePair | None:
        """The pair the next paced check goes to (RFC 8445 §6.1.4.2)."""
        triggered = self._triggered
        if isinstance(triggered, list):
            while triggered:
                pair = triggered.pop(0)
                if pair in self.pairs and pair.state == PairState.WAITING:
                    if not triggered:
                        self._triggered = ()
                    return pair
            self._triggered = ()
        for pair in self.pairs:
            if pair.state == PairState.WAITING:
                return pair
        busy = {p.foundation for p in self.pairs if p.state in _ACTIVE}
        for pair in self.pairs:
            if pair.state == PairState.FROZEN and pair.foundation not in busy:
                pair.set_state(PairState.WAITING)
                return pair
        return None

    def unfreeze_foundation(self, foundation: tuple[str, str]) -> None:
        """A check of this foundation succeeded: its frozen siblings may go."""
        for pair in self.pairs:
            if pair.state == PairState.FROZEN and pair.foundation == foundation:
                pair.set_state(PairState.WAITING)

    def stop_checks(self) -> None:
        """After nomination: no more Waiting/Frozen pairs (RFC 8445 §8.1.2, §8.3)."""
        for pair in list(self.pairs):
            if pair.state in (PairState.WAITING, PairState.FROZEN):
                self.remove(pair)
        self._triggered = ()

    # -- outcome ----------------------------------------------------------
    @property
    def valid_pairs(self) -> list[CandidatePair]:
        return [p for p in self.pairs if p.valid]

    def has_valid_pair(self) -> bool:
        """:attr:`valid_pairs` is not empty (without building it)."""
        # A loop, not any(): this runs after every input.
        for pair in self.pairs:  # noqa: SIM110
            if pair.valid:
                return True
        return False

    def finished(self) -> bool:
        """No pair is waiting, frozen or in progress."""
        if self._triggered:
            return False
        # A loop, not all(): this runs after every input.
        for pair in self.pairs:  # noqa: SIM110
            if pair.state not in _CONCLUDED:
                return False
        return True

    def all_failed(self) -> bool:
        return self.finished() and not any(p.valid for p in self.pairs)
