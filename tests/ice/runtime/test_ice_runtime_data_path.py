"""The runtime's data path: application data on the selected pair moves
without an event or a Transmit per datagram, yet the agent still counts
every datagram (stats, consent and silence read those counts) and nothing
overtakes what the agent queued before it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.support.ice_runtime import connect, transport

import rtcpeer.ice.agent as agent_module
import rtcpeer.ice.runtime.driver as driver_module
import rtcpeer.ice.send_path as send_path_module
from rtcpeer.ice.events import DataReceived, StateChanged
from rtcpeer.ice.runtime import IceTransport
from rtcpeer.ice.send_path import Transmit
from rtcpeer.ice.states import IceTransportState

TIMEOUT = 10.0
#: Looks like a DTLS application-data record (content type 23): not STUN.
DATA = b"\x17\xfe\xfd" + bytes(97)


@pytest.fixture
async def pair() -> AsyncIterator[tuple[IceTransport, IceTransport]]:
    a, b = transport(True), transport(False)
    try:
        await connect(a, b)
        # Each side's first flight is answered once the peer's data arrives.
        a.send(DATA)
        b.send(DATA)
        assert await asyncio.wait_for(b.receive(), TIMEOUT) == DATA
        assert await asyncio.wait_for(a.receive(), TIMEOUT) == DATA
        yield a, b
    finally:
        await a.close()
        await b.close()


def _selected_path(t: IceTransport) -> tuple[int, tuple[str, int]]:
    selected = t.agent.selected_pair
    assert selected is not None
    return selected.socket_id, selected.remote.address


async def test_selected_pair_data_builds_no_event_or_transmit_and_is_counted(
    pair: tuple[IceTransport, IceTransport], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = pair
    built: list[str] = []

    class CountedDataReceived(DataReceived):
        __slots__ = ()

        def __init__(self, *args: Any) -> None:
            built.append("DataReceived")
            super().__init__(*args)

    class CountedTransmit(Transmit):
        __slots__ = ()

        def __init__(self, *args: Any) -> None:
            built.append("Transmit")
            super().__init__(*args)

    monkeypatch.setattr(agent_module, "DataReceived", CountedDataReceived)
    monkeypatch.setattr(driver_module, "DataReceived", CountedDataReceived)  # its type test
    monkeypatch.setattr(send_path_module, "Transmit", CountedTransmit)
    path_a, path_b = _selected_path(a), _selected_path(b)
    sent_a = a.agent.path_counters[path_a]
    received_b = b.agent.path_counters[path_b]
    before = (sent_a.packets_sent, sent_a.bytes_sent)
    before_b = (received_b.packets_received, received_b.bytes_received)
    heard_before = received_b.last_received
    messages = [DATA + bytes([i]) for i in range(40)]
    for message in messages:
        a.send(message)
    got = [await asyncio.wait_for(b.receive(), TIMEOUT) for _ in messages]
    assert got == messages  # in order, none lost on loopback
    size = sum(map(len, messages))
    assert (sent_a.packets_sent, sent_a.bytes_sent) == (before[0] + 40, before[1] + size)
    assert (received_b.packets_received, received_b.bytes_received) == (
        before_b[0] + 40,
        before_b[1] + size,
    )
    assert received_b.last_received is not None and heard_before is not None
    assert received_b.last_received > heard_before  # refreshes "last received" (silence)
    assert b.agent._data_at[path_b] == received_b.last_received
    assert built == []


async def test_data_does_not_overtake_a_waiting_event(
    pair: tuple[IceTransport, IceTransport],
) -> None:
    """An event the agent queued before a datagram arrived is acted on first."""
    _, b = pair
    socket_id, source = _selected_path(b)
    order: list[str] = []
    b.on("statechange", lambda state: order.append(state))

    def deliver(data: bytes) -> bool:
        order.append("data")
        return True

    b.deliver = deliver
    counters = b.agent.path_counters[(socket_id, source)]
    packets = counters.packets_received
    b.agent._events.append(StateChanged(IceTransportState.DISCONNECTED))
    b._on_datagram(socket_id, source, DATA)
    assert order == ["disconnected", "data"]
    assert counters.packets_received == packets + 1  # counted once
    assert b.agent._events == []


async def test_a_send_does_not_overtake_a_queued_transmit(
    pair: tuple[IceTransport, IceTransport],
) -> None:
    a, b = pair
    socket_id, destination = _selected_path(a)
    a.agent._outbox.append(Transmit(socket_id, destination, b"queued first"))
    a.send(DATA)
    assert await asyncio.wait_for(b.receive(), TIMEOUT) == b"queued first"
    assert await asyncio.wait_for(b.receive(), TIMEOUT) == DATA


def test_agent_fast_paths_refuse_what_they_must_not_take() -> None:
    """Nothing happens (nothing counted) when the fast paths decline."""
    agent = agent_module.IceAgent(True)
    agent.add_socket(1, ("127.0.0.1", 5000), "udp", 1.0)
    assert agent.send_direct(DATA, 1.0) is None  # no selected pair
    assert not agent.receive_data(1, ("127.0.0.1", 6000), DATA, 1.0)  # unknown path
    agent.generation.authenticated_paths.add((1, ("127.0.0.1", 6000)))
    stun = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + bytes(12)
    assert not agent.receive_data(1, ("127.0.0.1", 6000), stun, 1.0)
    agent._events.append(StateChanged(IceTransportState.CHECKING))
    assert not agent.receive_data(1, ("127.0.0.1", 6000), DATA, 1.0)  # an event waits
    assert agent.path_counters == {}
    agent._events.clear()
    assert agent.receive_data(1, ("127.0.0.1", 6000), DATA, 2.0)
    counters = agent.path_counters[(1, ("127.0.0.1", 6000))]
    assert (counters.packets_received, counters.bytes_received) == (1, len(DATA))
    assert counters.last_received == 2.0


async def test_a_burst_is_counted_per_datagram_and_sent_in_order(
    pair: tuple[IceTransport, IceTransport], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``send_burst`` (a DTLS burst) asks the agent once for the whole burst,
    yet every datagram is counted and goes out, in order, on the selected pair."""
    a, b = pair
    asked: list[int] = []
    burst = agent_module.IceAgent.send_direct_burst

    def counted(agent: Any, size: int, count: int, now: float) -> Any:
        asked.append(count)
        return burst(agent, size, count, now)

    monkeypatch.setattr(agent_module.IceAgent, "send_direct_burst", counted)
    path_a = _selected_path(a)
    sent_a = a.agent.path_counters[path_a]
    before = (sent_a.packets_sent, sent_a.bytes_sent)
    messages = [DATA + bytes([i]) * i for i in range(12)]
    a.send_burst(messages)
    got = [await asyncio.wait_for(b.receive(), TIMEOUT) for _ in messages]
    assert got == messages
    assert asked == [12]
    size = sum(map(len, messages))
    assert (sent_a.packets_sent, sent_a.bytes_sent) == (before[0] + 12, before[1] + size)
