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

**Per-packet cost.** A bulk stream is CPU-bound in one Python process, so
the hot steps are leaner than aiortc's own, with the same protocol
behaviour: what a transmit, a flush or a SACK's handling releases goes to
DTLS as one burst (:meth:`ObservedDtlsTransport.send_burst
<rtcpeer.transport.ObservedDtlsTransport.send_burst>`: a record and a
datagram per packet, as before, handed to ICE in one call); a transmit does
not walk the whole sent queue for chunks to retransmit unless a SACK with
gaps, a T3 expiry or a path change may have marked one; a packet of DATA
and SACK chunks goes straight to their handlers; a fragment that arrives in
order and ends no message is queued without aiortc's scan of the whole
reassembly queue; the next TSN in order is recorded in one step; and the
delayed-SACK timer is not cancelled and re-armed for every second packet,
it re-arms itself for the latest deadline instead. For small messages one at
a time (many connections, each quiet most of the time): T3 is not a new
event-loop timer per message either (the armed one stays and re-arms itself
for the latest deadline), a SACK with nothing queued and nothing to
retransmit runs neither aiortc's flush nor its transmit, and a whole message
in one chunk, next in its stream's order, is delivered without aiortc's
reassembly queue.

All of it leans on aiortc internals (``_send_sack``, ``_send_chunk``,
``_sack_needed``, the gap/duplicate sets, the association state, the ports
and verification tag, ``_transmit``, ``_send``, ``_data_channel_flush``, the
T3 timer and congestion state); the contract test in ``tests/transport``
pins them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, cast

from aiortc import RTCSctpTransport
from aiortc.rtcsctptransport import (
    SCTP_DATA_CHUNK_HEADER_LENGTH,
    SCTP_DATA_FIRST_FRAG,
    SCTP_DATA_LAST_FRAG,
    SCTP_DATA_UNORDERED,
    SCTP_RTO_INITIAL,
    SCTP_RTO_MAX,
    SCTP_RTO_MIN,
    USERDATA_MAX_LENGTH,
    Chunk,
    DataChunk,
    SackChunk,
    parse_packet,
    serialize_packet,
    tsn_plus_one,
)
from aiortc.utils import uint16_add, uint32_gt
from OpenSSL import SSL

from rtcpeer.emitter import SharedEmitterState
from rtcpeer.transport.eager import done_future, finished_future

#: The longest a DATA chunk waits for its SACK (RFC 4960 §6.2: at most 500 ms, 200 ms usual).
SACK_DELAY = 0.2
#: A SACK rides along only if the packet stays within the largest one aiortc
#: sends anyway (one full DATA chunk), so the path MTU budget is unchanged.
MAX_BUNDLED_CHUNKS_LENGTH = SCTP_DATA_CHUNK_HEADER_LENGTH + USERDATA_MAX_LENGTH
#: A DATA chunk that is a whole message: its first and its last fragment.
_WHOLE_MESSAGE = SCTP_DATA_FIRST_FRAG | SCTP_DATA_LAST_FRAG
#: The chunks :meth:`DelayedSackSctpTransport._handle_data` hands to their handlers itself.
_DATA_PATH_CHUNKS = frozenset({DataChunk, SackChunk})
#: The congestion window a new path starts with (aiortc's initial one, RFC 9260 §7.2.1).
PATH_INITIAL_CWND = 3 * USERDATA_MAX_LENGTH
#: What sending through a DTLS transport that closed meanwhile raises: aiortc's
#: ConnectionError once it is closed, pyOpenSSL's error while it shuts down.
DTLS_GONE: tuple[type[Exception], ...] = (ConnectionError, SSL.Error)
#: aiortc's three send queues (deques of ~0.7 KiB each, even empty): an idle
#: association keeps none of them (see :func:`_made_on_use`).
IDLE_QUEUES = ("_outbound_queue", "_sent_queue", "_data_channel_queue")
#: aiortc's sets of streams being reset (~0.2 KiB each, even empty): made when
#: a channel first closes, dropped again when an idle association finds them empty.
IDLE_SETS = ("_data_channel_inbound_reset", "_data_channel_outbound_reset")


def _made_on_use(name: str, make: Callable[[], object]) -> property:
    """One of aiortc's queues or sets as a property that makes it when the
    instance dict holds None for it (dropped while empty), and stores what
    aiortc assigns there. The key itself stays: deleting and adding keys of
    the instance dict would move its entries and defeat the interpreter's
    cached look-ups of every other attribute.

    A property per name, not ``__getattr__``: a class with ``__getattr__``
    reads every other attribute through a slower path too (the specialising
    interpreter leaves such a class's attribute reads generic, about twice as
    slow), and aiortc's SCTP code reads hundreds per message.
    """

    def get(self: Any) -> object:
        own = self.__dict__
        value = own.get(name)
        if value is None:
            value = own[name] = make()
        return value

    def put(self: Any, value: object) -> None:
        self.__dict__[name] = value

    return property(get, put, doc=f"aiortc's ``{name}``, made on first use.")


class _Bundle:
    """Chunks that go in one SCTP packet, in order (``serialize_packet`` only needs bytes)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __bytes__(self) -> bytes:
        return b"".join(self._chunks)


class DelayedSackSctpTransport(SharedEmitterState, RTCSctpTransport):
    """aiortc's SCTP transport acknowledging every second packet (or after 200 ms)."""

    def __init__(self, transport: object, port: int = 5000) -> None:
        super().__init__(transport, port)  # type: ignore[arg-type]
        own = self.__dict__
        for name in (*IDLE_QUEUES, *IDLE_SETS):
            own[name] = None  # empty: made on first use (the key stays, see _made_on_use)
        self._packets_unacknowledged = 0
        self._sack_timer: asyncio.TimerHandle | None = None
        #: When the SACK being delayed is due (loop time); None: none is owed.
        #: The timer is not cancelled when a SACK goes out early (every second
        #: packet): it finds nothing due, or re-arms for the later deadline.
        self._sack_due: float | None = None
        self._sack_task: asyncio.Future[None] | None = None
        #: While set, chunks handed to ``_send_chunk`` are collected, not sent.
        self._collecting: list[Chunk] | None = None
        self._resume_task: asyncio.Future[None] | None = None
        #: Some chunk of the sent queue may be marked for retransmission (see
        #: :meth:`_transmit`); False only once a transmit found none marked.
        self._retransmit_marked = False
        #: How often :meth:`resume_on_new_path` retransmitted a backlog (for tests, stats).
        self.path_resumptions = 0
        #: When T3 expires (loop time); None: not running. aiortc's
        #: ``_t3_handle`` is the armed timer while it runs, None otherwise.
        self._t3_deadline: float | None = None
        #: The armed T3 timer: it may be due before ``_t3_deadline`` (it then
        #: re-arms itself) and outlive a cancel (it then finds nothing to do).
        self._t3_timer: asyncio.TimerHandle | None = None

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
        self._retransmit_marked = True
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
        with contextlib.suppress(*DTLS_GONE):  # DTLS went away meanwhile
            await self._packed(self._send_backlog())

    async def _send_backlog(self) -> None:
        """Retransmit what is marked, then move queued messages in (aiortc's code)."""
        await super()._transmit()
        await super()._data_channel_flush()

    async def _transmit(self) -> None:
        """aiortc's transmit, without walking the sent queue when nothing in it
        can be marked for retransmission.

        aiortc looks for chunks marked ``_retransmit`` in the whole sent queue
        on every transmit -- hundreds of chunks in flight on a fast path, once
        per SACK. Only a SACK reporting gaps (fast retransmit), a T3 expiry
        and :meth:`resume_on_new_path` mark chunks; until one of them has, the
        sent queue is set aside while aiortc transmits (its retransmission
        walk then sees nothing, as it would have found nothing) and the newly
        sent chunks are appended to it afterwards, in order. With nothing
        marked and nothing queued (every SACK of a message at a time) there is
        nothing to transmit at all.
        """
        if self._retransmit_marked or self._forward_tsn_chunk is not None:
            await self._packed(super()._transmit())
            self._retransmit_marked = any(chunk._retransmit for chunk in self._sent_queue)
            return
        if not self._outbound_queue:
            return  # aiortc's transmit would find nothing to send
        sent_queue = self._sent_queue
        self._sent_queue = deque()
        try:
            await self._packed(super()._transmit())
        finally:
            newly_sent, self._sent_queue = self._sent_queue, sent_queue
            sent_queue.extend(newly_sent)

    async def _receive_sack_chunk(self, chunk: SackChunk) -> None:
        """aiortc's SACK handling; what it releases (its flush, then its
        transmit) leaves packed together, as one burst."""
        if chunk.gaps:
            self._retransmit_marked = True  # missing chunks may be struck (RFC 9260 §7.2.4)
        await self._packed(super()._receive_sack_chunk(chunk))
        own = self.__dict__
        if not (own["_sent_queue"] or own["_outbound_queue"] or own["_data_channel_queue"]):
            self._drop_idle_containers(own)

    @staticmethod
    def _drop_idle_containers(own: dict[str, Any]) -> None:
        """All acknowledged, nothing waits: drop the empty queues and sets
        (made again on use); one of another type, put there on purpose, stays."""
        for name in (*IDLE_QUEUES, *IDLE_SETS):
            if type(own[name]) in (deque, set) and not own[name]:
                own[name] = None

    if not TYPE_CHECKING:  # (aiortc declares them as plain attributes)
        _outbound_queue = _made_on_use("_outbound_queue", deque)
        _sent_queue = _made_on_use("_sent_queue", deque)
        _data_channel_queue = _made_on_use("_data_channel_queue", deque)
        _data_channel_inbound_reset = _made_on_use("_data_channel_inbound_reset", set)
        _data_channel_outbound_reset = _made_on_use("_data_channel_outbound_reset", set)

    def _t3_expired(self) -> None:
        self._retransmit_marked = True  # every outstanding chunk gets marked
        self._t3_deadline = None
        super()._t3_expired()

    def _t3_start(self) -> None:
        """Start T3 (RFC 9260 §6.3.2) for an RTO from now, without a timer per
        call: aiortc starts it for each packet sent with nothing outstanding
        and cancels it at each SACK that acknowledges everything -- a timer
        made and cancelled per message at one message a round trip, each left
        in the event loop's heap until its time. Here the armed timer stays
        when T3 is cancelled or restarted later; when it fires it expires T3
        only if the deadline has come, or re-arms for the later deadline."""
        loop = asyncio.get_running_loop()
        self._t3_deadline = deadline = loop.time() + self._rto
        timer = self._t3_timer
        if timer is None or timer.when() > deadline:
            if timer is not None:
                timer.cancel()
            self._t3_timer = timer = loop.call_at(deadline, self._t3_fired)
        self._t3_handle = timer

    def _t3_restart(self) -> None:
        self._t3_start()

    def _t3_cancel(self) -> None:
        self._t3_deadline = None  # the armed timer, if any, will find nothing to do
        self._t3_handle = None

    def _t3_fired(self) -> None:
        self._t3_timer = None
        deadline = self._t3_deadline
        if deadline is None:
            return  # cancelled meanwhile
        loop = asyncio.get_running_loop()
        if deadline > loop.time():  # restarted meanwhile: wait for the new deadline
            self._t3_timer = self._t3_handle = loop.call_at(deadline, self._t3_fired)
            return
        self._t3_expired()

    async def _handle_data(self, data: bytes) -> None:
        """aiortc's packet handling; a packet of an established association
        that carries only DATA and SACK chunks goes straight to their
        handlers (aiortc's chunk dispatch does nothing else for them)."""
        try:
            _, _, verification_tag, chunks = parse_packet(data)
        except ValueError:
            return
        data_path = (
            verification_tag == self._local_verification_tag
            and self._association_state == self.State.ESTABLISHED
        )
        for chunk in chunks:  # usually one
            if type(chunk) not in _DATA_PATH_CHUNKS:
                data_path = False
                break
        if not data_path:
            await super()._handle_data(data)  # any other packet: aiortc's way, in full
            return
        for chunk in chunks:
            if type(chunk) is DataChunk:
                await self._receive_data_chunk(chunk)
            else:
                await self._receive_sack_chunk(cast(SackChunk, chunk))
        if self._sack_needed:
            await self._send_sack()

    async def _receive_data_chunk(self, chunk: DataChunk) -> None:
        """aiortc's DATA handling, with two shortcuts that end as aiortc's would.

        A chunk that is a whole message, next in its stream's order (or
        unordered), with nothing waiting for reassembly, is delivered at once
        (aiortc queues it and scans the queue: a generator and list copies per
        message). A chunk that arrives after every chunk waiting for
        reassembly and ends no message cannot complete one, so it is only
        recorded and queued, without aiortc's scan of the whole reassembly
        queue (per fragment: quadratic in a message's fragments)."""
        stream = self._inbound_streams.get(chunk.stream_id)
        flags = chunk.flags
        if (
            stream is not None
            and flags & _WHOLE_MESSAGE == _WHOLE_MESSAGE
            and not stream.reassembly
            and self._reconfig_deferred is None
            and (flags & SCTP_DATA_UNORDERED or chunk.stream_seq == stream.sequence_number)
        ):
            # A whole message in one chunk, next in its stream's order, with
            # nothing waiting for reassembly: what aiortc's queue-and-scan
            # (``add_chunk``, ``pop_messages``) would deliver, delivered now.
            self._sack_needed = True
            if self._mark_received(chunk.tsn):
                return  # a duplicate
            if not flags & SCTP_DATA_UNORDERED:
                stream.sequence_number = uint16_add(stream.sequence_number, 1)
            await self._receive(chunk.stream_id, chunk.protocol, chunk.user_data)
            return
        if (
            stream is None
            or flags & SCTP_DATA_LAST_FRAG
            or self._reconfig_deferred is not None
            or (stream.reassembly and not uint32_gt(chunk.tsn, stream.reassembly[-1].tsn))
        ):
            await super()._receive_data_chunk(chunk)
            return
        self._sack_needed = True
        if self._mark_received(chunk.tsn):
            return  # a duplicate
        stream.reassembly.append(chunk)  # in TSN order: after every waiting chunk
        self._advertised_rwnd -= len(chunk.user_data)

    def _mark_received(self, tsn: int) -> bool:
        """aiortc's bookkeeping of a received TSN; the next TSN in order with no
        gap or duplicate pending (every chunk of a clean stream) takes one step
        instead of aiortc's set, sort and two filtered copies per chunk."""
        last = self._last_received_tsn
        if (
            last is not None
            and not self._sack_misordered
            and not self._sack_duplicates
            and tsn == tsn_plus_one(last)
        ):
            self._last_received_tsn = tsn
            return False
        return bool(super()._mark_received(tsn))

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
        packets: list[bytes] = []
        packet: list[bytes] = []
        size = 0
        carries_data = False
        if self._sack_needed and self._sack_due is not None:
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
                packets.append(self._frame(packet))
                packet, size, carries_data = [], 0, False
            packet.append(data)
            size += len(data)
            carries_data = carries_data or is_data
        if packet:
            packets.append(self._frame(packet))
        await self._send_packets(packets)

    async def _send_sack(self) -> None:
        if self._may_delay_sack():
            return  # ``_sack_needed`` stays set: our next DATA, packet or the timer sends it
        await self._send_sack_now()

    async def _send_chunk(self, chunk: Chunk) -> None:
        collecting = self._collecting
        if collecting is not None:
            collecting.append(chunk)  # DATA always is: aiortc sends it from _transmit
            return
        await self._send_packets([self._frame([bytes(chunk)])])  # as aiortc frames it

    async def _take_delayed_sack(self) -> bytes | None:
        """The pending SACK, built by aiortc (bookkeeping cleared), as chunk bytes."""
        self._collecting = []
        try:
            await self._send_sack_now()
        finally:
            collected, self._collecting = self._collecting, None
        return bytes(collected[0]) if len(collected) == 1 else None

    def _frame(self, chunks: list[bytes]) -> bytes:
        """One SCTP packet with ``chunks`` (serialized chunk bytes), as aiortc frames one."""
        port = self._remote_port
        assert port is not None  # set before the association can carry DATA
        bundle = cast(Chunk, _Bundle(chunks))
        return serialize_packet(self._local_port, port, self._remote_verification_tag, bundle)

    async def _send_packets(self, packets: list[bytes]) -> None:
        """``packets`` to DTLS in order: in one call where it takes a burst
        (:meth:`rtcpeer.transport.ObservedDtlsTransport.send_burst`)."""
        transport = self.transport
        send_burst = getattr(transport, "send_burst", None)
        if send_burst is not None:
            send_burst(packets)
            return
        for packet in packets:
            await transport._send_data(packet)

    async def _send_sack_now(self) -> None:
        self._sack_due = None  # the timer, if any, stays: it will find nothing due
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
        loop = asyncio.get_running_loop()
        self._sack_due = due = loop.time() + SACK_DELAY
        if self._sack_timer is None:
            self._sack_timer = loop.call_at(due, self._sack_delay_over)
        return True

    def _set_state(self, state: RTCSctpTransport.State) -> None:
        super()._set_state(state)
        if state != self.State.CLOSED:
            return
        if self._sack_timer is not None:
            self._sack_timer.cancel()  # aiortc cancels its own timers here, not ours
            self._sack_timer = None
            self._sack_due = None
        if self._t3_timer is not None:  # aiortc's cancel (ours) leaves it armed
            self._t3_timer.cancel()
            self._t3_timer = None

    def _sack_delay_over(self) -> None:
        self._sack_timer = None
        due = self._sack_due
        if due is None:
            return  # acknowledged meanwhile
        loop = asyncio.get_running_loop()
        if due > loop.time():  # a later packet's delay: wait for its deadline
            self._sack_timer = loop.call_at(due, self._sack_delay_over)
            return
        if self._sack_needed and self._association_state == self.State.ESTABLISHED:
            self._packets_unacknowledged = 2  # no further delay
            self._sack_task = asyncio.ensure_future(self._send_delayed_sack())

    async def _send_delayed_sack(self) -> None:
        with contextlib.suppress(*DTLS_GONE):  # DTLS went away meanwhile
            await self._send_sack()


class EagerFlushSctpTransport(DelayedSackSctpTransport):
    """aiortc's SCTP transport (delayed SACKs) whose data-channel flush runs when asked for."""

    def _data_channel_flush(self) -> asyncio.Future[None]:  # type: ignore[override]
        if not self._data_channel_queue and not self._reconfig_queue:
            # aiortc's flush would find nothing to move and no stream reset
            # to send (every SACK runs one): no coroutine for it.
            return finished_future()
        return done_future(super()._data_channel_flush())


__all__ = [
    "MAX_BUNDLED_CHUNKS_LENGTH",
    "PATH_INITIAL_CWND",
    "SACK_DELAY",
    "DelayedSackSctpTransport",
    "EagerFlushSctpTransport",
]
