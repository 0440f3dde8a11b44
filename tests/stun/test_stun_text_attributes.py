"""Text attributes decoded as text (issue 21, outcome 3).

coturn counts the padding of its ERROR-CODE reason phrase inside the
attribute length, so ``'Unsupported address family'`` arrives followed by
NULs; a reason phrase that is not valid UTF-8 must not make the whole
response undecodable either.
"""

from __future__ import annotations

import struct

from rtcpeer.stun import Attr, MessageClass, Method, StunMessage, decode_message
from rtcpeer.stun.constants import FAMILY_IPV6

TID = bytes(range(12))


def _error_response(attr: int, value: bytes) -> bytes:
    """An Allocate error response with one attribute, its length as given."""
    body = struct.pack("!HH", attr, len(value)) + value + bytes((4 - len(value) % 4) % 4)
    header = struct.pack("!HHI", 0x0113, len(body), 0x2112A442) + TID
    return header + body


def test_error_reason_with_nuls_counted_in_the_length_is_stripped() -> None:
    # Exactly what coturn 4.6.1 sends for 440: 26 characters + 2 NULs, length 30 with
    # the 4-byte class/number header.
    reason = b"Unsupported address family\x00\x00"
    message = decode_message(_error_response(Attr.ERROR_CODE, b"\x00\x00\x04\x28" + reason))
    assert message.error_code == 440
    assert message.error_reason == "Unsupported address family"


def test_text_attributes_drop_trailing_nuls() -> None:
    value = b"example.test\x00\x00\x00\x00"
    message = decode_message(_error_response(Attr.REALM, value))
    assert message.get(Attr.REALM) == "example.test"


def test_a_reason_phrase_that_is_not_utf8_is_decoded_leniently() -> None:
    reason = b"Bad \xff\xfe reason"
    message = decode_message(_error_response(Attr.ERROR_CODE, b"\x00\x00\x04\x00" + reason))
    assert message.error_code == 400
    assert message.error_reason == "Bad \ufffd\ufffd reason"


def test_software_that_is_not_utf8_does_not_drop_the_message() -> None:
    message = decode_message(_error_response(Attr.SOFTWARE, b"turn \xc3"))
    assert message.get(Attr.SOFTWARE) == "turn \ufffd"


def test_address_error_code_round_trip_and_nuls() -> None:
    value = struct.pack("!BxBB", FAMILY_IPV6, 4, 40) + b"Unsupported address family\x00\x00"
    message = decode_message(_error_response(Attr.ADDRESS_ERROR_CODE, value))
    assert message.get(Attr.ADDRESS_ERROR_CODE) == (FAMILY_IPV6, 440, "Unsupported address family")
    built = StunMessage(Method.ALLOCATE, MessageClass.SUCCESS, TID)
    built.add(Attr.ADDRESS_ERROR_CODE, (FAMILY_IPV6, 508, "Insufficient Capacity"))
    again = decode_message(built.encode(None, fingerprint=False))
    assert again.get(Attr.ADDRESS_ERROR_CODE) == (FAMILY_IPV6, 508, "Insufficient Capacity")
