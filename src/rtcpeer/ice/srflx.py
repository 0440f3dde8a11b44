"""Server-reflexive discovery: one STUN Binding transaction to one server.

A :class:`BindingProbe` asks a STUN (or TURN) server what one local socket
looks like from outside. Retransmissions follow RFC 8489 but the whole probe
has a hard ``budget`` (libwebrtc gives up after a few seconds): gathering must
not wait 39.5 s for a server that will never answer, and with N servers in
parallel the slowest answering one, not the sum, sets the gathering time.
"""

from __future__ import annotations

from dataclasses import dataclass

from rtcpeer.sansio import Address
from rtcpeer.stun.constants import REASONS, Attr, MessageClass, Method
from rtcpeer.stun.message import StunMessage
from rtcpeer.stun.transaction import RetransmissionPolicy, StunTransaction
from rtcpeer.turn.errors import UNREACHABLE


@dataclass(frozen=True)
class ProbeSucceeded:
    """The server answered with our mapped address."""

    #: The server-reflexive transport address.
    mapped: Address


@dataclass(frozen=True)
class ProbeFailed:
    """No usable answer: an error response, or nothing within the budget."""

    #: The STUN error code, or 701 when the server did not answer.
    code: int
    #: The reason phrase.
    text: str


ProbeResult = ProbeSucceeded | ProbeFailed


class BindingProbe:
    """One Binding request and its retransmissions, bounded by ``budget`` seconds."""

    def __init__(
        self,
        transaction_id: bytes,
        now: float,
        *,
        budget: float,
        policy: RetransmissionPolicy,
        reliable: bool = False,
    ) -> None:
        request = StunMessage(Method.BINDING, MessageClass.REQUEST, transaction_id)
        self.started = now
        self.deadline = now + budget
        self.result: ProbeResult | None = None
        self._transaction = StunTransaction(
            request, request.encode(None), now, reliable=reliable, policy=policy
        )

    @property
    def transaction_id(self) -> bytes:
        return self._transaction.transaction_id

    @property
    def done(self) -> bool:
        return self.result is not None

    def datagrams_to_send(self) -> list[bytes]:
        return [] if self.done else self._transaction.datagrams_to_send()

    def get_timer(self) -> float | None:
        if self.done:
            return None
        timer = self._transaction.get_timer()
        return self.deadline if timer is None else min(timer, self.deadline)

    def handle_timer(self, now: float) -> None:
        if self.done:
            return
        self._transaction.handle_timer(now)
        if self._transaction.done or now >= self.deadline:
            self._transaction.cancel()
            self.result = ProbeFailed(UNREACHABLE, "STUN server did not answer")

    def receive(self, message: StunMessage) -> bool:
        """Offer a response; True when it was this probe's."""
        if self.done or not self._transaction.receive(message):
            return False
        if message.message_class == MessageClass.ERROR:
            code = message.error_code or 0
            self.result = ProbeFailed(code, message.error_reason or REASONS.get(code, "error"))
            return True
        mapped = message.get(Attr.XOR_MAPPED_ADDRESS) or message.get(Attr.MAPPED_ADDRESS)
        if not isinstance(mapped, tuple):
            self.result = ProbeFailed(UNREACHABLE, "Binding response without a mapped address")
        else:
            self.result = ProbeSucceeded((str(mapped[0]), int(mapped[1])))
        return True

    def cancel(self) -> None:
        if not self.done:
            self._transaction.cancel()
            self.result = ProbeFailed(UNREACHABLE, "cancelled")


__all__ = ["BindingProbe", "ProbeFailed", "ProbeResult", "ProbeSucceeded"]
