"""Delayed SCTP acknowledgement (RFC 4960 §6.2), which aiortc's SCTP lacks.

aiortc answers every packet that carries DATA with a SACK of its own, so a
data channel stream costs two datagrams per message each way through ICE,
DTLS and TURN. RFC 4960 §6.2 says a receiver SHOULD acknowledge at least
every second packet and within 200 ms of an unacknowledged DATA chunk, and
acknowledge at once when it sees a gap or a duplicate (the sender's fast
retransmit depends on that) -- which is what usrsctp and Chromium's dcSCTP
do. Delivery is unaffected: only the sender's bookkeeping waits, and a
steady stream halves its SACKs.

This leans on aiortc internals (``_send_sack``, ``_sack_needed``, the
gap/duplicate sets, the association state); the contract test in
``tests/transport`` pins them.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiortc import RTCSctpTransport

#: The longest a DATA chunk waits for its SACK (RFC 4960 §6.2: at most 500 ms, 200 ms usual).
SACK_DELAY = 0.2


class DelayedSackSctpTransport(RTCSctpTransport):
    """aiortc's SCTP transport acknowledging every second packet (or after 200 ms)."""

    def __init__(self, transport: object, port: int = 5000) -> None:
        super().__init__(transport, port)  # type: ignore[arg-type]
        self._packets_unacknowledged = 0
        self._sack_timer: asyncio.TimerHandle | None = None
        self._sack_task: asyncio.Future[None] | None = None

    async def _send_sack(self) -> None:
        if self._may_delay_sack():
            return  # ``_sack_needed`` stays set: the next packet or the timer sends it
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


__all__ = ["SACK_DELAY", "DelayedSackSctpTransport"]
