"""When the side that created a data channel sees it open (RFC 8832 §6).

The creator of an in-band negotiated channel sends DATA_CHANNEL_OPEN; RFC
8832 §6 lets it send user data right after that, without waiting for the
DATA_CHANNEL_ACK, provided messages go ordered until the peer has answered.
An ordered channel therefore opens as soon as its OPEN is handed to SCTP,
as libwebrtc's does -- one round trip earlier than aiortc, which waits for
the ACK. An unordered channel still waits for the ACK, so that none of its
messages can overtake the OPEN.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.peer_connections import TIMEOUT, Link, negotiate, peer, until

from rtcpeer import RTCPeerConnection

#: DCEP's payload protocol id and its ACK message type (RFC 8832 §5, §8).
PPID_DCEP = 50
DATA_CHANNEL_ACK = 0x02


def _count_dcep_acks(pc: RTCPeerConnection) -> list[int]:
    """A one-element list counting the DCEP ACKs ``pc``'s SCTP transport received."""
    stack = pc._transports
    assert stack is not None
    sctp = stack.sctp
    acks = [0]
    receive = sctp._data_channel_receive

    async def counted(stream_id: int, pp_id: int, data: bytes) -> None:
        if pp_id == PPID_DCEP and data[:1] == bytes([DATA_CHANNEL_ACK]):
            acks[0] += 1
        await receive(stream_id, pp_id, data)

    sctp._data_channel_receive = counted  # type: ignore[method-assign]
    return acks


async def _open(ordered: bool) -> tuple[int, list[Any]]:
    """Open a channel (``ordered`` or not) from an offerer that sends two messages
    from its ``open`` handler; the ACKs it had received by then, and what the far
    end received."""
    offerer, answerer = peer(), peer()
    link = Link()
    link.connect(offerer, answerer)
    try:
        channel = offerer.createDataChannel("chat", ordered=ordered)
        acks = _count_dcep_acks(offerer)
        acks_at_open: list[int] = []
        received: asyncio.Queue[Any] = asyncio.Queue()

        def opened() -> None:
            acks_at_open.append(acks[0])
            channel.send("first")
            channel.send("second")

        channel.on("open", opened)

        def arrived(event: Any) -> None:
            event.channel.on("message", received.put_nowait)

        answerer.on("datachannel", arrived)
        await negotiate(offerer, answerer)
        messages = [await asyncio.wait_for(received.get(), TIMEOUT) for _ in range(2)]
        assert channel.readyState == "open"
        assert len(acks_at_open) == 1  # "open" fired once, the ACK did not fire it again
        await link.settle()
        return acks_at_open[0], messages
    finally:
        await offerer.close()
        await answerer.close()


async def test_an_ordered_channel_opens_when_its_dcep_open_is_sent() -> None:
    acks, messages = await _open(ordered=True)
    assert acks == 0, "the creator waited for the peer's DATA_CHANNEL_ACK"
    # Sent from the open handler, right behind the OPEN: delivered, in order.
    assert messages == ["first", "second"]


async def test_an_unordered_channel_still_waits_for_the_dcep_ack() -> None:
    acks, messages = await _open(ordered=False)
    assert acks == 1
    assert sorted(messages) == ["first", "second"]


async def test_a_channel_closed_in_its_open_handler_closes_at_both_ends() -> None:
    """Opened before the ACK, then closed at once: the ACK that arrives later
    neither reopens the channel nor trips over it, and the message sent
    before close() is delivered."""
    offerer, answerer = peer(), peer()
    link = Link()
    link.connect(offerer, answerer)
    try:
        channel = offerer.createDataChannel("chat")
        acks = _count_dcep_acks(offerer)
        states: list[str] = []
        far_closed: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()

        def opened() -> None:
            channel.send("only")
            channel.close()

        channel.on("open", opened)
        channel.on("close", lambda: states.append(channel.readyState))

        def arrived(event: Any) -> None:
            got: list[Any] = []
            event.channel.on("message", got.append)
            event.channel.on("close", lambda: far_closed.set_result(got))

        answerer.on("datachannel", arrived)
        await negotiate(offerer, answerer)
        assert await asyncio.wait_for(far_closed, TIMEOUT) == ["only"]
        await until(channel, "close", lambda: channel.readyState == "closed")
        assert states == ["closed"]  # closed once, never reopened by the late ACK
        assert acks[0] == 1
        await link.settle()
    finally:
        await offerer.close()
        await answerer.close()
