"""The errors the TURN layer (:mod:`rtcpeer.turn`) raises, under one base.

:class:`TurnBaseError` is the base: catch it for any of them. :class:`TurnError`
is the one type every TURN *failure* is reported as (a STUN error code or
701). The others say the caller asked for something impossible; each also
derives from the builtin it stands for, so ``except ValueError`` (or
``RuntimeError``, ``ConnectionError``) keeps catching what it did.
:class:`~rtcpeer.turn.dtls.DtlsError` (TURN over DTLS) is one of them too.
"""

from __future__ import annotations

from typing import Any

#: The code WebRTC uses when a server could not be reached at all (timeout,
#: refused connection, failed TLS/DTLS): an ``icecandidateerror`` errorCode.
UNREACHABLE = 701


class TurnBaseError(Exception):
    """The base of every error raised by :mod:`rtcpeer.turn`."""


class TurnValueError(TurnBaseError, ValueError):
    """An argument the TURN code cannot use (an address family, a transport,
    a peer that is not an IP literal, a server setting, an SPKI pin, ...)."""


class TurnStateError(TurnBaseError, RuntimeError):
    """An operation the allocation cannot do now (wrong state, no channel
    numbers left)."""


class TurnConnectionError(TurnBaseError, ConnectionError):
    """The transport to the TURN server failed (a DTLS handshake that did
    not complete)."""


class TurnError(TurnBaseError):
    """A TURN request failed: the STUN error ``code`` (or 701 when the server
    was unreachable), the server ``url`` and a human ``reason``.

    Immutable and comparable by value, so it can travel in events as well as
    be raised; it maps directly onto an RTCPeerConnectionIceErrorEvent.
    """

    __match_args__ = ("code", "url", "reason")

    def __init__(self, code: int, url: str, reason: str) -> None:
        super().__init__(code, url, reason)

    @property
    def code(self) -> int:
        result: int = self.args[0]
        return result

    @property
    def url(self) -> str:
        result: str = self.args[1]
        return result

    @property
    def reason(self) -> str:
        result: str = self.args[2]
        return result

    def __str__(self) -> str:
        return f"{self.code} {self.reason} ({self.url})"

    def __repr__(self) -> str:
        return f"TurnError(code={self.code}, url={self.url!r}, reason={self.reason!r})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, TurnError) and self.args == other.args

    def __hash__(self) -> int:
        return hash(self.args)
