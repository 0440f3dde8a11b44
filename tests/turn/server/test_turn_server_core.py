"""The sans-IO TURN server core on a virtual clock: every RFC 8656 rule."""

from __future__ import annotations

import struct
from typing import cast

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.turn_server import (
    PEER,
    PEER2,
    REALM,
    SERVER,
    CoreClient,
    client_key,
    make_core,
    only_reply,
    relayed,
)

from rtcpeer.stun import (
    TRANSPORT_TCP,
    Attr,
    ErrorCode,
    MessageClass,
    Method,
    StunMessage,
    decode_channel_data,
    decode_message,
    encode_channel_data,
    long_term_key,
)
from rtcpeer.turn.credentials import rest_api_password as rest_password
from rtcpeer.turn.server import (
    AllocationCreated,
    AllocationDeleted,
    SendFromRelay,
    SendToClient,
)


def test_binding_needs_no_auth_and_reports_the_mapped_address() -> None:
    core, _ = make_core()
    client = client_key()
    request = StunMessage(Method.BINDING, MessageClass.REQUEST)
    reply = only_reply(core.receive_from_client(client, request.encode(), 0.0), client)
    assert reply.message_class is MessageClass.SUCCESS
    assert reply.transaction_id == request.transaction_id
    assert reply.get(Attr.XOR_MAPPED_ADDRESS) == client.remote
    assert not reply.has(Attr.SOFTWARE)  # nothing an unauthenticated sender needs
    assert reply.has(Attr.FINGERPRINT)


def test_unauthenticated_allocate_is_challenged_with_realm_and_nonce() -> None:
    core, relays = make_core()
    client = client_key()
    request = StunMessage(Method.ALLOCATE, MessageClass.REQUEST)
    request.add(Attr.REQUESTED_TRANSPORT, 17)
    reply = only_reply(core.receive_from_client(client, request.encode(), 0.0), client)
    assert reply.error_code == ErrorCode.UNAUTHENTICATED
    assert reply.get(Attr.REALM) == REALM
    assert reply.get(Attr.NONCE)
    assert not reply.has(Attr.MESSAGE_INTEGRITY)
    assert not relays.open and not core.allocations


def test_allocate_success_is_integrity_protected() -> None:
    core, relays = make_core()
    client = client_key()
    alice = CoreClient(core, client)
    reply = alice.allocate(0.0)
    assert reply.message_class is MessageClass.SUCCESS
    assert reply.get(Attr.XOR_RELAYED_ADDRESS) in relays.open
    assert reply.get(Attr.LIFETIME) == 600
    assert reply.get(Attr.XOR_MAPPED_ADDRESS) == client.remote
    assert reply.check_integrity(alice.key)
    assert not reply.check_integrity(long_term_key("alice", REALM, "wrong"))
    assert reply.has(Attr.FINGERPRINT)
    event = core.next_event()
    assert isinstance(event, AllocationCreated) and event.username == "alice"


def test_integrity_without_username_is_bad_request() -> None:
    core, _ = make_core()
    alice = CoreClient(core, client_key())
    alice.allocate(0.0)  # learn a nonce
    message = StunMessage(Method.REFRESH, MessageClass.REQUEST)
    message.add(Attr.REALM, REALM).add(Attr.NONCE, alice.nonce)
    assert alice.raw(message, 1.0, alice.key).error_code == ErrorCode.BAD_REQUEST


def test_wrong_password_and_unknown_user_get_401() -> None:
    core, relays = make_core()
    for user, password in (("alice", "nope"), ("mallory", "secret")):
        reply = CoreClient(core, client_key(), user, password).allocate(0.0)
        assert reply.error_code == ErrorCode.UNAUTHENTICATED
        assert reply.get(Attr.NONCE) and reply.get(Attr.REALM) == REALM
    assert not relays.open


def test_wrong_realm_gets_401() -> None:
    core, _ = make_core()
    reply = CoreClient(core, client_key(), realm="other.test").allocate(0.0)
    assert reply.error_code == ErrorCode.UNAUTHENTICATED


def test_nonce_goes_stale_after_its_lifetime() -> None:
    core, _ = make_core(nonce_lifetime=100)
    alice = CoreClient(core, client_key())
    assert alice.allocate(0.0).message_class is MessageClass.SUCCESS
    old_nonce = alice.nonce
    refresh = alice.signed(StunMessage(Method.REFRESH, MessageClass.REQUEST))
    assert alice.raw(refresh, 99.0, alice.key).message_class is MessageClass.SUCCESS
    stale = alice.signed(StunMessage(Method.REFRESH, MessageClass.REQUEST))
    reply = alice.raw(stale, 100.5, alice.key)
    assert reply.error_code == ErrorCode.STALE_NONCE
    assert reply.get(Attr.NONCE) != old_nonce and reply.get(Attr.REALM) == REALM
    # the client library path: retry with the fresh nonce succeeds
    assert alice.refresh(100.5).message_class is MessageClass.SUCCESS


def test_nonce_is_bound_to_the_five_tuple_and_unforgeable() -> None:
    core, _ = make_core()
    alice = CoreClient(core, client_key(1111))
    alice.allocate(0.0)
    thief = CoreClient(core, client_key(2222))
    thief.nonce = alice.nonce
    message = thief.signed(StunMessage(Method.ALLOCATE, MessageClass.REQUEST))
    message.add(Attr.REQUESTED_TRANSPORT, 17)
    assert thief.raw(message, 1.0, thief.key).error_code == ErrorCode.STALE_NONCE
    thief.nonce = "rtcpffffffff.000000000000000000000000"
    message = thief.signed(StunMessage(Method.ALLOCATE, MessageClass.REQUEST))
    message.add(Attr.REQUESTED_TRANSPORT, 17)
    assert thief.raw(message, 1.0, thief.key).error_code == ErrorCode.STALE_NONCE


def test_rest_api_credentials() -> None:
    secret = "s3cr3t"
    core, _ = make_core(users={}, auth_secrets=("other", secret))
    wall = 1_700_000_000.0

    def attempt(username: str, password: str, port: int) -> StunMessage:
        client = CoreClient(core, client_key(port), username, password)
        client.wall_time = wall
        return client.allocate(0.0)

    valid = f"{int(wall) + 3600}:carol"
    assert attempt(valid, rest_password(secret, valid), 1).message_class is MessageClass.SUCCESS
    bare = str(int(wall) + 60)
    assert attempt(bare, rest_password(secret, bare), 2).message_class is MessageClass.SUCCESS
    expired = f"{int(wall) - 1}:carol"
    reply = attempt(expired, rest_password(secret, expired), 3)
    assert reply.error_code == ErrorCode.UNAUTHENTICATED
    reply = attempt(valid, rest_password("not-the-secret", valid), 4)
    assert reply.error_code == ErrorCode.UNAUTHENTICATED
    reply = attempt("carol", rest_password(secret, "carol"), 5)
    assert reply.error_code == ErrorCode.UNAUTHENTICATED
    odd = "\u00b2\u00b3:carol"  # str.isdigit() digits that int() refuses
    assert attempt(odd, rest_password(secret, odd), 6).error_code == ErrorCode.UNAUTHENTICATED


def test_rest_expiry_uses_wall_offset_when_no_wall_time_is_given() -> None:
    from tests.support.turn_server import FakeRelays

    from rtcpeer.turn.server import TurnServerConfig, TurnServerCore

    config = TurnServerConfig(realm=REALM, auth_secrets=("x",))
    core = TurnServerCore(config, FakeRelays(), wall_offset=1000.0)
    username = "1100:dave"
    client = CoreClient(core, client_key(), username, rest_password("x", username))
    assert client.allocate(50.0).message_class is MessageClass.SUCCESS  # wall 1050
    assert client.refresh(99.0).message_class is MessageClass.SUCCESS  # wall 1099
    assert client.refresh(101.0).error_code == ErrorCode.UNAUTHENTICATED  # wall 1101


def test_static_users_and_rest_secret_together() -> None:
    core, _ = make_core(auth_secrets=("x",))
    assert CoreClient(core, client_key(1)).allocate(0.0).message_class is MessageClass.SUCCESS
    username = "9999999999:erin"
    rest = CoreClient(core, client_key(2), username, rest_password("x", username))
    assert rest.allocate(0.0).message_class is MessageClass.SUCCESS


def test_per_user_and_total_quotas() -> None:
    core, relays = make_core(user_quota=2, total_quota=3)
    for port in (1, 2):
        reply = CoreClient(core, client_key(port)).allocate(0.0)
        assert reply.message_class is MessageClass.SUCCESS
    reply = CoreClient(core, client_key(3)).allocate(0.0)
    assert reply.error_code == ErrorCode.ALLOCATION_QUOTA_REACHED
    assert reply.has(Attr.MESSAGE_INTEGRITY)
    bob = CoreClient(core, client_key(4), "bob", "hunter2")
    assert bob.allocate(0.0).message_class is MessageClass.SUCCESS
    bob2 = CoreClient(core, client_key(5), "bob", "hunter2")
    assert bob2.allocate(0.0).error_code == ErrorCode.ALLOCATION_QUOTA_REACHED
    assert len(relays.open) == 3
    # releasing one frees quota for that user again
    assert bob.refresh(1.0, lifetime=0).get(Attr.LIFETIME) == 0
    assert bob2.allocate(1.0).message_class is MessageClass.SUCCESS


def test_lifetime_is_clamped_and_refresh_zero_deletes() -> None:
    core, relays = make_core(max_lifetime=3600)
    alice = CoreClient(core, client_key(1))
    assert alice.allocate(0.0, (Attr.LIFETIME, 100_000)).get(Attr.LIFETIME) == 3600
    bob = CoreClient(core, client_key(2), "bob", "hunter2")
    assert bob.allocate(0.0, (Attr.LIFETIME, 30)).get(Attr.LIFETIME) == 600
    assert alice.refresh(10.0, lifetime=7200).get(Attr.LIFETIME) == 3600
    relay = next(iter(a.relay for a in core.allocations.values() if a.username == "alice"))
    reply = alice.refresh(20.0, lifetime=0)
    assert reply.message_class is MessageClass.SUCCESS and reply.get(Attr.LIFETIME) == 0
    assert relay in relays.closed and client_key(1) not in core.allocations
    events = [core.next_event() for _ in range(3)]
    assert events[-1] == AllocationDeleted(client_key(1), relay, "refresh")
    assert alice.refresh(21.0).error_code == ErrorCode.ALLOCATION_MISMATCH


def test_allocation_mismatch_and_retransmission() -> None:
    core, relays = make_core()
    alice = CoreClient(core, client_key())
    assert alice.refresh(0.0).error_code == ErrorCode.ALLOCATION_MISMATCH
    assert alice.permit(0.0, PEER).error_code == ErrorCode.ALLOCATION_MISMATCH
    probe = StunMessage(Method.ALLOCATE, MessageClass.REQUEST)
    alice.nonce = alice.raw(probe.add(Attr.REQUESTED_TRANSPORT, 17), 0.0).get(Attr.NONCE)
    first = StunMessage(Method.ALLOCATE, MessageClass.REQUEST)
    first.add(Attr.REQUESTED_TRANSPORT, 17)
    data = alice.signed(first).encode(alice.key)
    out1 = core.receive_from_client(alice.client, data, 0.0)
    out2 = core.receive_from_client(alice.client, data, 0.5)  # retransmission
    assert out1 == out2 and len(relays.open) == 1
    reply = alice.allocate(1.0)  # a new transaction on the same 5-tuple
    assert reply.error_code == ErrorCode.ALLOCATION_MISMATCH
    assert reply.check_integrity(alice.key)


def test_requested_transport_rules() -> None:
    core, relays = make_core()
    alice = CoreClient(core, client_key())
    reply = alice.request(Method.ALLOCATE, [(Attr.REQUESTED_TRANSPORT, TRANSPORT_TCP)], 0.0)
    assert reply.error_code == ErrorCode.UNSUPPORTED_TRANSPORT_PROTOCOL
    assert alice.request(Method.ALLOCATE, [], 0.0).error_code == ErrorCode.BAD_REQUEST
    assert not relays.open


def test_even_port_reservation_token_and_dont_fragment() -> None:
    core, _ = make_core()
    alice = CoreClient(core, client_key(1))
    reply = alice.allocate(0.0, (Attr.EVEN_PORT, b"\x80"))  # R: reserve the next port
    assert reply.error_code == ErrorCode.INSUFFICIENT_CAPACITY
    reply = alice.allocate(0.0, (Attr.RESERVATION_TOKEN, b"12345678"))
    assert reply.error_code == ErrorCode.INSUFFICIENT_CAPACITY
    reply = alice.allocate(0.0, (Attr.RESERVATION_TOKEN, b"12345678"), (Attr.EVEN_PORT, b"\0"))
    assert reply.error_code == ErrorCode.BAD_REQUEST
    assert alice.allocate(0.0, (Attr.EVEN_PORT, b"")).error_code == ErrorCode.BAD_REQUEST
    reply = alice.allocate(0.0, (Attr.EVEN_PORT, b"\0"), (Attr.DONT_FRAGMENT, None))
    assert reply.message_class is MessageClass.SUCCESS
    assert reply.get(Attr.XOR_RELAYED_ADDRESS)[1] % 2 == 0


def test_requested_address_family() -> None:
    core, _ = make_core()
    alice = CoreClient(core, client_key(1))
    reply = alice.allocate(0.0, (Attr.REQUESTED_ADDRESS_FAMILY, 0x02))
    assert reply.error_code == ErrorCode.ADDRESS_FAMILY_NOT_SUPPORTED
    assert alice.allocate(0.0, (Attr.REQUESTED_ADDRESS_FAMILY, 0x07)).error_code == 440
    core6, _ = make_core(families=(4, 6))
    bob = CoreClient(core6, client_key(2))
    reply = bob.allocate(0.0, (Attr.REQUESTED_ADDRESS_FAMILY, 0x02))
    assert reply.get(Attr.XOR_RELAYED_ADDRESS)[0] == "2001:db8::200"
    assert bob.permit(1.0, PEER).error_code == ErrorCode.PEER_ADDRESS_FAMILY_MISMATCH


def test_out_of_ports_gets_508() -> None:
    core, relays = make_core()
    relays.capacity = 0
    assert CoreClient(core, client_key()).allocate(0.0).error_code == 508


def test_unknown_comprehension_required_attribute_gets_420() -> None:
    core, _ = make_core()
    alice = CoreClient(core, client_key())
    reply = alice.allocate(0.0, (0x7FF0, b"\x01\x02\x03\x04"))
    assert reply.error_code == ErrorCode.UNKNOWN_ATTRIBUTE
    assert tuple(reply.get(Attr.UNKNOWN_ATTRIBUTES)) == (0x7FF0,)
    assert reply.check_integrity(alice.key)
    # comprehension-optional ones are ignored
    assert alice.allocate(0.0, (0x8FF0, b"x")).message_class is MessageClass.SUCCESS
    binding = StunMessage(Method.BINDING, MessageClass.REQUEST).add(0x0030, b"abcd")
    reply = only_reply(core.receive_from_client(alice.client, binding.encode(), 1.0), alice.client)
    assert reply.error_code == ErrorCode.UNKNOWN_ATTRIBUTE


def test_other_user_on_existing_allocation_gets_441() -> None:
    core, _ = make_core()
    client = client_key()
    CoreClient(core, client).allocate(0.0)
    bob = CoreClient(core, client, "bob", "hunter2")
    assert bob.refresh(1.0).error_code == ErrorCode.WRONG_CREDENTIALS


def test_permissions_relay_indications_and_expire_after_300s() -> None:
    core, _ = make_core()
    alice = CoreClient(core, client_key())
    relay = alice.relay_address(0.0)
    assert alice.permit(0.0, PEER, PEER2).message_class is MessageClass.SUCCESS
    assert alice.permit(0.0).error_code == ErrorCode.BAD_REQUEST
    sent = relayed(alice.send(1.0, PEER, b"hello"))
    assert sent == [SendFromRelay(relay, PEER, b"hello")]
    # permission is per IP: another port on the same IP is fine
    assert relayed(alice.send(1.0, (PEER[0], 1234), b"x")) == [
        SendFromRelay(relay, (PEER[0], 1234), b"x")
    ]
    assert alice.send(1.0, ("198.51.100.99", 1), b"no permission") == []
    # data from the peer arrives as a Data indication
    out = core.receive_on_relay(relay, PEER2, b"back", 2.0)
    data = only_reply(out, alice.client)
    assert data.method == Method.DATA and data.message_class is MessageClass.INDICATION
    assert data.get(Attr.XOR_PEER_ADDRESS) == PEER2 and data.get(Attr.DATA) == b"back"
    assert core.receive_on_relay(relay, ("198.51.100.99", 1), b"x", 2.0) == []
    # expiry at exactly 300 s on the virtual clock
    assert relayed(alice.send(299.9, PEER, b"late")) != []
    assert core.get_timer() is not None and cast(float, core.get_timer()) <= 300.0
    core.handle_timer(300.0)
    assert alice.send(300.0, PEER, b"expired") == []
    assert core.receive_on_relay(relay, PEER, b"expired", 300.1) == []
    # refreshing the permission brings it back
    alice.permit(301.0, PEER)
    assert relayed(alice.send(302.0, PEER, b"again")) != []


def test_permission_ignores_the_port_but_channels_need_one() -> None:
    core, _ = make_core()
    alice = CoreClient(core, client_key())
    relay = alice.relay_address()
    assert alice.permit(0.0, (PEER[0], 0)).message_class is MessageClass.SUCCESS
    assert relayed(alice.send(1.0, PEER, b"x")) == [SendFromRelay(relay, PEER, b"x")]
    assert alice.bind(1.0, 0x4000, (PEER[0], 0)).error_code == ErrorCode.FORBIDDEN
    assert alice.permit(1.0, ("127.0.0.1", 0)).error_code == ErrorCode.FORBIDDEN


def test_loopback_peers_refused_unless_allowed() -> None:
    core, _ = make_core()
    alice = CoreClient(core, client_key())
    relay = alice.relay_address()
    for peer in (("127.0.0.1", 5000), ("127.9.9.9", 5000)):
        assert alice.permit(1.0, peer).error_code == ErrorCode.FORBIDDEN
        assert alice.bind(1.0, 0x4000, peer).error_code == ErrorCode.FORBIDDEN
    assert alice.permit(1.0, PEER, ("127.0.0.1", 1)).error_code == ErrorCode.FORBIDDEN
    assert alice.send(1.0, PEER, b"x") == []  # the whole request was refused
    assert core.receive_on_relay(relay, ("127.0.0.1", 5000), b"x", 1.0) == []
    assert alice.permit(1.0, ("0.0.0.0", 5000)).error_code == ErrorCode.FORBIDDEN
    assert alice.permit(1.0, ("224.0.0.1", 5000)).error_code == ErrorCode.FORBIDDEN

    core6, _ = make_core(families=(6,))
    bob = CoreClient(core6, client_key())
    bob.allocate(0.0, (Attr.REQUESTED_ADDRESS_FAMILY, 0x02))
    assert bob.permit(1.0, ("::1", 5000)).error_code == ErrorCode.FORBIDDEN

    allowed, _ = make_core(allow_loopback_peers=True)
    carol = CoreClient(allowed, client_key())
    relay = carol.relay_address()
    assert carol.permit(1.0, ("127.0.0.1", 5000)).message_class is MessageClass.SUCCESS
    assert relayed(carol.send(1.0, ("127.0.0.1", 5000), b"x")) != []


def test_own_listening_addresses_are_never_peers() -> None:
    core, _ = make_core()
    alice = CoreClient(core, client_key())
    alice.relay_address()
    assert alice.permit(0.0, SERVER).error_code == ErrorCode.FORBIDDEN
    assert alice.bind(0.0, 0x4001, SERVER).error_code == ErrorCode.FORBIDDEN
    # a permission for the server's IP (other port) does not open its listener
    assert alice.permit(0.0, (SERVER[0], 9999)).message_class is MessageClass.SUCCESS
    assert alice.send(1.0, SERVER, b"attack") == []
    assert relayed(alice.send(1.0, (SERVER[0], 9999), b"ok")) != []

    loop_core, _ = make_core(allow_loopback_peers=True)
    loop_core.add_listening_address(("127.0.0.1", 3478))
    loop_core.add_listening_address(("0.0.0.0", 5349))
    bob = CoreClient(loop_core, client_key())
    bob.relay_address()
    assert bob.permit(0.0, ("127.0.0.1", 3478)).error_code == ErrorCode.FORBIDDEN
    assert bob.permit(0.0, ("127.0.0.2", 5349)).error_code == ErrorCode.FORBIDDEN
    assert bob.permit(0.0, ("127.0.0.1", 4000)).message_class is MessageClass.SUCCESS
    assert bob.send(1.0, ("127.0.0.1", 3478), b"attack") == []


def test_channel_bind_rules() -> None:
    core, _ = make_core()
    alice = CoreClient(core, client_key())
    alice.relay_address()
    for bad in (0x3FFF, 0x5000, 0xFFFF):
        assert alice.bind(0.0, bad, PEER).error_code == ErrorCode.BAD_REQUEST
    missing = alice.request(Method.CHANNEL_BIND, [(Attr.CHANNEL_NUMBER, 0x4000)], 0.0)
    assert missing.error_code == ErrorCode.BAD_REQUEST
    assert alice.bind(0.0, 0x4000, PEER).message_class is MessageClass.SUCCESS
    assert alice.bind(1.0, 0x4000, PEER).message_class is MessageClass.SUCCESS  # refresh
    assert alice.bind(1.0, 0x4000, PEER2).error_code == ErrorCode.BAD_REQUEST
    assert alice.bind(1.0, 0x4001, PEER).error_code == ErrorCode.BAD_REQUEST
    assert alice.bind(1.0, 0x4FFF, PEER2).message_class is MessageClass.SUCCESS


def test_channel_data_both_ways_and_channel_expiry() -> None:
    core, _ = make_core()
    alice = CoreClient(core, client_key())
    relay = alice.relay_address()
    assert alice.bind(0.0, 0x4000, PEER).message_class is MessageClass.SUCCESS
    frame = encode_channel_data(0x4000, b"ping")
    out = core.receive_from_client(alice.client, frame, 1.0)
    assert out == [SendFromRelay(relay, PEER, b"ping")]
    assert core.receive_from_client(alice.client, encode_channel_data(0x4001, b"x"), 1.0) == []
    back = core.receive_on_relay(relay, PEER, b"pong", 1.0)
    assert len(back) == 1 and isinstance(back[0], SendToClient)
    assert decode_channel_data(back[0].data) == (0x4000, b"pong")
    assert len(back[0].data) == 8  # UDP: no padding needed for 4 bytes
    # the permission installed by ChannelBind lasts 300 s
    core.handle_timer(300.0)
    assert core.receive_from_client(alice.client, frame, 300.0) == []
    alice.permit(300.0, PEER)
    assert relayed(core.receive_from_client(alice.client, frame, 301.0)) != []
    alice.permit(590.0, PEER)
    assert alice.refresh(590.0).get(Attr.LIFETIME) == 600
    # the channel itself expires at 600 s; the peer then gets Data indications
    core.handle_timer(600.0)
    assert core.receive_from_client(alice.client, frame, 600.0) == []
    back = core.receive_on_relay(relay, PEER, b"pong", 600.5)
    assert decode_message(only_reply(back, alice.client).raw or b"").method == Method.DATA
    # and the channel may be bound again
    assert alice.bind(601.0, 0x4000, PEER2).message_class is MessageClass.SUCCESS


def test_channel_data_to_stream_clients_is_padded() -> None:
    core, _ = make_core()
    alice = CoreClient(core, client_key(transport="tcp"))
    relay = alice.relay_address()
    alice.bind(0.0, 0x4002, PEER)
    back = core.receive_on_relay(relay, PEER, b"abcde", 1.0)
    assert isinstance(back[0], SendToClient)
    assert len(back[0].data) == 4 + 8 and back[0].data[9:] == b"\0\0\0"
    assert struct.unpack("!HH", back[0].data[:4]) == (0x4002, 5)


def test_allocation_expires_on_the_virtual_clock() -> None:
    core, relays = make_core()
    alice = CoreClient(core, client_key())
    relay = alice.relay_address(0.0)
    core.next_event()
    assert core.get_timer() == 600.0
    core.handle_timer(599.0)
    assert alice.client in core.allocations
    assert alice.refresh(500.0, lifetime=700).get(Attr.LIFETIME) == 700
    core.handle_timer(600.0)
    assert alice.client in core.allocations  # refreshed to 1200
    core.handle_timer(1199.9)
    assert alice.client in core.allocations
    core.handle_timer(1200.0)
    assert alice.client not in core.allocations and relay in relays.closed
    assert core.next_event() == AllocationDeleted(alice.client, relay, "expired")
    assert core.receive_on_relay(relay, PEER, b"x", 1201.0) == []


def test_client_closed_and_close_release_relays() -> None:
    core, relays = make_core()
    a = CoreClient(core, client_key(1, "tcp"))
    a.relay_address()
    b = CoreClient(core, client_key(2))
    b.relay_address()
    core.client_closed(a.client, 1.0)
    assert len(relays.open) == 1
    core.close()
    assert not relays.open and not core.allocations


def test_unknown_method_and_responses_from_clients() -> None:
    core, _ = make_core()
    client = client_key()
    request = StunMessage(0x00AB, MessageClass.REQUEST)
    reply = only_reply(core.receive_from_client(client, request.encode(), 0.0), client)
    assert reply.error_code == ErrorCode.BAD_REQUEST
    response = StunMessage(Method.BINDING, MessageClass.SUCCESS)
    assert core.receive_from_client(client, response.encode(), 0.0) == []


def test_send_indication_without_allocation_is_dropped() -> None:
    core, _ = make_core()
    alice = CoreClient(core, client_key())
    assert alice.send(0.0, PEER, b"x") == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_never_raises(data: bytes) -> None:
    core, _ = make_core()
    alice = CoreClient(core, client_key())
    relay = alice.relay_address()
    alice.permit(0.0, PEER)
    for payload in (data, b"\x00\x01" + data, b"\x40\x00" + data):
        outputs = core.receive_from_client(alice.client, payload, 1.0)
        assert all(isinstance(o, SendToClient | SendFromRelay) for o in outputs)
    core.receive_on_relay(relay, PEER, data, 1.0)
    assert relayed(alice.send(2.0, PEER, b"still")) != []


def test_wrong_integrity_is_rejected() -> None:
    core, relays = make_core()
    alice = CoreClient(core, client_key())
    alice.allocate(0.0)  # learn the nonce, allocation exists
    message = alice.signed(StunMessage(Method.REFRESH, MessageClass.REQUEST))
    data = bytearray(message.encode(alice.key, fingerprint=False))
    data[-1] ^= 0xFF
    reply = only_reply(core.receive_from_client(alice.client, bytes(data), 1.0), alice.client)
    assert reply.error_code == ErrorCode.UNAUTHENTICATED
    assert len(relays.open) == 1
