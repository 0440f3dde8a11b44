"""The per-packet data path over aiortc's real DTLS and SCTP, made leaner.

- What one transmit or flush releases reaches the ICE transport as one burst
  (``send_burst``), each packet still a DTLS record in a datagram of its own.
- An arriving record is decrypted and handed to SCTP without aiortc's
  receive coroutine (``_recv_next``).
- A transmit does not walk the sent queue for chunks to retransmit unless
  one may be marked (a SACK with gaps, a T3 expiry); lost chunks are still
  retransmitted, fast and on T3.
- The next TSN in order is recorded in one step; a fragment that ends no
  message is queued without a coroutine.
- A SACK with nothing to report but the cumulative TSN is written in one
  step (the same bytes as aiortc's); with nothing abandoned, a SACK moves
  the Advanced.Peer.Ack.Point in one step, and a lost message of a channel
  without retransmissions is still skipped with a FORWARD TSN.
- Delayed SACKs of every association wait on one clock per event loop (a
  loop timer per 20 ms step, not per association and message).
- An idle association holds shared empty placeholders for aiortc's send
  queues and stream-reset sets, and gets real ones back before aiortc adds
  to one (a DCEP OPEN received, a message sent, a stream reset).
- A data channel event nobody listens to skips pyee.
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiortc import RTCDataChannel, RTCDataChannelParameters
from aiortc.utils import uint32_gt
from tests.support.memory_ice import BurstMemory, linked
from tests.support.waiting import TIMEOUT, opened

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import CountingSctpTransport, create_dtls_transport, local_dtls_parameters
from rtcpeer.transport.sctp import SACK_DELAY, SACK_GRAIN, SackClock

#: A datagram this long carries a full DATA chunk (1,200 bytes of user data).
FULL_PACKET = 1200


class Session:
    """Two connected CountingSctpTransports over BurstMemory, a channel open."""

    def __init__(self) -> None:
        self.left, self.right = linked(BurstMemory)
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


async def test_a_reliable_stream_keeps_its_forward_tsn_table(session: Session) -> None:
    """With nothing abandoned, a SACK only moves the Advanced.Peer.Ack.Point
    to the cumulative TSN acknowledged: aiortc's FORWARD TSN stream table is
    not rebuilt (a new empty dict per SACK) and no FORWARD TSN is due."""
    sender = session.sctp[0]
    table = sender._forward_tsn_streams
    messages = _messages(20, 2500)
    assert await session.exchange(messages) == messages
    assert sender._forward_tsn_streams is table and not table
    assert sender._advanced_peer_ack_tsn == sender._last_sacked_tsn
    assert sender._forward_tsn_chunk is None


async def test_an_abandoned_message_is_still_skipped_by_a_forward_tsn(session: Session) -> None:
    """RFC 3758 on a channel of no retransmissions: a lost message is given
    up, the receiver is told with a FORWARD TSN, and every later message of
    the channel arrives, in order."""
    sender, receiver = session.sctp
    incoming: asyncio.Queue[RTCDataChannel] = asyncio.Queue()
    receiver.on("datachannel", incoming.put_nowait)
    lossy = RTCDataChannel(sender, RTCDataChannelParameters(label="lossy", maxRetransmits=0))
    far = await asyncio.wait_for(incoming.get(), TIMEOUT)
    await opened(lossy)
    lost: list[bytes] = []

    def lose_the_first_message(data: bytes) -> bool:  # (the first datagram from now on)
        if not lost:
            lost.append(data)
            return True
        return False

    session.right.drop = lose_the_first_message
    got: list[bytes] = []
    done = asyncio.get_running_loop().create_future()

    def on_message(message: bytes) -> None:
        got.append(message)
        if len(got) == 10 and not done.done():
            done.set_result(None)

    far.on("message", on_message)
    lossy.send(b"lost" * 100)
    later = [bytes([index]) * 400 for index in range(10)]
    for message in later:
        lossy.send(message)
    await asyncio.wait_for(done, TIMEOUT)
    assert lost, "nothing was lost: the test proved nothing"
    assert got == later
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    received = receiver._last_received_tsn
    assert received is not None
    while sender._sent_queue or uint32_gt(sender._advanced_peer_ack_tsn, received):
        assert asyncio.get_running_loop().time() < deadline, "the FORWARD TSN never took"
        await asyncio.sleep(0.01)
    assert sender._advanced_peer_ack_tsn == sender._last_sacked_tsn


async def test_a_sack_with_nothing_to_report_is_written_in_one_step(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SACK with no gap and no duplicate is not built through aiortc's
    SackChunk (a sorted gap set and list copies each), and its bytes are
    exactly those aiortc builds for the same state."""
    from aiortc.rtcsctptransport import RTCSctpTransport, SackChunk

    built = 0
    init = SackChunk.__init__

    def counting(self: Any, flags: int = 0, body: bytes | None = None) -> None:
        nonlocal built
        built += body is None  # (parsing a received one passes its body)
        init(self, flags, body)

    monkeypatch.setattr(SackChunk, "__init__", counting)
    messages = _messages(20, 2500)
    assert await session.exchange(messages) == messages
    assert built == 0, built
    receiver = session.sctp[1]
    assert not receiver._sack_misordered and not receiver._sack_duplicates
    receiver._advertised_rwnd -= 5000  # (some data waiting for the application)
    ours = receiver._plain_sack()
    assert ours is not None and not receiver._sack_needed
    receiver._collecting = []
    await RTCSctpTransport._send_sack(receiver)
    (theirs,) = receiver._collecting
    receiver._collecting = None
    assert built == 1
    assert ours == bytes(theirs)


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
    """Every second packet is acknowledged at once; the delayed-SACK wait of
    the packet before it is not withdrawn and made again each time."""
    receiver = session.sctp[1]
    waits = 0
    wait = receiver._sack_wait

    def counting_wait(loop: asyncio.AbstractEventLoop, due: float) -> None:
        nonlocal waits
        waits += 1
        wait(loop, due)

    monkeypatch.setattr(receiver, "_sack_wait", counting_wait)
    for _ in range(20):  # one message (one packet) at a time: each other one is delayed
        assert await session.exchange([b"m"]) == [b"m"]
    assert waits <= 2, waits


async def test_delayed_sacks_of_many_associations_share_one_loop_timer(
    certificates: tuple[RTCCertificate, RTCCertificate], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten associations that each owe a delayed SACK at about the same time
    arm one event-loop timer between them (two if their deadlines straddle a
    step of the SACK clock), not one each; every SACK still goes out within
    SACK_DELAY of its DATA and at most SACK_GRAIN before."""
    sessions = [Session() for _ in range(10)]
    try:
        for each in sessions:
            await each.open(certificates)
        receivers = [each.sctp[1] for each in sessions]
        for receiver in receivers:  # nothing owed from the channel's opening
            await receiver._send_sack_now()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SACK_DELAY + TIMEOUT
        while any(
            receiver._sack_step is not None for receiver in receivers
        ):  # their waits are over
            assert loop.time() < deadline, "a delayed-SACK wait never ended"
            await asyncio.sleep(0.01)
        armed: list[Any] = []
        call_at, call_later = loop.call_at, loop.call_later

        def for_sacks(callback: Any) -> bool:
            owner = getattr(callback, "__self__", None)
            return owner in receivers or isinstance(owner, SackClock)

        def counting_call_at(when: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
            if for_sacks(callback):
                armed.append(callback)
            return call_at(when, callback, *args, **kwargs)

        def counting_call_later(delay: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
            if for_sacks(callback):
                armed.append(callback)
            return call_later(delay, callback, *args, **kwargs)

        monkeypatch.setattr(loop, "call_at", counting_call_at)
        monkeypatch.setattr(loop, "call_later", counting_call_later)
        sent_at: dict[int, float] = {}
        dues: dict[int, float] = {}
        for receiver in receivers:
            send_now = receiver._send_sack_now

            async def recorded(receiver: Any = receiver, send_now: Any = send_now) -> None:
                if receiver._sack_due is not None:
                    dues[id(receiver)] = receiver._sack_due
                    sent_at[id(receiver)] = loop.time()
                await send_now()

            monkeypatch.setattr(receiver, "_send_sack_now", recorded)
        await asyncio.gather(*(each.exchange([b"m"]) for each in sessions))
        assert all(receiver._sack_due is not None for receiver in receivers), "none delayed"
        deadline = loop.time() + SACK_DELAY + TIMEOUT
        while len(sent_at) < len(receivers) and loop.time() < deadline:
            await asyncio.sleep(0.01)
        assert len(sent_at) == len(receivers), "a delayed SACK never went out"
        assert 1 <= len(armed) <= 2, armed
        for key, due in dues.items():
            assert due - SACK_GRAIN <= sent_at[key] <= due + 0.1  # (0.1: a busy loop's lateness)
    finally:
        for each in sessions:
            await each.close()


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
    receive_sack = CountingSctpTransport._receive_plain_sack  # (every SACK here)

    def counting_sack(self: Any, chunk: Any) -> None:
        nonlocal sacks
        sacks += self is session.sctp[0]
        receive_sack(self, chunk)

    monkeypatch.setattr(CountingSctpTransport, "_receive_plain_sack", counting_sack)
    for _ in range(10):  # a message at a time: each SACK finds nothing more to send
        assert await session.exchange([b"m"]) == [b"m"]
    assert sacks >= 5, "too few SACKs: the test proved nothing"
    # (nor do the sends': a whole message on a quiet channel goes out at once,
    # tests/transport/test_sctp_whole_message.py)
    assert calls == {"flush": 0, "transmit": 0}, calls


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


async def test_idle_associations_open_close_and_carry_channels(session: Session) -> None:
    """Once everything is acknowledged both ends hold no send queues or reset
    sets; a channel the peer then opens (its DCEP OPEN, answered by an ACK
    through the queue), messages both ways and a closing channel (a stream
    reset, through the sets) each give back what they need."""
    from rtcpeer.transport.sctp import IDLE_QUEUE, IDLE_QUEUES, IDLE_SET, IDLE_SETS

    def idle() -> bool:
        return all(
            all(vars(sctp)[name] is IDLE_QUEUE for name in IDLE_QUEUES)
            and all(vars(sctp)[name] is IDLE_SET for name in IDLE_SETS)
            for sctp in session.sctp
        )

    async def until_idle() -> None:
        deadline = asyncio.get_running_loop().time() + SACK_DELAY + TIMEOUT
        while not idle():
            assert asyncio.get_running_loop().time() < deadline, "never idle"
            await asyncio.sleep(0.01)

    await until_idle()
    incoming: asyncio.Queue[RTCDataChannel] = asyncio.Queue()
    session.sctp[0].on("datachannel", incoming.put_nowait)
    second = RTCDataChannel(session.sctp[1], RTCDataChannelParameters(label="second"))
    far = await asyncio.wait_for(incoming.get(), TIMEOUT)
    await opened(second)
    got: asyncio.Queue[object] = asyncio.Queue()
    second.on("message", got.put_nowait)
    far.send(b"there")
    assert await asyncio.wait_for(got.get(), TIMEOUT) == b"there"
    await until_idle()
    closed = asyncio.Event()
    far.on("close", closed.set)
    second.close()
    await asyncio.wait_for(closed.wait(), TIMEOUT)
    assert second.readyState == "closed" or second.readyState == "closing"
    messages = _messages(3, 100)
    assert await session.exchange(messages) == messages  # the first channel still carries


async def test_a_channel_event_nobody_listens_to_skips_pyee(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiortc fires ``bufferedamountlow`` after every message sent one at a
    time; with no listener it does not reach pyee's dispatch (a listener
    table copied under a lock). A listened event still runs its listeners,
    and an unhandled ``error`` still raises."""
    from pyee.asyncio import AsyncIOEventEmitter as PyeeEmitter

    from rtcpeer.transport.datachannel import CountedDataChannel

    remote, channel = session.remote, session.channel
    assert isinstance(remote, CountedDataChannel) and channel is not None
    dispatched: list[str] = []
    dispatch = PyeeEmitter._emit_run  # (pyee's call of one listener)

    def counting(self: Any, listener: Any, args: Any, kwargs: Any) -> None:
        if self is remote:
            dispatched.append(listener.__name__)
        dispatch(self, listener, args, kwargs)

    monkeypatch.setattr(PyeeEmitter, "_emit_run", counting)
    got: asyncio.Queue[object] = asyncio.Queue()
    channel.on("message", got.put_nowait)
    low = 0

    def on_low() -> None:
        nonlocal low
        low += 1

    for index in range(6):
        if index == 3:
            remote.on("bufferedamountlow", on_low)
        remote.send(b"back")
        assert await asyncio.wait_for(got.get(), TIMEOUT) == b"back"
        deadline = asyncio.get_running_loop().time() + TIMEOUT
        while remote.bufferedAmount:  # (it falls to 0 when the message leaves)
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.001)
    assert dispatched == ["on_low"] * 3, dispatched
    assert low == 3
    with pytest.raises(ValueError):
        remote.emit("error", ValueError("unhandled"))


async def test_the_sack_timer_waits_for_the_latest_deadline(session: Session) -> None:
    receiver = session.sctp[1]
    loop = asyncio.get_running_loop()
    receiver._sack_needed = True
    receiver._sack_task = None
    waits: list[float] = []
    receiver._sack_wait = lambda loop, due: waits.append(due)  # type: ignore[method-assign]
    receiver._sack_due = loop.time() + 5.0  # a later packet's delay
    receiver._sack_delay_over()  # the clock's step for the earlier packet comes
    assert receiver._sack_task is None, "a SACK went out before it was due"
    assert waits == [receiver._sack_due]
    receiver._sack_due = loop.time() + SACK_GRAIN / 2  # due within this step
    receiver._sack_delay_over()
    assert receiver._sack_task is not None
    await asyncio.wait_for(receiver._sack_task, TIMEOUT)
    assert receiver._sack_due is None


async def test_the_sack_clock_runs_each_callback_at_its_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Callbacks due within one step of the grid share one loop timer and run
    at that step: never after their deadline, at most SACK_GRAIN before."""
    loop = asyncio.get_running_loop()
    armed = 0
    call_at = loop.call_at

    def counting_call_at(when: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal armed
        armed += 1
        return call_at(when, callback, *args, **kwargs)

    monkeypatch.setattr(loop, "call_at", counting_call_at)
    clock = SackClock()
    step = int((loop.time() + 0.05) // SACK_GRAIN) + 1
    deadlines = [(step + fraction / 100) * SACK_GRAIN for fraction in range(1, 100, 5)]
    ran: dict[float, float] = {}
    done = loop.create_future()

    def callback(deadline: float) -> None:
        ran[deadline] = loop.time()
        if len(ran) == len(deadlines):
            done.set_result(None)

    for deadline in reversed(deadlines):
        clock.call_by(loop, deadline, deadline, functools.partial(callback, deadline))
    withdrawn: list[str] = []
    step = clock.call_by(loop, deadlines[0], "gone", lambda: withdrawn.append("ran"))
    clock.withdraw(step, "gone")
    assert armed == 1
    await asyncio.wait_for(done, TIMEOUT)
    for deadline, at in ran.items():
        assert deadline - SACK_GRAIN <= at
    assert min(ran.values()) <= max(deadlines) + 0.1  # (0.1: a busy loop's lateness)
    assert withdrawn == []


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
    handled = 0
    receiver = session.sctp[1]
    receive_data_chunk = receiver._receive_data_chunk

    async def counted_handler(chunk: Any) -> None:
        nonlocal handled
        handled += 1
        await receive_data_chunk(chunk)

    monkeypatch.setattr(receiver, "_receive_data_chunk", counted_handler)
    messages = _messages(10, 5000)  # 5 fragments each
    assert await session.exchange(messages) == messages
    assert scans == 10, scans
    # The four fragments before each last one are queued without a coroutine.
    assert handled == 10, handled


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
            session.right.put(held[0])
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
        # The SACKs sent back are sealed without pyOpenSSL's bio_read
        # (rtcpeer.transport.dtls_records); no arriving record looked for output.
        assert sum(session.right.bursts) - sent_before > 0
        assert watched.reads == 0, watched.reads
        # Two records in one datagram: OpenSSL's output is looked for after it.
        before = watched.reads
        record = bytes([23, 0xFE, 0xFD]) + bytes(8) + (3).to_bytes(2, "big") + b"abc"
        session.right.put(record + record)
        assert watched.reads == before + 1
    finally:
        receiver._ssl = watched._connection
