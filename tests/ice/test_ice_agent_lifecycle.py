"""Agent-to-agent: consent freshness, ICE restart (generations) and relay-only policy."""

from __future__ import annotations

from tests.support.ice_harness import Net, connected, host_pair, state_is

from rtcpeer.ice import (
    GenerationRetired,
    IceTransportState,
    LocalCandidate,
    SelectedPairChanged,
)

S = IceTransportState


# -- consent (RFC 7675) --------------------------------------------------------
def test_cut_link_goes_disconnected_within_seconds_then_recovers() -> None:
    net, a, b = host_pair(31)
    assert net.run_until(connected(a, b), 1.0)
    net.run_for(12.0)  # consent keeps a healthy idle link connected
    assert a.agent.state == S.COMPLETED and b.agent.state == S.COMPLETED
    assert S.DISCONNECTED not in a.states
    net.cut = True
    cut_at = net.now
    assert net.run_until(state_is(a, S.DISCONNECTED), 15.0)
    # Check every 5 s ±20%, unanswered for 3 s: at most 6 + 3 s after the cut.
    assert net.now - cut_at <= 9.0
    assert net.run_until(state_is(b, S.DISCONNECTED), 15.0)
    net.cut = False
    restored_at = net.now
    assert net.run_until(
        lambda: (
            a.agent.state in (S.CONNECTED, S.COMPLETED)
            and b.agent.state in (S.CONNECTED, S.COMPLETED)
        ),
        10.0,
    )
    assert net.now - restored_at < 6.0
    # No restart was needed: still the same pair, data flows again.
    a.agent.send(b"back", net.now)
    net.run_until(lambda: bool(b.received), 1.0)
    assert b.received == [b"back"]


def test_consent_lost_after_30_seconds_is_failed_and_stops_sending() -> None:
    net, a, b = host_pair(37)
    assert net.run_until(connected(a, b), 1.0)
    net.cut = True
    cut_at = net.now
    assert net.run_until(state_is(a, S.FAILED), 40.0)
    assert 25.0 <= net.now - cut_at <= 31.0
    assert a.states[-2:] == [S.DISCONNECTED, S.FAILED]
    assert a.agent.selected_pair is None
    assert a.of_type(SelectedPairChanged)[-1] == SelectedPairChanged(None, None, 0)
    sent_before = len(net.sent)
    assert a.agent.send(b"into the void", net.now) is False
    net.pump()
    assert len(net.sent) == sent_before


# -- restart (generations) ---------------------------------------------------
def _restart_both(net: Net, a, b) -> None:  # type: ignore[no-untyped-def]
    """What JSEP does: a restarts (offer), b restarts on the new remote credentials."""
    a.agent.restart(net.now)
    b.agent.set_remote_credentials(a.agent.local_ufrag, a.agent.local_pwd, net.now)
    a.agent.set_remote_credentials(b.agent.local_ufrag, b.agent.local_pwd, net.now)


def test_restart_keeps_old_pair_until_new_one_is_selected_and_loses_nothing() -> None:
    net, a, b = host_pair(41, latency=0.002)
    net.host(a, 2, ("192.0.2.21", 5002))  # registered after gathering: used from the restart on
    assert net.run_until(connected(a, b), 1.0)
    old_ufrags = (a.agent.local_ufrag, b.agent.local_ufrag)
    old_b_candidate = b.candidates[0]
    sent: list[bytes] = []

    def sender() -> None:  # a and b each send every 5 ms of virtual time
        if len(sent) < 200:
            index = len(sent)
            for peer in (a, b):
                msg = f"{peer.name}{index}".encode()
                assert peer.agent.send(msg, net.now), "no pair to send on during restart"
            sent.append(f"a{index}".encode())
            net.later(0.005, sender)

    sender()
    net.run_for(0.1)
    states_before = (list(a.states), list(b.states))
    _restart_both(net, a, b)
    assert a.agent.local_ufrag != old_ufrags[0] and b.agent.local_ufrag != old_ufrags[1]
    # Old-generation candidates are ignored once the new credentials are known.
    assert a.agent.add_remote_candidate(old_b_candidate, net.now) is False
    assert net.run_until(
        lambda: bool(a.of_type(GenerationRetired)) and bool(b.of_type(GenerationRetired)), 2.0
    )
    net.run_for(1.5)
    assert len(sent) == 200
    expected_a = [m for m in sent]
    assert b.received == expected_a  # every message, in order
    assert a.received == [m.replace(b"a", b"b", 1) for m in sent]
    # The state never left connected/completed, and went completed -> connected -> completed.
    for peer, before in zip((a, b), states_before, strict=True):
        during = peer.states[len(before) :]
        assert S.CHECKING not in during and S.DISCONNECTED not in during
        assert during == [S.CONNECTED, S.COMPLETED]
    # The selected pair moved to generation 1, and generation 0 was retired.
    assert a.of_type(SelectedPairChanged)[-1].generation_id == 1
    assert [g.id for g in a.agent.generations] == [1]
    assert a.of_type(GenerationRetired) == [GenerationRetired(0, ())]
    new_candidates = [e.candidate for e in a.of_type(LocalCandidate) if e.generation_id == 1]
    assert {c.address for c in new_candidates} == {("192.0.2.1", 5000), ("192.0.2.21", 5002)}
    assert all(c.ufrag == a.agent.local_ufrag and c.generation == 1 for c in new_candidates)


def test_restart_from_failed_goes_checking_then_connected() -> None:
    net, a, b = host_pair(43)
    assert net.run_until(connected(a, b), 1.0)
    net.cut = True
    assert net.run_until(lambda: a.agent.state == S.FAILED and b.agent.state == S.FAILED, 40.0)
    net.cut = False
    _restart_both(net, a, b)
    net.pump()
    assert a.states[-1] == S.CHECKING and b.states[-1] == S.CHECKING
    assert net.run_until(connected(a, b), 2.0)
    assert a.states[-3:] == [S.CHECKING, S.CONNECTED, S.COMPLETED] or a.states[-2:] == [
        S.CHECKING,
        S.CONNECTED,
    ]
    a.agent.send(b"again", net.now)
    net.run_until(lambda: bool(b.received), 1.0)
    assert b.received == [b"again"]


def test_remote_restart_detected_from_new_credentials() -> None:
    net, a, b = host_pair(47)
    assert net.run_until(connected(a, b), 1.0)
    old = b.agent.local_ufrag
    a.agent.restart(net.now)
    # b sees new remote credentials: that alone restarts b (new ufrag/pwd of its own).
    b.agent.set_remote_credentials(a.agent.local_ufrag, a.agent.local_pwd, net.now)
    assert b.agent.local_ufrag != old
    a.agent.set_remote_credentials(b.agent.local_ufrag, b.agent.local_pwd, net.now)
    assert net.run_until(lambda: bool(b.of_type(GenerationRetired)), 2.0)
    assert b.agent.generation.id == 1 and b.agent.selected_pair is not None


# -- iceTransportPolicy "relay" -------------------------------------------------
def test_relay_only_emits_no_host_candidate_and_never_sends_from_host() -> None:
    net = Net(53)
    a = net.peer("a", controlling=True, policy="relay")
    b = net.peer("b", controlling=False)
    net.host(a, 1, ("192.0.2.1", 5000))
    net.host(b, 1, ("198.51.100.2", 6000))
    net.pair(a, b)
    a.agent.gather(0.0)
    b.agent.gather(0.0)
    net.pump()
    assert a.candidates == []
    relay = net.relay(a, 100, ("203.0.113.5", 40000), base=("192.0.2.1", 5000))
    assert relay.type == "relay"
    # b also probes a's host address (say it learnt it elsewhere): a must not answer.
    b.agent.add_remote_candidate(relay.with_address("192.0.2.1", 5000), net.now)
    assert net.run_until(connected(a, b), 2.0)
    assert a.selected == (("203.0.113.5", 40000), ("198.51.100.2", 6000))
    assert [c.type for c in a.candidates] == ["relay"]
    assert not [p for p in net.sent if p.source == ("192.0.2.1", 5000)]
    assert all(p.local.type == "relay" for p in a.agent.generation.checklist.pairs)
    a.agent.send(b"relayed", net.now)
    net.run_until(lambda: bool(b.received), 1.0)
    assert b.received == [b"relayed"]
    assert not [p for p in net.sent if p.source == ("192.0.2.1", 5000)]
