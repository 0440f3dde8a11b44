"""What the agent and its runtime do per input, and skip when an input
changes nothing: a repeated end-of-candidates (the description carries it,
then it is trickled again) derives no state, and the runtime services
nothing for an ignored candidate; the checklist's per-input questions build
no list; the facts are built in :class:`StateFacts`' field order."""

from __future__ import annotations

import pytest
from tests.support.ice_harness import Net, connected, host_pair

from rtcpeer.ice import Candidate, IceAgent, IceTransportState
from rtcpeer.ice.checklist import Checklist
from rtcpeer.ice.runtime import IceTransport
from rtcpeer.ice.states import StateFacts


def _checking_agent() -> IceAgent:
    net = Net(6)
    a = net.peer("a", controlling=True)
    net.host(a, 1, ("192.0.2.1", 5000))
    a.agent.gather(0.0)
    a.agent.set_remote_credentials("peer", "peer-password-0123456789", 0.0)
    a.agent.add_remote_candidate(Candidate("x", 1, "udp", 100, "192.0.2.2", 6000, "host"), 0.0)
    assert a.agent.state == IceTransportState.CHECKING
    return a.agent


def test_a_repeated_end_of_candidates_is_ignored_without_deriving_the_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agent = _checking_agent()
    derived: list[float] = []
    update = IceAgent._update_state

    def counting(self: IceAgent, now: float) -> None:
        derived.append(now)
        update(self, now)

    monkeypatch.setattr(IceAgent, "_update_state", counting)
    assert agent.add_remote_candidate(None, 0.1) is True
    assert derived == [0.1]
    assert agent.add_remote_candidate(None, 0.2) is False  # the trickled repeat
    assert derived == [0.1]
    assert agent.generation.remote_end_of_candidates


async def test_the_runtime_services_nothing_for_an_ignored_candidate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serviced: list[bool] = []
    service = IceTransport._service

    def counting(self: IceTransport, *, data_only: bool = False) -> None:
        serviced.append(data_only)
        service(self, data_only=data_only)

    monkeypatch.setattr(IceTransport, "_service", counting)

    ice = IceTransport(controlling=True, addresses=["127.0.0.1"], include_loopback=True)
    try:
        ice.set_remote_parameters("peer", "peer-password-0123456789")
        remote = Candidate("x", 1, "udp", 100, "127.0.0.1", 9, "host")
        ice.add_remote_candidate(remote)
        ice.add_remote_candidate(None)
        assert len(serviced) == 3
        ice.add_remote_candidate(remote)  # the trickled repeats
        ice.add_remote_candidate(None)
        assert len(serviced) == 3
    finally:
        await ice.close()


@pytest.mark.parametrize("side", ["controlling", "controlled"])
def test_the_per_input_questions_build_no_valid_pair_list(
    monkeypatch: pytest.MonkeyPatch, side: str
) -> None:
    """A connected agent's state and timer, asked after every input, look at
    its pairs without building ``valid_pairs``."""
    net, a, b = host_pair()
    assert net.run_until(connected(a, b))
    agent = a.agent if side == "controlling" else b.agent
    assert agent.generation.selected is not None and agent.generation.checklist.finished()
    built: list[Checklist] = []

    def valid_pairs(self: Checklist) -> list[object]:
        built.append(self)
        return []

    monkeypatch.setattr(Checklist, "valid_pairs", property(valid_pairs))
    agent._update_state(net.now)
    agent._role.maybe_switch(net.now)
    assert agent.get_timer() is not None
    assert built == []
    assert agent.generation.checklist.has_valid_pair()


def test_the_facts_fields_are_in_the_order_the_agent_builds_them() -> None:
    """The agent builds StateFacts positionally (it runs after every input):
    a new or moved field must be placed in ``IceAgent._update_state`` too."""
    assert StateFacts._fields == (
        "closed",
        "has_remote_candidates",
        "has_usable_pair",
        "consent_unanswered",
        "consent_lost",
        "remote_end_of_candidates",
        "gathering_complete",
        "checks_finished",
        "all_pairs_failed",
        "restarting_with_usable_pair",
        "restarting_with_unanswered_pair",
        "awaiting_connectivity",
        "patience_expired",
        "no_pair_possible",
    )


def test_no_pacing_wake_up_is_left_after_selection() -> None:
    """Selection stops the checks still waiting (RFC 8445 §8.1.2): the paced
    check's deadline goes too, instead of a timer that fires one Ta later
    only to find nothing to check."""
    net, a, b = host_pair()
    assert net.run_until(connected(a, b))
    for peer in (a, b):
        assert peer.agent.generation.selected is not None
        assert not peer.agent.generation.checklist.has_work()
        assert peer.agent._checks.next_at is None
