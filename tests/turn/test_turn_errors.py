"""Every error rtcpeer.turn raises derives from TurnBaseError, and from the
builtin it replaced (ValueError, RuntimeError, ConnectionError), so old
``except ValueError``/``except RuntimeError`` clauses still catch them."""

from __future__ import annotations

import asyncio

import pytest

from rtcpeer.turn import (
    TurnBaseError,
    TurnConnectionError,
    TurnError,
    TurnStateError,
    TurnValueError,
)
from rtcpeer.turn.client import TurnClientConnection, TurnServer
from rtcpeer.turn.client.connection import normalise_host
from rtcpeer.turn.dtls import DtlsError
from rtcpeer.turn.server.relay_sockets import UdpRelayPool
from rtcpeer.turn.trust import TurnTls

SERVER = TurnServer("192.0.2.1", 3478, "udp")


def test_one_base_for_the_layer() -> None:
    for cls, builtin in (
        (TurnValueError, ValueError),
        (TurnStateError, RuntimeError),
        (TurnConnectionError, ConnectionError),
    ):
        assert issubclass(cls, TurnBaseError) and issubclass(cls, builtin)
    assert issubclass(TurnError, TurnBaseError) and issubclass(DtlsError, TurnBaseError)
    # TurnError keeps its value semantics under the new base.
    assert TurnError(401, "turn:x", "Unauthorized") == TurnError(401, "turn:x", "Unauthorized")


def test_bad_client_arguments() -> None:
    with pytest.raises(TurnValueError, match="family must be 4 or 6"):
        TurnClientConnection(SERVER, "u", "p", family=5)
    with pytest.raises(TurnValueError, match="dual-stack"):
        TurnClientConnection(SERVER, "u", "p", family=6, dual_stack=True)
    with pytest.raises(TurnValueError, match="transport must be"):
        TurnServer("192.0.2.1", 3478, "sctp")
    with pytest.raises(TurnValueError, match="IP literal"):
        normalise_host("turn.example.com")
    with pytest.raises(TurnValueError, match="not base64"):
        TurnTls(spki_pins=("not base64!",))


def test_wrong_state() -> None:
    connection = TurnClientConnection(SERVER, "u", "p")
    with pytest.raises(TurnStateError, match="cannot send in state new"):
        connection.send(b"x", ("203.0.113.9", 7000), 0.0)
    with pytest.raises(RuntimeError):
        connection.create_permission("203.0.113.9", 0.0)


def test_bad_relay_ips() -> None:
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(TurnValueError, match="one relay IP per address family"):
            UdpRelayPool(loop, ["192.0.2.1", "192.0.2.2"], lambda *args: None)
        with pytest.raises(TurnValueError, match="no relay IP"):
            UdpRelayPool(loop, [], lambda *args: None)
    finally:
        loop.close()
