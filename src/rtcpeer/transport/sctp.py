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
delayed SACK waits on a clock shared by every association of the event loop
(:class:`SackClock`: one loop timer per 20 ms step that has a deadline in
it, not one per association and message; the call is not withdrawn when the
SACK goes out early, it finds nothing due or waits again for the latest
deadline); a SACK with no gap or duplicate to report is written in one step,
not built through aiortc's SackChunk; a SACK's step of the Advanced.Peer.Ack.Point
(RFC 3758) is one comparison while nothing is abandoned; and aiortc's send
queues and stream-reset sets, dropped while the association is idle, are
plain attributes again once it is not (aiortc reads them through no
property: an idle association holds shared empty placeholders instead, and
the methods that add to them wake it first). For small messages one at
a time (many connections, each quiet most of the time): T3 is not a new
event-loop timer per message either (the armed one stays and re-arms itself
for the latest deadline), a SACK with nothing queued and nothing to
retransmit runs neither aiortc's flush nor its transmit, and a whole message
in one chunk, next in its stream's order, is delivered without aiortc's
reassembly queue. None of these takes a coroutine: a message that fits one
chunk, sent on a quiet channel, goes out at once (the DATA chunk that
aiortc's queue, flush, ``_send`` and ``_transmit`` would make, in one step,
packed with a delayed SACK and handed to DTLS), a SACK without gaps is
handled in one step, and a whole message received reaches the channel's
listeners directly; every packet is parsed once. The packet of a message
at a time (a plain SACK, a DATA chunk, or both) is read from its bytes
without aiortc's ``parse_packet`` and chunk objects (:meth:`_lean_packet`).

All of it leans on aiortc internals (``_send_sack``, ``_send_chunk``,
``_sack_needed``, the gap/duplicate sets, the association state, the ports
and verification tag, ``_transmit``, ``_send``, ``_data_channel_flush``, the
T3 timer and congestion state); the contract test in ``tests/transport``
pins them.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
import weakref
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, cast

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
    WEBRTC_BINARY,
    WEBRTC_BINARY_EMPTY,
    WEBRTC_STRING,
    WEBRTC_STRING_EMPTY,
    Chunk,
    DataChunk,
    InboundStream,
    InitChunk,
    SackChunk,
    parse_packet,
    serialize_packet,
    tsn_plus_one,
)
from aiortc.utils import uint16_add, uint32_gt, uint32_gte
from google_crc32c import value as crc32c
from OpenSSL import SSL

from rtcpeer.emitter import SharedEmitterState
from rtcpeer.transport.eager import done_future, failed_future, finished_future

#: The longest a DATA chunk waits for its SACK (RFC 4960 §6.2: at most 500 ms, 200 ms usual).
SACK_DELAY = 0.2
#: Delayed SACKs fall due on a grid of this step (:class:`SackClock`): each
#: goes out at the step at or before its deadline, so 180-200 ms after the DATA.
SACK_GRAIN = 0.02
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
#: association keeps none of them, it holds :data:`IDLE_QUEUE` instead (see
#: :meth:`DelayedSackSctpTransport._wake_queues`).
IDLE_QUEUES = ("_outbound_queue", "_sent_queue", "_data_channel_queue")
#: aiortc's sets of streams being reset (~0.2 KiB each, even empty): an idle
#: association holds :data:`IDLE_SET` instead until a stream is reset.
IDLE_SETS = ("_data_channel_inbound_reset", "_data_channel_outbound_reset")
#: What an idle association holds for each of its send queues: an empty
#: sequence that reads as aiortc's empty deque does (false, no items, ``[0]``
#: raises IndexError) and that nothing can be added to -- an ``append`` the
#: wake-up missed fails loudly instead of being lost. Shared by every association.
IDLE_QUEUE: tuple[()] = ()
#: What an idle association holds for each stream-reset set (the same, for sets).
IDLE_SET: frozenset[int] = frozenset()
#: A SACK chunk with no gap blocks and no duplicate TSNs (RFC 9260 §3.3.4).
_PLAIN_SACK = struct.Struct("!BBHLLHH")
#: A SACK chunk's body: cumulative TSN ack, a_rwnd, gap blocks, duplicate TSNs.
_PLAIN_SACK_BODY = struct.Struct("!LLHH")
#: The payload protocol id of DCEP messages (RFC 8831 §8): an OPEN received
#: makes aiortc queue the ACK.
_PPID_DCEP = 50
#: An SCTP packet's common header up to its checksum: ports and verification tag (RFC 9260 §3.1).
_COMMON_HEADER = struct.Struct("!HHL")
#: The checksum, as aiortc writes and reads it (CRC32c, little-endian, RFC 9260 Appendix B).
_CHECKSUM = struct.Struct("<L")
#: A chunk's type, flags and length (RFC 9260 §3.2).
_CHUNK_HEADER = struct.Struct("!BBH")
#: A DATA chunk's header: type, flags, length, TSN, stream id, stream sequence, PPID (§3.3.1).
_DATA_HEADER = struct.Struct("!BBHLHHL")
#: The chunk type numbers of DATA and SACK (RFC 9260 §3.2).
_DATA_TYPE, _SACK_TYPE = DataChunk.type, SackChunk.type
#: The association state in which DATA flows.
_ESTABLISHED = RTCSctpTransport.State.ESTABLISHED


class SackClock:
    """The delayed-SACK deadlines of every association on one event loop, on a
    grid of :data:`SACK_GRAIN`: one event-loop timer per grid step that has a
    deadline in it, however many associations wait on that step.

    With a timer per association, each received message whose SACK rode on a
    reply still armed one (1,000 pairs sending every 100 ms in turn: 10,000
    timers a second), and asyncio's timers are Python objects ordered in a heap
    of thousands by a Python ``__lt__``; here a deadline is a dict entry. A
    callback runs at the step at or before its deadline: never later, at most
    :data:`SACK_GRAIN` earlier.
    """

    def __init__(self) -> None:
        #: Callbacks per grid step (a step's number: its time // SACK_GRAIN), by owner.
        self._steps: dict[int, dict[object, Callable[[], object]]] = {}

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> SackClock:
        """The clock of ``loop`` (made on first use)."""
        clock = _SACK_CLOCKS.get(loop)
        if clock is None:
            clock = _SACK_CLOCKS[loop] = cls()
        return clock

    def call_by(
        self,
        loop: asyncio.AbstractEventLoop,
        deadline: float,
        owner: object,
        callback: Callable[[], object],
    ) -> int:
        """Run ``callback`` at the grid step at or before ``deadline`` (loop
        time); the step, for :meth:`withdraw`. ``owner`` has one callback per step."""
        step = int(deadline // SACK_GRAIN)
        waiting = self._steps.get(step)
        if waiting is None:
            waiting = self._steps[step] = {}
            loop.call_at(step * SACK_GRAIN, self._run, loop, step)
        waiting[owner] = callback
        return step

    def withdraw(self, step: int, owner: object) -> None:
        """``owner``'s callback at ``step`` will not run (nor be kept until then)."""
        waiting = self._steps.get(step)
        if waiting is not None:
            waiting.pop(owner, None)

    def _run(self, loop: asyncio.AbstractEventLoop, step: int) -> None:
        for callback in self._steps.pop(step).values():
            try:
                callback()
            except Exception as exc:  # one failing association holds up no other's SACK
                loop.call_exception_handler(
                    {"message": "delayed SACK callback failed", "exception": exc}
                )


#: One :class:`SackClock` per event loop.
_SACK_CLOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SackClock] = (
    weakref.WeakKeyDictionary()
)


class DelayedSackSctpTransport(SharedEmitterState, RTCSctpTransport):
    """aiortc's SCTP transport acknowledging every second packet (or after 200 ms)."""

    def __init__(self, transport: object, port: int = 5000) -> None:
        super().__init__(transport, port)  # type: ignore[arg-type]
        #: The send queues are :data:`IDLE_QUEUE` (see :meth:`_wake_queues`),
        #: but for the sent queue once a whole message sent at once woke it alone.
        self._queues_idle = False
        self._drop_idle_containers(self.__dict__)  # all empty: given back when needed
        self._packets_unacknowledged = 0
        #: The SACK clock of this association's loop (None until first needed).
        self._sack_clock: SackClock | None = None
        #: The SACK clock's step a call of :meth:`_sack_delay_over` waits for; None: none waits.
        self._sack_step: int | None = None
        #: When the SACK being delayed is due (loop time); None: none is owed.
        #: The waiting call is not withdrawn when a SACK goes out early (every
        #: second packet, or on a reply): it finds nothing due, or waits again
        #: for the later deadline.
        self._sack_due: float | None = None
        self._sack_task: asyncio.Future[None] | None = None
        #: While set, chunks handed to ``_send_chunk`` are collected, not sent.
        self._collecting: list[Chunk | bytes] | None = None
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
        """A SACK: without gap blocks while nothing waits to be sent,
        :meth:`_take_plain_sack`; else :meth:`_receive_sack_in_full`."""
        if not self._take_plain_sack(chunk):
            await self._receive_sack_in_full(chunk)
        elif self._forward_tsn_chunk is not None:  # abandoned chunks to skip (RFC 3758)
            await self._transmit()

    async def _receive_sack_in_full(self, chunk: SackChunk) -> None:
        """aiortc's SACK handling; what it releases (its flush, then its
        transmit) leaves packed together, as one burst."""
        if chunk.gaps:
            self._retransmit_marked = True  # missing chunks may be struck (RFC 9260 §7.2.4)
        await self._packed(super()._receive_sack_chunk(chunk))
        self._drop_queues_if_idle()

    def _take_plain_sack(self, chunk: SackChunk) -> bool:
        """Handle ``chunk`` with :meth:`_receive_plain_sack` if it has no gap
        blocks and nothing waits to be sent (no queued message or chunk, no
        stream reset, nothing marked for retransmission, no FORWARD TSN, no
        fast recovery): True if done. The caller transmits if a FORWARD TSN
        fell due (an abandoned chunk became the first outstanding one)."""
        if chunk.gaps or not self._takes_plain_sack():
            return False
        self._receive_plain_sack(chunk.cumulative_tsn)
        self._drop_queues_if_idle()
        return True

    def _takes_plain_sack(self) -> bool:
        """A SACK without gap blocks can be handled by :meth:`_receive_plain_sack`:
        the association is up and nothing waits to be sent (no queued message
        or chunk, no stream reset, nothing marked for retransmission, no
        FORWARD TSN, no fast recovery)."""
        return not (
            self._association_state is not _ESTABLISHED
            or self._fast_recovery_exit is not None
            or self._retransmit_marked
            or self._forward_tsn_chunk is not None
            or self._outbound_queue
            or self._data_channel_queue
            or self._reconfig_queue
        )

    def _drop_queues_if_idle(self) -> None:
        """All acknowledged and nothing queued: :meth:`_drop_idle_containers`
        (unless all three queues are idle already)."""
        if self._sent_queue or self._outbound_queue or self._data_channel_queue:
            return
        if not (self._queues_idle and self.__dict__["_sent_queue"] is IDLE_QUEUE):
            self._drop_idle_containers(self.__dict__)

    def _receive_plain_sack(self, cumulative: int) -> None:
        """aiortc's handling of a SACK without gap blocks (RFC 9260 §6.2.1)
        when nothing is queued, nothing marked for retransmission, no FORWARD
        TSN due and no fast recovery running -- every SACK of a message at a
        time: the acknowledged chunks leave the sent queue and the flight, the
        first one's round trip updates the RTO, the congestion window grows
        as aiortc's does (slow start or congestion avoidance, if it was fully
        used), T3 stops or restarts, the Advanced.Peer.Ack.Point follows.
        aiortc's flush and transmit that follow would find nothing to send
        (unless the peer is now owed a FORWARD TSN: see :meth:`_take_plain_sack`),
        so they do not run; nor does any coroutine. ``cumulative``: the SACK's
        cumulative TSN ack (its a_rwnd is not used, as aiortc does not use it)."""
        if uint32_gt(self._last_sacked_tsn, cumulative):
            return  # an old SACK (arrived out of order)
        received_time = time.time()
        self._last_sacked_tsn = cumulative
        cwnd_fully_utilized = self._flight_size >= self._cwnd
        done = done_bytes = 0
        sent = self._sent_queue
        while sent and uint32_gte(cumulative, sent[0].tsn):
            acked = sent.popleft()
            done += 1
            if not acked._acked:
                done_bytes += acked._book_size
            self._flight_size_decrease(acked)
            if done == 1 and acked._sent_count == 1:
                sent_time = acked._sent_time
                assert sent_time is not None  # (set when it was sent)
                self._update_rto(received_time - sent_time)
        if done and cwnd_fully_utilized:
            if self._cwnd <= self._ssthresh:  # slow start
                self._cwnd += min(done_bytes, USERDATA_MAX_LENGTH)
            else:  # congestion avoidance
                self._partial_bytes_acked += done_bytes
                if self._partial_bytes_acked >= self._cwnd:
                    self._partial_bytes_acked -= self._cwnd
                    self._cwnd += USERDATA_MAX_LENGTH
        if not sent:
            self._t3_cancel()  # nothing outstanding
        elif done:
            self._t3_restart()  # the earliest outstanding chunk was acknowledged
        self._update_advanced_peer_ack_point()

    @staticmethod
    def _drop_idle_containers(own: dict[str, Any]) -> None:
        """All acknowledged, nothing waits: the empty queues and sets give way
        to the shared :data:`IDLE_QUEUE` and :data:`IDLE_SET` (aiortc reads
        them as its empty ones); one of another type, put there on purpose,
        stays. The keys stay too: deleting and adding keys of the instance
        dict would move its entries and slow every other attribute read."""
        idle = True
        for name in IDLE_QUEUES:
            queue = own[name]
            if type(queue) is deque and not queue:
                own[name] = IDLE_QUEUE
            elif queue is not IDLE_QUEUE:
                idle = False
        own["_queues_idle"] = idle
        for name in IDLE_SETS:
            if type(own[name]) is set and not own[name]:
                own[name] = IDLE_SET

    def _wake_queues(self) -> None:
        """Give an idle association its send queues back before aiortc adds to one.

        aiortc's methods that add to a queue while all three may be empty are
        overridden to call this first (:meth:`_data_channel_send`,
        :meth:`_data_channel_open`, and :meth:`_receive` before a DCEP message);
        every other addition takes a chunk or message out of another queue
        first, or adds to one it found non-empty, so the association is awake
        by then (the contract test pins the list). aiortc reads the queues as
        plain attributes: no property or hook on its per-packet path. A
        whole message sent at once (:meth:`_send_whole_message`) wakes the
        sent queue alone: the only one it adds to."""
        own = self.__dict__
        for name in IDLE_QUEUES:
            if own[name] is IDLE_QUEUE:
                own[name] = deque()
        self._queues_idle = False

    def _wake_sets(self) -> None:
        """The stream-reset sets back, before aiortc adds to or discards from one."""
        own = self.__dict__
        for name in IDLE_SETS:
            if own[name] is IDLE_SET:
                own[name] = set()

    def _data_channel_send(self, channel: Any, data: bytes | str) -> None:
        if not self._send_whole_message(channel, data):
            if self._queues_idle:
                self._wake_queues()
            super()._data_channel_send(channel, data)

    def _send_whole_message(self, channel: Any, data: bytes | str) -> bool:
        """Send a message that fits one DATA chunk at once, if aiortc's queue,
        flush and transmit would do nothing else with it; False (nothing done)
        if it must take aiortc's way.

        That is: the association is up, nothing waits in the data-channel or
        outbound queue, no stream reset waits, nothing is marked for
        retransmission and no FORWARD TSN is due, the congestion window has
        room, the channel has its stream id, and the message is a non-empty
        ``str`` or ``bytes`` that fits one chunk and the peer's maximum
        message size -- every message of a quiet channel. What happens is
        what aiortc's ``_data_channel_send``, flush, ``_send`` and
        ``_transmit`` would do with it, in their order (bufferedAmount up,
        a DATA chunk with the next TSN and stream sequence number into the
        sent queue and the flight, T3 started, bufferedAmount down, then the
        packet, a delayed SACK riding in it), without their chain of a dozen
        coroutines and their scheduling of the flush.
        """
        if (
            self._association_state is not _ESTABLISHED
            or self._data_channel_queue
            or self._outbound_queue
            or self._reconfig_queue
            or self._collecting is not None
            or self._retransmit_marked
            or self._forward_tsn_chunk is not None
            or self._flight_size >= self._cwnd
        ):
            return False
        stream_id = channel.id
        if stream_id is None or not data:
            return False  # not registered yet, or an empty message: aiortc's way
        if type(data) is str:
            pp_id, user_data = WEBRTC_STRING, data.encode("utf8")
        elif type(data) is bytes:
            pp_id, user_data = WEBRTC_BINARY, data
        else:
            return False  # (a subclass of either)
        size = len(user_data)
        limit = self._remote_max_message_size
        if size > USERDATA_MAX_LENGTH or (limit and size > limit):
            return False  # fragments, or aiortc's error
        channel._addBufferedAmount(size)
        now = time.time()
        chunk = DataChunk()
        chunk.tsn = self._local_tsn
        chunk.stream_id = stream_id
        chunk.protocol = pp_id
        chunk.user_data = user_data
        if channel.ordered:
            chunk.flags = _WHOLE_MESSAGE
            chunk.stream_seq = seq = self._outbound_stream_seq.get(stream_id, 0)
            self._outbound_stream_seq[stream_id] = uint16_add(seq, 1)
        else:
            chunk.flags = _WHOLE_MESSAGE | SCTP_DATA_UNORDERED  # (stream_seq 0)
        lifetime = channel.maxPacketLifeTime
        chunk._expiry = now + lifetime / 1000 if lifetime else None
        chunk._max_retransmits = channel.maxRetransmits
        chunk._abandoned = chunk._acked = chunk._retransmit = False
        chunk._misses = 0
        chunk._book_size = size
        chunk._in_flight = True
        chunk._sent_count = 1
        chunk._sent_time = now
        self._local_tsn = tsn_plus_one(chunk.tsn)
        sent = self.__dict__["_sent_queue"]
        if sent is IDLE_QUEUE:  # (only the sent queue wakes: the others stay idle)
            sent = self._sent_queue = deque()
        sent.append(chunk)
        self._flight_size += size
        if not self._t3_handle:
            self._t3_start()
        # bufferedamountlow's listeners may send again: their messages join
        # this one's packets, as they would join aiortc's flush.
        collected: list[Chunk | bytes] = [chunk]
        self._collecting = collected
        try:
            channel._addBufferedAmount(-size)
        finally:
            self._collecting = None
        self._send_bundles_now(collected)
        if self._reconfig_queue:  # (a listener closed a channel: aiortc's flush sends it next)
            done_future(self._packed(self._transmit_reconfig()))
        return True

    def _data_channel_open(self, channel: Any) -> None:
        if self._queues_idle:
            self._wake_queues()
        super()._data_channel_open(channel)

    async def _receive(self, stream_id: int, pp_id: int, data: bytes) -> None:
        """A message to the data channels (aiortc's ``_receive``, the only caller
        of ``_data_channel_receive``): an application message is delivered by
        :meth:`_deliver_message`, a DCEP message goes to aiortc's
        ``_data_channel_receive``, the queues woken first (an OPEN is answered
        by an ACK through the queue)."""
        if pp_id != _PPID_DCEP:
            self._deliver_message(stream_id, pp_id, data)
            return
        if self._queues_idle:
            self._wake_queues()
        await self._data_channel_receive(stream_id, pp_id, data)

    def _deliver_message(self, stream_id: int, pp_id: int, data: bytes) -> None:
        """An application message (any payload protocol but DCEP's) to its
        channel's ``message`` listeners, as aiortc's ``_data_channel_receive``
        emits it (RFC 8831 §8: a string, binary, or one of the two empty
        forms; any other protocol id, or a stream with no channel, is
        dropped), without its coroutine: it never suspends."""
        channel = self._data_channels.get(stream_id)
        if channel is None:
            return
        if pp_id == WEBRTC_STRING:
            channel.emit("message", data.decode("utf8"))
        elif pp_id == WEBRTC_BINARY:
            channel.emit("message", data)
        elif pp_id == WEBRTC_STRING_EMPTY:
            channel.emit("message", "")
        elif pp_id == WEBRTC_BINARY_EMPTY:
            channel.emit("message", b"")

    def _data_channel_closed(self, stream_id: int) -> None:
        self._wake_sets()
        super()._data_channel_closed(stream_id)

    async def _receive_reconfig_param(self, param: Any) -> None:
        self._wake_sets()
        await super()._receive_reconfig_param(param)

    async def _reset_deferred_streams(self) -> None:
        if self._reconfig_deferred is not None:  # else aiortc's does nothing (every chunk)
            self._wake_sets()
        await super()._reset_deferred_streams()

    def _update_advanced_peer_ack_point(self) -> None:
        """aiortc's step of RFC 3758's Advanced.Peer.Ack.Point (after every
        SACK), in one step while no chunk is abandoned or reported in a
        FORWARD TSN (every reliable channel): it then only follows the
        cumulative TSN acknowledged, and aiortc's rebuilt stream table (a
        new empty dict per SACK) and FORWARD TSN check find nothing."""
        if not self._forward_tsn_streams:
            outbound, sent = self._outbound_queue, self._sent_queue
            if not (outbound and outbound[0]._abandoned) and not (sent and sent[0]._abandoned):
                last = self._last_sacked_tsn
                if uint32_gt(last, self._advanced_peer_ack_tsn):
                    self._advanced_peer_ack_tsn = last
                if not uint32_gt(self._advanced_peer_ack_tsn, last):
                    return
        super()._update_advanced_peer_ack_point()

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
        """aiortc's packet handling, the packet parsed once; a packet of an
        established association that carries only DATA and SACK chunks goes
        straight to their handlers (aiortc's chunk dispatch does nothing else
        for them), any other to :meth:`_handle_chunks`. The usual data-path
        packet (:meth:`_lean_packet`) is read from its bytes, without aiortc's
        chunk objects."""
        lean = self._lean_packet(data)
        if lean is not None:
            await self._receive_lean_packet(data, *lean)
            return
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
            await self._handle_chunks(verification_tag, chunks)  # any other packet
            return
        for chunk in chunks:  # no coroutine for a whole message, a fragment, a plain SACK
            if type(chunk) is DataChunk:
                flags = chunk.flags
                if flags & _WHOLE_MESSAGE == _WHOLE_MESSAGE:
                    taken = self._take_whole_message(chunk)
                else:  # (a last fragment is never queued alone)
                    taken = not flags & SCTP_DATA_LAST_FRAG and self._queue_fragment(chunk)
                if not taken:
                    await self._receive_data_chunk(chunk)
                continue
            sack = cast(SackChunk, chunk)
            if not self._take_plain_sack(sack):
                await self._receive_sack_in_full(sack)
            elif self._forward_tsn_chunk is not None:  # abandoned chunks to skip (RFC 3758)
                await self._transmit()
        if self._sack_needed and not self._may_delay_sack():  # (what _send_sack does)
            await self._send_sack_now()

    def _lean_packet(self, data: bytes) -> tuple[int | None, int] | None:
        """The packet of every message at a time, read without aiortc's
        ``parse_packet`` and its chunk objects: a valid packet of this
        established association that carries a plain SACK (no gap block, no
        duplicate TSN), a DATA chunk, or a plain SACK and then a DATA chunk,
        where the SACK would be taken by :meth:`_take_plain_sack` and the DATA
        chunk by :meth:`_take_whole_message` or :meth:`_queue_fragment`.
        Returns the SACK's cumulative TSN (None: no SACK) and the DATA chunk's
        offset (-1: none); None for any other packet (then aiortc's parse
        takes it: a bad checksum or length is dropped there as before).
        Nothing changes here: the checks read state only."""
        length = len(data)
        if self._association_state is not _ESTABLISHED or length < 16:
            return None
        _, _, tag = _COMMON_HEADER.unpack_from(data)
        if tag != self._local_verification_tag:
            return None
        if crc32c(data[0:8] + b"\x00\x00\x00\x00" + data[12:]) != _CHECKSUM.unpack_from(data, 8)[0]:
            return None
        cumulative: int | None = None
        data_at = -1
        pos = 12
        while pos <= length - 4:
            chunk_type, _, chunk_length = _CHUNK_HEADER.unpack_from(data, pos)
            if chunk_length < 4 or pos + chunk_length > length:
                return None
            first = cumulative is None and data_at < 0
            if chunk_type == _SACK_TYPE and chunk_length == 16 and first:
                cumulative, _, gaps, duplicates = _PLAIN_SACK_BODY.unpack_from(data, pos + 4)
                if gaps or duplicates or not self._takes_plain_sack():
                    return None
            elif chunk_type == _DATA_TYPE and data_at < 0 and chunk_length > 16:
                _, flags, _, tsn, stream_id, stream_seq, protocol = _DATA_HEADER.unpack_from(
                    data, pos
                )
                if flags & _WHOLE_MESSAGE == _WHOLE_MESSAGE:
                    if self._whole_message_stream(stream_id, flags, stream_seq, protocol) is None:
                        return None
                elif flags & SCTP_DATA_LAST_FRAG or self._fragment_stream(stream_id, tsn) is None:
                    return None
                data_at = pos
            else:
                return None
            pos += chunk_length + (-chunk_length % 4)
        if cumulative is None and data_at < 0:
            return None
        return cumulative, data_at

    async def _receive_lean_packet(self, data: bytes, cumulative: int | None, data_at: int) -> None:
        """What :meth:`_handle_data` does with a packet :meth:`_lean_packet`
        read: the plain SACK, then the DATA chunk, then a SACK if one is due."""
        if cumulative is not None:
            self._receive_plain_sack(cumulative)
            self._drop_queues_if_idle()
            if self._forward_tsn_chunk is not None:  # abandoned chunks to skip (RFC 3758)
                await self._transmit()
        if data_at >= 0:
            _, flags, chunk_length, tsn, stream_id, stream_seq, protocol = _DATA_HEADER.unpack_from(
                data, data_at
            )
            # (checked by _lean_packet; a SACK changes no inbound stream, but
            # should a FORWARD TSN's transmit have suspended, aiortc's way)
            if flags & _WHOLE_MESSAGE == _WHOLE_MESSAGE:
                stream = self._whole_message_stream(stream_id, flags, stream_seq, protocol)
                if stream is not None:
                    user_data = data[data_at + 16 : data_at + chunk_length]
                    self._receive_whole_message(stream, tsn, stream_id, flags, protocol, user_data)
                    data_at = -1
            else:
                stream = self._fragment_stream(stream_id, tsn)
                if stream is not None:
                    chunk = DataChunk(flags, data[data_at + 4 : data_at + chunk_length])
                    self._receive_fragment(stream, chunk)
                    data_at = -1
            if data_at >= 0:
                await self._receive_data_chunk(
                    DataChunk(flags, data[data_at + 4 : data_at + chunk_length])
                )
        if self._sack_needed and not self._may_delay_sack():  # (what _send_sack does)
            await self._send_sack_now()

    async def _handle_chunks(self, verification_tag: int, chunks: list[Chunk]) -> None:
        """aiortc's ``_handle_data`` after its parse, for the packet parsed
        once already (every packet of the association's handshake, a DCEP
        message, an ABORT): the verification tag must be ours, or 0 for an
        INIT, which comes alone (RFC 9260 §6.10, §8.5.1: aiortc asserts it,
        here a bundled INIT is dropped); every chunk goes to aiortc's
        ``_receive_chunk``; then a SACK if one is due."""
        if any(isinstance(chunk, InitChunk) for chunk in chunks):
            if len(chunks) != 1:
                return  # a bundled INIT: malformed, dropped
            expected_tag = 0
        else:
            expected_tag = self._local_verification_tag
        if verification_tag != expected_tag:
            return
        for chunk in chunks:
            await self._receive_chunk(chunk)
        if self._sack_needed:
            await self._send_sack()

    async def _receive_data_chunk(self, chunk: DataChunk) -> None:
        """aiortc's DATA handling, with two shortcuts that end as aiortc's
        would (:meth:`_take_whole_message`, :meth:`_queue_fragment`)."""
        if not (self._take_whole_message(chunk) or self._queue_fragment(chunk)):
            await super()._receive_data_chunk(chunk)

    def _take_whole_message(self, chunk: DataChunk) -> bool:
        """Record and deliver ``chunk`` if it is a whole application message,
        next in its stream's order (or unordered), with nothing waiting for
        reassembly: True if done (a duplicate is only recorded), False if
        aiortc's handling must take it. aiortc queues such a chunk and scans
        the queue (``add_chunk``, ``pop_messages``: a generator and list
        copies per message); delivered now, it is what that scan would deliver.
        A DCEP message takes aiortc's way (its OPEN is answered through
        aiortc's flush, and it is the first message of its stream anyway)."""
        flags = chunk.flags
        stream_id, protocol = chunk.stream_id, chunk.protocol
        stream = self._whole_message_stream(stream_id, flags, chunk.stream_seq, protocol)
        if stream is None:
            return False
        self._receive_whole_message(stream, chunk.tsn, stream_id, flags, protocol, chunk.user_data)
        return True

    def _whole_message_stream(
        self, stream_id: int, flags: int, stream_seq: int, protocol: int
    ) -> InboundStream | None:
        """The inbound stream a DATA chunk with these fields is the next whole
        message of, with nothing waiting for reassembly and no DCEP message
        (:meth:`_take_whole_message`'s case); None if aiortc must take it."""
        stream = self._inbound_streams.get(stream_id)
        if (
            stream is None
            or flags & _WHOLE_MESSAGE != _WHOLE_MESSAGE
            or stream.reassembly
            or protocol == _PPID_DCEP
            or self._reconfig_deferred is not None
            or not (flags & SCTP_DATA_UNORDERED or stream_seq == stream.sequence_number)
        ):
            return None
        return stream

    def _receive_whole_message(
        self,
        stream: InboundStream,
        tsn: int,
        stream_id: int,
        flags: int,
        protocol: int,
        user_data: bytes,
    ) -> None:
        """Record and deliver a whole message that :meth:`_whole_message_stream`
        found next on ``stream`` (a duplicate is only recorded)."""
        self._sack_needed = True
        if not self._mark_received(tsn):
            if not flags & SCTP_DATA_UNORDERED:
                stream.sequence_number = uint16_add(stream.sequence_number, 1)
            self._deliver_message(stream_id, protocol, user_data)

    def _queue_fragment(self, chunk: DataChunk) -> bool:
        """Record and queue ``chunk`` if it arrives after every chunk waiting for
        reassembly and ends no message (so it completes none): True if done,
        False if aiortc's handling must take it. Not a coroutine: a bulk
        stream's every fragment but the last takes this way."""
        if chunk.flags & SCTP_DATA_LAST_FRAG:
            return False
        stream = self._fragment_stream(chunk.stream_id, chunk.tsn)
        if stream is None:
            return False
        self._receive_fragment(stream, chunk)
        return True

    def _fragment_stream(self, stream_id: int, tsn: int) -> InboundStream | None:
        """The inbound stream a fragment that ends no message, with this TSN,
        can be queued on after every chunk waiting there (:meth:`_queue_fragment`'s
        case); None if aiortc must take it."""
        stream = self._inbound_streams.get(stream_id)
        if (
            stream is None
            or self._reconfig_deferred is not None
            or (stream.reassembly and not uint32_gt(tsn, stream.reassembly[-1].tsn))
        ):
            return None
        return stream

    def _receive_fragment(self, stream: InboundStream, chunk: DataChunk) -> None:
        """Record and queue a fragment :meth:`_fragment_stream` found a place for."""
        self._sack_needed = True
        if not self._mark_received(chunk.tsn):  # (a duplicate is only recorded)
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

    async def _send_bundles(self, chunks: list[Chunk | bytes]) -> None:
        """``chunks`` in order, as few packets as fit; a delayed SACK rides in the first."""
        sack = None
        if self._sack_needed and self._sack_due is not None:
            sack = await self._take_delayed_sack()
        await self._send_packets(self._bundle(chunks, sack))

    def _bundle(self, chunks: list[Chunk | bytes], sack: bytes | None) -> list[bytes]:
        """``chunks`` in order (``sack`` first, if any), framed into as few
        packets as fit :data:`MAX_BUNDLED_CHUNKS_LENGTH`, control chunks
        before DATA in each (RFC 9260 §6.10)."""
        packets: list[bytes] = []
        packet: list[bytes] = []
        size = 0
        carries_data = False
        if sack is not None:
            packet, size = [sack], len(sack)
        for chunk in chunks:
            data = bytes(chunk)
            is_data = type(chunk) is DataChunk
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
        return packets

    def _send_bundles_now(self, chunks: list[Chunk | bytes]) -> None:
        """:meth:`_send_bundles` from a caller that is no coroutine: at once
        (no coroutine) where the delayed SACK, if any, is a plain one and
        DTLS takes a burst; else as a coroutine run at once
        (:func:`~rtcpeer.transport.eager.done_future`). Either way a failure
        of DTLS is not raised here but handed to a future, as a task's would be."""
        delayed = self._sack_needed and self._sack_due is not None
        sack = self._plain_sack() if delayed else None
        send_burst = getattr(self.transport, "send_burst", None)
        if (delayed and sack is None) or send_burst is None:  # (aiortc builds that SACK)
            done_future(self._send_bundles(chunks))
            return
        try:
            send_burst(self._bundle(chunks, sack))
        except Exception as exc:  # handed on, as a task would hand it on
            failed_future(exc)

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
        """The pending SACK (bookkeeping cleared) as chunk bytes: written in one
        step, or built by aiortc when it reports gaps or duplicates."""
        sack = self._plain_sack()
        if sack is not None:
            return sack
        self._collecting = []
        try:
            await self._send_sack_now()
        finally:
            collected, self._collecting = self._collecting, None
        return bytes(collected[0]) if len(collected) == 1 else None

    def _frame(self, chunks: list[bytes]) -> bytes:
        """One SCTP packet with ``chunks`` (serialized chunk bytes), framed by
        aiortc's ``serialize_packet``: it takes ``bytes()`` of its chunk, and
        ``bytes()`` of bytes is the same object, so the joined chunks go as they are."""
        port = self._remote_port
        assert port is not None  # set before the association can carry DATA
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return serialize_packet(self._local_port, port, self._remote_verification_tag, body)  # type: ignore[arg-type]

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
        sack = self._plain_sack()
        if sack is None:  # gaps or duplicates to report: aiortc builds it
            self._sack_due = None  # a waiting call, if any, stays: it will find nothing due
            self._packets_unacknowledged = 0
            await super()._send_sack()
            return
        collecting = self._collecting
        if collecting is not None:
            collecting.append(sack)
            return
        await self._send_packets([self._frame([sack])])

    def _plain_sack(self) -> bytes | None:
        """The SACK chunk due now when it reports no gap and no duplicate
        (every SACK of a clean stream), with aiortc's bookkeeping of a SACK
        sent; None if there is a gap or a duplicate to report (then aiortc
        builds it). The chunk is written in one step (RFC 9260 §3.3.4: type,
        flags, length, cumulative TSN, a_rwnd, no gap blocks, no duplicates)
        instead of aiortc's SackChunk with its sorted gap set and list copies."""
        if self._sack_misordered or self._sack_duplicates:
            return None
        self._sack_due = None  # a waiting call, if any, stays: it will find nothing due
        self._packets_unacknowledged = 0
        self._sack_needed = False
        rwnd = self._advertised_rwnd
        return _PLAIN_SACK.pack(
            SackChunk.type, 0, _PLAIN_SACK.size, self._last_received_tsn, max(0, rwnd), 0, 0
        )

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
        if self._sack_step is None:
            self._sack_wait(loop, due)
        return True

    def _sack_wait(self, loop: asyncio.AbstractEventLoop, due: float) -> None:
        clock = self._sack_clock
        if clock is None:
            clock = self._sack_clock = SackClock.of(loop)
        self._sack_step = clock.call_by(loop, due, self, self._sack_delay_over)

    def _set_state(self, state: RTCSctpTransport.State) -> None:
        super()._set_state(state)
        if state != self.State.CLOSED:
            return
        self._sack_due = None
        if self._sack_step is not None and self._sack_clock is not None:
            self._sack_clock.withdraw(self._sack_step, self)  # (it would keep us until then)
            self._sack_step = None
        if self._t3_timer is not None:  # aiortc's cancel (ours) leaves it armed
            self._t3_timer.cancel()
            self._t3_timer = None

    def _sack_delay_over(self) -> None:
        """The SACK clock's step for the earliest deadline came: send what is due."""
        self._sack_step = None
        due = self._sack_due
        if due is None:
            return  # acknowledged meanwhile
        loop = asyncio.get_running_loop()
        if due >= loop.time() + SACK_GRAIN:  # a later packet's delay: wait for its step
            self._sack_wait(loop, due)
            return
        if self._sack_needed and self._association_state == self.State.ESTABLISHED:
            self._packets_unacknowledged = 2  # no further delay
            # Sent now, in the clock's callback (a task only if DTLS suspends):
            # no task per delayed SACK, and none kept, finished, per idle association.
            self._sack_task = done_future(self._send_delayed_sack())

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
    "SACK_GRAIN",
    "DelayedSackSctpTransport",
    "EagerFlushSctpTransport",
    "SackClock",
]
