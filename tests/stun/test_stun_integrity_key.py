"""IntegrityKey: a MESSAGE-INTEGRITY key keyed once for every HMAC-SHA1 it signs.

It must sign and verify exactly as the key's bytes do (HMAC-SHA1, RFC 2104),
for short keys, a 16-byte long-term key and keys longer than SHA-1's block,
and stand in for the bytes wherever a key goes (SHA-256 integrity included).
"""

from __future__ import annotations

import hmac

import pytest

from rtcpeer.stun.constants import Attr, MessageClass, Method
from rtcpeer.stun.message import IntegrityKey, StunMessage, decode_message, long_term_key

KEYS = [b"", b"k", long_term_key("user", "realm", "pass"), bytes(range(64)), bytes(range(200))]


@pytest.mark.parametrize("key", KEYS, ids=lambda k: f"{len(k)} bytes")
def test_sha1_is_hmac_sha1_of_the_key(key: bytes) -> None:
    signer = IntegrityKey(key)
    for data in (b"", b"x", bytes(range(256)) * 3):
        assert signer.sha1(data) == hmac.digest(key, data, "sha1")
    assert signer.key == key


@pytest.mark.parametrize("sha256", [False, True])
def test_messages_signed_and_verified_alike(sha256: bool) -> None:
    key = long_term_key("user", "realm", "pass")
    message = StunMessage(Method.ALLOCATE, MessageClass.REQUEST, b"0123456789ab")
    message.add(Attr.USERNAME, "user").add(Attr.REALM, "realm").add(Attr.NONCE, "n")
    with_bytes = message.encode(key, sha256=sha256)
    assert message.encode(IntegrityKey(key), sha256=sha256) == with_bytes
    decoded = decode_message(with_bytes)
    assert decoded.check_integrity(IntegrityKey(key))
    assert not decoded.check_integrity(IntegrityKey(key + b"x"))
