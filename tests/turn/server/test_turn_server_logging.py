"""What the TURN server logs (``rtcpeer turn-server -v``): allocations, refusals, deletions."""

from __future__ import annotations

import logging

import pytest
from tests.support.turn_server import CoreClient, client_key, make_core

from rtcpeer.stun import ErrorCode, MessageClass

LOGGER = "rtcpeer.turn.server"


def _info(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(LOGGER) and r.levelno == logging.INFO
    ]


def test_allocation_and_its_deletion_are_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    core, _ = make_core()
    alice = CoreClient(core, client_key(50001))
    assert alice.allocate(0.0).message_class is MessageClass.SUCCESS
    assert alice.refresh(1.0, lifetime=0).message_class is MessageClass.SUCCESS
    allocated, deleted = _info(caplog)
    assert allocated.startswith("allocation for user 'alice' from udp 203.0.113.5:50001: ")
    assert "relayed 192.0.2." in allocated and allocated.endswith("lifetime 600 s")
    assert deleted.startswith("allocation 192.0.2.") and deleted.endswith(
        "for udp 203.0.113.5:50001 deleted: refresh"
    )


def test_refusals_401_403_486_are_info_with_code(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    core, _ = make_core(user_quota=1)
    wrong = CoreClient(core, client_key(50001), "alice", "not-her-password")
    assert wrong.allocate(0.0).error_code == ErrorCode.UNAUTHENTICATED
    alice = CoreClient(core, client_key(50002))
    alice.allocate(0.0)
    assert alice.permit(1.0, ("127.0.0.1", 5000)).error_code == ErrorCode.FORBIDDEN
    again = CoreClient(core, client_key(50003))
    assert again.allocate(1.0).error_code == ErrorCode.ALLOCATION_QUOTA_REACHED
    refusals = [line for line in _info(caplog) if line.startswith("refused")]
    assert len(refusals) == 3
    assert "ALLOCATE" in refusals[0] and "'alice'" in refusals[0] and ": 401 " in refusals[0]
    assert "CREATE_PERMISSION" in refusals[1] and ": 403 Forbidden" in refusals[1]
    assert "ALLOCATE" in refusals[2] and ": 486 Allocation Quota Reached" in refusals[2]
    assert not any("not-her-password" in line for line in _info(caplog))


def test_first_challenge_is_debug_not_a_refusal(caplog: pytest.LogCaptureFixture) -> None:
    """Every client is challenged once (401 without credentials): DEBUG, so -v stays readable."""
    caplog.set_level(logging.DEBUG, LOGGER)
    core, _ = make_core()
    assert CoreClient(core, client_key()).allocate(0.0).message_class is MessageClass.SUCCESS
    challenges = [r for r in caplog.records if "challenged ALLOCATE" in r.getMessage()]
    assert [r.levelno for r in challenges] == [logging.DEBUG]
    assert not any(line.startswith("refused") for line in _info(caplog))
