"""aiortc's SCTP with what it lacks: delayed acknowledgement and an eager flush.

**Delayed SACK** (RFC 4960 §6.2). aiortc answers every packet that carries
DATA with a SACK of its own, so a data channel stream costs two datagrams
per message each way through ICE, DTLS and TURN. RFC 4960 §6.2 says a
receiver SHOULD acknowledge at least every second packet and within 200 ms
of an unacknowledged DATA chunk, and acknowledge at once when it sees a gap
or a duplicate (the sender's fast retransmit depends on that) -- which is
what usrsctp and Chromium's dcSCTP do. Delivery is unaffected: only the
sender's bookkeeping waits, and a steady stream halves its SACKs.

A SACK that is being delayed also rides on the next DATA chunk this side
sends (RFC 4960 §6.1 and §6.10: a receiver may bundle its SACK with
outgoing DATA, control chunks first), as usrsctp and dcSCTP do: with data
flowing both ways no packet is spent on acknowledgements at all -- a third
fewer datagrams through DTLS, ICE and the TURN server for a two-way stream.
aiortc parses bundled chunks (browsers send them).

**Eager flush.** aiortc's ``RTCDataChannel.send()`` queues the message and
schedules ``_data_channel_flush()`` as a task, so the message goes out one
event-loop iteration later -- a millisecond or more while the loop is busy
with, say, an ICE restart. The flush never suspends on the data path (SCTP,
DTLS and rtcpeer's ICE transport send synchronously), so
:class:`EagerFlushSctpTransport` runs it at once (:mod:`rtcpeer.transport.eager`)
and hands aiortc's call sites a finished future, which ``asyncio.ensure_future``
passes through and ``await`` reads at once. Several sends queued while a
flush is running are drained by that flush, in order, exactly as before.

Both lean on aiortc internals (``_send_sack``, ``_send_chunk``,
``_sack_needed``, the gap/duplicate sets, the association state, the ports
and verification tag, ``_data_channel_flush``); the contract test in
``tests/transport`` pins them.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

from aiortc import RTCSctpTransport
from aiortc.rtcsctptransport import (
    SCTP_DATA_CHUNK_HEADER_LENGTH,
    USERDATA_MAX_LENGTH,
    Chunk,
    DataChunk,
    serialize_packet,
)

from rtcpeer.transport.eager import done_future

#: The longest a DATA chunk waits for its SACK (RFC 4960 §6.2: at most 500 ms, 200 ms usual).
SACK_DELAY = 0.2
#: A SACK rides along only if the packet stays within the largest one aiortc
#: sends anyway (one full DATA chunk), so the path MTU budget is unchanged.
MAX_BUNDLED_CHUNKS_LENGTH = SCTP_DATA_CHUNK_HEADER_LENGTH + USERDATA_MAX_LENGTH


class _Bundle:
    """Chunks that go in one SCTP packet, in order (``serialize_packet`` only needs bytes)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __bytes__(self) -> bytes:
        return b"".join(self._chunks)


class DelayedSackSctpTransport(RTCSctpTransport):
    """aiortc's SCTP transport acknowledging every second packet (or after 200 ms)."""

    def __init__(self, transport: object, port: int = 5000) -> None:
        super().__init__(transport, port)  # type: ignore[arg-type]
        self._packets_unacknowledged = 0
        self._sack_timer: asyncio.TimerHandle | None = None
        self._sack_task: asyncio.Future[None] | None = None
        #: While set, chunks handed to ``_send_chunk`` are collected, not sent.
        self._collecting: list[Chunk] | None = None

    async def _send_sack(self) -> None:
        if self._may_delay_sack():
            return  # ``_sack_needed`` stays set: our next DATA, packet or the timer sends it
        await self._send_sack_now()

    async def _send_chunk(self, chunk: Chunk) -> None:
        collecting = self._collecting
        if collecting is not None:
            collecting.append(chunk)
            return
        if type(chunk) is DataChunk and self._sack_needed and self._sack_timer is not None:
            sack = await self._take_delayed_sack()
            if sack is not None:
                data = bytes(chunk)
                if len(sack) + len(data) <= MAX_BUNDLED_CHUNKS_LENGTH:
                    await self._send_packet([sack, data])
                    return
                await self._send_packet([sack])
        await super()._send_chunk(chunk)

    async def _take_delayed_sack(self) -> bytes | None:
        """The pending SACK, built by aiortc (bookkeeping cleared), as chunk bytes."""
        self._collecting = []
        try:
            await self._send_sack_now()
        finally:
            collected, self._collecting = self._collecting, None
        return bytes(collected[0]) if len(collected) == 1 else None

    async def _send_packet(self, chunks: list[bytes]) -> None:
        """One SCTP packet with ``chunks`` (serialized chunk bytes), as aiortc frames one."""
        port = self._remote_port
        assert port is not None  # set before the association can carry DATA
        bundle = cast(Chunk, _Bundle(chunks))
        packet = serialize_packet(self._local_port, port, self._remote_verification_tag, bundle)
        await self.transport._send_data(packet)

    async def _send_sack_now(self) -> None:
        if self._sack_timer is not None:
            self._sack_timer.cancel()
            self._sack_timer = None
        self._packets_unacknowledged = 0
        await super()._send_sack()

    def _may_delay_sack(self) -> bool:
        if (
            self._sack_misordered
            or self._sack_duplicates
            or self._association_state != self.State.ESTABLISHED
        ):
            return False  # gaps and duplicates are reported at once (fast retransmit)
        self._packets_unacknowledged += 1
        if self._packets_unacknowledged >= 2:
            return False
        if self._sack_timer is None:
            loop = asyncio.get_running_loop()
            self._sack_timer = loop.call_later(SACK_DELAY, self._sack_delay_over)
        return True

    def _sack_delay_over(self) -> None:
        self._sack_timer = None
        if self._sack_needed and self._association_state == self.State.ESTABLISHED:
            self._packets_unacknowledged = 2  # no further delay
            self._sack_task = asyncio.ensure_future(self._send_delayed_sack())

    async def _send_delayed_sack(self) -> None:
        with contextlib.suppress(ConnectionError):  # DTLS went away meanwhile
            await self._send_sack()


class EagerFlushSctpTransport(DelayedSackSctpTransport):
    """aiortc's SCTP transport (delayed SACKs) whose data-channel flush runs when asked for."""

    def _data_channel_flush(self) -> asyncio.Future[None]:  # type: ignore[override]
        return done_future(super()._data_channel_flush())


__all__ = [
    "MAX_BUNDLED_CHUNKS_LENGTH",
    "SACK_DELAY",
    "DelayedSackSctpTransport",
    "EagerFlushSctpTransport",
]
