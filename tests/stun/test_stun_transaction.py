"""STUN client transactions on a virtual clock: exact RFC 8489 send times,
timeouts, response matching and integrity checks."""

from __future__ import annotations

import pytest

from rtcpeer.stun import Attr, MessageClass, Method, StunMessage, decode_message
from rtcpeer.stun.transaction import (
    RetransmissionPolicy,
    StunTransaction,
    TransactionManager,
    TransactionResponse,
    TransactionTimeout,
)

KEY = b"0123456789abcdef"


def _request() -> StunMessage:
    return StunMessage(Method.BINDING, MessageClass.REQUEST)


def _run(transaction: StunTransaction, until: float = 1000.0) -> list[float]:
    """Drive the transaction's own timer; return the times it sent at."""
    sends: list[float] = []
    now = 0.0
    sends += [now] * len(transaction.datagrams_to_send())
    while (deadline := transaction.get_timer()) is not None and deadline <= until:
        now = deadline
        transaction.handle_timer(now)
        sends += [now] * len(transaction.datagrams_to_send())
    return sends


def _reply(
    request: StunMessage, *, key: bytes | None = None, error: int | None = None
) -> StunMessage:
    response = request.error(error) if error else request.success()
    return decode_message(response.encode(key, fingerprint=True))


def test_udp_send_times_and_timeout() -> None:
    transaction = StunTransaction(_request(), b"req", 0.0)
    assert _run(transaction, until=39.4) == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert not transaction.done
    assert transaction.get_timer() == 39.5
    transaction.handle_timer(39.4999)  # early call: nothing happens
    assert not transaction.done
    transaction.handle_timer(39.5)
    assert transaction.result == TransactionTimeout(transaction.transaction_id)
    assert transaction.transmissions == 7
    assert transaction.get_timer() is None


def test_udp_custom_rto() -> None:
    policy = RetransmissionPolicy(rto=0.1, rc=4, rm=2)
    transaction = StunTransaction(_request(), b"req", 10.0, policy=policy)
    sends = []
    now = 10.0
    sends += [now] * len(transaction.datagrams_to_send())
    while (deadline := transaction.get_timer()) is not None:
        now = deadline
        transaction.handle_timer(now)
        sends += [now] * len(transaction.datagrams_to_send())
    assert sends == pytest.approx([10.0, 10.1, 10.3, 10.7])
    assert now == pytest.approx(10.9)  # 10.7 + rm * rto
    assert isinstance(transaction.result, TransactionTimeout)


def test_reliable_sends_once_then_times_out_at_ti() -> None:
    transaction = StunTransaction(_request(), b"req", 0.0, reliable=True)
    assert _run(transaction) == [0.0]
    assert isinstance(transaction.result, TransactionTimeout)
    custom = StunTransaction(
        _request(),
        b"req",
        5.0,
        reliable=True,
        policy=RetransmissionPolicy(reliable_timeout=2.0),
    )
    assert custom.get_timer() == 7.0


def test_response_matched_by_transaction_id() -> None:
    request = _request()
    transaction = StunTransaction(request, b"req", 0.0)
    other = _reply(_request())
    assert not transaction.receive(other)
    indication = StunMessage(Method.BINDING, MessageClass.INDICATION, request.transaction_id)
    assert not transaction.receive(indication)
    assert not transaction.done
    response = _reply(request)
    assert transaction.receive(response)
    assert transaction.result == TransactionResponse(request.transaction_id, response)
    assert transaction.get_timer() is None
    assert not transaction.receive(response)  # a duplicate is not consumed twice


def test_bad_integrity_is_ignored_and_transaction_keeps_waiting() -> None:
    request = _request()
    transaction = StunTransaction(request, b"req", 0.0, integrity_key=KEY)
    forged = _reply(request, key=b"wrong key")
    assert not transaction.receive(forged)
    unprotected_success = _reply(request)
    assert not transaction.receive(unprotected_success)
    assert not transaction.done
    transaction.handle_timer(0.5)  # still retransmitting
    assert transaction.transmissions == 2
    genuine = _reply(request, key=KEY)
    assert transaction.receive(genuine)
    assert isinstance(transaction.result, TransactionResponse)


def test_unprotected_error_is_accepted_with_key() -> None:
    request = _request()
    transaction = StunTransaction(request, b"req", 0.0, integrity_key=KEY)
    assert transaction.receive(_reply(request, error=401))
    result = transaction.result
    assert isinstance(result, TransactionResponse)
    assert result.response.error_code == 401


def test_sha256_integrity_verifies() -> None:
    request = _request()
    transaction = StunTransaction(request, b"req", 0.0, integrity_key=KEY)
    response = request.success().add(Attr.SOFTWARE, "x")
    data = response.encode(KEY, sha256=True, sha1=False)
    assert transaction.receive(decode_message(data))


def test_manager_events_timers_and_cancel() -> None:
    manager = TransactionManager()
    first, second, third = _request(), _request(), _request()
    manager.start(first, b"1", 0.0)
    manager.start(second, b"2", 0.2)
    manager.start(third, b"3", 0.3)
    with pytest.raises(ValueError):
        manager.start(first, b"1", 0.4)
    assert manager.datagrams_to_send() == [b"1", b"2", b"3"]
    assert manager.get_timer() == 0.5
    manager.handle_timer(0.5)
    assert manager.datagrams_to_send() == [b"1"]  # only the first was due
    assert manager.get_timer() == pytest.approx(0.7)

    response = _reply(second)
    assert manager.receive(response)
    assert not manager.receive(response)
    assert manager.next_event() == TransactionResponse(second.transaction_id, response)
    manager.cancel(third.transaction_id)
    assert third.transaction_id not in manager
    assert len(manager) == 1

    manager.handle_timer(40.0)
    assert manager.next_event() == TransactionTimeout(first.transaction_id)
    assert manager.next_event() is None  # the cancelled one produced no event
    assert manager.get_timer() is None


def test_manager_reliable() -> None:
    manager = TransactionManager(reliable=True, policy=RetransmissionPolicy(reliable_timeout=3))
    request = _request()
    manager.start(request, b"r", 1.0)
    assert manager.datagrams_to_send() == [b"r"]
    manager.handle_timer(3.9)
    assert manager.datagrams_to_send() == []
    assert manager.next_event() is None
    manager.handle_timer(4.0)
    assert manager.next_event() == TransactionTimeout(request.transaction_id)


def test_late_timer_catches_up_without_shifting_the_schedule() -> None:
    transaction = StunTransaction(_request(), b"req", 0.0)
    transaction.datagrams_to_send()
    transaction.handle_timer(0.9)  # fired 0.4 s late
    assert transaction.datagrams_to_send() == [b"req"]
    assert transaction.get_timer() == 1.5  # still on the RFC timeline
    transaction.handle_timer(20.0)  # very late: 1.5, 3.5, 7.5 and 15.5 missed
    assert transaction.datagrams_to_send() == [b"req"]  # collapsed into one send
    assert transaction.get_timer() == 31.5
    transaction.handle_timer(100.0)
    assert isinstance(transaction.result, TransactionTimeout)
