"""Undoing a restart whose offer was rolled back: the previous generation is
current again (live, or revived with its credentials when the restart had
retired it), and the restarted one retires with what it gathered."""

from __future__ import annotations

from dataclasses import replace

from tests.support.ice_harness import Net, Peer, connected, host_pair, state_is

from rtcpeer.ice import GenerationRetired, IceGatheringState, IceTransportState

S = IceTransportState


def _exchange(net: Net, a: Peer, b: Peer) -> None:
    before = (len(a.received), len(b.received))
    assert a.agent.send(b"to b", net.now) and b.agent.send(b"to a", net.now)
    assert net.run_until(lambda: (len(a.received), len(b.received)) > before, 1.0)
    assert a.received[-1] == b"to a" and b.received[-1] == b"to b"


def test_rollback_returns_to_the_live_generation_and_retires_the_new_one() -> None:
    net, a, b = host_pair(71)
    assert net.run_until(connected(a, b), 1.0)
    old = (a.agent.local_ufrag, a.agent.local_pwd)
    b_ufrag = b.agent.local_ufrag
    a.agent.restart(net.now)  # our restart offer, set locally, never answered
    net.pump()
    restarted = a.agent.generation.id
    assert (a.agent.local_ufrag, a.agent.local_pwd) != old
    assert a.agent.roll_back_restart(net.now) is True
    net.pump()
    assert (a.agent.local_ufrag, a.agent.local_pwd) == old
    assert [g.id for g in a.agent.generations] == [0]
    assert GenerationRetired(restarted, ()) in a.of_type(GenerationRetired)
    assert a.agent.gathering_state == IceGatheringState.COMPLETE
    _exchange(net, a, b)
    # The peer's credentials are current again: its candidates are accepted.
    newcomer = replace(b.candidates[0], port=6001, ufrag=b_ufrag)
    assert a.agent.add_remote_candidate(newcomer, net.now) is True
    net.run_for(15.0)  # consent keeps working on the pair it rolled back to
    assert a.agent.state in (S.CONNECTED, S.COMPLETED) and S.FAILED not in a.states
    _exchange(net, a, b)
    assert a.agent.roll_back_restart(net.now) is False  # nothing left to undo


def test_rollback_after_a_restart_from_failed_revives_the_old_credentials() -> None:
    net, a, b = host_pair(73)
    assert net.run_until(connected(a, b), 1.0)
    old = (a.agent.local_ufrag, a.agent.local_pwd)
    net.cut = True
    assert net.run_until(state_is(a, S.FAILED), 40.0)
    a.agent.restart(net.now)  # the failed generation had no pair left: retired at once
    net.pump()
    assert len(a.agent.generations) == 1
    assert a.agent.roll_back_restart(net.now) is True
    gen = a.agent.generation
    assert (gen.local_ufrag, gen.local_pwd) == old
    assert (gen.remote_ufrag, gen.remote_pwd) == (b.agent.local_ufrag, b.agent.local_pwd)
    assert gen.remote and gen.gathering_state != IceGatheringState.NEW
    net.cut = False
    assert net.run_until(connected(a, b), 5.0)  # b never restarted: the old credentials work
    _exchange(net, a, b)


def test_nothing_to_undo_once_the_restart_selected_a_pair() -> None:
    net, a, b = host_pair(79)
    assert a.agent.roll_back_restart(net.now) is False  # no restart yet
    assert net.run_until(connected(a, b), 1.0)
    a.agent.restart(net.now)
    b.agent.set_remote_credentials(a.agent.local_ufrag, a.agent.local_pwd, net.now)
    a.agent.set_remote_credentials(b.agent.local_ufrag, b.agent.local_pwd, net.now)
    assert net.run_until(lambda: bool(a.of_type(GenerationRetired)), 2.0)
    ufrag = a.agent.local_ufrag
    assert a.agent.roll_back_restart(net.now) is False
    assert a.agent.local_ufrag == ufrag
