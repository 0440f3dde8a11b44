"""In-memory datagram paths for transport tests: DTLS, SCTP and media without sockets.

:class:`MemoryPath` can be cut and restored (an ICE pair switch seen from
above); :class:`MemoryTransport` is the datagram transport rtcpeer's DTLS
adapter runs over; :class:`Wire` is two of them and the media parts a test
runs over them, closed together.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.media import FrameCollector

from rtcpeer.transport import MediaReceiver, MediaSender


class MemoryPath:
    """A bidirectional in-memory datagram path that can be cut and restored."""

    def __init__(self) -> None:
        self.up = True
        self.dropped = 0


class MemoryTransport:
    """A DatagramTransport whose datagrams travel over a MemoryPath."""

    def __init__(self, role: str, path: MemoryPath) -> None:
        self._role = role
        self._path = path
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.peer: MemoryTransport | None = None

    @property
    def role(self) -> str:
        return self._role

    async def receive(self) -> bytes:
        data = await self._queue.get()
        if data is None:
            raise ConnectionError("closed")
        return data

    def send(self, data: bytes) -> None:
        assert self.peer is not None
        if self._path.up:
            self.peer._queue.put_nowait(data)
        else:
            self._path.dropped += 1

    def close(self) -> None:
        self._queue.put_nowait(None)


class Wire:
    """Two in-memory transports (``left`` is the DTLS client) and what runs over them."""

    def __init__(self) -> None:
        path = MemoryPath()
        self.left = MemoryTransport("controlling", path)
        self.right = MemoryTransport("controlled", path)
        self.left.peer, self.right.peer = self.right, self.left
        self.dtls: list[Any] = []
        self.senders: list[MediaSender] = []
        self.receivers: list[MediaReceiver] = []
        self.collectors: list[FrameCollector] = []

    def sender(self, *args: Any, **kwargs: Any) -> MediaSender:
        sender = MediaSender(*args, **kwargs)
        self.senders.append(sender)
        return sender

    def receiver(self, *args: Any, **kwargs: Any) -> tuple[MediaReceiver, FrameCollector]:
        receiver = MediaReceiver(*args, **kwargs)
        self.receivers.append(receiver)
        collector = FrameCollector(receiver.track)
        self.collectors.append(collector)
        return receiver, collector

    async def close(self) -> None:
        for collector in self.collectors:
            await collector.close()
        for sender in self.senders:
            await sender.stop()
        for receiver in self.receivers:
            await receiver.stop()
        for dtls in self.dtls:
            await dtls.stop()
