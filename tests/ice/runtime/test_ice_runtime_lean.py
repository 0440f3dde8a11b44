"""Per-connection savings keep behaviour: owner callbacks, slots, fresh credentials."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from tests.support.ice_runtime import TIMEOUT, connect, transport

from rtcpeer.ice import Candidate, IceAgent
from rtcpeer.ice.runtime import IceTransport, IceTransportCallbacks

_ICE_CHARS = re.compile(r"[A-Za-z0-9+/]+")


async def test_owner_callbacks_run_before_pyee_listeners_and_both_see_every_event() -> None:
    a, b = transport(True), transport(False)
    order: list[tuple[str, str, object]] = []

    def direct(event: str) -> Callable[[Any], object]:
        return lambda value: order.append(("direct", event, value))

    a.set_callbacks(
        IceTransportCallbacks(
            icecandidate=direct("icecandidate"),
            icecandidateerror=direct("icecandidateerror"),
            statechange=direct("statechange"),
            gatheringstatechange=direct("gatheringstatechange"),
        )
    )
    for event in ("icecandidate", "statechange", "gatheringstatechange"):
        a.on(event, lambda value, event=event: order.append(("pyee", event, value)))
    try:
        await connect(a, b)
    finally:
        await a.close()
        await b.close()
    direct_seen = [(e, v) for kind, e, v in order if kind == "direct"]
    pyee_seen = [(e, v) for kind, e, v in order if kind == "pyee"]
    assert direct_seen == pyee_seen  # the same events, values and order for both
    assert ("gatheringstatechange", "complete") in direct_seen
    assert ("icecandidate", None) in direct_seen
    assert any(isinstance(v, Candidate) for e, v in direct_seen if e == "icecandidate")
    assert ("statechange", "connected") in direct_seen
    # Every event reaches the owner first, immediately followed by the listeners.
    for index in range(0, len(order), 2):
        assert order[index][0] == "direct" and order[index + 1][0] == "pyee"
        assert order[index][1:] == order[index + 1][1:]


async def test_without_callbacks_pyee_listeners_alone_get_the_events() -> None:
    t = transport(True)
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    seen: list[Candidate | None] = []

    def on_candidate(candidate: Candidate | None) -> None:
        seen.append(candidate)
        if candidate is None and not done.done():
            done.set_result(None)

    t.on("icecandidate", on_candidate)
    try:
        await t.gather()
        await asyncio.wait_for(done, TIMEOUT)
    finally:
        await t.close()
    assert seen[-1] is None and len(seen) >= 2


async def test_transport_state_lives_in_slots_and_subclasses_still_take_attributes() -> None:
    t = IceTransport(controlling=True)
    assert set(vars(t)) <= {"_events", "_lock", "_waiting"}  # pyee's own only
    assert t.state == "new" and t.gathering_state == "new"

    class Tagged(IceTransport):
        pass

    tagged = Tagged(controlling=False)
    tagged.label = "mine"  # type: ignore[attr-defined]
    assert tagged.label == "mine"  # type: ignore[attr-defined]
    await t.close()
    await tagged.close()


def test_unseeded_credentials_are_ice_chars_of_the_configured_length_and_unique() -> None:
    agents = [IceAgent(True) for _ in range(50)]
    for agent in agents:
        config = agent.config
        assert len(agent.local_ufrag) == config.ufrag_length
        assert len(agent.local_pwd) == config.pwd_length
        assert _ICE_CHARS.fullmatch(agent.local_ufrag) and _ICE_CHARS.fullmatch(agent.local_pwd)
    assert len({agent.local_pwd for agent in agents}) == len(agents)
    # Over 50 passwords every one of the 64 ice-chars is all but certain to appear.
    assert len(set("".join(agent.local_pwd for agent in agents))) > 56
