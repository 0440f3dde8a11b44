"""SCTP under our data channels acknowledges every second packet, or after 200 ms,
and at once when it has a gap or duplicate to report (RFC 4960 §6.2)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiortc.rtcsctptransport import RTCSctpTransport

from rtcpeer.peerconnection.sctp_ack import SACK_DELAY

from .support import TIMEOUT, Link, open_channels, peer, poll


@pytest.fixture
def sacks_sent(monkeypatch: pytest.MonkeyPatch) -> dict[int, int]:
    """SACKs that actually left each SCTP transport (by id), counted in aiortc."""
    counts: dict[int, int] = {}
    original = RTCSctpTransport._send_sack

    async def counting(self: Any) -> None:
        counts[id(self)] = counts.get(id(self), 0) + 1
        await original(self)

    monkeypatch.setattr(RTCSctpTransport, "_send_sack", counting)
    return counts


async def test_a_steady_stream_gets_a_sack_for_every_second_packet(
    sacks_sent: dict[int, int],
) -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        channel, far = await open_channels(a, b, link)
        got: list[str] = []
        far.on("message", got.append)
        receiver = b._transports.sctp  # type: ignore[union-attr]
        before = sacks_sent.get(id(receiver), 0)
        for index in range(40):
            channel.send(str(index))
            await asyncio.sleep(0.005)
        await poll(lambda: len(got) == 40)
        assert got == [str(index) for index in range(40)]
        sacks = sacks_sent.get(id(receiver), 0) - before
        assert 15 <= sacks <= 25  # aiortc alone sends one per packet: 40
        sender = a._transports.sctp  # type: ignore[union-attr]
        # The last lone packet is acknowledged by the timer: nothing stays in flight.
        await poll(lambda: sender._flight_size == 0, timeout=SACK_DELAY + TIMEOUT)
    finally:
        await a.close()
        await b.close()


async def test_gaps_and_duplicates_are_acknowledged_at_once() -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        await open_channels(a, b, link)
        sctp = b._transports.sctp  # type: ignore[union-attr]
        sctp._packets_unacknowledged = 0
        sctp._sack_misordered.add(12345)
        assert sctp._may_delay_sack() is False
        sctp._sack_misordered.clear()
        sctp._sack_duplicates.append(7)
        assert sctp._may_delay_sack() is False
        sctp._sack_duplicates.clear()
        sctp._packets_unacknowledged = 0
        assert sctp._may_delay_sack() is True  # the first packet waits...
        assert sctp._may_delay_sack() is False  # ...the second is acknowledged
    finally:
        await a.close()
        await b.close()
