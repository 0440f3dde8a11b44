"""In-memory stand-ins for rtcpeer's ICE transport under aiortc's DTLS and SCTP.

:class:`HandOffMemory` has the ICE transport's surface the DTLS adapter uses
(``role``, ``receive``, ``send``) and its hand-off (``deliver``: offered each
datagram that would land in an empty inbox); :class:`BurstMemory` adds the
burst send (``send_burst``) the lean data path hands packets to. Datagrams
travel one loop turn (``call_soon``), like a network, and the counters say
which way each went.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar


class HandOffMemory:
    """One end of an in-memory datagram link with IceTransport's hand-off.

    ``drop`` decides, per arriving datagram, whether the path loses it;
    ``hold`` queues every arriving datagram (as if the DTLS task were behind).
    """

    def __init__(self, role: str) -> None:
        self._role = role
        self._inbox: list[bytes] = []
        self._readers: list[asyncio.Future[None]] = []
        self.deliver: Any = None
        self.peer: HandOffMemory | None = None
        #: Datagrams sent, one at a time or in bursts.
        self.sent = 0
        #: Datagrams sent one at a time (``send``).
        self.singles = 0
        #: Datagrams that arrived (lost ones included).
        self.arrived = 0
        #: Arrived datagrams ``deliver`` took, and those queued for ``receive``.
        self.delivered = 0
        self.queued = 0
        #: True while ``deliver`` runs.
        self.handing_off = False
        self.hold = False
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

    def _travel(self, data: bytes) -> None:
        assert self.peer is not None
        self.sent += 1
        asyncio.get_running_loop().call_soon(self.peer.put, data)

    def put(self, data: bytes) -> None:
        """``data`` arrives at this end (as from the network)."""
        self.arrived += 1
        if self.drop(data):
            return
        deliver = self.deliver
        self.handing_off = True
        try:
            if not self.hold and deliver is not None and not self._inbox and deliver(data):
                self.delivered += 1
                return
        finally:
            self.handing_off = False
        self.queued += 1
        self._inbox.append(data)
        readers, self._readers = self._readers, []
        for waiter in readers:
            if not waiter.done():
                waiter.set_result(None)


M = TypeVar("M", bound=HandOffMemory)


class BurstMemory(HandOffMemory):
    """:class:`HandOffMemory` with IceTransport's burst send: ``bursts`` lists
    the datagrams of each ``send_burst``."""

    def __init__(self, role: str) -> None:
        super().__init__(role)
        self.bursts: list[int] = []

    def send_burst(self, datagrams: list[bytes]) -> None:
        self.bursts.append(len(datagrams))
        for data in datagrams:
            self._travel(data)


def linked(kind: type[M]) -> tuple[M, M]:
    """Two connected ends of ``kind``: the controlling one, the controlled one."""
    left, right = kind("controlling"), kind("controlled")
    left.peer, right.peer = right, left
    return left, right


__all__ = ["BurstMemory", "HandOffMemory", "linked"]
