"""Agent-to-agent: connecting, roles, peer-reflexive discovery, trickle, nomination, lite."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.ice_harness import Net, connected, host_pair

from rtcpeer.ice import (
    IceAgentConfig,
    IceTransportState,
    PairState,
    RoleChanged,
    SelectedPairChanged,
)
from rtcpeer.stun import Attr, decode_message, is_stun

S = IceTransportState


@pytest.mark.parametrize("a_controlling", [True, False])
def test_host_only_connects_in_both_roles(a_controlling: bool) -> None:
    net = Net(3)
    a = net.peer("a", controlling=a_controlling)
    b = net.peer("b", controlling=not a_controlling)
    net.host(a, 1, ("192.0.2.1", 5000))
    net.host(b, 7, ("198.51.100.2", 6000))
    net.pair(a, b)
    a.agent.gather(0.0)
    b.agent.gather(0.0)
    assert net.run_until(connected(a, b), timeout=1.0)
    assert a.selected == (("192.0.2.1", 5000), ("198.51.100.2", 6000))
    assert b.selected == (("198.51.100.2", 6000), ("192.0.2.1", 5000))
    assert net.now < 0.1
    # Both sides went checking -> connected -> completed, in that order.
    net.run_until(lambda: a.agent.state == S.COMPLETED and b.agent.state == S.COMPLETED, 1.0)
    assert a.states == [S.CHECKING, S.CONNECTED, S.COMPLETED]
    assert b.states == [S.CHECKING, S.CONNECTED, S.COMPLETED]
    # Application data flows both ways over the selected pair.
    assert a.agent.send(b"hello", net.now)
    assert b.agent.send(b"world", net.now)
    net.run_until(lambda: bool(a.received and b.received), 1.0)
    assert b.received == [b"hello"]
    assert a.received == [b"world"]


def test_send_without_selected_pair_is_dropped() -> None:
    net = Net()
    a = net.peer("a", controlling=True)
    net.host(a, 1, ("192.0.2.1", 5000))
    assert a.agent.send(b"x", 0.0) is False
    assert a.agent.datagrams_to_send() == []


def test_checks_carry_the_rfc_8445_attributes() -> None:
    net, a, b = host_pair()
    net.run_until(connected(a, b), 1.0)
    requests = [
        decode_message(p.data)
        for p in net.sent
        if p.source == ("192.0.2.1", 5000) and is_stun(p.data) and p.data[:2] == b"\x00\x01"
    ]
    assert requests
    first = requests[0]
    assert first.get(Attr.USERNAME) == f"{b.agent.local_ufrag}:{a.agent.local_ufrag}"
    assert first.get(Attr.ICE_CONTROLLING) == a.agent.tie_breaker
    assert first.has(Attr.PRIORITY) and first.has(Attr.FINGERPRINT)
    assert first.check_integrity(b.agent.local_pwd.encode())
    # Regular nomination: the first check has no USE-CANDIDATE, a later one does.
    assert not first.has(Attr.USE_CANDIDATE)
    assert any(r.has(Attr.USE_CANDIDATE) for r in requests[1:])


@pytest.mark.parametrize("controlling", [True, False])
def test_role_conflict_resolves(controlling: bool) -> None:
    net = Net(5)
    a = net.peer("a", controlling=controlling)
    b = net.peer("b", controlling=controlling)
    a.agent.tie_breaker, b.agent.tie_breaker = 10, 20
    net.host(a, 1, ("192.0.2.1", 5000))
    net.host(b, 1, ("198.51.100.2", 6000))
    net.pair(a, b)
    a.agent.gather(0.0)
    b.agent.gather(0.0)
    assert net.run_until(connected(a, b), 2.0)
    # The larger tie-breaker controls.
    assert b.agent.controlling is True
    assert a.agent.controlling is False
    changed = a.of_type(RoleChanged) + b.of_type(RoleChanged)
    assert len(changed) == 1
    if controlling:  # b kept controlling by answering 487 Role Conflict
        errors = [decode_message(p.data) for p in net.sent if p.data[:2] == b"\x01\x11"]
        assert [e.error_code for e in errors] == [487]
    assert a.selected is not None and b.selected is not None
    assert a.selected[::-1] == b.selected


def test_peer_reflexive_remote_when_candidates_are_signalled_late() -> None:
    net = Net(7)
    a = net.peer("a", controlling=True)
    b = net.peer("b", controlling=False)
    b.auto_trickle = False  # b's candidates never reach a: a learns b from b's checks
    net.host(a, 1, ("192.0.2.1", 5000))
    net.host(b, 1, ("198.51.100.2", 6000))
    net.pair(a, b)
    a.agent.gather(0.0)
    b.agent.gather(0.0)
    assert net.run_until(connected(a, b), 2.0)
    remote = a.agent.selected_pair.remote  # type: ignore[union-attr]
    assert remote.type == "prflx"
    assert remote.address == ("198.51.100.2", 6000)
    # The signalled candidate arriving late replaces the prflx one.
    host = b.candidates[0]
    assert a.agent.add_remote_candidate(host, net.now)
    assert a.agent.selected_pair.remote.type == "host"  # type: ignore[union-attr]


def test_trickle_checks_start_before_end_of_candidates() -> None:
    net = Net(11, signal_delay=0.05)
    a = net.peer("a", controlling=True)
    b = net.peer("b", controlling=False)
    net.host(a, 1, ("192.0.2.1", 5000))
    net.host(b, 1, ("198.51.100.2", 6000))
    net.pair(a, b)
    a.auto_trickle = b.auto_trickle = False
    a.agent.gather(0.0)
    b.agent.gather(0.0)
    net.pump()
    # Only a's candidate reaches b; b checks it at once, before any end-of-candidates.
    b.agent.add_remote_candidate(a.candidates[0], net.now)
    assert net.run_until(connected(a, b), 1.0)
    assert not a.agent.generation.remote_end_of_candidates
    assert a.agent.state == S.CONNECTED  # not completed: the remote may trickle more
    # A candidate added late (after connecting) is accepted and paired.
    net.host(b, 2, ("198.51.100.3", 6001))  # b is done gathering: no new candidate
    late = b.candidates[0].with_address("198.51.100.9", 7000)
    assert a.agent.add_remote_candidate(late, net.now)
    assert any(
        p.remote.address == ("198.51.100.9", 7000) for p in a.agent.generation.checklist.pairs
    )
    a.agent.add_remote_candidate(None, net.now)
    b.agent.add_remote_candidate(None, net.now)
    assert net.run_until(lambda: a.agent.state == S.COMPLETED, 10.0)


def _two_socket_peers(seed: int, **config: object) -> tuple[Net, Any, Any]:
    net = Net(seed)
    a = net.peer("a", controlling=True, config=IceAgentConfig(**config))  # type: ignore[arg-type]
    b = net.peer("b", controlling=False)
    net.host(a, 1, ("192.0.2.1", 5000))
    net.host(a, 2, ("192.0.2.11", 5001))
    net.host(b, 1, ("198.51.100.2", 6000))
    net.pair(a, b)
    a.agent.gather(0.0)
    b.agent.gather(0.0)
    return net, a, b


def test_aggressive_nomination_accepted_by_controlled_side() -> None:
    net, a, b = _two_socket_peers(13, aggressive_nomination=True)
    assert net.run_until(connected(a, b), 2.0)
    assert all(  # every check the controlling side sent carried USE-CANDIDATE
        decode_message(p.data).has(Attr.USE_CANDIDATE)
        for p in net.sent
        if p.source[0] == "192.0.2.1" or p.source[0] == "192.0.2.11"
        if p.data[:2] == b"\x00\x01"
    )
    b_pair = b.agent.selected_pair
    assert b_pair.nominated and b_pair.valid
    a.agent.send(b"via-aggressive", net.now)
    net.run_until(lambda: bool(b.received), 1.0)
    assert b.received == [b"via-aggressive"]


def test_renomination_switches_the_controlled_side() -> None:
    net, a, b = _two_socket_peers(17)
    assert net.run_until(connected(a, b), 2.0)
    first = b.selected
    other_local = next(
        addr for addr in (("192.0.2.1", 5000), ("192.0.2.11", 5001)) if addr != a.selected[0]
    )
    assert a.agent.nominate(other_local, ("198.51.100.2", 6000), net.now)
    assert net.run_until(lambda: b.selected != first, 2.0)
    assert b.selected == (("198.51.100.2", 6000), other_local)
    assert a.selected == (other_local, ("198.51.100.2", 6000))
    switches = b.of_type(SelectedPairChanged)
    assert len(switches) == 2


def test_remote_lite_full_agent_controls_and_nominates() -> None:
    net = Net(19)
    full = net.peer("full", controlling=False, remote_is_lite=True)
    lite = net.peer("lite", controlling=True, lite=True)
    assert full.agent.controlling and not lite.agent.controlling
    net.host(full, 1, ("192.0.2.1", 5000))
    net.host(lite, 1, ("198.51.100.2", 6000))
    net.pair(full, lite)
    full.agent.gather(0.0)
    lite.agent.gather(0.0)
    assert net.run_until(connected(full, lite), 2.0)
    # The lite agent never sent a request of its own.
    lite_requests = [
        p for p in net.sent if p.source == ("198.51.100.2", 6000) and p.data[:2] == b"\x00\x01"
    ]
    assert lite_requests == []
    full.agent.send(b"ping", net.now)
    lite.agent.send(b"pong", net.now)
    net.run_until(lambda: bool(full.received and lite.received), 1.0)
    assert lite.received == [b"ping"] and full.received == [b"pong"]


def test_ten_percent_loss_both_ways_still_connects() -> None:
    for seed in range(5):
        net, a, b = host_pair(seed, loss=0.1)
        assert net.run_until(connected(a, b), 10.0), f"seed {seed}"


def test_all_pairs_failing_after_end_of_candidates_is_failed() -> None:
    net, a, b = host_pair(23)
    net.cut = True
    # Failed once every pair failed, but not before RFC 8863's Tr (39.5 s).
    assert net.run_until(lambda: a.agent.state == S.FAILED and b.agent.state == S.FAILED, 45.0)
    assert net.now >= a.agent.config.pac_timeout
    assert all(p.state == PairState.FAILED for p in a.agent.generation.checklist.pairs)
    assert S.CONNECTED not in a.states


def test_mdns_remote_candidates_resolve_through_the_injected_resolver() -> None:
    names = {"abcd-1234.local": "198.51.100.2"}
    net = Net(29)
    a = net.peer("a", controlling=True, resolve_mdns=names.get)
    b = net.peer("b", controlling=False)
    b.auto_trickle = False
    net.host(a, 1, ("192.0.2.1", 5000))
    net.host(b, 1, ("198.51.100.2", 6000))
    net.pair(a, b)
    a.agent.gather(0.0)
    b.agent.gather(0.0)
    net.pump()
    hidden = b.candidates[0].with_address("abcd-1234.local", 6000)
    unknown = b.candidates[0].with_address("nobody-knows.local", 6001)
    assert a.agent.add_remote_candidate(unknown, net.now) is False
    assert a.agent.add_remote_candidate(hidden, net.now) is True
    remotes = [c.address for c in a.agent.generation.remote]
    assert remotes == [("198.51.100.2", 6000)]
    assert net.run_until(connected(a, b), 1.0)


def test_behind_a_nat_both_sides_learn_peer_reflexive_candidates() -> None:
    net = Net(31)
    a = net.peer("a", controlling=True)
    b = net.peer("b", controlling=False)
    net.host(a, 1, ("192.0.2.1", 5000))
    net.host(b, 1, ("198.51.100.2", 6000))
    net.nat[("192.0.2.1", 5000)] = ("203.0.113.77", 9000)  # a is behind a NAT
    net.pair(a, b)
    a.agent.gather(0.0)
    b.agent.gather(0.0)
    assert net.run_until(connected(a, b), 2.0)
    a_pair, b_pair = a.agent.selected_pair, b.agent.selected_pair
    assert a_pair is not None and b_pair is not None
    # a learnt its mapped address from b's response: a local peer-reflexive candidate.
    assert a_pair.local.type == "prflx"
    assert a_pair.local.address == ("203.0.113.77", 9000)
    assert (a_pair.local.related_address, a_pair.local.related_port) == ("192.0.2.1", 5000)
    # b learnt a's outside address from a's check: a remote peer-reflexive candidate.
    assert b_pair.remote.type == "prflx" and b_pair.remote.address == ("203.0.113.77", 9000)
    # b's checks to a's unreachable host address fail (after retransmissions, 6.7 s);
    # only then is b "completed". The prflx path carries the data.
    assert b.agent.state == IceTransportState.CONNECTED
    assert net.run_until(lambda: b.agent.state == IceTransportState.COMPLETED, 10.0)
    assert any(
        p.state == PairState.FAILED and p.remote.address == ("192.0.2.1", 5000)
        for p in b.agent.generation.checklist.pairs
    )
    b.agent.send(b"through the nat", net.now)
    a.agent.send(b"and back", net.now)
    net.run_until(lambda: bool(a.received and b.received), 1.0)
    assert (a.received, b.received) == ([b"through the nat"], [b"and back"])


def test_the_answerer_of_the_first_negotiation_gives_up_control_once() -> None:
    # Both agents start controlling (neither knows yet who offers); the
    # answerer's is told so by signalling before any check: one RoleChanged,
    # none for saying it again, and the two connect without a role conflict.
    net = Net(11)
    a = net.peer("a", controlling=True)
    b = net.peer("b", controlling=True)
    b.agent.set_controlling(False)
    b.agent.set_controlling(False)
    assert b.agent.controlling is False
    net.host(a, 1, ("192.0.2.1", 5000))
    net.host(b, 1, ("198.51.100.2", 6000))
    net.pair(a, b)
    a.agent.gather(0.0)
    b.agent.gather(0.0)
    assert net.run_until(connected(a, b), 2.0)
    assert [e.controlling for e in b.of_type(RoleChanged)] == [False]
    assert a.of_type(RoleChanged) == []
    assert not [p for p in net.sent if p.data[:2] == b"\x01\x11"]  # no 487 Role Conflict
