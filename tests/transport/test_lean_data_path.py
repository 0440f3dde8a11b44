"""The per-packet data path over aiortc's real DTLS and SCTP, made leaner.

- What one transmit or flush releases reaches the ICE transport as one burst
  (``send_burst``), each packet still a DTLS record in a datagram of its own.
- An arriving record is decrypted and handed to SCTP without aiortc's
  receive coroutine (``_recv_next``).
- A transmit does not walk the sent queue for chunks to retransmit unless
  one may be marked (a SACK with gaps, a T3 expiry); lost chunks are still
  retransmitted, fast and on T3.
- The next TSN in order is recorded in one step.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from aiortc import RTCDataChannel, RTCDataChannelParameters
from tests.support.waiting import TIMEOUT, opened

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import CountingSctpTransport, create_dtls_transport, local_dtls_parameters

#: A datagram this long carries a full DATA chunk (1,200 bytes of user data).
FULL_PACKET = 1200


class BurstMemory:
    """An in-memory ICE transport stand-in with IceTransport's hand-off
    (``deliver``) and burst send (``send_burst``); datagrams travel one loop
    turn. ``drop`` decides, per arriving datagram, whether the path loses it."""

    def __init__(self, role: str) -> None:
        self._role = role
        self._inbox: list[bytes] = []
        self._readers: list[asyncio.Future[None]] = []
        self.deliver: Any = None
        self.peer: BurstMemory | None = None
        self.bursts: list[int] = []
        self.singles = 0
        self.arrived = 0
        self.drop: Callable[[bytes], bool] = lambda data: False

    @property
    def role(self) -> str:
        return self._role

    async def receive(self) -> bytes:
        while not self._inbox:
            waiter = asyncio.get_running_loop().create_future()
            self._readers.append(waiter)
            await waiter
        return self._inbox.pop(0)

    def send(self, data: bytes) -> None:
        self.singles += 1
        self._travel(data)

    def send_burst(self, datagrams: list[bytes]) -> None:
        self.bursts.append(len(datagrams))
        for data in datagrams:
            self._travel(data)

    def _travel(self, data: bytes) -> None:
        assert self.peer is not None
        asyncio.get_running_loop().call_soon(self.peer._put, data)

    def _put(self, data: bytes) -> None:
        self.arrived += 1
        if self.drop(data):
            return
        if self.deliver is not None and not self._inbox and self.deliver(data):
            return
        self._inbox.append(data)
        readers, self._readers = self._readers, []
        for waiter in readers:
            if not waiter.done():
                waiter.set_result(None)


class Session:
    """Two connected CountingSctpTransports over BurstMemory, a channel open."""

    def __init__(self) -> None:
        self.left, self.right = BurstMemory("controlling"), BurstMemory("controlled")
        self.left.peer, self.right.peer = self.right, self.left
        self.dtls: list[Any] = []
        self.sctp: list[CountingSctpTransport] = []
        self.channel: RTCDataChannel | None = None
        self.remote: RTCDataChannel | None = None

    async def open(self, certificates: tuple[RTCCertificate, RTCCertificate]) -> None:
        self.dtls = [
            create_dtls_transport(self.left, certificates[0], dtls_role="client"),
            create_dtls_transport(self.right, certificates[1], dtls_role="server"),
        ]
        await asyncio.wait_for(
            asyncio.gather(
                self.dtls[0].start(local_dtls_parameters(certificates[1])),
                self.dtls[1].start(local_dtls_parameters(certificates[0])),
            ),
            TIMEOUT,
        )
        self.sctp = [CountingSctpTransport(self.dtls[0]), CountingSctpTransport(self.dtls[1])]
        incoming: asyncio.Queue[RTCDataChannel] = asyncio.Queue()
        self.sctp[1].on("datachannel", incoming.put_nowait)
        await self.sctp[0].start(self.sctp[1].getCapabilities(), self.sctp[1].port)
        await self.sctp[1].start(self.sctp[0].getCapabilities(), self.sctp[0].port)
        self.channel = RTCDataChannel(self.sctp[0], RTCDataChannelParameters(label="lean"))
        await opened(self.channel)
        self.remote = await asyncio.wait_for(incoming.get(), TIMEOUT)

    async def close(self) -> None:
        for sctp in self.sctp:
            await sctp.stop()
        for dtls in self.dtls:
            await dtls.stop()

    async def exchange(self, messages: list[bytes]) -> list[bytes]:
        """Send ``messages`` at once on the channel; what the far end received."""
        assert self.channel is not None and self.remote is not None
        got: list[bytes] = []
        done = asyncio.get_running_loop().create_future()

        def on_message(message: bytes) -> None:
            got.append(message)
            if len(got) == len(messages) and not done.done():
                done.set_result(None)

        self.remote.on("message", on_message)
        for message in messages:
            self.channel.send(message)
        await asyncio.wait_for(done, TIMEOUT)
        self.remote.remove_listener("message", on_message)
        return got


@pytest.fixture(scope="module")
def certificates() -> tuple[RTCCertificate, RTCCertificate]:
    return RTCCertificate.generate("ECDSA"), RTCCertificate.generate("ECDSA")


@pytest.fixture
async def session(certificates: tuple[RTCCertificate, RTCCertificate]) -> AsyncIterator[Session]:
    opened_session = Session()
    await opened_session.open(certificates)
    try:
        yield opened_session
    finally:
        await opened_session.close()


def _messages(count: int, size: int) -> list[bytes]:
    return [bytes([index % 251]) * size for index in range(count)]


async def test_a_flush_reaches_ice_as_one_burst_of_one_record_per_packet(
    session: Session,
) -> None:
    singles_before = session.left.singles
    session.left.bursts.clear()
    messages = _messages(3, 3000)  # 3 packets each: 9 packets, cwnd lets them all go
    got = await session.exchange(messages)
    assert got == messages
    assert session.left.singles == singles_before, "a packet left outside a burst"
    assert session.left.bursts[0] >= 3, session.left.bursts
    assert sum(session.left.bursts) >= 9
    assert session.sctp[0].counters_for(session.channel).messages_sent == 3


async def test_records_reach_sctp_without_aiortcs_receive_coroutine(
    session: Session,
) -> None:
    calls = 0
    original = session.dtls[1]._recv_next

    def counted() -> Any:
        nonlocal calls
        calls += 1
        return original()

    session.dtls[1]._recv_next = counted  # instance attribute: aiortc's task and the adapter
    received_before = session.dtls[1]._get_stats()
    messages = _messages(20, 100)
    assert await session.exchange(messages) == messages
    assert calls == 0, "a record went through _recv_next"
    stats = session.dtls[1]._get_stats()
    (before,) = [s for s in received_before.values() if s.type == "transport"]
    (after,) = [s for s in stats.values() if s.type == "transport"]
    assert after.packetsReceived - before.packetsReceived >= 20  # aiortc's counters still kept
    assert after.bytesSent > before.bytesSent


class CountingDeque(deque[Any]):
    """A sent queue that counts walks over it."""

    walks = 0

    def __iter__(self) -> Iterator[Any]:
        CountingDeque.walks += 1
        return super().__iter__()


async def test_a_transmit_does_not_walk_the_sent_queue_when_nothing_is_marked(
    session: Session,
) -> None:
    sender = session.sctp[0]
    CountingDeque.walks = 0
    sender._sent_queue = CountingDeque(sender._sent_queue)
    messages = _messages(40, 5000)  # ~170 packets, many transmits as SACKs come back
    assert await session.exchange(messages) == messages
    assert isinstance(sender._sent_queue, CountingDeque), "the sent queue was replaced"
    assert CountingDeque.walks == 0


async def test_a_lost_packet_is_still_fast_retransmitted(session: Session) -> None:
    full_packets = 0
    lost: list[bytes] = []

    def lose_the_third_full_packet(data: bytes) -> bool:
        nonlocal full_packets
        if len(data) < FULL_PACKET:
            return False
        full_packets += 1
        if full_packets == 3:
            lost.append(data)
            return True
        return False

    session.right.drop = lose_the_third_full_packet
    started = asyncio.get_running_loop().time()
    messages = _messages(30, 2500)
    assert await session.exchange(messages) == messages
    assert lost, "nothing was lost: the test proved nothing"
    # Fast retransmit (gap reports), not the T3 timer (aiortc's RTO is >= 1 s).
    assert asyncio.get_running_loop().time() - started < 0.9
    assert session.sctp[1]._sack_misordered == set()


async def test_a_lost_last_packet_is_retransmitted_on_t3(session: Session) -> None:
    dropped = 0

    def lose_the_first_full_packet(data: bytes) -> bool:
        nonlocal dropped
        if len(data) >= FULL_PACKET and dropped == 0:
            dropped += 1
            return True
        return False

    session.right.drop = lose_the_first_full_packet
    messages = _messages(1, 1500)  # two packets; the first is lost, no later data
    assert await session.exchange(messages) == messages
    assert dropped == 1


async def test_the_next_tsn_in_order_is_recorded_without_rebuilding_the_gap_sets(
    session: Session,
) -> None:
    receiver = session.sctp[1]
    misordered, duplicates = receiver._sack_misordered, receiver._sack_duplicates
    last = receiver._last_received_tsn
    assert last is not None
    messages = _messages(10, 100)
    assert await session.exchange(messages) == messages
    assert receiver._last_received_tsn == (last + 10) % (1 << 32)
    assert receiver._sack_misordered is misordered and not misordered
    assert receiver._sack_duplicates is duplicates and not duplicates


async def test_a_steady_stream_does_not_arm_a_sack_timer_per_two_packets(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every second packet is acknowledged at once; the delayed-SACK timer of
    the packet before it is not cancelled and re-armed each time."""
    receiver = session.sctp[1]
    loop = asyncio.get_running_loop()
    armed = 0
    call_at, call_later = loop.call_at, loop.call_later

    def counting_call_at(when: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal armed
        armed += callback == receiver._sack_delay_over
        return call_at(when, callback, *args, **kwargs)

    def counting_call_later(delay: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal armed
        armed += callback == receiver._sack_delay_over
        return call_later(delay, callback, *args, **kwargs)

    monkeypatch.setattr(loop, "call_at", counting_call_at)
    monkeypatch.setattr(loop, "call_later", counting_call_later)
    for _ in range(20):  # one message (one packet) at a time: each other one is delayed
        assert await session.exchange([b"m"]) == [b"m"]
    assert armed <= 2, armed


async def test_a_sack_with_nothing_to_send_runs_no_flush_or_transmit(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiortc flushes the data-channel queue and transmits after every SACK;
    with nothing queued and nothing to retransmit neither of its coroutines runs."""
    from aiortc import RTCSctpTransport

    calls = {"flush": 0, "transmit": 0}
    flush, transmit = RTCSctpTransport._data_channel_flush, RTCSctpTransport._transmit

    async def counting_flush(self: Any) -> None:
        calls["flush"] += 1
        await flush(self)

    async def counting_transmit(self: Any) -> None:
        calls["transmit"] += 1
        await transmit(self)

    monkeypatch.setattr(RTCSctpTransport, "_data_channel_flush", counting_flush)
    monkeypatch.setattr(RTCSctpTransport, "_transmit", counting_transmit)
    sacks = 0
    receive_sack = RTCSctpTransport._receive_sack_chunk

    async def counting_sack(self: Any, chunk: Any) -> None:
        nonlocal sacks
        sacks += self is session.sctp[0]
        await receive_sack(self, chunk)

    monkeypatch.setattr(RTCSctpTransport, "_receive_sack_chunk", counting_sack)
    for _ in range(10):  # a message at a time: each SACK finds nothing more to send
        assert await session.exchange([b"m"]) == [b"m"]
    assert sacks >= 5, "too few SACKs: the test proved nothing"
    assert calls == {"flush": 10, "transmit": 10}, calls  # the sends' own


async def test_a_whole_message_in_order_skips_the_reassembly_scan(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Single-chunk messages in order are delivered without aiortc's
    reassembly queue and scan, in order, the stream's sequence number kept."""
    from aiortc.rtcsctptransport import InboundStream

    scans = 0
    pop_messages = InboundStream.pop_messages

    def counting(self: Any) -> Any:
        nonlocal scans
        scans += 1
        return pop_messages(self)

    monkeypatch.setattr(InboundStream, "pop_messages", counting)
    receiver = session.sctp[1]
    messages = _messages(10, 100)
    assert await session.exchange(messages) == messages
    assert scans == 0
    assert session.channel is not None
    stream_id = session.channel.id
    assert stream_id is not None
    stream = receiver._inbound_streams[stream_id]
    assert not stream.reassembly
    multi = _messages(2, 3000)  # three chunks each: aiortc's way
    assert await session.exchange(multi) == multi
    assert scans > 0
    assert await session.exchange(messages) == messages  # the sequence number is right


async def test_the_t3_timer_is_not_armed_per_message(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message at a time: T3 starts with each and stops at its SACK (RFC
    9260 §6.3.2), but the sender arms no event-loop timer per message (aiortc
    arms one and cancels it each time): one stays armed and re-arms itself
    for the latest deadline."""
    sender = session.sctp[0]
    loop = asyncio.get_running_loop()
    armed = 0
    call_at, call_later = loop.call_at, loop.call_later
    t3_callbacks = (sender._t3_fired, sender._t3_expired)

    def counting_call_at(when: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal armed
        armed += callback in t3_callbacks
        return call_at(when, callback, *args, **kwargs)

    def counting_call_later(delay: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal armed
        armed += callback in t3_callbacks
        return call_later(delay, callback, *args, **kwargs)

    monkeypatch.setattr(loop, "call_at", counting_call_at)
    monkeypatch.setattr(loop, "call_later", counting_call_later)
    started = 0
    start = sender._t3_start

    def counting_start() -> None:
        nonlocal started
        started += 1
        start()

    monkeypatch.setattr(sender, "_t3_start", counting_start)
    for _ in range(20):
        assert await session.exchange([b"m"]) == [b"m"]
    assert started >= 10, "T3 was not started per message: the test proved nothing"
    assert armed <= 2, armed


async def test_the_t3_timer_expires_at_the_latest_deadline(session: Session) -> None:
    """The armed T3 timer firing before a restarted deadline re-arms for it;
    cancelled, it does nothing; at the deadline, T3 expires."""
    sender = session.sctp[0]
    loop = asyncio.get_running_loop()
    expired: list[float] = []
    sender._t3_expired = lambda: expired.append(loop.time())  # type: ignore[method-assign]
    sender._t3_start()
    first = sender._t3_timer
    assert first is not None and sender._t3_handle is first
    sender._t3_deadline = loop.time() + 5.0  # restarted later
    sender._t3_fired()  # the first timer fires
    assert not expired
    assert sender._t3_timer is not None and sender._t3_timer.when() == sender._t3_deadline
    assert sender._t3_handle is sender._t3_timer
    sender._t3_cancel()
    assert sender._t3_handle is None
    sender._t3_timer.cancel()
    sender._t3_fired()  # fires after the cancel
    assert not expired and sender._t3_timer is None
    sender._t3_deadline = loop.time() - 0.001
    sender._t3_fired()
    assert len(expired) == 1


async def test_the_sack_timer_waits_for_the_latest_deadline(session: Session) -> None:
    receiver = session.sctp[1]
    loop = asyncio.get_running_loop()
    receiver._sack_needed = True
    receiver._sack_task = None
    receiver._sack_due = loop.time() + 5.0  # a later packet's delay
    receiver._sack_delay_over()  # the earlier packet's timer fires
    assert receiver._sack_task is None, "a SACK went out before it was due"
    timer = receiver._sack_timer
    assert timer is not None and timer.when() == receiver._sack_due
    timer.cancel()
    receiver._sack_timer = None
    receiver._sack_due = loop.time() - 0.001  # now due
    receiver._sack_delay_over()
    assert receiver._sack_task is not None
    await asyncio.wait_for(receiver._sack_task, TIMEOUT)
    assert receiver._sack_due is None


async def test_data_and_sack_packets_skip_aiortcs_chunk_dispatch(session: Session) -> None:
    dispatched = 0
    for sctp in session.sctp:
        original = sctp._receive_chunk

        async def counted(chunk: Any, original: Any = original) -> None:
            nonlocal dispatched
            dispatched += 1
            await original(chunk)

        sctp._receive_chunk = counted  # type: ignore[method-assign]
    messages = _messages(20, 3000)
    assert await session.exchange(messages) == messages
    assert dispatched == 0


async def test_reassembly_is_scanned_once_per_message_not_per_fragment(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiortc.rtcsctptransport import InboundStream

    scans = 0
    original = InboundStream.pop_messages

    def counted(stream: Any) -> Any:
        nonlocal scans
        scans += 1
        return original(stream)

    monkeypatch.setattr(InboundStream, "pop_messages", counted)
    messages = _messages(10, 5000)  # 5 fragments each
    assert await session.exchange(messages) == messages
    assert scans == 10, scans


async def test_fragments_arriving_out_of_order_are_still_reassembled(session: Session) -> None:
    """A fragment held back (and delivered after later ones) takes aiortc's full path."""
    held: list[bytes] = []
    full_packets = 0

    def hold_the_second_full_packet(data: bytes) -> bool:
        nonlocal full_packets
        if len(data) < FULL_PACKET:
            return False
        full_packets += 1
        if full_packets == 2:
            held.append(data)
            return True
        if full_packets == 4:  # later fragments are in: let the held one arrive now
            session.right._put(held[0])
        return False

    session.right.drop = hold_the_second_full_packet
    messages = _messages(2, 4000)  # 4 fragments each
    assert await session.exchange(messages) == messages
    assert held


class _Watched:
    """Wraps an OpenSSL connection, counting ``bio_read`` calls."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self.reads = 0

    def bio_read(self, size: int) -> bytes:
        self.reads += 1
        return bytes(self._connection.bio_read(size))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


async def test_a_single_application_record_does_not_look_for_output_to_send(
    session: Session,
) -> None:
    receiver = session.dtls[1]
    watched = _Watched(receiver._ssl)
    receiver._ssl = watched
    try:
        sent_before = sum(session.right.bursts)
        messages = _messages(10, 100)  # one packet, one record each; SACKs go back
        assert await session.exchange(messages) == messages
        sent_back = sum(session.right.bursts) - sent_before  # SACKs: one read each
        assert sent_back > 0
        assert watched.reads == sent_back, (watched.reads, sent_back)
        # Two records in one datagram: OpenSSL's output is looked for after it.
        before = watched.reads
        record = bytes([23, 0xFE, 0xFD]) + bytes(8) + (3).to_bytes(2, "big") + b"abc"
        session.right._put(record + record)
        assert watched.reads == before + 1
    finally:
        receiver._ssl = watched._connection
