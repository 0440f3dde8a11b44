"""Two IceTransports on loopback: host candidates, checks and data both ways."""

from __future__ import annotations

import asyncio

import pytest
from tests.support.ice_runtime import (
    TIMEOUT,
    connect,
    exchange_credentials,
    transport,
    wait_for_event,
    wait_until,
    wire,
)

from rtcpeer.ice import Candidate
from rtcpeer.ice.runtime import host_addresses


async def test_two_transports_connect_and_exchange_datagrams_both_ways() -> None:
    a, b = transport(True), transport(False)
    states: list[str] = []
    a.on("statechange", states.append)
    try:
        await connect(a, b)
        assert a.selected_pair is not None and b.selected_pair is not None
        assert a.selected_pair[0].address == b.selected_pair[1].address
        assert a.selected_pair[0].host == "127.0.0.1"
        assert states[0] == "checking" and "connected" in states
        for index in range(20):
            a.send(b"a->b %d" % index)
            b.send(b"b->a %d" % index)
        got_b = [await asyncio.wait_for(b.receive(), TIMEOUT) for _ in range(20)]
        got_a = [await asyncio.wait_for(a.receive(), TIMEOUT) for _ in range(20)]
        assert got_b == [b"a->b %d" % i for i in range(20)]
        assert got_a == [b"b->a %d" % i for i in range(20)]
        assert a.role == "controlling" and b.role == "controlled"
    finally:
        await a.close()
        await b.close()
    assert a.state == "closed"
    assert not a.sockets and not b.sockets


async def test_gathering_emits_host_candidates_then_end_of_candidates() -> None:
    t = transport(True)
    seen: list[Candidate | None] = []
    t.on("icecandidate", seen.append)
    states: list[str] = []
    t.on("gatheringstatechange", states.append)
    try:
        done = asyncio.ensure_future(wait_for_event(t, "icecandidate", lambda c: c is None))
        await t.gather()
        await done
        assert states == ["gathering", "complete"]
        assert t.gathering_state == "complete"
        assert seen[-1] is None
        hosts = [c for c in seen if c is not None]
        assert [(c.type, c.host, c.transport) for c in hosts] == [("host", "127.0.0.1", "udp")]
        assert hosts[0].ufrag == t.local_ufrag
        assert t.local_candidates == hosts
    finally:
        await t.close()


async def test_send_without_a_selected_pair_is_dropped_and_receive_fails_only_on_close() -> None:
    t = transport(True)
    await t.gather()
    t.send(b"nowhere")  # no pair: held for a moment, no exception
    reader = asyncio.ensure_future(t.receive())
    await asyncio.sleep(0)
    assert not reader.done()
    await t.close()
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(reader, TIMEOUT)
    with pytest.raises(ConnectionError):
        await t.receive()
    # Never silently: the datagram that could not go out is in the stats.
    entry = next(s for s in t.get_stats() if s["type"] == "transport")
    assert (entry["packetsDiscardedOnSend"], entry["bytesDiscardedOnSend"]) == (1, 7)


async def test_a_datagram_sent_before_any_pair_works_arrives_once_one_does() -> None:
    """A first DTLS flight sent before ICE has a valid pair is not lost."""
    a, b = transport(True), transport(False)
    try:
        wire(a, b)
        await asyncio.gather(a.gather(), b.gather())
        a.send(b"first flight")  # no remote credentials yet: nothing can be valid
        assert a.agent.holding
        exchange_credentials(a, b)
        assert await asyncio.wait_for(b.receive(), TIMEOUT) == b"first flight"
        assert a.agent.send_counters.held_then_sent == 1
        entry = next(s for s in a.get_stats() if s["type"] == "transport")
        assert entry["packetsDiscardedOnSend"] == 0
    finally:
        await a.close()
        await b.close()


async def test_stats_describe_the_selected_pair_and_count_application_bytes() -> None:
    a, b = transport(True), transport(False)
    try:
        await connect(a, b)
        a.send(b"x" * 100)
        assert await asyncio.wait_for(b.receive(), TIMEOUT) == b"x" * 100
        stats = a.get_stats()
        by_type: dict[str, list[dict[str, object]]] = {}
        for entry in stats:
            by_type.setdefault(str(entry["type"]), []).append(entry)
        (tr,) = by_type["transport"]
        assert tr["iceState"] in ("connected", "completed")
        assert tr["selectedCandidatePairChanges"] == 1
        selected = [p for p in by_type["candidate-pair"] if p["selected"]]
        assert len(selected) == 1 and selected[0]["id"] == tr["selectedCandidatePairId"]
        assert selected[0]["state"] == "succeeded" and selected[0]["nominated"] is True
        assert selected[0]["bytesSent"] == 100
        assert isinstance(selected[0].get("currentRoundTripTime"), float)
        assert 0 <= float(selected[0]["currentRoundTripTime"]) < 1.0  # type: ignore[arg-type]
        local = {c["id"]: c for c in by_type["local-candidate"]}
        assert local[selected[0]["localCandidateId"]]["candidateType"] == "host"
        assert local[selected[0]["localCandidateId"]]["address"] == "127.0.0.1"
        remote_stats = b.get_stats()
        rpair = [p for p in remote_stats if p["type"] == "candidate-pair" and p["selected"]]
        assert rpair[0]["bytesReceived"] == 100
    finally:
        await a.close()
        await b.close()


async def test_ipv6_loopback_connects() -> None:
    a, b = transport(True, addresses=("::1",)), transport(False, addresses=("::1",))
    try:
        await connect(a, b)
        assert a.selected_pair is not None and a.selected_pair[0].host == "::1"
        a.send(b"six")
        assert await asyncio.wait_for(b.receive(), TIMEOUT) == b"six"
    finally:
        await a.close()
        await b.close()


async def test_mdns_candidates_are_resolved_before_the_agent_sees_them() -> None:
    names: dict[str, str] = {}

    async def fake_mdns(name: str) -> str | None:
        await asyncio.sleep(0.05)  # slower than the end-of-candidates that follows
        return names.get(name)

    a = transport(True)
    b = transport(False, mdns_resolver=fake_mdns)
    try:
        exchange_credentials(a, b)
        b.on("icecandidate", lambda c: a.add_remote_candidate(c))

        def hide(candidate: Candidate | None) -> None:
            if candidate is None:
                b.add_remote_candidate(None)
                return
            name = f"{len(names)}-0f1e2d3c.local"
            names[name] = candidate.host
            b.add_remote_candidate(candidate.with_address(name, candidate.port))

        a.on("icecandidate", hide)
        selected = asyncio.ensure_future(wait_for_event(b, "selectedcandidatepairchange"))
        await asyncio.gather(a.gather(), b.gather())
        _, remote = (await selected)[0]
        assert remote.host == "127.0.0.1"
        assert all(not c.is_mdns for c in b.agent.generation.remote)
        # end-of-candidates waited for the slower resolution instead of overtaking it
        await wait_until(lambda: b.agent.generation.remote_end_of_candidates)
        assert any(c.host == "127.0.0.1" and c.type == "host" for c in b.agent.generation.remote)
    finally:
        await a.close()
        await b.close()


def test_host_addresses_leave_out_loopback_unless_asked() -> None:
    plain = host_addresses()
    with_loopback = host_addresses(include_loopback=True)
    assert "127.0.0.1" not in plain and "::1" not in plain
    assert "127.0.0.1" in with_loopback
    assert set(plain) <= set(with_loopback)
    assert not any(a.startswith("fe80") for a in plain)
    assert host_addresses(include_loopback=True, ipv6=False) == [
        a for a in with_loopback if ":" not in a
    ]


async def test_a_restart_keeps_data_flowing_and_selects_a_new_generation_pair() -> None:
    a, b = transport(True), transport(False)
    try:
        await connect(a, b)
        old = a.local_ufrag
        changed = [
            asyncio.ensure_future(
                wait_for_event(
                    t, "selectedcandidatepairchange", lambda p, t=t: p[0].ufrag == t.local_ufrag
                )
            )
            for t in (a, b)
        ]
        a.restart()
        assert a.local_ufrag != old
        b.set_remote_parameters(a.local_ufrag, a.local_pwd)  # b restarts too (new remote creds)
        a.set_remote_parameters(b.local_ufrag, b.local_pwd)
        a.send(b"during")
        assert await asyncio.wait_for(b.receive(), TIMEOUT) == b"during"
        await asyncio.wait_for(asyncio.gather(*changed), TIMEOUT)
        a.send(b"after")
        assert await asyncio.wait_for(b.receive(), TIMEOUT) == b"after"
    finally:
        await a.close()
        await b.close()
