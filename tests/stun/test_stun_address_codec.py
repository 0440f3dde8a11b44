"""Address attributes after the per-packet speed-ups: same text, same bytes, same errors."""

from __future__ import annotations

import ipaddress
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtcpeer.stun import Attr, MessageClass, Method, StunDecodeError, StunMessage, decode_message
from rtcpeer.stun.attributes import _xor


def _reference_xor(data: bytes, mask: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, mask[: len(data)], strict=True))


@given(st.binary(min_size=0, max_size=16), st.binary(min_size=16, max_size=20))
def test_xor_matches_the_bytewise_definition(data: bytes, mask: bytes) -> None:
    assert _xor(data, mask) == _reference_xor(data, mask)


def test_xor_refuses_a_short_mask() -> None:
    with pytest.raises(ValueError):
        _xor(b"\x01\x02\x03\x04", b"\x01\x02")


@given(st.ip_addresses(), st.integers(0, 65535))
def test_addresses_round_trip_as_ipaddress_text(ip: ipaddress._BaseAddress, port: int) -> None:
    message = StunMessage(Method.BINDING, MessageClass.SUCCESS, os.urandom(12))
    message.add(Attr.XOR_MAPPED_ADDRESS, (str(ip), port))
    message.add(Attr.MAPPED_ADDRESS, (str(ip), port))
    decoded = decode_message(message.encode())
    assert decoded.get(Attr.XOR_MAPPED_ADDRESS) == (str(ip), port)
    assert decoded.get(Attr.MAPPED_ADDRESS) == (str(ip), port)


def test_a_bad_address_still_fails_to_encode_and_to_decode() -> None:
    message = StunMessage(Method.BINDING, MessageClass.SUCCESS, os.urandom(12))
    message.add(Attr.XOR_MAPPED_ADDRESS, ("not an address", 1))
    with pytest.raises(ValueError):
        message.encode()
    good = StunMessage(Method.BINDING, MessageClass.SUCCESS, b"\x00" * 12)
    good.add(Attr.XOR_MAPPED_ADDRESS, ("192.0.2.1", 3478))
    raw = bytearray(good.encode(fingerprint=False))
    raw[20 + 4 + 1] = 0x07  # an unknown address family
    with pytest.raises(StunDecodeError):
        decode_message(bytes(raw))
