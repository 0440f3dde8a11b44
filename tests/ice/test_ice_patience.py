"""RFC 8863 (ICE PAC): no failure before Tr, and failure after Tr without end-of-candidates.

Every test runs on the harness's virtual clock; Tr defaults to 39.5 s.
"""

from __future__ import annotations

from typing import Any

from tests.support.ice_harness import Net, Peer, connected

from rtcpeer.ice import (
    Candidate,
    IceAgentConfig,
    IceTransportState,
    LocalCandidate,
    PairState,
    StateChanged,
)

S = IceTransportState
TR = 39.5


def _failed_at(peer: Peer) -> float | None:
    return next(
        (t for t, e in peer.events if isinstance(e, StateChanged) and e.state == S.FAILED), None
    )


def _pair_without_end_of_candidates(
    seed: int, *, withhold: int | None = None, **config: Any
) -> tuple[Net, Peer, Peer]:
    """Two agents whose candidates are trickled but who never signal end-of-candidates.

    b has a second socket on port 6002 whose candidate is held back when
    ``withhold`` names that port (for a test to trickle it late).
    """
    net = Net(seed)
    a = net.peer("a", controlling=True, config=IceAgentConfig(**config))
    b = net.peer("b", controlling=False, config=IceAgentConfig(**config))
    for peer in (a, b):
        peer.auto_trickle = False
    net.host(a, 1, ("192.0.2.1", 5000))
    net.host(b, 1, ("198.51.100.2", 6000))
    net.host(b, 2, ("198.51.100.2", 6002))
    net.pair(a, b)
    a.agent.gather(net.now)
    b.agent.gather(net.now)
    net.pump()
    for src, dst in ((a, b), (b, a)):
        for event in src.of_type(LocalCandidate):
            candidate = event.candidate
            if candidate.port != withhold:
                dst.agent.add_remote_candidate(candidate, net.now)
    return net, a, b


def test_without_end_of_candidates_all_pairs_failed_is_failed_after_tr() -> None:
    net, a, b = _pair_without_end_of_candidates(101)
    net.cut = True
    # Every pair has failed long before Tr (6.7 s per check; b's two candidates
    # share a foundation, so the second pair waits frozen for the first)...
    assert net.run_until(
        lambda: (
            all(p.state == PairState.FAILED for p in a.agent.generation.checklist.pairs)
            and len(a.agent.generation.checklist.pairs) > 0
        ),
        20.0,
    )
    assert net.now < 20.0
    assert a.agent.state == S.CHECKING and b.agent.state == S.CHECKING
    # ...but the remote never said end-of-candidates: the PAC timer decides.
    assert net.run_until(lambda: a.agent.state == S.FAILED and b.agent.state == S.FAILED, 60.0)
    for peer in (a, b):
        failed_at = _failed_at(peer)
        assert failed_at is not None and TR <= failed_at < TR + 0.1, failed_at
        assert peer.states == [S.CHECKING, S.FAILED]


def test_with_end_of_candidates_failure_still_waits_for_tr() -> None:
    net = Net(102)
    a = net.peer("a", controlling=True)
    b = net.peer("b", controlling=False)
    net.host(a, 1, ("192.0.2.1", 5000))
    net.host(b, 1, ("198.51.100.2", 6000))
    net.pair(a, b)
    a.agent.gather(net.now)
    b.agent.gather(net.now)
    net.cut = True
    assert net.run_until(lambda: a.agent.generation.checklist.all_failed(), 10.0)
    assert a.agent.generation.remote_end_of_candidates
    assert a.agent.state == S.CHECKING
    assert net.run_until(lambda: a.agent.state == S.FAILED, 60.0)
    failed_at = _failed_at(a)
    assert failed_at is not None and TR <= failed_at < TR + 0.1, failed_at


def test_no_remote_candidates_ever_fails_at_tr() -> None:
    net = Net(103)
    a = net.peer("a", controlling=True)
    net.host(a, 1, ("192.0.2.1", 5000))
    a.agent.gather(net.now)
    a.agent.set_remote_credentials("peer", "peer-password-0123456789", net.now)
    net.pump()
    assert a.agent.state == S.NEW
    # The agent asks to be woken at Tr, so a driver sleeping on get_timer() sees it.
    assert a.agent.get_timer() == TR
    assert net.run_until(lambda: a.agent.state == S.FAILED, 60.0)
    assert _failed_at(a) == TR
    assert a.states == [S.FAILED]


def test_tr_runs_from_the_later_of_gathering_and_remote_credentials() -> None:
    net = Net(104)
    a = net.peer("a", controlling=True)
    net.host(a, 1, ("192.0.2.1", 5000))
    a.agent.gather(0.0)
    net.run_for(5.0)  # no remote credentials yet: checks cannot start
    a.agent.set_remote_credentials("peer", "peer-password-0123456789", net.now)
    assert net.run_until(lambda: a.agent.state == S.FAILED, 60.0)
    assert _failed_at(a) == 5.0 + TR


def test_tr_is_configurable() -> None:
    net, a, b = _pair_without_end_of_candidates(105, pac_timeout=20.0)
    net.cut = True
    assert net.run_until(lambda: a.agent.state == S.FAILED and b.agent.state == S.FAILED, 30.0)
    failed_at = _failed_at(a)
    assert failed_at is not None and 20.0 <= failed_at < 20.1, failed_at


def test_an_unpairable_remote_and_end_of_candidates_fail_at_once() -> None:
    """No family in common (issue 21): once our gathering is complete and the
    peer's end-of-candidates is in, no pair can ever form -- failed at once,
    not at Tr."""
    net = Net(106)
    a = net.peer("a", controlling=True)
    net.host(a, 1, ("192.0.2.1", 5000))
    a.agent.gather(0.0)
    a.agent.set_remote_credentials("peer", "peer-password-0123456789", 0.0)
    # An IPv6-only remote cannot pair with an IPv4-only agent.
    a.agent.add_remote_candidate(Candidate("x", 1, "udp", 100, "2001:db8::2", 6000, "host"), 0.0)
    assert a.agent.state == S.CHECKING  # more candidates may come
    a.agent.add_remote_candidate(None, 0.0)
    assert a.agent.state == S.FAILED  # type: ignore[comparison-overlap]


def test_an_unpairable_remote_without_end_of_candidates_fails_only_at_tr() -> None:
    net = Net(106)
    a = net.peer("a", controlling=True)
    net.host(a, 1, ("192.0.2.1", 5000))
    a.agent.gather(0.0)
    a.agent.set_remote_credentials("peer", "peer-password-0123456789", 0.0)
    a.agent.add_remote_candidate(Candidate("x", 1, "udp", 100, "2001:db8::2", 6000, "host"), 0.0)
    a.agent.handle_timer(TR - 0.001)
    assert a.agent.state == S.CHECKING
    a.agent.handle_timer(TR)
    assert a.agent.state == S.FAILED  # type: ignore[comparison-overlap]


def test_an_unresolved_mdns_remote_keeps_the_patience_timer() -> None:
    """A remote candidate we could not read (an mDNS name that did not
    resolve) may still reach us as peer-reflexive: no fail-fast then."""
    net = Net(108)
    a = net.peer("a", controlling=True)
    net.host(a, 1, ("192.0.2.1", 5000))
    a.agent.gather(0.0)
    a.agent.set_remote_credentials("peer", "peer-password-0123456789", 0.0)
    a.agent.add_remote_candidate(
        Candidate("m", 1, "udp", 200, "0b6e8a3c-6b8e-4a39-9c1a-3f1c2d4e5f60.local", 6001, "host"),
        0.0,
    )
    a.agent.add_remote_candidate(Candidate("x", 1, "udp", 100, "2001:db8::2", 6000, "host"), 0.0)
    a.agent.add_remote_candidate(None, 0.0)
    assert a.agent.state == S.CHECKING
    a.agent.handle_timer(TR)
    assert a.agent.state == S.FAILED  # type: ignore[comparison-overlap]


def test_connecting_late_within_tr_is_not_failed_first() -> None:
    """Checks that fail for a while and then succeed before Tr never pass through failed."""
    net, a, b = _pair_without_end_of_candidates(107, withhold=6002)
    net.cut = True
    net.run_for(20.0)  # every pair failed by now
    assert a.agent.generation.checklist.all_failed()
    assert a.agent.state == S.CHECKING
    net.cut = False
    # b's withheld candidate is trickled late; the checks on it succeed.
    late = next(e.candidate for e in b.of_type(LocalCandidate) if e.candidate.port == 6002)
    a.agent.add_remote_candidate(late, net.now)
    assert net.run_until(connected(a, b), 5.0)
    assert net.now < TR
    assert S.FAILED not in a.states and S.FAILED not in b.states
