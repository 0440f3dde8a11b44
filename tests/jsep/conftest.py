"""Fixtures for the JSEP tests."""

from __future__ import annotations

import pytest
from tests.support.jsep import local_parameters

from rtcpeer.jsep import LocalParameters


@pytest.fixture
def params() -> LocalParameters:
    return local_parameters()
