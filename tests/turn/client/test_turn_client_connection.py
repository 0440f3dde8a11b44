"""The sans-IO TURN client against scripted server replies on a virtual clock."""

from __future__ import annotations

import struct

import pytest

from rtcpeer.stun import (
    Attr,
    MessageClass,
    Method,
    StunMessage,
    decode_channel_data,
    decode_message,
    encode_channel_data,
    long_term_key,
)
from rtcpeer.turn.client import (
    AllocationFailed,
    AllocationLost,
    AllocationRefreshed,
    AllocationState,
    AllocationSucceeded,
    ChannelBindFailed,
    ChannelBound,
    PeerDataReceived,
    PermissionCreated,
    PermissionFailed,
    Released,
    TurnClientConnection,
    TurnError,
    TurnEvent,
    TurnServer,
    refresh_delay,
)

SERVER = TurnServer("192.0.2.1", 3478, "udp")
USER, PASSWORD, REALM = "user", "pass", "example.test"
KEY = long_term_key(USER, REALM, PASSWORD)
RELAYED = ("192.0.2.1", 50000)
MAPPED = ("198.51.100.7", 40000)
PEER = ("203.0.113.9", 7000)


# -- a scripted server ---------------------------------------------------------
def sent(conn: TurnClientConnection, now: float) -> list[bytes]:
    return conn.datagrams_to_send()


def requests(conn: TurnClientConnection, now: float) -> list[StunMessage]:
    """Decode the STUN messages the client wants to send now."""
    return [decode_message(d) for d in sent(conn, now) if d[0] < 4]


def only_request(conn: TurnClientConnection, now: float, method: Method) -> StunMessage:
    pending = requests(conn, now)
    assert len(pending) == 1, pending
    assert pending[0].method == method
    assert pending[0].message_class == MessageClass.REQUEST
    return pending[0]


def answer(
    conn: TurnClientConnection,
    request: StunMessage,
    now: float,
    *,
    error: int | None = None,
    attrs: list[tuple[int, object]] | None = None,
    key: bytes | None = KEY,
) -> None:
    reply = request.error(error) if error else request.success()
    for attr, value in attrs or []:
        reply.add(attr, value)
    conn.receive(reply.encode(key), now)


def events(conn: TurnClientConnection) -> list[TurnEvent]:
    out = []
    while (event := conn.next_event()) is not None:
        out.append(event)
    return out


def challenge(conn: TurnClientConnection, now: float, nonce: str = "nonce-1") -> StunMessage:
    """Answer the unauthenticated Allocate with 401; return the retry."""
    first = only_request(conn, now, Method.ALLOCATE)
    assert not first.has(Attr.USERNAME) and not first.has(Attr.MESSAGE_INTEGRITY)
    assert first.get(Attr.REQUESTED_TRANSPORT) == 17
    answer(conn, first, now, error=401, attrs=[(Attr.REALM, REALM), (Attr.NONCE, nonce)], key=None)
    return only_request(conn, now, Method.ALLOCATE)


def allocated(
    lifetime: int = 600, server: TurnServer = SERVER, now: float = 0.0
) -> TurnClientConnection:
    conn = TurnClientConnection(server, USER, PASSWORD)
    conn.allocate(now)
    retry = challenge(conn, now)
    answer(
        conn,
        retry,
        now,
        attrs=[
            (Attr.XOR_RELAYED_ADDRESS, RELAYED),
            (Attr.XOR_MAPPED_ADDRESS, MAPPED),
            (Attr.LIFETIME, lifetime),
        ],
    )
    assert events(conn) == [AllocationSucceeded(RELAYED, MAPPED, lifetime, (RELAYED,))]
    return conn


# -- allocation ----------------------------------------------------------------
def test_allocate_401_then_authenticated_success() -> None:
    conn = TurnClientConnection(SERVER, USER, PASSWORD)
    conn.allocate(0.0)
    assert conn.state == AllocationState.ALLOCATING
    retry = challenge(conn, 0.0)
    assert retry.get(Attr.USERNAME) == USER
    assert retry.get(Attr.REALM) == REALM
    assert retry.get(Attr.NONCE) == "nonce-1"
    assert retry.check_integrity(KEY)
    assert not retry.check_integrity(long_term_key(USER, REALM, "other"))
    answer(
        conn,
        retry,
        0.1,
        attrs=[
            (Attr.XOR_RELAYED_ADDRESS, RELAYED),
            (Attr.XOR_MAPPED_ADDRESS, MAPPED),
            (Attr.LIFETIME, 600),
        ],
    )
    assert events(conn) == [AllocationSucceeded(RELAYED, MAPPED, 600, (RELAYED,))]
    assert conn.state == AllocationState.ALLOCATED  # type: ignore[comparison-overlap]
    assert conn.relayed_address == RELAYED and conn.mapped_address == MAPPED
    assert conn.get_timer() == pytest.approx(0.1 + 540)


def test_stale_nonce_retries_with_the_new_nonce() -> None:
    conn = TurnClientConnection(SERVER, USER, PASSWORD)
    conn.allocate(0.0)
    retry = challenge(conn, 0.0)
    answer(
        conn, retry, 0.0, error=438, attrs=[(Attr.REALM, REALM), (Attr.NONCE, "nonce-2")], key=None
    )
    again = only_request(conn, 0.0, Method.ALLOCATE)
    assert again.get(Attr.NONCE) == "nonce-2"
    assert again.transaction_id != retry.transaction_id
    assert again.check_integrity(KEY)
    answer(conn, again, 0.0, attrs=[(Attr.XOR_RELAYED_ADDRESS, RELAYED)])
    assert isinstance(events(conn)[0], AllocationSucceeded)


def test_endless_stale_nonce_gives_up_with_438() -> None:
    conn = TurnClientConnection(SERVER, USER, PASSWORD)
    conn.allocate(0.0)
    request = challenge(conn, 0.0)
    for attempt in range(3):
        answer(conn, request, 0.0, error=438, attrs=[(Attr.NONCE, f"n{attempt}")], key=None)
        request = only_request(conn, 0.0, Method.ALLOCATE)
    answer(conn, request, 0.0, error=438, attrs=[(Attr.NONCE, "n-last")], key=None)
    (event,) = events(conn)
    assert isinstance(event, AllocationFailed) and event.error.code == 438
    assert conn.state == AllocationState.FAILED


def test_wrong_password_fails_with_401() -> None:
    conn = TurnClientConnection(SERVER, USER, "wrong")
    conn.allocate(0.0)
    retry = challenge(conn, 0.0)
    answer(conn, retry, 0.0, error=401, attrs=[(Attr.REALM, REALM), (Attr.NONCE, "n2")], key=None)
    assert events(conn) == [AllocationFailed(TurnError(401, SERVER.url, "Unauthenticated"))]
    assert conn.get_timer() is None
    assert sent(conn, 0.0) == []


def test_401_without_realm_fails() -> None:
    conn = TurnClientConnection(SERVER, USER, PASSWORD)
    conn.allocate(0.0)
    first = only_request(conn, 0.0, Method.ALLOCATE)
    answer(conn, first, 0.0, error=401, key=None)
    (event,) = events(conn)
    assert isinstance(event, AllocationFailed) and event.error.code == 401


def test_try_alternate_reports_the_alternate_server() -> None:
    conn = TurnClientConnection(SERVER, USER, PASSWORD)
    conn.allocate(0.0)
    first = only_request(conn, 0.0, Method.ALLOCATE)
    answer(
        conn, first, 0.0, error=300, attrs=[(Attr.ALTERNATE_SERVER, ("192.0.2.2", 3479))], key=None
    )
    (event,) = events(conn)
    assert isinstance(event, AllocationFailed)
    assert event.error.code == 300
    assert event.alternate_server == ("192.0.2.2", 3479)


@pytest.mark.parametrize("code", [403, 437, 486, 508])
def test_allocate_errors_are_structured(code: int) -> None:
    conn = TurnClientConnection(SERVER, USER, PASSWORD)
    conn.allocate(0.0)
    retry = challenge(conn, 0.0)
    answer(conn, retry, 0.0, error=code)
    (event,) = events(conn)
    assert isinstance(event, AllocationFailed)
    assert event.error.code == code
    assert event.error.url == SERVER.url
    assert event.error.reason  # the server's reason phrase
    assert conn.state == AllocationState.FAILED


def test_forged_response_is_ignored() -> None:
    conn = TurnClientConnection(SERVER, USER, PASSWORD)
    conn.allocate(0.0)
    retry = challenge(conn, 0.0)
    answer(conn, retry, 0.0, attrs=[(Attr.XOR_RELAYED_ADDRESS, RELAYED)], key=b"forged")
    assert events(conn) == []
    assert conn.state == AllocationState.ALLOCATING
    answer(conn, retry, 0.0, attrs=[(Attr.XOR_RELAYED_ADDRESS, RELAYED)])
    assert isinstance(events(conn)[0], AllocationSucceeded)


def test_success_without_relayed_address_is_an_error() -> None:
    conn = TurnClientConnection(SERVER, USER, PASSWORD)
    conn.allocate(0.0)
    answer(conn, challenge(conn, 0.0), 0.0)
    (event,) = events(conn)
    assert isinstance(event, AllocationFailed) and event.error.code == 500


def test_unanswered_allocate_times_out_with_701_after_rfc_schedule() -> None:
    conn = TurnClientConnection(SERVER, USER, PASSWORD)
    conn.allocate(0.0)
    send_times = [0.0] * len(sent(conn, 0.0))
    last = 0.0
    while (deadline := conn.get_timer()) is not None and deadline < 100:
        last = deadline
        conn.handle_timer(deadline)
        send_times += [deadline] * len(sent(conn, deadline))
    assert send_times == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    (event,) = events(conn)
    assert isinstance(event, AllocationFailed)
    assert event.error == TurnError(701, SERVER.url, "no response from the server")
    assert last == 39.5


def test_tcp_allocate_sends_once_and_times_out_at_39_5() -> None:
    conn = TurnClientConnection(TurnServer("192.0.2.1", 3478, "tcp"), USER, PASSWORD)
    conn.allocate(0.0)
    assert len(sent(conn, 0.0)) == 1
    assert conn.get_timer() == 39.5
    conn.handle_timer(39.5)
    assert sent(conn, 39.5) == []
    (event,) = events(conn)
    assert isinstance(event, AllocationFailed) and event.error.code == 701


def test_connection_lost_while_allocating_is_701() -> None:
    conn = TurnClientConnection(SERVER, USER, PASSWORD)
    conn.allocate(0.0)
    conn.connection_lost("TLS handshake failed")
    assert events(conn) == [AllocationFailed(TurnError(701, SERVER.url, "TLS handshake failed"))]


# -- refresh -------------------------------------------------------------------
def test_refresh_timing() -> None:
    assert refresh_delay(600) == 540
    assert refresh_delay(3600) == 3540
    assert refresh_delay(100) == 50
    conn = allocated(600)
    assert conn.get_timer() == 540
    conn.handle_timer(539.9)
    assert requests(conn, 539.9) == []
    conn.handle_timer(540)
    refresh = only_request(conn, 540, Method.REFRESH)
    assert refresh.get(Attr.LIFETIME) == 600
    assert refresh.check_integrity(KEY)
    answer(conn, refresh, 540.2, attrs=[(Attr.LIFETIME, 300)])
    assert events(conn) == [AllocationRefreshed(300)]
    assert conn.get_timer() == pytest.approx(540.2 + 240)


def test_short_lifetime_refreshes_halfway() -> None:
    conn = allocated(100)
    assert conn.get_timer() == 50


def test_refresh_stale_nonce_is_retried() -> None:
    conn = allocated(600)
    conn.handle_timer(540)
    refresh = only_request(conn, 540, Method.REFRESH)
    answer(conn, refresh, 540, error=438, attrs=[(Attr.NONCE, "fresh")], key=None)
    again = only_request(conn, 540, Method.REFRESH)
    assert again.get(Attr.NONCE) == "fresh"
    answer(conn, again, 540, attrs=[(Attr.LIFETIME, 600)])
    assert events(conn) == [AllocationRefreshed(600)]


def test_refresh_failure_loses_the_allocation() -> None:
    conn = allocated(600)
    conn.handle_timer(540)
    refresh = only_request(conn, 540, Method.REFRESH)
    answer(conn, refresh, 540, error=437)
    (event,) = events(conn)
    assert isinstance(event, AllocationLost) and event.error.code == 437
    assert conn.state == AllocationState.FAILED
    assert conn.get_timer() is None


def test_refresh_timeout_loses_the_allocation_with_701() -> None:
    conn = allocated(600)
    conn.handle_timer(540)
    requests(conn, 540)
    conn.handle_timer(540 + 39.5)
    (event,) = events(conn)
    assert isinstance(event, AllocationLost) and event.error.code == 701


# -- permissions ---------------------------------------------------------------
def test_permission_created_and_refreshed_every_four_minutes() -> None:
    conn = allocated(3600)
    conn.create_permission(PEER[0], 10.0)
    request = only_request(conn, 10.0, Method.CREATE_PERMISSION)
    assert request.get(Attr.XOR_PEER_ADDRESS) == (PEER[0], 0)
    assert request.check_integrity(KEY)
    assert not conn.has_permission(PEER[0])
    answer(conn, request, 10.1)
    assert events(conn) == [PermissionCreated(PEER[0])]
    assert conn.has_permission(PEER[0])
    assert conn.get_timer() == pytest.approx(250.1)
    conn.handle_timer(250.1)
    refresh = only_request(conn, 250.1, Method.CREATE_PERMISSION)
    assert refresh.get(Attr.XOR_PEER_ADDRESS) == (PEER[0], 0)
    answer(conn, refresh, 250.2)
    assert events(conn) == [PermissionCreated(PEER[0])]
    assert conn.get_timer() == pytest.approx(490.2)


def test_permission_request_in_flight_is_not_duplicated() -> None:
    conn = allocated()
    conn.create_permission(PEER[0], 1.0)
    conn.create_permission(PEER[0], 1.0)
    assert len(requests(conn, 1.0)) == 1


def test_permission_forbidden() -> None:
    conn = allocated()
    conn.create_permission("127.0.0.1", 1.0)
    request = only_request(conn, 1.0, Method.CREATE_PERMISSION)
    answer(conn, request, 1.0, error=403)
    (event,) = events(conn)
    assert isinstance(event, PermissionFailed)
    assert event.peer_host == "127.0.0.1" and event.error.code == 403
    assert not conn.has_permission("127.0.0.1")
    assert conn.get_timer() == 540  # only the allocation refresh remains


def test_peer_must_be_an_ip_literal() -> None:
    conn = allocated()
    with pytest.raises(ValueError):
        conn.create_permission("example.org", 0.0)


# -- channels and data ---------------------------------------------------------
def test_channel_bind_refresh_and_data_path() -> None:
    conn = allocated(3600)
    conn.send(b"early", PEER, 1.0)
    (indication,) = requests(conn, 1.0)
    assert indication.method == Method.SEND
    assert indication.message_class == MessageClass.INDICATION
    assert indication.get(Attr.XOR_PEER_ADDRESS) == PEER
    assert indication.get(Attr.DATA) == b"early"

    channel = conn.bind_channel(PEER, 2.0)
    assert channel == 0x4000
    assert conn.bind_channel(PEER, 2.0) == channel  # same peer, same channel, one request
    request = only_request(conn, 2.0, Method.CHANNEL_BIND)
    assert request.get(Attr.CHANNEL_NUMBER) == 0x4000
    assert request.get(Attr.XOR_PEER_ADDRESS) == PEER
    conn.send(b"before-confirm", PEER, 2.0)  # not bound yet: still an indication
    assert sent(conn, 2.0)[0][0] < 4
    answer(conn, request, 2.5)
    assert events(conn) == [ChannelBound(PEER, 0x4000)]
    assert conn.channel_for(PEER) == 0x4000

    conn.send(b"abc", PEER, 3.0)
    (frame,) = sent(conn, 3.0)
    assert frame == encode_channel_data(0x4000, b"abc")  # unpadded over UDP
    assert conn.bind_channel(("203.0.113.10", 1), 3.0) == 0x4001
    answer(conn, only_request(conn, 3.0, Method.CHANNEL_BIND), 3.0)
    assert events(conn) == [ChannelBound(("203.0.113.10", 1), 0x4001)]

    # Refresh 9 minutes after the bind was confirmed.
    assert conn.get_timer() == pytest.approx(542.5)
    conn.handle_timer(542.5)
    refresh = only_request(conn, 542.5, Method.CHANNEL_BIND)
    assert refresh.get(Attr.CHANNEL_NUMBER) == 0x4000
    answer(conn, refresh, 542.6)
    assert events(conn) == [ChannelBound(PEER, 0x4000)]


def test_channel_data_padded_over_tcp() -> None:
    conn = allocated(server=TurnServer("192.0.2.1", 3478, "tcp"))
    conn.bind_channel(PEER, 0.0)
    answer(conn, only_request(conn, 0.0, Method.CHANNEL_BIND), 0.0)
    events(conn)
    conn.send(b"abcde", PEER, 0.0)
    (frame,) = sent(conn, 0.0)
    assert len(frame) == 4 + 8
    assert struct.unpack("!HH", frame[:4]) == (0x4000, 5)
    assert decode_channel_data(frame) == (0x4000, b"abcde")


def test_channel_bind_failure_falls_back_to_indications() -> None:
    conn = allocated()
    conn.bind_channel(PEER, 0.0)
    answer(conn, only_request(conn, 0.0, Method.CHANNEL_BIND), 0.0, error=400)
    (event,) = events(conn)
    assert isinstance(event, ChannelBindFailed) and event.error.code == 400
    assert conn.channel_for(PEER) is None
    conn.send(b"x", PEER, 0.0)
    (message,) = requests(conn, 0.0)
    assert message.method == Method.SEND


def test_data_indication_and_channel_data_received() -> None:
    conn = allocated()
    data = StunMessage(Method.DATA, MessageClass.INDICATION)
    data.add(Attr.XOR_PEER_ADDRESS, PEER).add(Attr.DATA, b"hello")
    conn.receive(data.encode(None), 1.0)
    assert events(conn) == [PeerDataReceived(PEER, b"hello")]

    conn.receive(encode_channel_data(0x4000, b"unbound"), 1.0)
    assert events(conn) == []  # no such channel: dropped
    conn.bind_channel(PEER, 1.0)
    answer(conn, only_request(conn, 1.0, Method.CHANNEL_BIND), 1.0)
    events(conn)
    conn.receive(encode_channel_data(0x4000, b"via channel", pad=True), 1.0)
    assert events(conn) == [PeerDataReceived(PEER, b"via channel")]
    conn.receive(b"\x40\x00\x00\xff", 1.0)  # malformed: dropped, no exception
    conn.receive(b"\x00\x01garbage", 1.0)
    assert events(conn) == []


def test_data_before_allocation_is_dropped() -> None:
    conn = TurnClientConnection(SERVER, USER, PASSWORD)
    conn.allocate(0.0)
    data = StunMessage(Method.DATA, MessageClass.INDICATION)
    data.add(Attr.XOR_PEER_ADDRESS, PEER).add(Attr.DATA, b"hello")
    conn.receive(data.encode(None), 0.0)
    assert events(conn) == []


# -- release -------------------------------------------------------------------
def test_release_sends_lifetime_zero_and_stops_refreshing() -> None:
    conn = allocated()
    conn.create_permission(PEER[0], 0.0)
    answer(conn, only_request(conn, 0.0, Method.CREATE_PERMISSION), 0.0)
    events(conn)
    conn.release(5.0)
    assert conn.state == AllocationState.RELEASING
    refresh = only_request(conn, 5.0, Method.REFRESH)
    assert refresh.get(Attr.LIFETIME) == 0
    assert refresh.check_integrity(KEY)
    answer(conn, refresh, 5.1, attrs=[(Attr.LIFETIME, 0)])
    assert events(conn) == [Released()]
    assert conn.state == AllocationState.CLOSED  # type: ignore[comparison-overlap]
    assert conn.get_timer() is None
    with pytest.raises(RuntimeError):
        conn.send(b"x", PEER, 6.0)


def test_release_answered_with_437_still_releases() -> None:
    conn = allocated()
    conn.release(1.0)
    answer(conn, only_request(conn, 1.0, Method.REFRESH), 1.0, error=437)
    assert events(conn) == [Released()]


def test_release_unanswered_times_out_into_released() -> None:
    conn = allocated()
    conn.release(1.0)
    requests(conn, 1.0)
    conn.handle_timer(1.0 + 39.5)
    assert events(conn) == [Released()]


def test_release_before_allocation() -> None:
    conn = TurnClientConnection(SERVER, USER, PASSWORD)
    conn.allocate(0.0)
    conn.release(0.1)
    assert events(conn) == [Released()]
    assert conn.get_timer() is None
    assert conn.state == AllocationState.CLOSED


def test_connection_lost_when_allocated_is_reported() -> None:
    conn = allocated()
    conn.connection_lost("reset")
    assert events(conn) == [AllocationLost(TurnError(701, SERVER.url, "reset"))]
    assert conn.get_timer() is None


def test_operations_need_an_allocation() -> None:
    conn = TurnClientConnection(SERVER, USER, PASSWORD)
    with pytest.raises(RuntimeError, match="state new"):
        conn.create_permission(PEER[0], 0.0)
    with pytest.raises(RuntimeError):
        conn.bind_channel(PEER, 0.0)
    conn.allocate(0.0)
    with pytest.raises(RuntimeError):
        conn.allocate(0.0)


def test_turn_error_value_semantics() -> None:
    error = TurnError(701, "turn:x", "unreachable")
    assert error == TurnError(701, "turn:x", "unreachable")
    assert hash(error) == hash(TurnError(701, "turn:x", "unreachable"))
    assert error != TurnError(401, "turn:x", "unreachable")
    assert (error.code, error.url, error.reason) == (701, "turn:x", "unreachable")
    assert "701" in str(error)
    with pytest.raises(AttributeError):
        error.code = 1  # type: ignore[misc]
