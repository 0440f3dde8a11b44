"""Pair priority, the pair state table and the checklist (RFC 8445 §6.1.2, RFC 8838)."""

from __future__ import annotations

import pytest

from rtcpeer.ice import Candidate, PairState, pair_priority
from rtcpeer.ice.checklist import Checklist, can_pair
from rtcpeer.ice.errors import PairStateError
from rtcpeer.ice.pair import TRANSITIONS, CandidatePair


def cand(
    host: str,
    port: int,
    priority: int = 1000,
    foundation: str = "f",
    kind: str = "host",
    transport: str = "udp",
) -> Candidate:
    return Candidate(foundation, 1, transport, priority, host, port, kind)


def test_pair_priority_formula() -> None:
    g, d = 2130706431, 1694498815
    assert pair_priority(g, d) == (d << 32) + 2 * g + 1
    assert pair_priority(d, g) == (d << 32) + 2 * g + 0
    # Both sides compute the same number for the same pair.
    local, remote = cand("192.0.2.1", 1, g), cand("198.51.100.2", 2, d)
    ours, theirs = CandidatePair(local, remote, 1), CandidatePair(remote, local, 1)
    ours.update_priority(controlling=True)
    theirs.update_priority(controlling=False)
    assert ours.priority == theirs.priority


def test_state_table_allows_rfc_moves_and_rejects_others() -> None:
    pair = CandidatePair(cand("192.0.2.1", 1), cand("198.51.100.2", 2), 1)
    for state in (PairState.WAITING, PairState.IN_PROGRESS, PairState.SUCCEEDED):
        pair.set_state(state)
    with pytest.raises(PairStateError, match="succeeded to waiting"):
        pair.set_state(PairState.WAITING)
    assert PairState.SUCCEEDED not in TRANSITIONS[PairState.FROZEN]
    assert set(TRANSITIONS) == set(PairState)


def test_can_pair_needs_same_family_transport_component() -> None:
    assert can_pair(cand("192.0.2.1", 1), cand("198.51.100.2", 2))
    assert not can_pair(cand("192.0.2.1", 1), cand("2001:db8::2", 2))
    assert not can_pair(cand("192.0.2.1", 1), cand("198.51.100.2", 2, transport="tcp"))


def test_forming_orders_by_priority_and_freezes_shared_foundations() -> None:
    cl = Checklist(controlling=True)
    remote = cand("198.51.100.2", 9, 500, "r")
    low = cl.add(cand("192.0.2.1", 1, 100, "a"), remote, 1)
    high = cl.add(cand("192.0.2.2", 2, 900, "b"), remote, 2)
    sibling = cl.add(cand("192.0.2.3", 3, 800, "a"), cand("198.51.100.3", 9, 500, "r"), 3)
    assert low and high and sibling
    assert cl.pairs == [high, sibling, low]
    assert (low.state, high.state, sibling.state) == (
        PairState.WAITING,
        PairState.WAITING,
        PairState.FROZEN,
    )
    assert cl.add(cand("192.0.2.1", 1, 100, "a"), remote, 1) is None  # redundant
    assert cl.add(cand("192.0.2.1", 1), cand("2001:db8::1", 1), 1) is None  # unpairable
    # Paced order: best Waiting first; triggered pairs jump the queue.
    cl.trigger(low)
    assert cl.next_pair() is low
    low.set_state(PairState.IN_PROGRESS)
    assert cl.next_pair() is high
    high.set_state(PairState.IN_PROGRESS)
    # The frozen sibling waits while its foundation is busy (low in progress)...
    assert cl.next_pair() is None and not cl.has_work()
    low.set_state(PairState.FAILED)
    # ...and is unfrozen once no pair of that foundation is active (RFC 8445 §6.1.4.2).
    assert cl.has_work()
    assert cl.next_pair() is sibling
    sibling.set_state(PairState.IN_PROGRESS)
    assert cl.next_pair() is None


def test_success_unfreezes_the_foundation() -> None:
    cl = Checklist(controlling=False)
    a = cl.add(cand("192.0.2.1", 1, 100, "a"), cand("198.51.100.2", 9, 500, "r"), 1)
    b = cl.add(cand("192.0.2.1", 1, 100, "a"), cand("198.51.100.3", 9, 400, "r"), 1)
    assert a and b and b.state == PairState.FROZEN
    cl.unfreeze_foundation(a.foundation)
    assert b.state == PairState.WAITING  # type: ignore[comparison-overlap]


def test_pair_limit_drops_lowest_untouched_pairs() -> None:
    cl = Checklist(controlling=True, max_pairs=3)
    local = cand("192.0.2.1", 1, 1000, "l")
    for i in range(5):
        cl.add(local, cand("198.51.100.2", 100 + i, 100 * (i + 1), f"r{i}"), 1)
    assert len(cl) == 3
    assert [p.remote.port for p in cl.pairs] == [104, 103, 102]
    assert cl.add(local, cand("198.51.100.2", 99, 1, "weak"), 1) is None


def test_role_change_reorders_and_stop_checks_prunes() -> None:
    cl = Checklist(controlling=True)
    p1 = cl.add(cand("192.0.2.1", 1, 1000, "a"), cand("198.51.100.2", 1, 10, "x"), 1)
    p2 = cl.add(cand("192.0.2.2", 1, 10, "b"), cand("198.51.100.2", 2, 1001, "y"), 2)
    assert p1 and p2
    before = (p1.priority, p2.priority)
    cl.set_role(False)
    assert (p1.priority, p2.priority) != before
    assert cl.pairs == sorted(cl.pairs, key=lambda p: p.priority, reverse=True)
    p1.set_state(PairState.IN_PROGRESS)
    cl.stop_checks()
    assert cl.pairs == [p1]
    assert not cl.finished()
    p1.set_state(PairState.FAILED)
    assert cl.finished() and cl.all_failed()
