"""STUN messages (RFC 8489): build, encode with integrity and fingerprint, decode.

Decoding untrusted bytes either returns a :class:`StunMessage` or raises
:class:`StunDecodeError` — never anything else — so every socket handler can
drop garbage with one ``except``.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
import struct
from dataclasses import dataclass, field
from typing import Any

from rtcpeer.stun.attributes import CODECS, StunDecodeError
from rtcpeer.stun.constants import (
    FINGERPRINT_XOR,
    HEADER_LENGTH,
    MAGIC_COOKIE,
    REASONS,
    Attr,
    MessageClass,
)

_INTEGRITY_ATTRS = frozenset(
    {int(Attr.MESSAGE_INTEGRITY), int(Attr.MESSAGE_INTEGRITY_SHA256), int(Attr.FINGERPRINT)}
)
_CLASS_MASK = 0x0110
#: Plain ints for the codec loops (an Enum member look-up per attribute adds up).
_MI = int(Attr.MESSAGE_INTEGRITY)
_MI_SHA256 = int(Attr.MESSAGE_INTEGRITY_SHA256)
_FINGERPRINT = int(Attr.FINGERPRINT)
_HEADER = struct.Struct("!HHI")
_ATTR_HEADER = struct.Struct("!HH")
_LENGTH = struct.Struct("!H")
_UINT32 = struct.Struct("!I")
_PADDING = (b"", b"\x00\x00\x00", b"\x00\x00", b"\x00")
#: CODECS split in two: one dict look-up per attribute, no tuple to index.
_DECODERS = {attr: codec[0] for attr, codec in CODECS.items()}
_ENCODERS = {attr: codec[1] for attr, codec in CODECS.items()}


def _type_field(method: int, message_class: int) -> int:
    """Interleave the 12 method bits with the two class bits (RFC 8489 §5)."""
    return (method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) | message_class


#: MessageClass by value: a dict look-up instead of an Enum call per message.
_CLASSES = {member.value: member for member in MessageClass}


def _split_type_field(value: int) -> tuple[int, MessageClass]:
    method = (value & 0x000F) | ((value & 0x00E0) >> 1) | ((value & 0x3E00) >> 2)
    return method, _CLASSES[value & _CLASS_MASK]


def long_term_key(username: str, realm: str, password: str) -> bytes:
    """The MD5 long-term credential key (RFC 8489 §9.2.2)."""
    return hashlib.md5(f"{username}:{realm}:{password}".encode()).digest()


def short_term_key(password: str) -> bytes:
    """The short-term credential key used by ICE checks (RFC 8489 §9.1.1)."""
    return password.encode("utf-8")


class IntegrityKey:
    """A MESSAGE-INTEGRITY key used for many messages (a TURN allocation's
    long-term key): its HMAC-SHA1 state after the key is made once, and each
    message's HMAC starts from a copy of it -- about half the instructions of
    a one-shot HMAC, which sets the key up again every time. Accepted
    wherever a key in bytes is."""

    __slots__ = ("_keyed", "key")

    def __init__(self, key: bytes) -> None:
        #: The key itself (HMAC-SHA256 integrity uses it directly).
        self.key = key
        self._keyed = hmac.new(key, digestmod="sha1")

    def sha1(self, data: bytes) -> bytes:
        """HMAC-SHA1 of ``data`` under this key."""
        mac = self._keyed.copy()
        mac.update(data)
        return mac.digest()


#: A MESSAGE-INTEGRITY key: its bytes, or an :class:`IntegrityKey` made from them.
MacKey = bytes | IntegrityKey


def _hmac(key: MacKey, data: bytes, digest: str) -> bytes:
    if type(key) is IntegrityKey:
        if digest == "sha1":
            return key.sha1(data)
        key = key.key
    assert isinstance(key, bytes)
    # hmac.digest: OpenSSL's one-shot HMAC, no Python HMAC object.
    return hmac.digest(key, data, digest)


@dataclass(eq=False)
class StunMessage:
    """One STUN message; attributes keep their order and may repeat."""

    method: int
    message_class: MessageClass
    transaction_id: bytes = field(default_factory=lambda: os.urandom(12))
    attributes: list[tuple[int, Any]] = field(default_factory=list)
    #: Comprehension-required attribute types this codec did not understand.
    unknown_required: list[int] = field(default_factory=list)
    #: The bytes this message was decoded from (None when built locally).
    raw: bytes | None = field(default=None, repr=False)
    #: Offsets of MESSAGE-INTEGRITY / -SHA256 in ``raw`` for later verification.
    _integrity_at: dict[int, tuple[int, int]] = field(default_factory=dict, repr=False)

    # -- attribute access -------------------------------------------------
    def add(self, attr: int, value: Any = None) -> StunMessage:
        self.attributes.append((attr, value))
        return self

    def get(self, attr: int, default: Any = None) -> Any:
        for kind, value in self.attributes:
            if kind == attr:
                return value
        return default

    def get_all(self, attr: int) -> list[Any]:
        return [value for kind, value in self.attributes if kind == attr]

    def has(self, attr: int) -> bool:
        # A loop, not any(): this runs several times per connectivity check.
        for kind, _ in self.attributes:  # noqa: SIM110
            if kind == attr:
                return True
        return False

    @property
    def error_code(self) -> int | None:
        error = self.get(Attr.ERROR_CODE)
        return None if error is None else int(error[0])

    @property
    def error_reason(self) -> str:
        error = self.get(Attr.ERROR_CODE)
        return "" if error is None else str(error[1])

    # -- building replies --------------------------------------------------
    def success(self) -> StunMessage:
        """An empty success response to this request (same method and id)."""
        return StunMessage(self.method, MessageClass.SUCCESS, self.transaction_id)

    def error(self, code: int, reason: str | None = None) -> StunMessage:
        """An error response to this request carrying ERROR-CODE."""
        reply = StunMessage(self.method, MessageClass.ERROR, self.transaction_id)
        reply.add(Attr.ERROR_CODE, (code, REASONS.get(code, "Error") if reason is None else reason))
        return reply

    # -- wire format -------------------------------------------------------
    def encode(
        self,
        integrity_key: MacKey | None = None,
        *,
        sha256: bool = False,
        sha1: bool = True,
        fingerprint: bool = True,
    ) -> bytes:
        """Serialise; with a key, append MESSAGE-INTEGRITY (and/or -SHA256)."""
        tid = self.transaction_id
        parts: list[bytes] = []
        for attr, value in self.attributes:
            if attr in _INTEGRITY_ATTRS:
                continue
            encoder = _ENCODERS.get(attr)
            data = encoder(value, tid) if encoder is not None else bytes(value)
            size = len(data)
            parts.append(_ATTR_HEADER.pack(attr, size))
            parts.append(data)
            parts.append(_PADDING[size & 3])
        body = b"".join(parts)
        header_type = _type_field(self.method, self.message_class)
        if integrity_key is not None:
            for enabled, attr, digest, size in (
                (sha1, _MI, "sha1", 20),
                (sha256, _MI_SHA256, "sha256", 32),
            ):
                if enabled:
                    head = _HEADER.pack(header_type, len(body) + 4 + size, MAGIC_COOKIE)
                    mac = _hmac(integrity_key, head + tid + body, digest)
                    body += _ATTR_HEADER.pack(attr, size) + mac
        if fingerprint:
            head = _HEADER.pack(header_type, len(body) + 8, MAGIC_COOKIE) + tid
            crc = binascii.crc32(body, binascii.crc32(head)) ^ FINGERPRINT_XOR
            return head + body + _ATTR_HEADER.pack(_FINGERPRINT, 4) + _UINT32.pack(crc)
        return _HEADER.pack(header_type, len(body), MAGIC_COOKIE) + tid + body

    def check_integrity(self, key: MacKey) -> bool:
        """True when every integrity attribute in ``raw`` verifies with ``key``."""
        if self.raw is None or not self._integrity_at:
            return False
        raw = self.raw
        for attr, (offset, size) in self._integrity_at.items():
            digest = "sha1" if attr == _MI else "sha256"
            # Everything before the attribute, the length field covering it.
            covered = raw[:2] + _LENGTH.pack(offset + 4 + size - HEADER_LENGTH) + raw[4:offset]
            expected = _hmac(key, covered, digest)[:size]
            if not hmac.compare_digest(expected, raw[offset + 4 : offset + 4 + size]):
                return False
        return True


def is_stun(data: bytes) -> bool:
    """Cheap test: could these bytes be a STUN message (RFC 8489 §5)?"""
    return (
        len(data) >= HEADER_LENGTH
        and data[0] < 0x40
        and data[4:8] == b"\x21\x12\xa4\x42"
        and len(data) % 4 == 0
    )


def decode_message(data: bytes) -> StunMessage:
    """Parse one whole STUN message; raise StunDecodeError for anything else."""
    data = bytes(data)  # no copy when it already is bytes
    total = len(data)
    if total < HEADER_LENGTH:
        raise StunDecodeError("shorter than a STUN header")
    message_type, length, cookie = _HEADER.unpack_from(data)
    if message_type & 0xC000:
        raise StunDecodeError("first two bits must be zero")
    if cookie != MAGIC_COOKIE:
        raise StunDecodeError("bad magic cookie")
    if length % 4:
        raise StunDecodeError("length is not a multiple of 4")
    if total != HEADER_LENGTH + length:
        raise StunDecodeError("length does not match the datagram")
    method, message_class = _split_type_field(message_type)
    message = StunMessage(method, message_class, data[8:20], raw=data)
    _decode_attributes(message, data)
    return message


def _decode_attributes(message: StunMessage, data: bytes) -> None:
    offset = HEADER_LENGTH
    after_integrity = False
    total = len(data)
    tid = message.transaction_id
    attributes = message.attributes
    unpack_attr = _ATTR_HEADER.unpack_from
    while offset < total:
        if offset + 4 > total:
            raise StunDecodeError("truncated attribute header")
        attr, size = unpack_attr(data, offset)
        start = offset + 4
        end = start + size
        if end > total:
            raise StunDecodeError("attribute runs past the end")
        value = data[start:end]
        next_offset = end + (-size & 3)
        if attr == _FINGERPRINT:
            if size != 4 or next_offset != total:
                raise StunDecodeError("FINGERPRINT must be the last 4-byte attribute")
            # CRC over everything before it: being last, the header's length
            # (checked against the datagram) is already the one it covers.
            crc = binascii.crc32(memoryview(data)[:offset])
            if _UINT32.unpack(value)[0] != crc ^ FINGERPRINT_XOR:
                raise StunDecodeError("FINGERPRINT mismatch")
            attributes.append((attr, None))
        elif attr in (_MI, _MI_SHA256):
            valid = size == 20 if attr == _MI else 16 <= size <= 32
            if not valid or size % 4:
                raise StunDecodeError("bad message-integrity length")
            if attr not in message._integrity_at:
                message._integrity_at[attr] = (offset, size)
                attributes.append((attr, value))
            after_integrity = True
        elif not after_integrity:
            decoder = _DECODERS.get(attr)
            if decoder is not None:
                try:
                    decoded = decoder(value, tid)
                except StunDecodeError:
                    raise
                except ValueError as exc:  # e.g. a malformed address
                    raise StunDecodeError(f"attribute {attr:#06x}: {exc}") from exc
                attributes.append((attr, decoded))
            else:
                if attr < 0x8000:
                    message.unknown_required.append(attr)
                attributes.append((attr, value))
        offset = next_offset
