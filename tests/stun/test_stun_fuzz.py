"""Fuzzing the decoders: random bytes and mutated valid messages may only ever
raise StunDecodeError (from decode_message, decode_channel_data,
StreamFramer.feed) and classify never raises: 20,000 examples, 28,000 inputs."""

from __future__ import annotations

import binascii
import contextlib
import random
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support import rfc5769

from rtcpeer.stun import (
    Attr,
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
)
from rtcpeer.stun.constants import FINGERPRINT_XOR

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TID = bytes(range(12))


def _seeds() -> list[bytes]:
    """Valid messages touching every attribute codec, with and without
    integrity and fingerprint, plus the RFC 5769 vectors."""
    allocate = StunMessage(Method.ALLOCATE, MessageClass.SUCCESS, TID)
    allocate.add(Attr.XOR_RELAYED_ADDRESS, ("192.0.2.1", 50000))
    allocate.add(Attr.XOR_MAPPED_ADDRESS, ("2001:db8::1", 40000))
    allocate.add(Attr.LIFETIME, 600).add(Attr.SOFTWARE, "fuzz")
    error = StunMessage(Method.ALLOCATE, MessageClass.ERROR, TID)
    error.add(Attr.ERROR_CODE, (401, "Unauthenticated")).add(Attr.REALM, "r").add(Attr.NONCE, "n")
    error.add(Attr.UNKNOWN_ATTRIBUTES, (1, 2, 3)).add(Attr.ALTERNATE_SERVER, ("::1", 3478))
    bind = StunMessage(Method.CHANNEL_BIND, MessageClass.REQUEST, TID)
    bind.add(Attr.CHANNEL_NUMBER, 0x4000).add(Attr.XOR_PEER_ADDRESS, ("10.0.0.1", 1))
    bind.add(Attr.USERNAME, "u").add(Attr.MAPPED_ADDRESS, ("10.0.0.2", 2))
    ice = StunMessage(Method.BINDING, MessageClass.REQUEST, TID)
    ice.add(Attr.PRIORITY, 1).add(Attr.ICE_CONTROLLING, 2).add(Attr.USE_CANDIDATE)
    ice.add(Attr.ICE_CONTROLLED, 3).add(Attr.DONT_FRAGMENT).add(Attr.EVEN_PORT, b"\x80")
    send = StunMessage(Method.SEND, MessageClass.INDICATION, TID)
    send.add(Attr.XOR_PEER_ADDRESS, ("10.0.0.1", 1)).add(Attr.DATA, b"payload")
    send.add(Attr.REQUESTED_TRANSPORT, 17).add(Attr.REQUESTED_ADDRESS_FAMILY, 1)
    send.add(Attr.RESERVATION_TOKEN, b"12345678")
    seeds = [
        rfc5769.REQUEST,
        rfc5769.RESPONSE_IPV4,
        rfc5769.RESPONSE_IPV6,
        rfc5769.LONG_TERM_REQUEST,
    ]
    for message in (allocate, error, bind, ice, send):
        seeds.append(message.encode(None, fingerprint=False))
        seeds.append(message.encode(b"key", sha256=True, fingerprint=True))
    return seeds


SEEDS = _seeds()


def _refingerprint(data: bytearray) -> None:
    """Recompute a trailing FINGERPRINT so mutations reach the attribute codecs."""
    if len(data) >= 28 and struct.unpack("!H", data[-8:-6])[0] == Attr.FINGERPRINT:
        crc = binascii.crc32(bytes(data[:-8])) ^ FINGERPRINT_XOR
        struct.pack_into("!I", data, len(data) - 4, crc)


def mutate(rng: random.Random) -> bytes:
    """One to four mutations of a valid message: bit flips, truncation,
    length-field edits, attribute insertions, byte overwrites, appends. A
    trailing FINGERPRINT is often recomputed so the attribute codecs run."""
    data = bytearray(rng.choice(SEEDS))
    for _ in range(rng.randint(1, 4)):
        op = rng.choice(["flip", "truncate", "length", "insert", "byte", "append"])
        if op == "flip" and data:
            bit = rng.randrange(len(data) * 8)
            data[bit // 8] ^= 1 << (bit % 8)
        elif op == "truncate" and data:
            del data[rng.randrange(len(data)) :]
        elif op == "length" and len(data) >= 4:
            offset = rng.choice([2, *range(22, len(data) - 1, 4)])
            length = rng.choice([0, 1, 3, 4, 8, 0xFFFF, rng.randrange(0x10000)])
            struct.pack_into("!H", data, offset, length)
        elif op == "insert":
            attr_type = rng.choice([int(a) for a in Attr] + [0x0031, 0xC0DE])
            value = rng.randbytes(rng.choice([0, 1, 2, 4, 8, 12, 16, 20, 32, rng.randrange(41)]))
            attribute = struct.pack("!HH", attr_type, len(value)) + value
            if rng.random() < 0.8:
                attribute += bytes((4 - len(value) % 4) % 4)
            at = 20 + 4 * rng.randint(0, max(0, (len(data) - 20) // 4))
            data[at:at] = attribute
            if len(data) >= 4 and rng.random() < 0.8:
                struct.pack_into("!H", data, 2, max(0, len(data) - 20) & 0xFFFF)
        elif op == "byte" and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif op == "append":
            data += rng.randbytes(rng.randrange(13))
    if len(data) >= 20 and rng.random() < 0.5:
        struct.pack_into("!H", data, 2, (len(data) - 20) & 0xFFFF)
    if rng.random() < 0.7:
        _refingerprint(data)
    return bytes(data)


def _decode_all(data: bytes) -> None:
    """Run every decoder; anything but StunDecodeError fails the test."""
    try:
        message = decode_message(data)
    except StunDecodeError:
        pass
    else:
        message.check_integrity(b"key")  # must not raise on odd but decodable input
        _ = (message.error_code, message.error_reason)
    with contextlib.suppress(StunDecodeError):
        decode_channel_data(data)
    framer = StreamFramer()
    try:
        framer.feed(data[: len(data) // 2])
        framer.feed(data[len(data) // 2 :])
    except StunDecodeError:
        pass
    assert isinstance(classify(data), PacketKind)


@settings(FUZZ, max_examples=5000)
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    _decode_all(data)


@settings(FUZZ, max_examples=3000)
@given(st.binary(max_size=120))
def test_random_bytes_with_stun_header(tail: bytes) -> None:
    """Random bodies behind a plausible header get past the cheap checks."""
    header = struct.pack("!HHI", 0x0101, len(tail) & ~3, 0x2112A442) + TID
    _decode_all(header + tail[: len(tail) & ~3])


@settings(FUZZ, max_examples=8000)
@given(st.integers(0, 2**64 - 1))
def test_mutated_valid_messages(seed: int) -> None:
    """Each example mutates several seeds (fast draws; the seed reproduces)."""
    rng = random.Random(seed)
    for _ in range(2):
        _decode_all(mutate(rng))


@settings(FUZZ, max_examples=4000)
@given(st.integers(0, 2**64 - 1))
def test_channel_data_and_stream_chunks(seed: int) -> None:
    """ChannelData with wrong numbers and lengths, then fed to a framer in
    random pieces behind and ahead of a valid STUN message."""
    rng = random.Random(seed)
    channel = rng.choice([0x4000, 0x4FFF, 0x3FFF, 0x5000, rng.randrange(0x10000)])
    payload = rng.randbytes(rng.randrange(65))
    length = max(0, len(payload) + rng.randint(-8, 8)) & 0xFFFF
    frame = struct.pack("!HH", channel, length) + payload
    _decode_all(frame)
    if 0x4000 <= channel <= 0x4FFF:
        valid = encode_channel_data(channel, payload, pad=True)
        assert decode_channel_data(valid) == (channel, payload)
    stream = rng.choice([frame + SEEDS[4], SEEDS[4] + frame, frame + frame])
    framer = StreamFramer()
    position = 0
    with contextlib.suppress(StunDecodeError):
        while position < len(stream):
            cut = rng.randint(1, 16)
            framer.feed(stream[position : position + cut])
            position += cut
