"""The STUN codec: RFC 5769 vectors, every attribute, integrity, fingerprint,
ChannelData, stream framing and RFC 7983 demultiplexing."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from tests.support import rfc5769

from rtcpeer.stun import (
    MAGIC_COOKIE,
    Attr,
    ErrorCode,
    MessageClass,
    Method,
    PacketKind,
    StreamFramer,
    StunDecodeError,
    StunMessage,
    classify,
    decode_channel_data,
    decode_message,
    encode_channel_data,
    is_stun,
    long_term_key,
    short_term_key,
)

TID = bytes(range(12))


# -- RFC 5769 ------------------------------------------------------------------
def test_rfc5769_request() -> None:
    message = decode_message(rfc5769.REQUEST)
    assert message.method == Method.BINDING
    assert message.message_class == MessageClass.REQUEST
    assert message.transaction_id == bytes.fromhex("b7e7a701bc34d686fa87dfae")
    assert message.get(Attr.SOFTWARE) == "STUN test client"
    assert message.get(Attr.PRIORITY) == 0x6E0001FF
    assert message.get(Attr.ICE_CONTROLLED) == 0x932FF9B151263B36
    assert message.get(Attr.USERNAME) == "evtj:h6vY"
    assert message.has(Attr.FINGERPRINT)
    assert message.check_integrity(short_term_key(rfc5769.REQUEST_PASSWORD))
    assert not message.check_integrity(short_term_key("wrong"))


def test_rfc5769_ipv4_response() -> None:
    message = decode_message(rfc5769.RESPONSE_IPV4)
    assert message.message_class == MessageClass.SUCCESS
    assert message.get(Attr.SOFTWARE) == "test vector"
    assert message.get(Attr.XOR_MAPPED_ADDRESS) == ("192.0.2.1", 32853)
    assert message.check_integrity(short_term_key(rfc5769.REQUEST_PASSWORD))


def test_rfc5769_ipv6_response() -> None:
    message = decode_message(rfc5769.RESPONSE_IPV6)
    assert message.get(Attr.XOR_MAPPED_ADDRESS) == (
        "2001:db8:1234:5678:11:2233:4455:6677",
        32853,
    )
    assert message.check_integrity(short_term_key(rfc5769.REQUEST_PASSWORD))


def test_rfc5769_long_term_request_decodes_and_reencodes_exactly() -> None:
    message = decode_message(rfc5769.LONG_TERM_REQUEST)
    assert message.get(Attr.USERNAME) == rfc5769.LONG_TERM_USERNAME
    assert message.get(Attr.NONCE) == rfc5769.LONG_TERM_NONCE
    assert message.get(Attr.REALM) == rfc5769.LONG_TERM_REALM
    key = long_term_key(
        rfc5769.LONG_TERM_USERNAME, rfc5769.LONG_TERM_REALM, rfc5769.LONG_TERM_PASSWORD
    )
    assert message.check_integrity(key)
    rebuilt = StunMessage(Method.BINDING, MessageClass.REQUEST, message.transaction_id)
    rebuilt.add(Attr.USERNAME, rfc5769.LONG_TERM_USERNAME)
    rebuilt.add(Attr.NONCE, rfc5769.LONG_TERM_NONCE)
    rebuilt.add(Attr.REALM, rfc5769.LONG_TERM_REALM)
    assert rebuilt.encode(key, fingerprint=False) == rfc5769.LONG_TERM_REQUEST


@pytest.mark.parametrize("wrap", [bytearray, memoryview])
def test_any_bytes_like_decodes_as_its_bytes(wrap: Any) -> None:
    """The decoder reads bytes-like input in place (no per-attribute copies):
    a bytearray or memoryview gives the same message, integrity and all."""
    vector = rfc5769.REQUEST
    message = decode_message(wrap(vector))
    assert message.raw == vector and type(message.raw) is bytes
    assert message.attributes == decode_message(vector).attributes
    assert message.check_integrity(short_term_key(rfc5769.REQUEST_PASSWORD))


@pytest.mark.parametrize("vector", [rfc5769.REQUEST, rfc5769.RESPONSE_IPV4, rfc5769.RESPONSE_IPV6])
def test_rfc5769_fingerprint_mismatch_rejected(vector: bytes) -> None:
    corrupted = bytearray(vector)
    corrupted[-1] ^= 0x01
    with pytest.raises(StunDecodeError, match="FINGERPRINT"):
        decode_message(bytes(corrupted))
    body = bytearray(vector)
    body[25] ^= 0x40  # a bit inside the first attribute's value
    with pytest.raises(StunDecodeError, match="FINGERPRINT"):
        decode_message(bytes(body))


def test_rfc5769_vectors_are_stun() -> None:
    for vector in (rfc5769.REQUEST, rfc5769.RESPONSE_IPV4, rfc5769.LONG_TERM_REQUEST):
        assert is_stun(vector)
        assert classify(vector) == PacketKind.STUN


# -- every attribute -----------------------------------------------------------
SAMPLES: dict[Attr, Any] = {
    Attr.MAPPED_ADDRESS: ("192.0.2.1", 3478),
    Attr.USERNAME: "user:name\u00e9",
    Attr.ERROR_CODE: (438, "Stale Nonce"),
    Attr.UNKNOWN_ATTRIBUTES: (0x0002, 0x7FFF, 0x0031),
    Attr.CHANNEL_NUMBER: 0x4ABC,
    Attr.LIFETIME: 0xFFFFFFFF,
    Attr.XOR_PEER_ADDRESS: ("2001:db8::1", 65535),
    Attr.DATA: b"\x00\x01payload\xff",
    Attr.REALM: "example.test",
    Attr.NONCE: "nonce-\u2603",
    Attr.XOR_RELAYED_ADDRESS: ("203.0.113.5", 49152),
    Attr.REQUESTED_ADDRESS_FAMILY: 2,
    Attr.EVEN_PORT: b"\x80",
    Attr.REQUESTED_TRANSPORT: 17,
    Attr.DONT_FRAGMENT: None,
    Attr.XOR_MAPPED_ADDRESS: ("2001:db8::9", 1),
    Attr.RESERVATION_TOKEN: b"12345678",
    Attr.PRIORITY: 0x6E0001FF,
    Attr.USE_CANDIDATE: None,
    Attr.SOFTWARE: "rtcpeer test",
    Attr.ALTERNATE_SERVER: ("::1", 5349),
    Attr.ICE_CONTROLLED: 0x0123456789ABCDEF,
    Attr.ICE_CONTROLLING: 0xFEDCBA9876543210,
    Attr.ADDITIONAL_ADDRESS_FAMILY: 2,
    Attr.ADDRESS_ERROR_CODE: (2, 440, "Address Family not Supported"),
    Attr.ADDITIONAL_ADDRESS_FAMILY_DRAFT: 2,
    Attr.ADDRESS_ERROR_CODE_DRAFT: (1, 508, "Insufficient Capacity"),
}
SPECIAL = {Attr.MESSAGE_INTEGRITY, Attr.MESSAGE_INTEGRITY_SHA256, Attr.FINGERPRINT}


def test_samples_cover_every_attribute() -> None:
    assert set(SAMPLES) | SPECIAL == set(Attr)


_SAMPLED_ATTRS = sorted(SAMPLES, key=int)


@pytest.mark.parametrize("attr", _SAMPLED_ATTRS, ids=lambda a: Attr(a).name)
def test_attribute_round_trip(attr: Attr) -> None:
    message = StunMessage(Method.ALLOCATE, MessageClass.REQUEST, TID)
    message.add(attr, SAMPLES[attr])
    decoded = decode_message(message.encode())
    assert decoded.get(attr) == SAMPLES[attr]
    assert decoded.has(attr)
    assert decoded.unknown_required == []


def test_all_attributes_in_one_message_keep_their_order() -> None:
    message = StunMessage(Method.ALLOCATE, MessageClass.SUCCESS, TID)
    for attr, value in SAMPLES.items():
        message.add(attr, value)
    message.add(Attr.XOR_PEER_ADDRESS, ("192.0.2.2", 2))  # attributes may repeat
    key = b"k" * 16
    decoded = decode_message(message.encode(key, sha256=True))
    kinds = [kind for kind, _ in decoded.attributes]
    assert kinds[: len(SAMPLES) + 1] == [*SAMPLES, Attr.XOR_PEER_ADDRESS]
    assert kinds[-3:] == [Attr.MESSAGE_INTEGRITY, Attr.MESSAGE_INTEGRITY_SHA256, Attr.FINGERPRINT]
    assert decoded.get_all(Attr.XOR_PEER_ADDRESS) == [
        SAMPLES[Attr.XOR_PEER_ADDRESS],
        ("192.0.2.2", 2),
    ]
    assert decoded.check_integrity(key)


def test_unknown_attributes_are_kept_raw() -> None:
    message = StunMessage(Method.BINDING, MessageClass.REQUEST, TID)
    message.add(0x0031, b"abc").add(0xC001, b"optional")
    decoded = decode_message(message.encode())
    assert decoded.get(0x0031) == b"abc"
    assert decoded.get(0xC001) == b"optional"
    assert decoded.unknown_required == [0x0031]


def test_method_and_class_round_trip() -> None:
    for method in Method:
        for message_class in MessageClass:
            decoded = decode_message(StunMessage(method, message_class, TID).encode())
            assert (decoded.method, decoded.message_class) == (method, message_class)


def test_error_helpers() -> None:
    request = StunMessage(Method.ALLOCATE, MessageClass.REQUEST, TID)
    reply = decode_message(request.error(ErrorCode.ALLOCATION_QUOTA_REACHED).encode())
    assert reply.message_class == MessageClass.ERROR
    assert reply.transaction_id == TID
    assert reply.error_code == 486
    assert reply.error_reason == "Allocation Quota Reached"


# -- integrity -----------------------------------------------------------------
@pytest.mark.parametrize(("sha1", "sha256"), [(True, False), (False, True), (True, True)])
def test_integrity_created_and_verified(sha1: bool, sha256: bool) -> None:
    key = long_term_key("user", "realm", "pass")
    message = StunMessage(Method.REFRESH, MessageClass.REQUEST, TID).add(Attr.LIFETIME, 0)
    data = message.encode(key, sha1=sha1, sha256=sha256)
    decoded = decode_message(data)
    assert decoded.has(Attr.MESSAGE_INTEGRITY) == sha1
    assert decoded.has(Attr.MESSAGE_INTEGRITY_SHA256) == sha256
    assert decoded.check_integrity(key)
    assert not decoded.check_integrity(long_term_key("user", "realm", "other"))
    assert not decode_message(message.encode()).check_integrity(key)  # none present


def test_integrity_fails_when_a_covered_byte_changes() -> None:
    key = b"secret"
    message = StunMessage(Method.BINDING, MessageClass.REQUEST, TID).add(Attr.PRIORITY, 7)
    data = bytearray(message.encode(key, fingerprint=False))
    data[27] ^= 0xFF  # inside the PRIORITY value
    assert not decode_message(bytes(data)).check_integrity(key)


def test_attributes_after_integrity_are_ignored() -> None:
    key = b"secret"
    data: bytes | bytearray = StunMessage(Method.BINDING, MessageClass.REQUEST, TID).encode(
        key, fingerprint=False
    )
    extra = struct.pack("!HHI", Attr.PRIORITY, 4, 99)
    data = bytearray(data + extra)
    struct.pack_into("!H", data, 2, len(data) - 20)
    decoded = decode_message(bytes(data))
    assert not decoded.has(Attr.PRIORITY)
    assert decoded.check_integrity(key)


def test_fingerprint_must_be_last() -> None:
    data = bytearray(StunMessage(Method.BINDING, MessageClass.REQUEST, TID).encode())
    data += struct.pack("!HHI", Attr.PRIORITY, 4, 1)
    struct.pack_into("!H", data, 2, len(data) - 20)
    with pytest.raises(StunDecodeError):
        decode_message(bytes(data))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        bytes(19),
        struct.pack("!HHI", 0x0001, 0, 0xDEADBEEF) + TID,  # bad cookie
        struct.pack("!HHI", 0xC001, 0, MAGIC_COOKIE) + TID,  # top bits set
        struct.pack("!HHI", 0x0001, 2, MAGIC_COOKIE) + TID + b"ab",  # length % 4
        struct.pack("!HHI", 0x0001, 8, MAGIC_COOKIE) + TID,  # length too long
        struct.pack("!HHI", 0x0001, 4, MAGIC_COOKIE) + TID + struct.pack("!HH", 0x0020, 8),
        struct.pack("!HHI", 0x0001, 8, MAGIC_COOKIE) + TID + b"\x00\x20\x00\x04\x00\x03\x00\x00",
    ],
)
def test_malformed_messages_raise_decode_error(data: bytes) -> None:
    with pytest.raises(StunDecodeError):
        decode_message(data)


# -- ChannelData and stream framing ----------------------------------------------
def test_channel_data_round_trip_and_padding() -> None:
    frame = encode_channel_data(0x4001, b"abcde")
    assert frame == b"\x40\x01\x00\x05abcde"
    assert decode_channel_data(frame) == (0x4001, b"abcde")
    padded = encode_channel_data(0x4FFF, b"abcde", pad=True)
    assert padded == b"\x4f\xff\x00\x05abcde\x00\x00\x00"
    assert decode_channel_data(padded) == (0x4FFF, b"abcde")
    assert encode_channel_data(0x4000, b"abcd", pad=True) == b"\x40\x00\x00\x04abcd"
    assert decode_channel_data(encode_channel_data(0x4000, b"")) == (0x4000, b"")


@pytest.mark.parametrize("channel", [0x3FFF, 0x5000, 0])
def test_channel_number_range_enforced(channel: int) -> None:
    with pytest.raises(ValueError):
        encode_channel_data(channel, b"x")
    with pytest.raises(StunDecodeError):
        decode_channel_data(struct.pack("!HH", channel, 1) + b"x")


@pytest.mark.parametrize(
    "frame", [b"\x40\x00\x00", b"\x40\x00\x00\x05abcd", b"\x40\x00\x00\x01abcde"]
)
def test_bad_channel_data_lengths(frame: bytes) -> None:
    with pytest.raises(StunDecodeError):
        decode_channel_data(frame)


def test_stream_framer_reassembles_split_and_joined_frames() -> None:
    stun = StunMessage(Method.BINDING, MessageClass.REQUEST, TID).encode()
    channel = encode_channel_data(0x4000, b"odd", pad=True)
    stream = stun + channel + stun
    framer = StreamFramer()
    frames: list[bytes] = []
    for i in range(len(stream)):  # one byte at a time
        frames += framer.feed(stream[i : i + 1])
    assert frames == [stun, b"\x40\x00\x00\x03odd", stun]
    assert StreamFramer().feed(stream) == frames  # all at once


def test_stream_framer_rejects_garbage() -> None:
    with pytest.raises(StunDecodeError):
        StreamFramer().feed(b"\x80\x00\x00\x00")


def test_stream_framer_waits_for_a_header() -> None:
    framer = StreamFramer()
    assert framer.feed(b"\x40\x00") == []
    assert framer.feed(b"\x00\x01x") == []
    assert framer.feed(b"\x00\x00\x00") == [b"\x40\x00\x00\x01x"]


# -- RFC 7983 demultiplexing ----------------------------------------------------
@pytest.mark.parametrize(
    ("first", "kind"),
    [
        (0, PacketKind.STUN),
        (3, PacketKind.STUN),
        (4, PacketKind.UNKNOWN),
        (15, PacketKind.UNKNOWN),
        (16, PacketKind.ZRTP),
        (19, PacketKind.ZRTP),
        (20, PacketKind.DTLS),
        (63, PacketKind.DTLS),
        (64, PacketKind.CHANNEL_DATA),
        (79, PacketKind.CHANNEL_DATA),
        (80, PacketKind.UNKNOWN),
        (127, PacketKind.UNKNOWN),
        (128, PacketKind.RTP),
        (191, PacketKind.RTP),
        (192, PacketKind.UNKNOWN),
        (255, PacketKind.UNKNOWN),
    ],
)
def test_classify(first: int, kind: PacketKind) -> None:
    assert classify(bytes([first]) + b"rest") == kind


def test_classify_empty() -> None:
    assert classify(b"") == PacketKind.UNKNOWN
