"""Continual gathering in the agent: a host socket added while the current
generation's gathering is complete reopens it (``gathering``, the candidate,
``complete`` again), as a restart's gathering would."""

from __future__ import annotations

import random

from rtcpeer.ice import GatheringStateChanged, IceAgent, IceEvent, IceGatheringState, LocalCandidate

G = IceGatheringState


def _events(agent: IceAgent) -> list[IceEvent]:
    return list(iter(agent.next_event, None))


def test_a_new_address_reopens_gathering_until_its_candidate_is_added() -> None:
    agent = IceAgent(True, rng=random.Random(1))
    agent.add_socket(1, ("192.0.2.1", 5000))
    assert agent.begin_continual_gathering(0.0) is None  # nothing gathered yet
    agent.gather(0.0)
    assert agent.gathering_state == G.COMPLETE
    _events(agent)

    token = agent.begin_continual_gathering(1.0)
    assert token is not None
    assert agent.gathering_state == G.GATHERING  # type: ignore[comparison-overlap]
    assert agent.begin_continual_gathering(1.0) is None  # already gathering: one cycle
    agent.add_socket(2, ("192.0.2.9", 5000), now=1.0, continual=True)
    assert agent.gathering_state == G.GATHERING
    agent.end_continual_gathering(token, 1.1)
    assert agent.gathering_state == G.COMPLETE

    seen = [
        e.state if isinstance(e, GatheringStateChanged) else e.candidate.host
        for e in _events(agent)
        if isinstance(e, GatheringStateChanged | LocalCandidate)
    ]
    assert seen == [G.GATHERING, "192.0.2.9", G.COMPLETE]
    assert {c.host for c in agent.local_candidates} == {"192.0.2.1", "192.0.2.9"}
