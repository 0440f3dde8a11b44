"""The agent is assembled from concept modules; every seam between them is filled."""

from __future__ import annotations

import inspect

from rtcpeer.ice import IceAgent
from rtcpeer.ice.core import AgentCore


def test_every_cross_part_call_declared_in_core_is_implemented_by_a_part() -> None:
    stubs = [
        name
        for name, value in vars(AgentCore).items()
        if inspect.isfunction(value) or isinstance(value, property)
    ]
    assert "_update_state" in stubs and "_send_check" in stubs
    for name in stubs:
        owner = next(cls for cls in IceAgent.__mro__ if name in vars(cls))
        if name in ("generation", "_generation_by_id", "_time"):
            assert owner is AgentCore
        else:
            assert owner is not AgentCore, f"{name} is only a stub"
            assert owner.__module__.startswith("rtcpeer.ice."), owner


def test_the_public_names_still_come_from_rtcpeer_ice_agent() -> None:
    from rtcpeer.ice.agent import Gatherer, IceAgentConfig, TransportPolicy  # noqa: F401

    assert IceAgentConfig().pac_timeout == 39.5
