"""Data-channel sends leave in the caller's turn, not in a task.

aiortc's ``RTCDataChannel.send()`` queues the message and schedules
``_data_channel_flush()`` as a task, so the message goes out one event-loop
iteration later -- a millisecond or more while the loop is busy with, say,
an ICE restart. The flush never suspends on the data path (SCTP, DTLS and
rtcpeer's ICE transport send synchronously), so :class:`EagerFlushSctpTransport`
runs it at once (:mod:`rtcpeer.transport.eager`) and hands aiortc's call
sites a finished future, which ``asyncio.ensure_future`` passes through and
``await`` reads at once. Several sends queued while a flush is running are
drained by that flush, in order, exactly as before.
"""

from __future__ import annotations

import asyncio

from rtcpeer.peerconnection.sctp_ack import DelayedSackSctpTransport
from rtcpeer.transport.eager import done_future


class EagerFlushSctpTransport(DelayedSackSctpTransport):
    """aiortc's SCTP transport whose data-channel flush runs when it is asked for."""

    def _data_channel_flush(self) -> asyncio.Future[None]:  # type: ignore[override]
        return done_future(super()._data_channel_flush())


__all__ = ["EagerFlushSctpTransport"]
