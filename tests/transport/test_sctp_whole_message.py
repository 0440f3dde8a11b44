"""Small messages one at a time over aiortc's real DTLS and SCTP, without coroutines.

- A message that fits one DATA chunk, sent on a quiet channel, goes out at
  once without aiortc's queue, flush, ``_send`` and ``_transmit`` (and the
  dozen coroutines between them); the SCTP packets on the wire are the same
  bytes as aiortc's way gives, SACKs riding along included.
- bufferedAmount rises and falls around it as with aiortc's flush, and
  ``bufferedamountlow`` listeners that send again are served in order.
- A whole message received is delivered, and a SACK without gap blocks is
  handled, without a coroutine; what must take aiortc's way still does (a
  fragmented message, a full congestion window).
- A listened channel event runs its listeners without pyee's locked table copy.
- :func:`rtcpeer.transport.eager.finished_future` is one future per loop.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiortc import RTCDataChannel, RTCSctpTransport
from aiortc.rtcsctptransport import DataChunk, InitChunk, SackChunk, parse_packet
from tests.support.memory_ice import BurstMemory, linked
from tests.support.waiting import TIMEOUT, opened

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import (
    CountingSctpTransport,
    DataChannelOptions,
    create_dtls_transport,
    local_dtls_parameters,
    open_data_channel,
)
from rtcpeer.transport.eager import finished_future


class Pair:
    """Two connected CountingSctpTransports over BurstMemory and DTLS, one channel
    open (made as the peer connection makes it); every SCTP packet each sends
    is recorded (as framed, before DTLS)."""

    def __init__(self) -> None:
        self.dtls: list[Any] = []
        self.sctp: list[CountingSctpTransport] = []
        self.near: RTCDataChannel | None = None
        self.far: RTCDataChannel | None = None
        self.packets: list[list[bytes]] = [[], []]

    async def open(
        self, certificates: tuple[RTCCertificate, RTCCertificate], *, ordered: bool = True
    ) -> None:
        left, right = linked(BurstMemory)
        self.dtls = [
            create_dtls_transport(left, certificates[0], dtls_role="client"),
            create_dtls_transport(right, certificates[1], dtls_role="server"),
        ]
        await asyncio.wait_for(
            asyncio.gather(
                self.dtls[0].start(local_dtls_parameters(certificates[1])),
                self.dtls[1].start(local_dtls_parameters(certificates[0])),
            ),
            TIMEOUT,
        )
        self.sctp = [CountingSctpTransport(self.dtls[0]), CountingSctpTransport(self.dtls[1])]
        for side, sctp in enumerate(self.sctp):
            self._record(side, sctp)
        incoming: asyncio.Queue[RTCDataChannel] = asyncio.Queue()
        self.sctp[1].on("datachannel", incoming.put_nowait)
        await self.sctp[0].start(self.sctp[1].getCapabilities(), self.sctp[1].port)
        await self.sctp[1].start(self.sctp[0].getCapabilities(), self.sctp[0].port)
        self.near = open_data_channel(
            self.sctp[0], DataChannelOptions(label="whole", ordered=ordered)
        )
        await opened(self.near)
        self.far = await asyncio.wait_for(incoming.get(), TIMEOUT)
        await opened(self.far)

    def _record(self, side: int, sctp: CountingSctpTransport) -> None:
        frame = sctp._frame  # (every packet rtcpeer's SCTP sends is framed there)

        def recording(chunks: list[bytes]) -> bytes:
            packet = frame(chunks)
            self.packets[side].append(packet)
            return packet

        sctp._frame = recording  # type: ignore[method-assign]

    async def close(self) -> None:
        for sctp in self.sctp:
            await sctp.stop()
        for dtls in self.dtls:
            await dtls.stop()

    async def exchange(self, messages: list[Any], *, backwards: bool = False) -> list[Any]:
        """Send ``messages`` one after another (each as soon as the previous
        arrived) from one end to the other; what arrived."""
        assert self.near is not None and self.far is not None
        sender, receiver = (self.far, self.near) if backwards else (self.near, self.far)
        got: asyncio.Queue[Any] = asyncio.Queue()
        receiver.on("message", got.put_nowait)
        arrived = []
        try:
            for message in messages:
                sender.send(message)
                arrived.append(await asyncio.wait_for(got.get(), TIMEOUT))
        finally:
            receiver.remove_listener("message", got.put_nowait)
        return arrived


@pytest.fixture(scope="module")
def certificates() -> tuple[RTCCertificate, RTCCertificate]:
    return RTCCertificate.generate("ECDSA"), RTCCertificate.generate("ECDSA")


@pytest.fixture
async def pair(certificates: tuple[RTCCertificate, RTCCertificate]) -> AsyncIterator[Pair]:
    opened_pair = Pair()
    await opened_pair.open(certificates)
    try:
        yield opened_pair
    finally:
        await opened_pair.close()


def _count_calls(monkeypatch: pytest.MonkeyPatch, *names: str) -> dict[str, int]:
    """Count calls of aiortc's RTCSctpTransport coroutine methods ``names``."""
    calls = dict.fromkeys(names, 0)
    for name in names:
        original = getattr(RTCSctpTransport, name)

        async def counting(
            self: Any, *args: Any, _name: str = name, _f: Any = original, **kwargs: Any
        ) -> Any:
            calls[_name] += 1
            return await _f(self, *args, **kwargs)

        monkeypatch.setattr(RTCSctpTransport, name, counting)
    return calls


async def test_a_small_message_goes_out_without_aiortcs_flush_send_or_transmit(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Messages one at a time, both ways, strings and bytes: none runs aiortc's
    flush, ``_send``, ``_transmit`` or SACK handling, and no task is made; a
    message of three chunks still goes aiortc's way."""
    calls = _count_calls(
        monkeypatch, "_data_channel_flush", "_send", "_transmit", "_receive_sack_chunk"
    )
    tasks_before = len(asyncio.all_tasks())
    made: list[Any] = []
    create_task = asyncio.get_running_loop().create_task

    def counting_task(coro: Any, **kwargs: Any) -> Any:
        made.append(coro)
        return create_task(coro, **kwargs)

    monkeypatch.setattr(asyncio.get_running_loop(), "create_task", counting_task)
    messages: list[Any] = [f"m{index}" if index % 2 else bytes([index]) * 30 for index in range(8)]
    for index, message in enumerate(messages):
        assert await pair.exchange([message], backwards=index % 4 >= 2) == [message]
    assert calls == dict.fromkeys(calls, 0), calls
    ours = [coro for coro in made if not coro.__qualname__.startswith("Queue.")]  # (wait_for's)
    assert ours == [] and len(asyncio.all_tasks()) == tasks_before
    big = b"x" * 3000
    assert await pair.exchange([big]) == [big]
    assert calls["_data_channel_flush"] >= 1 and calls["_send"] >= 1


async def test_the_wire_bytes_are_aiortcs(
    certificates: tuple[RTCCertificate, RTCCertificate], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same exchange, once with the shortcuts and once forced through
    aiortc's queue, flush, transmit and SACK handling (the association's
    random tags and TSNs fixed): every SCTP packet after the open is the same,
    byte for byte, SACKs bundled with DATA included."""
    import aiortc.rtcsctptransport as aiortc_sctp

    async def run(shortcuts: bool) -> list[list[bytes]]:
        numbers = itertools.count(0x1000_0000, 0x0101_0101)
        monkeypatch.setattr(aiortc_sctp, "random32", lambda: next(numbers))
        if not shortcuts:
            monkeypatch.setattr(
                CountingSctpTransport, "_send_whole_message", lambda self, channel, data: False
            )
            monkeypatch.setattr(CountingSctpTransport, "_take_plain_sack", lambda self, c: False)
        pair = Pair()
        await pair.open(certificates)
        try:
            opening = [len(side) for side in pair.packets]
            for index in range(6):
                message: Any = f"text {index}" if index % 2 else bytes([index]) * (100 + index)
                assert await pair.exchange([message], backwards=index % 3 == 2) == [message]
            await asyncio.sleep(0)  # (the last SACK, if any, is delayed)
            return [side[count:] for side, count in zip(pair.packets, opening, strict=True)]
        finally:
            await pair.close()
            monkeypatch.undo()

    lean = await run(shortcuts=True)
    aiortcs = await run(shortcuts=False)
    assert lean == aiortcs
    chunks = [parse_packet(packet)[3] for side in lean for packet in side]
    assert any(len(c) == 2 and type(c[0]) is SackChunk for c in chunks), "no SACK rode along"
    assert sum(type(c[-1]) is DataChunk for c in chunks) == 6


async def test_buffered_amount_and_bufferedamountlow_as_with_aiortcs_flush(
    pair: Pair,
) -> None:
    """bufferedAmount is the message's size during the send and 0 after it;
    ``bufferedamountlow`` fires once per message (threshold 0); messages a
    listener sends from it arrive after the one that fired it, in order."""
    near = pair.near
    assert near is not None
    seen: list[int] = []
    extra = iter([b"second", b"third"])

    def on_low() -> None:
        seen.append(near.bufferedAmount)
        message = next(extra, None)
        if message is not None:
            near.send(message)

    near.on("bufferedamountlow", on_low)
    got: asyncio.Queue[Any] = asyncio.Queue()
    assert pair.far is not None
    pair.far.on("message", got.put_nowait)
    near.send(b"first")
    assert near.bufferedAmount == 0
    arrived = [await asyncio.wait_for(got.get(), TIMEOUT) for _ in range(3)]
    assert arrived == [b"first", b"second", b"third"]
    assert seen == [0, 0, 0] and near.bufferedAmount == 0


async def test_a_whole_message_wakes_only_the_sent_queue(pair: Pair) -> None:
    """An idle association sending a whole message at once makes a real sent
    queue only (the outbound and data-channel queues stay the shared
    placeholder), and is idle again once the message is acknowledged; a
    message that takes aiortc's way after it wakes the rest."""
    from rtcpeer.transport.sctp import IDLE_QUEUE

    sender = pair.sctp[0]
    assert await pair.exchange(["x"], backwards=True) == ["x"]  # (acknowledges the open)
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while sender._sent_queue is not IDLE_QUEUE:  # type: ignore[comparison-overlap]
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    assert pair.near is not None and pair.far is not None
    arrived: asyncio.Queue[Any] = asyncio.Queue()
    pair.far.on("message", arrived.put_nowait)
    pair.near.send(b"one")
    own = sender.__dict__
    assert own["_outbound_queue"] is IDLE_QUEUE and own["_data_channel_queue"] is IDLE_QUEUE
    assert [chunk.user_data for chunk in sender._sent_queue] == [b"one"]
    assert await asyncio.wait_for(arrived.get(), TIMEOUT) == b"one"
    pair.far.remove_listener("message", arrived.put_nowait)
    assert await pair.exchange(["back"], backwards=True) == ["back"]  # its SACK rides along
    assert own["_sent_queue"] is IDLE_QUEUE and sender._queues_idle
    big = b"y" * 2500  # three chunks: aiortc's queue and flush
    assert await pair.exchange([big]) == [big]


async def test_a_dtls_failure_does_not_reach_the_sender(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As with aiortc's scheduled flush, ``send()`` does not raise what DTLS
    raises underneath (a transport that closed meanwhile); the message is
    in flight, to be retransmitted."""
    failures = 0

    def failing(packets: list[bytes]) -> None:
        nonlocal failures
        failures += 1
        raise ConnectionError("Cannot send encrypted data, not connected")

    monkeypatch.setattr(pair.dtls[0], "send_burst", failing)
    near = pair.near
    assert near is not None
    near.send(b"lost")
    assert failures == 1
    assert pair.sctp[0]._sent_queue[-1].user_data == b"lost" and near.bufferedAmount == 0


async def test_a_full_congestion_window_queues_as_aiortc_does(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst beyond the congestion window: the first messages go at once,
    the rest wait in aiortc's queue (bufferedAmount counts them) and follow
    in order as SACKs open the window."""
    calls = _count_calls(monkeypatch, "_data_channel_flush")
    near, far = pair.near, pair.far
    assert near is not None and far is not None
    messages = [bytes([index % 251]) * 1000 for index in range(40)]
    got: asyncio.Queue[Any] = asyncio.Queue()
    far.on("message", got.put_nowait)
    for message in messages:
        near.send(message)
    assert near.bufferedAmount > 0  # some wait
    assert [await asyncio.wait_for(got.get(), TIMEOUT) for _ in messages] == messages
    assert calls["_data_channel_flush"] > 0


async def test_counters_and_acknowledgements_after_the_shortcuts(pair: Pair) -> None:
    """Per-channel counters count every message both ways; every DATA chunk
    was acknowledged (nothing in flight, T3 stopped) and its round trip
    measured."""
    messages = [b"a" * 10, "bb", b"c" * 1200]
    assert await pair.exchange(messages) == messages
    assert await pair.exchange(["back"], backwards=True) == ["back"]
    near = pair.near
    assert near is not None
    sender, receiver = pair.sctp
    sent = sender.counters_for(near)
    assert (sent.messages_sent, sent.bytes_sent) == (3, 1212)
    assert (sent.messages_received, sent.bytes_received) == (1, 4)
    far = pair.far
    assert far is not None
    received = receiver.counters_for(far)
    assert (received.messages_received, received.bytes_received) == (3, 1212)
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while sender._flight_size or receiver._flight_size:  # the last SACK may be delayed
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    for sctp in pair.sctp:
        assert not sctp._sent_queue and sctp._t3_deadline is None
        assert sctp._srtt is not None


async def test_an_init_bundled_with_another_chunk_is_dropped(pair: Pair) -> None:
    """An INIT must come alone (RFC 9260 §6.10): one bundled with another
    chunk is dropped -- no error out of the packet handler (aiortc asserts)
    -- and the association goes on."""
    receiver = pair.sctp[1]
    await receiver._handle_chunks(0, [InitChunk(), SackChunk()])
    assert receiver._association_state == RTCSctpTransport.State.ESTABLISHED
    assert await pair.exchange(["still here"]) == ["still here"]


async def test_an_unordered_channel_takes_the_shortcut_unordered(
    certificates: tuple[RTCCertificate, RTCCertificate],
) -> None:
    """An unordered channel's message goes out at once, flagged unordered
    with stream sequence number 0 (RFC 9260 §3.3.1)."""
    pair = Pair()
    await pair.open(certificates, ordered=False)
    try:
        before = len(pair.packets[0])
        assert await pair.exchange([b"u"]) == [b"u"]
        data = [
            chunk
            for packet in pair.packets[0][before:]
            for chunk in parse_packet(packet)[3]
            if type(chunk) is DataChunk
        ]
        assert len(data) == 1 and data[0].flags == 0x07 and data[0].stream_seq == 0
    finally:
        await pair.close()


async def test_a_listened_channel_event_skips_pyees_locked_copy(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``message`` reaches its listeners without pyee's ``_call_handlers``;
    a coroutine listener still runs as a task, a listener's exception
    becomes an ``error`` event, and a listener removed by an earlier one
    still runs for the event under way (pyee's snapshot)."""
    from pyee.base import EventEmitter as PyeeEmitter

    far = pair.far
    assert far is not None
    dispatched: list[str] = []
    dispatch = PyeeEmitter._call_handlers

    def counting(self: Any, event: str, args: Any, kwargs: Any) -> bool:
        if self is far:
            dispatched.append(event)
        return dispatch(self, event, args, kwargs)

    monkeypatch.setattr(PyeeEmitter, "_call_handlers", counting)
    order: list[str] = []
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    errors: list[BaseException] = []

    def first(message: Any) -> None:
        order.append("first")
        far.remove_listener("message", second)

    def second(message: Any) -> None:
        order.append("second")
        raise ValueError("listener failed")

    async def third(message: Any) -> None:
        order.append("third")
        done.set_result(None)

    far.on("message", first)
    far.on("message", second)
    far.on("message", third)
    far.on("error", errors.append)
    assert pair.near is not None
    pair.near.send("hello")
    await asyncio.wait_for(done, TIMEOUT)
    assert order == ["first", "second", "third"]
    assert [str(error) for error in errors] == ["listener failed"]
    assert dispatched == ["error"]  # (error goes through pyee, which raises it if unhandled)


def test_finished_future_is_one_per_loop() -> None:
    """The same finished future for every call on one loop; another loop gets its own."""

    async def two() -> tuple[asyncio.Future[None], asyncio.Future[None]]:
        return finished_future(), finished_future()

    first = asyncio.run(two())
    second = asyncio.run(two())
    for a, b in (first, second):
        assert a is b and a.done() and a.result() is None
    assert first[0] is not second[0]
    assert first[0].get_loop() is not second[0].get_loop()
