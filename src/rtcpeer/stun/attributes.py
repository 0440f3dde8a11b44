"""Encoding and decoding of individual STUN attribute values.

Each attribute type maps to a (decode, encode) pair working on the value
bytes alone. Address attributes use ``(host, port)`` tuples; XOR variants need
the transaction id, so every codec receives it. Unknown types stay raw bytes.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import struct
from collections.abc import Callable
from typing import Any

from rtcpeer.sansio import Address as Address  # re-exported (rtcpeer.stun.Address)
from rtcpeer.stun.constants import FAMILY_IPV4, FAMILY_IPV6, MAGIC_COOKIE, Attr
from rtcpeer.stun.errors import StunDecodeError as StunDecodeError  # re-exported
from rtcpeer.stun.errors import StunValueError

Decoder = Callable[[bytes, bytes], Any]
Encoder = Callable[[Any, bytes], bytes]

_COOKIE_BYTES = struct.pack("!I", MAGIC_COOKIE)
#: What an XOR address's port is XORed with: the cookie's high 16 bits.
_COOKIE_HIGH = MAGIC_COOKIE >> 16
_UINT32 = struct.Struct("!I")
_ADDRESS_HEADER = struct.Struct("!BBH")
#: A whole IPv4 address attribute: reserved byte, family, port, address.
_IPV4_ADDRESS = struct.Struct("!BBHI")


def _xor(data: bytes, mask: bytes) -> bytes:
    size = len(data)
    if len(mask) < size:
        raise StunValueError("XOR mask shorter than the data")
    # One big-integer XOR instead of a generator over every byte (per-packet path).
    value = int.from_bytes(data, "big") ^ int.from_bytes(mask[:size], "big")
    return value.to_bytes(size, "big")


def _decode_address(value: bytes, xor_mask: bytes | None) -> Address:
    if len(value) < 4:
        raise StunDecodeError("address attribute too short")
    family = value[1]
    port = (value[2] << 8) | value[3]
    if family == FAMILY_IPV4:
        if len(value) != 8:
            raise StunDecodeError("IPv4 address attribute must be 8 bytes")
        raw = value[4:]
        if xor_mask is not None:  # (XOR addresses take _decode_xor_address's fast path)
            port ^= _COOKIE_HIGH
            raw = _xor(raw, xor_mask)
        return socket.inet_ntop(socket.AF_INET, raw), port  # same text as ipaddress, faster
    if family == FAMILY_IPV6:
        if len(value) != 20:
            raise StunDecodeError("IPv6 address attribute must be 20 bytes")
        raw = value[4:]
        if xor_mask is not None:
            port ^= _COOKIE_HIGH
            raw = _xor(raw, xor_mask)
        return str(ipaddress.IPv6Address(raw)), port
    raise StunDecodeError(f"unknown address family {family:#x}")


@functools.lru_cache(maxsize=1024)
def _packed(host: str) -> tuple[int, bytes]:
    """(STUN family, packed bytes) of an address; a peer uses a few, over and over."""
    ip = ipaddress.ip_address(host)
    return (FAMILY_IPV4 if ip.version == 4 else FAMILY_IPV6), ip.packed


def _encode_address(value: Address, xor_mask: bytes | None) -> bytes:
    host, port = value
    family, raw = _packed(host)
    if xor_mask is not None:
        port ^= _COOKIE_HIGH
        raw = _xor(raw, xor_mask)
    return _ADDRESS_HEADER.pack(0, family, port) + raw


def _decode_plain_address(value: bytes, tid: bytes) -> Address:
    return _decode_address(value, None)


def _encode_plain_address(value: Address, tid: bytes) -> bytes:
    return _encode_address(value, None)


def _decode_xor_address(value: bytes, tid: bytes) -> Address:
    if len(value) == 8 and value[1] == FAMILY_IPV4:  # the common case, in one step
        _, _, port, packed = _IPV4_ADDRESS.unpack(value)
        raw = _UINT32.pack(packed ^ MAGIC_COOKIE)  # XORed with the magic cookie alone
        return socket.inet_ntop(socket.AF_INET, raw), port ^ _COOKIE_HIGH
    return _decode_address(value, _COOKIE_BYTES + tid)


def _encode_xor_address(value: Address, tid: bytes) -> bytes:
    host, port = value
    family, raw = _packed(host)
    if family == FAMILY_IPV4:
        packed = _UINT32.unpack(raw)[0] ^ MAGIC_COOKIE
        return _IPV4_ADDRESS.pack(0, family, port ^ _COOKIE_HIGH, packed)
    return _encode_address(value, _COOKIE_BYTES + tid)


def _plain_address() -> tuple[Decoder, Encoder]:
    return _decode_plain_address, _encode_plain_address


def _xor_address() -> tuple[Decoder, Encoder]:
    return _decode_xor_address, _encode_xor_address


def decode_text(value: bytes) -> str:
    """UTF-8 text as servers really send it: trailing NULs dropped (coturn
    counts its padding inside the attribute length), undecodable bytes
    replaced instead of failing the whole message."""
    return value.rstrip(b"\x00").decode("utf-8", errors="replace")


def _text(max_bytes: int) -> tuple[Decoder, Encoder]:
    def decode(value: bytes, tid: bytes) -> str:
        if len(value) > max_bytes:
            raise StunDecodeError(f"text attribute longer than {max_bytes} bytes")
        return decode_text(value)

    return decode, _encode_text


def _encode_text(value: str, tid: bytes) -> bytes:
    return value.encode("utf-8")


def _uint(fmt: str) -> tuple[Decoder, Encoder]:
    codec = struct.Struct(fmt)
    size = codec.size
    unpack, pack = codec.unpack, codec.pack

    def decode(value: bytes, tid: bytes) -> int:
        if len(value) != size:
            raise StunDecodeError(f"integer attribute must be {size} bytes")
        result: int = unpack(value)[0]
        return result

    def encode(value: int, tid: bytes) -> bytes:
        return pack(value)

    return decode, encode


def _flag() -> tuple[Decoder, Encoder]:
    def decode(value: bytes, tid: bytes) -> None:
        if value:
            raise StunDecodeError("flag attribute must be empty")

    return decode, lambda _v, tid: b""


def _raw() -> tuple[Decoder, Encoder]:
    return (lambda v, tid: bytes(v)), (lambda b, tid: bytes(b))


def _first_byte_uint() -> tuple[Decoder, Encoder]:
    """REQUESTED-TRANSPORT / REQUESTED-ADDRESS-FAMILY: one byte then 3 RFFU."""

    def decode(value: bytes, tid: bytes) -> int:
        if len(value) != 4:
            raise StunDecodeError("attribute must be 4 bytes")
        return value[0]

    return decode, lambda n, tid: struct.pack("!B3x", n)


def _channel_number() -> tuple[Decoder, Encoder]:
    def decode(value: bytes, tid: bytes) -> int:
        if len(value) != 4:
            raise StunDecodeError("CHANNEL-NUMBER must be 4 bytes")
        result: int = struct.unpack("!H2x", value)[0]
        return result

    return decode, lambda n, tid: struct.pack("!H2x", n)


def _error_code() -> tuple[Decoder, Encoder]:
    def decode(value: bytes, tid: bytes) -> tuple[int, str]:
        if len(value) < 4 or len(value) > 4 + 763:
            raise StunDecodeError("bad ERROR-CODE length")
        code_class = value[2] & 0x07
        number = value[3]
        if not 3 <= code_class <= 6 or number > 99:
            raise StunDecodeError("ERROR-CODE out of range")
        return code_class * 100 + number, decode_text(value[4:])

    def encode(value: tuple[int, str], tid: bytes) -> bytes:
        code, reason = value
        return struct.pack("!2xBB", code // 100, code % 100) + reason.encode("utf-8")

    return decode, encode


def _address_error_code() -> tuple[Decoder, Encoder]:
    """ADDRESS-ERROR-CODE (RFC 8656 §18.13): ERROR-CODE for one address family,
    decoded as ``(family, code, reason)``."""

    def decode(value: bytes, tid: bytes) -> tuple[int, int, str]:
        if len(value) < 4 or len(value) > 4 + 763:
            raise StunDecodeError("bad ADDRESS-ERROR-CODE length")
        code_class = value[2] & 0x07
        number = value[3]
        if not 3 <= code_class <= 6 or number > 99:
            raise StunDecodeError("ADDRESS-ERROR-CODE out of range")
        return value[0], code_class * 100 + number, decode_text(value[4:])

    def encode(value: tuple[int, int, str], tid: bytes) -> bytes:
        family, code, reason = value
        return struct.pack("!BxBB", family, code // 100, code % 100) + reason.encode("utf-8")

    return decode, encode


def _unknown_attributes() -> tuple[Decoder, Encoder]:
    def decode(value: bytes, tid: bytes) -> tuple[int, ...]:
        if len(value) % 2:
            raise StunDecodeError("UNKNOWN-ATTRIBUTES length must be even")
        return struct.unpack(f"!{len(value) // 2}H", value)

    return decode, lambda types, tid: struct.pack(f"!{len(types)}H", *types)


CODECS: dict[int, tuple[Decoder, Encoder]] = {
    Attr.MAPPED_ADDRESS: _plain_address(),
    Attr.ALTERNATE_SERVER: _plain_address(),
    Attr.XOR_MAPPED_ADDRESS: _xor_address(),
    Attr.XOR_PEER_ADDRESS: _xor_address(),
    Attr.XOR_RELAYED_ADDRESS: _xor_address(),
    Attr.USERNAME: _text(508),
    Attr.REALM: _text(763),
    Attr.NONCE: _text(763),
    Attr.SOFTWARE: _text(763),
    Attr.ERROR_CODE: _error_code(),
    Attr.UNKNOWN_ATTRIBUTES: _unknown_attributes(),
    Attr.CHANNEL_NUMBER: _channel_number(),
    Attr.LIFETIME: _uint("!I"),
    Attr.PRIORITY: _uint("!I"),
    Attr.ICE_CONTROLLED: _uint("!Q"),
    Attr.ICE_CONTROLLING: _uint("!Q"),
    Attr.USE_CANDIDATE: _flag(),
    Attr.DONT_FRAGMENT: _flag(),
    Attr.REQUESTED_TRANSPORT: _first_byte_uint(),
    Attr.REQUESTED_ADDRESS_FAMILY: _first_byte_uint(),
    Attr.ADDITIONAL_ADDRESS_FAMILY: _first_byte_uint(),
    Attr.ADDRESS_ERROR_CODE: _address_error_code(),
    Attr.ADDITIONAL_ADDRESS_FAMILY_DRAFT: _first_byte_uint(),
    Attr.ADDRESS_ERROR_CODE_DRAFT: _address_error_code(),
    Attr.DATA: _raw(),
    Attr.EVEN_PORT: _raw(),
    Attr.RESERVATION_TOKEN: _raw(),
}
