"""SCTP under our data channels acknowledges every second packet, or after 200 ms,
and at once when it has a gap or duplicate to report (RFC 4960 §6.2); a
delayed SACK rides on the next DATA chunk (RFC 4960 §6.1/§6.10)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiortc.rtcsctptransport import USERDATA_MAX_LENGTH, DataChunk, RTCSctpTransport, parse_packet
from OpenSSL import SSL
from tests.support.peer_connections import TIMEOUT, Link, open_channels, peer, poll

from rtcpeer.transport.sctp import MAX_BUNDLED_CHUNKS_LENGTH, SACK_DELAY, DelayedSackSctpTransport


@dataclass
class Pair:
    """Two connected peers and the two ends of their data channel."""

    a: Any
    b: Any
    channel: Any
    far: Any


@pytest.fixture
async def pair() -> AsyncIterator[Pair]:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        channel, far = await open_channels(a, b, link)
        yield Pair(a, b, channel, far)
    finally:
        await a.close()
        await b.close()


@pytest.fixture
def sacks_sent(monkeypatch: pytest.MonkeyPatch) -> dict[int, int]:
    """SACKs that actually left each SCTP transport (by id), counted where they
    are built: by aiortc, or in one step when there is no gap or duplicate."""
    counts: dict[int, int] = {}
    original = RTCSctpTransport._send_sack
    plain = DelayedSackSctpTransport._plain_sack

    async def counting(self: Any) -> None:
        counts[id(self)] = counts.get(id(self), 0) + 1
        await original(self)

    def counting_plain(self: Any) -> bytes | None:
        sack = plain(self)
        if sack is not None:
            counts[id(self)] = counts.get(id(self), 0) + 1
        return sack

    monkeypatch.setattr(RTCSctpTransport, "_send_sack", counting)
    monkeypatch.setattr(DelayedSackSctpTransport, "_plain_sack", counting_plain)
    return counts


async def test_a_steady_stream_gets_a_sack_for_every_second_packet(
    sacks_sent: dict[int, int], pair: Pair
) -> None:
    got: list[str] = []
    pair.far.on("message", got.append)
    receiver = pair.b._transports.sctp
    before = sacks_sent.get(id(receiver), 0)
    for index in range(40):
        pair.channel.send(str(index))
        await asyncio.sleep(0.005)
    await poll(lambda: len(got) == 40)
    assert got == [str(index) for index in range(40)]
    sacks = sacks_sent.get(id(receiver), 0) - before
    assert 15 <= sacks <= 25  # aiortc alone sends one per packet: 40
    sender = pair.a._transports.sctp
    # The last lone packet is acknowledged by the timer: nothing stays in flight.
    await poll(lambda: sender._flight_size == 0, timeout=SACK_DELAY + TIMEOUT)


async def test_gaps_and_duplicates_are_acknowledged_at_once(pair: Pair) -> None:
    sctp = pair.b._transports.sctp
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


def _record_packets(pc: Any) -> list[list[str]]:
    """The chunk types of every SCTP packet ``pc`` sends, in order."""
    packets: list[list[str]] = []
    dtls = pc._transports.dtls
    original = dtls.send_burst  # every SCTP packet goes to DTLS through it

    def recording(sent: list[bytes]) -> None:
        for data in sent:
            packets.append([type(chunk).__name__ for chunk in parse_packet(data)[3]])
        original(sent)

    dtls.send_burst = recording
    return packets


async def test_with_data_flowing_both_ways_the_sacks_ride_on_data(pair: Pair) -> None:
    """RFC 4960 §6.1/§6.10: a delayed SACK is bundled before our next DATA chunk."""
    packets = {"a": _record_packets(pair.a), "b": _record_packets(pair.b)}
    got: dict[str, list[str]] = {"a": [], "b": []}
    pair.far.on("message", got["b"].append)
    pair.channel.on("message", got["a"].append)
    for index in range(40):
        pair.channel.send(f"a{index}")
        pair.far.send(f"b{index}")
        await asyncio.sleep(0.005)
    await poll(lambda: len(got["a"]) == len(got["b"]) == 40)
    assert got["b"] == [f"a{index}" for index in range(40)]
    assert got["a"] == [f"b{index}" for index in range(40)]
    for side in ("a", "b"):
        sent = packets[side]
        bundled = sent.count(["SackChunk", "DataChunk"])
        sack_only = sent.count(["SackChunk"])
        data_only = sent.count(["DataChunk"])
        assert bundled >= 30, sent  # each pending SACK left with the next message
        assert sack_only <= 3, sent  # not one SACK packet per two messages (~20)
        assert bundled + data_only == 40
    # Nothing stays unacknowledged once the streams stop.
    for pc in (pair.a, pair.b):
        sctp = pc._transports.sctp

        def flushed(sctp: Any = sctp) -> Any:
            return sctp._flight_size == 0

        await poll(flushed, timeout=SACK_DELAY + TIMEOUT)


async def test_a_sack_too_large_to_share_a_packet_goes_on_its_own(pair: Pair) -> None:
    got: list[bytes] = []
    pair.channel.on("message", got.append)
    packets = _record_packets(pair.b)
    pair.channel.send("x")  # b now owes a delayed SACK
    sctp = pair.b._transports.sctp
    await poll(lambda: sctp._sack_due is not None)
    full = bytes(USERDATA_MAX_LENGTH)  # a full DATA chunk: no room beside it
    assert len(bytes(DataChunk())) + len(full) == MAX_BUNDLED_CHUNKS_LENGTH
    pair.far.send(full)
    await poll(lambda: len(got) == 1)
    assert got == [full]
    assert packets[:2] == [["SackChunk"], ["DataChunk"]]


async def test_close_cancels_a_pending_delayed_sack(sacks_sent: dict[int, int], pair: Pair) -> None:
    """A SACK delayed when the association closes is never sent, and the SACK
    clock keeps nothing of the closed association until its step."""
    pair.channel.send("x")  # b now owes a delayed SACK
    sctp = pair.b._transports.sctp
    await poll(lambda: sctp._sack_due is not None)
    step, clock = sctp._sack_step, sctp._sack_clock
    assert step is not None and clock is not None
    assert sctp in clock._steps[step]
    before = sacks_sent.get(id(sctp), 0)
    await pair.b.close()
    assert sctp._sack_due is None and sctp._sack_step is None
    assert sctp not in clock._steps.get(step, {}), "the clock keeps the closed association"
    sctp._sack_delay_over()  # (were it to run anyway)
    assert sctp._sack_task is None
    assert sacks_sent.get(id(sctp), 0) == before


async def test_a_backlog_of_small_messages_goes_out_packed(pair: Pair) -> None:
    """RFC 9260 §6.10: what one flush or retransmission releases shares packets,
    each no larger than aiortc's largest, control chunks before DATA, and every
    message arrives in order. aiortc alone sends one packet per message (300)."""
    sizes: list[int] = []
    kinds: list[list[str]] = []
    dtls = pair.a._transports.dtls
    original = dtls.send_burst  # every SCTP packet goes to DTLS through it

    def recording(sent: list[bytes]) -> None:
        for data in sent:
            sizes.append(len(data))
            kinds.append([type(chunk).__name__ for chunk in parse_packet(data)[3]])
        original(sent)

    dtls.send_burst = recording
    got: list[bytes] = []
    pair.far.on("message", got.append)
    messages = [index.to_bytes(4, "big") + bytes(96) for index in range(300)]
    for message in messages:  # faster than the window lets them out: a backlog
        pair.channel.send(message)
    await poll(lambda: len(got) == len(messages))
    assert got == messages
    with_data = [k for k in kinds if "DataChunk" in k]
    assert sum(k.count("DataChunk") for k in with_data) == len(messages)  # none resent
    assert len(with_data) <= 150, [len(k) for k in with_data]  # 86 seen
    assert max(sizes) <= 12 + MAX_BUNDLED_CHUNKS_LENGTH
    for packet in kinds:
        first_data = packet.index("DataChunk") if "DataChunk" in packet else len(packet)
        assert all(kind == "DataChunk" for kind in packet[first_data:]), packet


async def test_a_delayed_sack_due_while_dtls_shuts_down_raises_nothing(pair: Pair) -> None:
    """A delayed SACK whose timer fires while DTLS is shutting down (pyOpenSSL
    raises ``protocol is shutdown``) is dropped quietly: no task exception left
    for asyncio to log ("Task exception was never retrieved")."""
    sctp = pair.b._transports.sctp
    dtls = pair.b._transports.dtls

    def shut_down(packets: list[bytes]) -> None:
        raise SSL.Error([("SSL routines", "", "protocol is shutdown")])

    got: list[str] = []
    pair.far.on("message", got.append)
    for sent in range(1, 3):  # every second packet is acknowledged at once: the other waits
        pair.channel.send("x")
        await poll(lambda: len(got) == sent)  # noqa: B023 (awaited before the loop goes on)
        if sctp._sack_due is not None:
            break
    assert sctp._sack_due is not None  # b owes a delayed SACK
    dtls.send_burst = shut_down
    await poll(lambda: sctp._sack_task is not None and sctp._sack_task.done())
    assert sctp._sack_task.exception() is None


async def test_a_resumption_running_while_dtls_shuts_down_raises_nothing(pair: Pair) -> None:
    """The retransmission a new path starts (``resume_on_new_path``), running
    once DTLS is shutting down (pyOpenSSL raises ``protocol is shutdown``),
    ends quietly: no task exception left for asyncio to log."""
    sctp = pair.a._transports.sctp
    dtls = pair.a._transports.dtls

    def shut_down(packets: list[bytes]) -> None:
        raise SSL.Error([("SSL routines", "", "protocol is shutdown")])

    pair.channel.send("x")  # outstanding until b's delayed SACK
    assert sctp._sent_queue, "nothing outstanding: the test would prove nothing"
    dtls.send_burst = shut_down
    assert sctp.resume_on_new_path()
    task = sctp._resume_task
    assert task is not None
    await asyncio.wait_for(asyncio.wait([task]), TIMEOUT)
    assert task.exception() is None
