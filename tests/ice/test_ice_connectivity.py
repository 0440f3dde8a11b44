"""Binding request building/validation and the role-conflict rule (RFC 8445 §7)."""

from __future__ import annotations

import pytest

from rtcpeer.ice.candidate import Candidate
from rtcpeer.ice.connectivity import (
    CheckRejected,
    RoleAction,
    build_check,
    build_error,
    build_success,
    peer_reflexive_priority,
    resolve_role_conflict,
    validate_check,
)
from rtcpeer.stun import Attr, MessageClass, StunMessage, decode_message

TID = bytes(range(12))


def make(controlling: bool = True, tie: int = 7, use: bool = False) -> bytes:
    _, data = build_check(
        transaction_id=TID,
        local_ufrag="LU",
        remote_ufrag="RU",
        remote_pwd="remote-password-0123456789",
        priority=1234,
        controlling=controlling,
        tie_breaker=tie,
        use_candidate=use,
    )
    return data


def test_check_round_trips_through_validation() -> None:
    request = decode_message(make(use=True))
    check = validate_check(request, "remote-password-0123456789")
    assert (check.local_ufrag, check.remote_ufrag) == ("RU", "LU")
    assert (check.priority, check.remote_controlling, check.tie_breaker) == (1234, True, 7)
    assert check.use_candidate
    controlled = validate_check(
        decode_message(make(controlling=False)), "remote-password-0123456789"
    )
    assert controlled.remote_controlling is False and not controlled.use_candidate


def test_wrong_password_is_401_and_missing_attributes_400() -> None:
    with pytest.raises(CheckRejected) as info:
        validate_check(decode_message(make()), "not-the-password")
    assert info.value.code == 401
    bare = StunMessage(0x001, MessageClass.REQUEST, TID).add(Attr.USERNAME, "a:b")
    with pytest.raises(CheckRejected) as info:
        validate_check(decode_message(bare.encode()), "k")  # no MESSAGE-INTEGRITY
    assert info.value.code == 400
    no_priority = StunMessage(0x001, MessageClass.REQUEST, TID).add(Attr.USERNAME, "a:b")
    with pytest.raises(CheckRejected) as info:
        validate_check(decode_message(no_priority.encode(b"k")), "k")
    assert info.value.code == 400


@pytest.mark.parametrize(
    ("we_control", "our_tb", "they_control", "their_tb", "action"),
    [
        (True, 10, True, 5, RoleAction.REJECT_487),  # we win, stay controlling
        (True, 5, True, 10, RoleAction.SWITCH),  # they win: we become controlled
        (False, 10, False, 5, RoleAction.SWITCH),  # we win: we become controlling
        (False, 5, False, 10, RoleAction.REJECT_487),  # they win, they switch
        (True, 5, False, 10, RoleAction.NONE),  # no conflict
    ],
)
def test_role_conflict_rule(
    we_control: bool, our_tb: int, they_control: bool, their_tb: int, action: RoleAction
) -> None:
    check = validate_check(
        decode_message(make(they_control, their_tb)), "remote-password-0123456789"
    )
    assert resolve_role_conflict(we_control, our_tb, check) == action


def test_responses_reflect_source_and_are_protected() -> None:
    request = decode_message(make())
    ok = decode_message(build_success(request, ("203.0.113.9", 4444), "pw"))
    assert ok.message_class == MessageClass.SUCCESS and ok.transaction_id == TID
    assert ok.get(Attr.XOR_MAPPED_ADDRESS) == ("203.0.113.9", 4444)
    assert ok.check_integrity(b"pw")
    conflict = decode_message(build_error(request, 487, "pw"))
    assert conflict.error_code == 487 and conflict.check_integrity(b"pw")


def test_prflx_priority_keeps_local_preference() -> None:
    host = Candidate("f", 1, "udp", (126 << 24) | (0xBEEF << 8) | 255, "192.0.2.1", 1, "host")
    assert peer_reflexive_priority(host) == (110 << 24) | (0xBEEF << 8) | 255
