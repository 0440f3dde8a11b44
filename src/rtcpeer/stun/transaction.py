"""STUN client transactions (RFC 8489 §6.2) as a pure state machine.

Over UDP a request is sent at 0, RTO, 3·RTO, 7·RTO, ... (the interval doubles,
Rc = 7 transmissions in all) and the transaction times out Rm·RTO after the
last one: 39.5 s with the default RTO of 500 ms. Over TCP/TLS the request is
sent once and times out after Ti = 39.5 s. The caller passes ``now`` in every
call, so the same code runs on the event loop's clock or a virtual one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rtcpeer.stun.constants import Attr, MessageClass
from rtcpeer.stun.errors import StunValueError
from rtcpeer.stun.message import MacKey, StunMessage

logger = logging.getLogger(__name__)

#: Plain names for the per-response checks (an Enum member look-up costs ~70 ns).
_MESSAGE_INTEGRITY = int(Attr.MESSAGE_INTEGRITY)
_MESSAGE_INTEGRITY_SHA256 = int(Attr.MESSAGE_INTEGRITY_SHA256)
_ERROR = MessageClass.ERROR
_RESPONSE_CLASSES = (MessageClass.SUCCESS, MessageClass.ERROR)


@dataclass(frozen=True)
class RetransmissionPolicy:
    """Timer constants of RFC 8489 §6.2.1 (UDP) and §6.2.2 (TCP/TLS)."""

    #: Initial retransmission timeout in seconds (doubles after each send).
    rto: float = 0.5
    #: Total number of transmissions over an unreliable transport.
    rc: int = 7
    #: After the last transmission, wait rm · rto before timing out.
    rm: int = 16
    #: Timeout of a transaction over a reliable transport (TCP/TLS).
    reliable_timeout: float = 39.5


@dataclass(frozen=True)
class TransactionResponse:
    """A success or error response matched the transaction."""

    #: The id shared by request and response.
    transaction_id: bytes
    #: The decoded response (its ``message_class`` says success or error).
    response: StunMessage


@dataclass(frozen=True)
class TransactionTimeout:
    """No acceptable response arrived before the transaction gave up."""

    #: The id of the request that went unanswered.
    transaction_id: bytes


TransactionEvent = TransactionResponse | TransactionTimeout


def response_is_acceptable(response: StunMessage, key: MacKey | None) -> bool:
    """Whether a response may complete a request sent with ``key``.

    With a key, an integrity attribute that is present must verify and a
    success response must carry one. Error responses without integrity are
    accepted: servers send 401/438 (and often other errors) unprotected.
    """
    if key is None:
        return True
    protected = response.has(_MESSAGE_INTEGRITY) or response.has(_MESSAGE_INTEGRITY_SHA256)
    if protected:
        return response.check_integrity(key)
    return response.message_class == _ERROR


class StunTransaction:
    """One request awaiting its response."""

    def __init__(
        self,
        request: StunMessage,
        data: bytes,
        now: float,
        *,
        reliable: bool = False,
        policy: RetransmissionPolicy | None = None,
        integrity_key: MacKey | None = None,
    ) -> None:
        self.request = request
        self.data = data
        self.integrity_key = integrity_key
        self._policy = policy or RetransmissionPolicy()
        self._reliable = reliable
        self._sent = 0
        self._interval = self._policy.rto
        self._pending_send = True
        self._result: TransactionEvent | None = None
        self._deadline = now
        self._schedule_after_send(now)

    @property
    def transaction_id(self) -> bytes:
        return self.request.transaction_id

    @property
    def result(self) -> TransactionEvent | None:
        """The outcome, once the transaction has finished."""
        return self._result

    @property
    def done(self) -> bool:
        return self._result is not None

    @property
    def transmissions(self) -> int:
        """How many times the request has been handed out for sending."""
        return self._sent

    def datagrams_to_send(self) -> list[bytes]:
        """The request bytes if a (re)transmission is due, else nothing."""
        if not self._pending_send or self.done:
            return []
        self._pending_send = False
        return [self.data]

    def get_timer(self) -> float | None:
        return None if self.done else self._deadline

    def handle_timer(self, now: float) -> None:
        """Act on every deadline up to ``now``. The schedule stays anchored to
        the first send, so a late call neither shifts later retransmissions
        nor delays the timeout (missed retransmissions collapse into one)."""
        while not self.done and now >= self._deadline:
            if self._reliable or self._sent >= self._policy.rc:
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "STUN transaction %s timed out after %d transmission(s)",
                        self.transaction_id.hex(),
                        self._sent,
                    )
                self._result = TransactionTimeout(self.transaction_id)
                return
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "STUN transaction %s: transmission %d",
                    self.transaction_id.hex(),
                    self._sent + 1,
                )
            self._interval *= 2
            self._schedule_after_send(self._deadline)

    def receive(self, response: StunMessage) -> bool:
        """Offer a response; True when it completed this transaction."""
        if self.done or response.transaction_id != self.transaction_id:
            return False
        if response.message_class not in _RESPONSE_CLASSES:
            return False
        if not response_is_acceptable(response, self.integrity_key):
            return False
        self._result = TransactionResponse(self.transaction_id, response)
        return True

    def cancel(self) -> None:
        """Stop retransmitting; the manager drops it without an event."""
        self._result = TransactionTimeout(self.transaction_id)

    def _schedule_after_send(self, now: float) -> None:
        """Queue a transmission at ``now`` and set the next deadline."""
        self._sent += 1
        self._pending_send = True
        policy = self._policy
        if self._reliable:
            self._deadline = now + policy.reliable_timeout
        elif self._sent >= policy.rc:
            self._deadline = now + policy.rm * policy.rto
        else:
            self._deadline = now + self._interval


class TransactionManager:
    """Client transactions keyed by transaction id, sharing one transport."""

    def __init__(
        self,
        *,
        reliable: bool = False,
        policy: RetransmissionPolicy | None = None,
    ) -> None:
        self.reliable = reliable
        self.policy = policy or RetransmissionPolicy()
        self._transactions: dict[bytes, StunTransaction] = {}
        self._events: list[TransactionEvent] = []

    def __len__(self) -> int:
        return len(self._transactions)

    def __contains__(self, transaction_id: object) -> bool:
        return transaction_id in self._transactions

    def start(
        self,
        request: StunMessage,
        data: bytes,
        now: float,
        *,
        integrity_key: MacKey | None = None,
    ) -> StunTransaction:
        """Begin a transaction for ``request`` already encoded as ``data``."""
        if request.transaction_id in self._transactions:
            raise StunValueError("transaction id already in use")
        transaction = StunTransaction(
            request,
            data,
            now,
            reliable=self.reliable,
            policy=self.policy,
            integrity_key=integrity_key,
        )
        self._transactions[request.transaction_id] = transaction
        return transaction

    def get(self, transaction_id: bytes) -> StunTransaction | None:
        return self._transactions.get(transaction_id)

    def receive(self, response: StunMessage) -> bool:
        """Offer a decoded response; True when it completed a transaction."""
        transaction = self._transactions.get(response.transaction_id)
        if transaction is None or not transaction.receive(response):
            return False
        del self._transactions[response.transaction_id]
        assert transaction.result is not None
        self._events.append(transaction.result)
        return True

    def datagrams_to_send(self) -> list[bytes]:
        out: list[bytes] = []
        for transaction in self._transactions.values():
            out += transaction.datagrams_to_send()
        return out

    def get_timer(self) -> float | None:
        earliest: float | None = None
        for transaction in self._transactions.values():
            timer = transaction.get_timer()
            if timer is not None and (earliest is None or timer < earliest):
                earliest = timer
        return earliest

    def handle_timer(self, now: float) -> None:
        for transaction_id, transaction in list(self._transactions.items()):
            transaction.handle_timer(now)
            if transaction.done:
                del self._transactions[transaction_id]
                assert transaction.result is not None
                self._events.append(transaction.result)

    def cancel(self, transaction_id: bytes) -> None:
        """Forget a transaction silently."""
        transaction = self._transactions.pop(transaction_id, None)
        if transaction is not None:
            transaction.cancel()

    def cancel_all(self) -> None:
        for transaction_id in list(self._transactions):
            self.cancel(transaction_id)

    def next_event(self) -> TransactionEvent | None:
        return self._events.pop(0) if self._events else None
