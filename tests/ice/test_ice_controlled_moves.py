"""The controlled side does not wait forever for a nomination, and says so when nothing works.

After a restart the peer started but never nominates in (werift does this),
the old generation's pair keeps being the one we send on. When it goes quiet
while a valid pair of the new generation works, a controlled agent moves to
that pair by itself, as libwebrtc does; when nothing works, it reports
``disconnected`` within about 2.5 s (Chromium's figure), not only at the 30 s
consent expiry.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.ice_harness import Net, Peer, connected, host_pair, state_is

from rtcpeer.ice import (
    GenerationRetired,
    IceAgent,
    IceTransportState,
    SelectedPairChanged,
)
from rtcpeer.ice.generation import Generation
from rtcpeer.ice.nomination import ControllingRole
from rtcpeer.ice.pair import CandidatePair

S = IceTransportState
A_OLD = ("192.0.2.1", 5000)  # the remote's address in region A (dies at the restart)
A_NEW = ("192.0.2.21", 5002)  # its address in region B
B_ADDR = ("198.51.100.2", 6000)


class _NominatesOnlyFirst(ControllingRole):
    """Controlling, but nominating only in the first generation."""

    def maybe_nominate(self, gen: Generation, now: float) -> None:
        if gen.id == 0:
            super().maybe_nominate(gen, now)


class NeverRenominates(IceAgent):
    """A controlling peer like werift after an ICE restart: it nominates only in
    its first generation and, once restarted, sends on its best valid pair of
    the new generation."""

    def __init__(self, controlling: bool, **kwargs: Any) -> None:
        super().__init__(controlling, **kwargs)
        self._role = _NominatesOnlyFirst(self)

    def _sending_pair(self) -> CandidatePair | None:
        valid = self.generation.checklist.valid_pairs
        if self.generation.id > 0 and valid:
            return max(valid, key=lambda p: p.priority)
        return super()._sending_pair()


def _restarted_by_a_peer_that_never_nominates(
    seed: int, *, peer_sends: bool = False
) -> tuple[Net, Peer, Peer]:
    """a (controlling, never renominating) restarts after 1 s and loses its old address.

    ``peer_sends``: a sends data every 20 ms throughout, as werift's DTLS/SCTP
    would, on whatever pair it uses.
    """
    net = Net(seed, latency=0.01)
    a = net.peer("a", controlling=True, agent_class=NeverRenominates)
    b = net.peer("b", controlling=False)
    net.host(a, 1, A_OLD)
    net.host(b, 1, B_ADDR)
    net.pair(a, b)
    a.agent.gather(net.now)
    b.agent.gather(net.now)
    assert net.run_until(connected(a, b), 1.0)
    net.host(a, 2, A_NEW)  # gathered from the restart on

    def a_sends() -> None:
        a.agent.send(b"from a", net.now)
        net.later(0.02, a_sends)

    if peer_sends:
        a_sends()
    net.run_for(1.0)
    # a restarts (its offer), b answers; a's region-A address is gone from now on.
    a.agent.restart(net.now)
    b.agent.set_remote_credentials(a.agent.local_ufrag, a.agent.local_pwd, net.now)
    a.agent.set_remote_credentials(b.agent.local_ufrag, b.agent.local_pwd, net.now)
    net.blocked.add(A_OLD)
    return net, a, b


@pytest.mark.parametrize("peer_sends", [True, False], ids=["peer-sends-data", "idle-peer"])
def test_controlled_side_moves_to_the_working_pair_the_peer_never_nominated(
    peer_sends: bool,
) -> None:
    net, a, b = _restarted_by_a_peer_that_never_nominates(7, peer_sends=peer_sends)
    restarted_at = net.now
    assert b.agent.selected_pair is not None
    assert b.agent.selected_pair.remote.address == A_OLD  # the old generation's, now dead
    assert net.run_until(lambda: b.selected is not None and b.selected[1] == A_NEW, 6.0), (
        "b never left the dead pair"
    )
    moved_after = net.now - restarted_at
    # b moves once nothing was heard on the old pair for ~2.5 s (an idle link
    # was quiet before the restart already), plus a probe's round trip.
    assert moved_after <= 3.0
    if peer_sends:  # not at the first packet on the new path: the old one had to go quiet
        assert moved_after >= 2.4
    change = b.of_type(SelectedPairChanged)[-1]
    assert change.generation_id == 1 and change.remote is not None
    assert change.remote.address == A_NEW
    assert b.of_type(GenerationRetired)  # the dead generation is gone
    assert b.agent.state in (S.CONNECTED, S.COMPLETED)
    # Data from b reaches a again, over the new path.
    before = len(a.received)
    assert b.agent.send(b"from b", net.now)
    assert net.run_until(lambda: b"from b" in a.received[before:], 1.0)
    # A nomination, should one come after all, still wins.
    assert b.agent.selected_pair is not None and not b.agent.selected_pair.nominated


def test_a_normal_restart_does_not_move_before_the_nomination() -> None:
    """Make-before-break: the old pair carries data until the new one is nominated."""
    net, a, b = host_pair(11, latency=0.01)
    assert net.run_until(connected(a, b), 1.0)
    net.run_for(3.0)
    a.agent.restart(net.now)
    b.agent.set_remote_credentials(a.agent.local_ufrag, a.agent.local_pwd, net.now)
    a.agent.set_remote_credentials(b.agent.local_ufrag, b.agent.local_pwd, net.now)
    assert net.run_until(lambda: bool(b.of_type(GenerationRetired)), 1.0)
    selected = b.agent.selected_pair
    assert selected is not None and selected.nominated
    assert [c.generation_id for c in b.of_type(SelectedPairChanged)] == [0, 1]


def test_a_dead_path_is_disconnected_within_about_two_and_a_half_seconds() -> None:
    net, a, b = host_pair(13, latency=0.01)
    assert net.run_until(connected(a, b), 1.0)
    net.run_for(20.0)  # an idle, healthy link never looks disconnected
    assert S.DISCONNECTED not in a.states and S.DISCONNECTED not in b.states
    net.cut = True
    cut_at = net.now
    assert net.run_until(lambda: a.agent.state == S.DISCONNECTED, 10.0)
    assert net.now - cut_at < 3.0
    assert net.run_until(lambda: b.agent.state == S.DISCONNECTED, 10.0)
    assert net.now - cut_at < 3.0
    net.cut = False
    assert net.run_until(connected(a, b), 6.0)
    assert a.agent.state != S.DISCONNECTED and b.agent.state != S.DISCONNECTED


def test_restart_where_nothing_works_is_disconnected_promptly_not_checking() -> None:
    net, _a, b = _restarted_by_a_peer_that_never_nominates(17)
    net.cut = True  # nothing reaches anyone any more
    cut_at, before = net.now, len(b.states)
    assert net.run_until(state_is(b, S.DISCONNECTED), 10.0)
    assert net.now - cut_at < 3.0
    assert S.CHECKING not in b.states[before:]
