"""Every STUN and TURN protocol machine offers the one sans-IO surface of
:mod:`rtcpeer.sansio`: the same four method names with the same parameters.

Checked twice: at run time with :mod:`inspect` (names, parameter names and
kinds, defaults, ``handle_timer`` returning ``None``), and statically, since
mypy checks the ``type[ProtocolMachine[...]]`` assignments below.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from rtcpeer.sansio import ProtocolMachine
from rtcpeer.stun.transaction import StunTransaction, TransactionEvent, TransactionManager
from rtcpeer.turn.client.connection import TurnClientConnection
from rtcpeer.turn.client.events import TurnEvent
from rtcpeer.turn.dtls import DtlsEndpoint
from rtcpeer.turn.server.core import TurnServerCore
from rtcpeer.turn.server.events import Event, Output

#: The four methods every machine offers its driver.
SURFACE = ("datagrams_to_send", "next_event", "get_timer", "handle_timer")

#: The machines of rtcpeer.stun and rtcpeer.turn that have all four.
MACHINES: list[type[Any]] = [
    TransactionManager,
    TurnClientConnection,
    TurnServerCore,
]

#: mypy checks each of these structurally against the Protocol.
_TYPED: tuple[
    type[ProtocolMachine[bytes, TransactionEvent]],
    type[ProtocolMachine[bytes, TurnEvent]],
    type[ProtocolMachine[Output, Event]],
] = (TransactionManager, TurnClientConnection, TurnServerCore)

#: Machines without events of their own, and why: they offer the other three.
#: A StunTransaction's one outcome is its ``result`` (its manager turns it
#: into an event); a DtlsEndpoint hands received application data back from
#: ``feed`` (the TURN link and the DTLS listener deliver it at once).
EVENTLESS: list[type[Any]] = [StunTransaction, DtlsEndpoint]


def _shape(cls: type[Any], name: str) -> list[tuple[str, Any, Any]]:
    """Parameter names, kinds and defaults of ``cls.name`` (``self`` included)."""
    signature = inspect.signature(getattr(cls, name))
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


def test_the_protocol_has_the_four_methods() -> None:
    """The reference itself, so a change to rtcpeer.sansio shows up here."""
    assert [m for m in SURFACE if hasattr(ProtocolMachine, m)] == list(SURFACE)
    assert _shape(ProtocolMachine, "handle_timer") == [
        ("self", inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.empty),
        ("now", inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.empty),
    ]
    assert len(_TYPED) == len(MACHINES)


@pytest.mark.parametrize("cls", MACHINES + EVENTLESS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", SURFACE)
def test_machine_method_matches_the_protocol(cls: type[Any], name: str) -> None:
    if cls in EVENTLESS and name == "next_event":
        assert not hasattr(cls, name)  # listed above with its reason: keep the list true
        return
    assert callable(getattr(cls, name, None)), f"{cls.__name__} has no {name}()"
    assert _shape(cls, name) == _shape(ProtocolMachine, name)


@pytest.mark.parametrize("cls", MACHINES + EVENTLESS, ids=lambda c: c.__name__)
def test_handle_timer_queues_and_returns_nothing(cls: type[Any]) -> None:
    """Outputs of a timer are collected with datagrams_to_send(), never returned."""
    assert inspect.signature(cls.handle_timer).return_annotation in (None, "None")
