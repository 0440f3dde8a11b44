"""Host UDP sockets of the ICE runtime (:class:`rtcpeer.ice.runtime.sockets.UdpSocket`).

One readiness event reads every datagram queued (up to the burst limit),
not one per event-loop iteration as an asyncio datagram transport does; a
datagram the kernel cannot take yet waits, in order, for the socket to be
writable.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from rtcpeer.ice.runtime import sockets
from rtcpeer.ice.runtime.sockets import UdpSocket, open_udp

TIMEOUT = 5.0


async def test_one_wakeup_reads_every_queued_datagram() -> None:
    loop = asyncio.get_running_loop()
    received: list[bytes] = []
    seen_by_next_turn: list[int] = []
    all_in = loop.create_future()

    def on_receive(socket_id: int, source: tuple[str, int], data: bytes) -> None:
        received.append(data)
        if len(received) == 1:  # what has arrived once the loop turns again?
            loop.call_soon(lambda: seen_by_next_turn.append(len(received)))
        if len(received) == 5 and not all_in.done():
            all_in.set_result(None)

    sock = await open_udp(1, "127.0.0.1", on_receive, lambda socket_id, reason: None)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for index in range(5):  # all queued in the kernel before the loop looks
            sender.sendto(b"d%d" % index, sock.local_address)
        await asyncio.wait_for(all_in, TIMEOUT)
        await asyncio.sleep(0)  # let the marker run if it has not
        assert received == [b"d0", b"d1", b"d2", b"d3", b"d4"]
        assert seen_by_next_turn == [5], "datagrams were read one per loop iteration"
        assert sock.bytes_received == sum(len(d) for d in received)
    finally:
        sender.close()
        sock.close()


async def test_a_burst_is_read_in_bounded_portions() -> None:
    """More than the burst limit queued: all arrive, but the loop turns in between."""
    loop = asyncio.get_running_loop()
    limit = sockets._READS_PER_WAKEUP
    count = 2 * limit + 3
    received: list[bytes] = []
    turns = 0
    all_in = loop.create_future()

    def on_receive(socket_id: int, source: tuple[str, int], data: bytes) -> None:
        received.append(data)
        if len(received) == count and not all_in.done():
            all_in.set_result(None)

    def tick() -> None:
        nonlocal turns
        turns += 1
        if not all_in.done():
            loop.call_soon(tick)

    sock = await open_udp(1, "127.0.0.1", on_receive, lambda socket_id, reason: None)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for index in range(count):
            sender.sendto(b"%d" % index, sock.local_address)
        loop.call_soon(tick)
        await asyncio.wait_for(all_in, TIMEOUT)
        assert received == [b"%d" % index for index in range(count)]
        assert turns >= 2, "one callback read past its burst limit"
    finally:
        sender.close()
        sock.close()


class _FullBuffer(socket.socket):
    """A real socket whose ``sendto`` reports a full send buffer while ``full``."""

    full = False

    def sendto(self, data: Any, *args: Any) -> int:
        if self.full:
            raise BlockingIOError
        return super().sendto(data, *args)


async def test_datagrams_wait_in_order_while_the_send_buffer_is_full() -> None:
    loop = asyncio.get_running_loop()
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.setblocking(False)
    raw = _FullBuffer(socket.AF_INET, socket.SOCK_DGRAM)
    raw.bind(("127.0.0.1", 0))
    raw.setblocking(False)
    raw.full = True
    sock = UdpSocket(1, lambda *args: None, lambda socket_id, reason: None, raw, loop)
    destination = receiver.getsockname()
    try:
        sock.send(b"first", destination)  # the kernel refuses: kept
        sock.send(b"second", destination)  # behind it, not around it
        assert sock.bytes_sent == len(b"first") + len(b"second")
        raw.full = False
        sock.send(b"third", destination)  # still behind the waiting ones
        got: list[bytes] = []
        async with asyncio.timeout(TIMEOUT):
            while len(got) < 3:
                got.append(await loop.sock_recv(receiver, 100))
        assert got == [b"first", b"second", b"third"]
    finally:
        sock.close()
        receiver.close()
