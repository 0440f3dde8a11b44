"""Fixtures for the JSEP tests."""

from __future__ import annotations

import pytest
from tests.jsep.jsep_helpers import local_parameters

from rtcpeer.jsep import LocalParameters


@pytest.fixture
def params() -> LocalParameters:
    return local_parameters()
