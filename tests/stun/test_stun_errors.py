"""Every error rtcpeer.stun raises derives from StunError, and from the
builtin it replaced (ValueError), so old ``except ValueError`` still catches."""

from __future__ import annotations

import pytest

from rtcpeer.stun import (
    Method,
    StunDecodeError,
    StunError,
    StunMessage,
    StunValueError,
    attributes,
    decode_message,
    encode_channel_data,
)
from rtcpeer.stun.attributes import _xor
from rtcpeer.stun.constants import MessageClass
from rtcpeer.stun.transaction import TransactionManager


def test_errors_share_the_stun_base_and_stay_value_errors() -> None:
    for cls in (StunDecodeError, StunValueError):
        assert issubclass(cls, StunError) and issubclass(cls, ValueError)
    assert attributes.StunDecodeError is StunDecodeError  # the old import path


def test_decode_error() -> None:
    with pytest.raises(StunDecodeError) as info:
        decode_message(b"\x00\x01\x00\x00" + b"\x00" * 8)  # no magic cookie, too short
    assert isinstance(info.value, StunError)


def test_channel_number_out_of_range() -> None:
    with pytest.raises(StunValueError, match="outside 0x4000-0x4FFF"):
        encode_channel_data(0x3FFF, b"x")
    with pytest.raises(ValueError):
        encode_channel_data(0x5000, b"x")


def test_transaction_id_in_use() -> None:
    manager = TransactionManager()
    request = StunMessage(Method.BINDING, MessageClass.REQUEST, b"t" * 12)
    manager.start(request, b"req", 0.0)
    with pytest.raises(StunValueError, match="already in use"):
        manager.start(request, b"req", 0.0)


def test_short_xor_mask() -> None:
    with pytest.raises(StunValueError):
        _xor(b"\x01\x02\x03\x04", b"\x00")
