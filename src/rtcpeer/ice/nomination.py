"""Nomination (RFC 8445 §8): when the controlling side nominates, and which
nominated pair each side uses.

The controlling agent uses regular nomination: once a pair is valid it waits
until no higher-priority pair can still succeed, or ``delay`` seconds after the
first valid pair, then re-checks the best valid pair with USE-CANDIDATE. As
the controlled agent we accept regular and aggressive nomination and
renomination: the pair nominated last is the one we use.
"""

from __future__ import annotations

from collections.abc import Iterable

from rtcpeer.ice.checklist import Checklist
from rtcpeer.ice.pair import CandidatePair, PairState

_PENDING = (PairState.FROZEN, PairState.WAITING, PairState.IN_PROGRESS)


def best_valid_pair(checklist: Checklist) -> CandidatePair | None:
    valid = checklist.valid_pairs
    return max(valid, key=lambda p: p.priority) if valid else None


def ready_to_nominate(
    checklist: Checklist, first_valid_at: float | None, delay: float, now: float
) -> CandidatePair | None:
    """The pair regular nomination should nominate now, if any."""
    best = best_valid_pair(checklist)
    if best is None:
        return None
    better_pending = any(
        p.state in _PENDING and p.priority > best.priority for p in checklist.pairs
    )
    waited = first_valid_at is not None and now >= first_valid_at + delay
    return best if (not better_pending or waited) else None


def controlled_choice(pairs: Iterable[CandidatePair]) -> CandidatePair | None:
    """The controlled side uses the valid pair nominated last (renomination)."""
    nominated = [p for p in pairs if p.nominated and p.valid]
    return max(nominated, key=lambda p: p.nominated_at) if nominated else None


def controlling_choice(pairs: Iterable[CandidatePair], aggressive: bool) -> CandidatePair | None:
    """Aggressive: the best nominated pair; regular: the one nominated last."""
    nominated = [p for p in pairs if p.nominated and p.valid]
    if not nominated:
        return None
    if aggressive:
        return max(nominated, key=lambda p: p.priority)
    return max(nominated, key=lambda p: p.nominated_at)
