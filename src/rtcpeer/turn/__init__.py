"""TURN (RFC 8656): the client allocation state machine and its asyncio
runtime (:mod:`rtcpeer.turn.client`), the embedded server, DTLS over memory
(:mod:`rtcpeer.turn.dtls`) and REST API credentials
(:mod:`rtcpeer.turn.credentials`)."""

from rtcpeer.turn.credentials import rest_api_credentials, rest_api_password
from rtcpeer.turn.errors import (
    UNREACHABLE,
    TurnBaseError,
    TurnConnectionError,
    TurnError,
    TurnStateError,
    TurnValueError,
)

__all__ = [
    "UNREACHABLE",
    "TurnBaseError",
    "TurnConnectionError",
    "TurnError",
    "TurnStateError",
    "TurnValueError",
    "rest_api_credentials",
    "rest_api_password",
]
