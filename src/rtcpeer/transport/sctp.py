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

**Bundling** (RFC 9260 §6.10). aiortc puts every chunk in a packet of its
own, so a backlog of small messages costs one DTLS record, one datagram and
one receive wake-up per message. What one ``_transmit()`` or data-channel
flush releases is packed into as few packets as fit the size aiortc's largest
packet has anyway (control chunks first, DATA after), as usrsctp and dcSCTP
do: 300 queued 100-byte messages left in 86 packets instead of 300 in a
test, and 1,700 queued during an outage drained in 0.07-0.18 s instead of
0.37-0.72 s once the path was back (interleaved runs, 2 busy cores).
Congestion control is unchanged: chunks are released by the same window,
only packed.

**Eager flush.** aiortc's ``RTCDataChannel.send()`` queues the message and
schedules ``_data_channel_flush()`` as a task, so the message goes out one
event-loop iteration later -- a millisecond or more while the loop is busy
with, say, an ICE restart. The flush never suspends on the data path (SCTP,
DTLS and rtcpeer's ICE transport send synchronously), so
:class:`EagerFlushSctpTransport` runs it at once (:mod:`rtcpeer.transport.eager`)
and hands aiortc's call sites a finished future, which ``asyncio.ensure_future``
passes through and ``await`` reads at once. Several sends queued while a
flush is running are drained by that flush, in order, exactly as before.

**Resume on a new path.** After an outage (a restart, a consent failure)
the association is still in retransmission mode: its T3 timer fires up to an
RTO after the path came back (aiortc's RTO stays ``max(1 s, SRTT + 4 RTTVAR)``
through any number of expiries, it does not double as RFC 9260 §6.3.3 says,
so up to ~1 s; with a doubling RTO it would be longer), and each expiry had
cut the congestion window to one packet. When ICE selects a new working
pair the peer connection calls
:meth:`DelayedSackSctpTransport.resume_on_new_path`: every outstanding chunk
is marked for retransmission at once, the T3 timer restarts from an RTO
without backoff, and the congestion state starts afresh for the new path
(RFC 9260 §7.2: at least the initial cwnd), then the retransmission runs
right away.

All of it leans on aiortc internals (``_send_sack``, ``_send_chunk``,
``_sack_needed``, the gap/duplicate sets, the association state, the ports
and verification tag, ``_transmit``, ``_send``, ``_data_channel_flush``, the
T3 timer and congestion state); the contract test in ``tests/transport``
pins them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, cast

from aiortc import RTCSctpTransport
from aiortc.rtcsctptransport import (
    SCTP_DATA_CHUNK_HEADER_LENGTH,
    SCTP_RTO_INITIAL,
    SCTP_RTO_MAX,
    SCTP_RTO_MIN,
    USERDATA_MAX_LENGTH,
    Chunk,
    DataChunk,
    serialize_packet,
)
from OpenSSL import SSL

from rtcpeer.transport.eager import done_future

#: The longest a DATA chunk waits for its SACK (RFC 4960 §6.2: at most 500 ms, 200 ms usual).
SACK_DELAY = 0.2
#: A SACK rides along only if the packet stays within the largest one aiortc
#: sends anyway (one full DATA chunk), so the path MTU budget is unchanged.
MAX_BUNDLED_CHUNKS_LENGTH = SCTP_DATA_CHUNK_HEADER_LENGTH + USERDATA_MAX_LENGTH
#: The congestion window a new path starts with (aiortc's initial one, RFC 9260 §7.2.1).
PATH_INITIAL_CWND = 3 * USERDATA_MAX_LENGTH
#: What sending through a DTLS transport that closed meanwhile raises: aiortc's
#: ConnectionError once it is closed, pyOpenSSL's error while it shuts down.
DTLS_GONE: tuple[type[Exception], ...] = (ConnectionError, SSL.Error)


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
        self._resume_task: asyncio.Future[None] | None = None
        #: How often :meth:`resume_on_new_path` retransmitted a backlog (for tests, stats).
        self.path_resumptions = 0

    def resume_on_new_path(self) -> bool:
        """ICE selected a new working pair: leave retransmission backoff, resend now.

        True if there was outstanding or queued data to send. Safe to call at
        any time (does nothing before the association is up or when idle).
        """
        if self._association_state != self.State.ESTABLISHED:
            return False
        if not self._sent_queue and not self._outbound_queue and not self._data_channel_queue:
            return False
        self._t3_cancel()
        for chunk in self._sent_queue:
            if not self._maybe_abandon(chunk):
                chunk._retransmit = True
            self._flight_size_decrease(chunk)  # awaiting retransmission: not in flight
        self._update_advanced_peer_ack_point()
        # A new path: congestion control starts afresh (RFC 9260 §7.2.1), and
        # the RTO from what was measured, without the outage's backoff.
        self._fast_recovery_exit = None
        self._partial_bytes_acked = 0
        self._cwnd = max(self._cwnd, PATH_INITIAL_CWND)
        srtt, rttvar = self._srtt, self._rttvar
        if srtt is None or rttvar is None:
            self._rto = SCTP_RTO_INITIAL
        else:
            self._rto = max(SCTP_RTO_MIN, min(srtt + 4 * rttvar, SCTP_RTO_MAX))
        self.path_resumptions += 1
        self._resume_task = asyncio.ensure_future(self._resume())
        return True

    async def _resume(self) -> None:
        with contextlib.suppress(ConnectionError):  # DTLS went away meanwhile
            await self._packed(self._send_backlog())

    async def _send_backlog(self) -> None:
        """Retransmit what is marked, then move queued messages in (aiortc's code)."""
        await super()._transmit()
        await super()._data_channel_flush()

    async def _transmit(self) -> None:
        await self._packed(super()._transmit())

    async def _data_channel_flush(self) -> None:
        await self._packed(super()._data_channel_flush())

    async def _packed(self, sending: Coroutine[Any, Any, None]) -> None:
        """Run ``sending`` (aiortc's transmit or flush), then send the chunks it
        released packed into as few packets as fit; within another such call
        the chunks join that one's."""
        if self._collecting is not None:
            await sending
            return
        self._collecting = []
        try:
            await sending
        finally:
            collected, self._collecting = self._collecting, None
        if collected:
            await self._send_bundles(collected)

    async def _send_bundles(self, chunks: list[Chunk]) -> None:
        """``chunks`` in order, as few packets as fit; a delayed SACK rides in the first."""
        packet: list[bytes] = []
        size = 0
        carries_data = False
        if self._sack_needed and self._sack_timer is not None:
            sack = await self._take_delayed_sack()
            if sack is not None:
                packet, size = [sack], len(sack)
        for chunk in chunks:
            data = bytes(chunk)
            is_data = type(chunk) is DataChunk
            # Control chunks come before DATA in a packet (RFC 9260 §6.10).
            if packet and (
                size + len(data) > MAX_BUNDLED_CHUNKS_LENGTH or (carries_data and not is_data)
            ):
                await self._send_packet(packet)
                packet, size, carries_data = [], 0, False
            packet.append(data)
            size += len(data)
            carries_data = carries_data or is_data
        if packet:
            await self._send_packet(packet)

    async def _send_sack(self) -> None:
        if self._may_delay_sack():
            return  # ``_sack_needed`` stays set: our next DATA, packet or the timer sends it
        await self._send_sack_now()

    async def _send_chunk(self, chunk: Chunk) -> None:
        collecting = self._collecting
        if collecting is not None:
            collecting.append(chunk)  # DATA always is: aiortc sends it from _transmit
            return
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

    def _set_state(self, state: RTCSctpTransport.State) -> None:
        super()._set_state(state)
        if state == self.State.CLOSED and self._sack_timer is not None:
            self._sack_timer.cancel()  # aiortc cancels its own timers here, not ours
            self._sack_timer = None

    def _sack_delay_over(self) -> None:
        self._sack_timer = None
        if self._sack_needed and self._association_state == self.State.ESTABLISHED:
            self._packets_unacknowledged = 2  # no further delay
            self._sack_task = asyncio.ensure_future(self._send_delayed_sack())

    async def _send_delayed_sack(self) -> None:
        with contextlib.suppress(*DTLS_GONE):  # DTLS went away meanwhile
            await self._send_sack()


class EagerFlushSctpTransport(DelayedSackSctpTransport):
    """aiortc's SCTP transport (delayed SACKs) whose data-channel flush runs when asked for."""

    def _data_channel_flush(self) -> asyncio.Future[None]:  # type: ignore[override]
        return done_future(super()._data_channel_flush())


__all__ = [
    "MAX_BUNDLED_CHUNKS_LENGTH",
    "PATH_INITIAL_CWND",
    "SACK_DELAY",
    "DelayedSackSctpTransport",
    "EagerFlushSctpTransport",
]
