"""The errors the ICE layer raises: one base, :class:`IceError`.

Each subclass also derives from the builtin exception it replaced
(``ValueError``, ``ConnectionError``, ``RuntimeError``), so a caller that
catches the builtin keeps working and a caller that wants every ICE error
catches :class:`IceError`.
"""

from __future__ import annotations


class IceError(Exception):
    """Anything the ICE layer (agent, gathering, runtime) raises on purpose."""


class IceArgumentError(IceError, ValueError):
    """An argument the agent cannot accept: out of range, inconsistent or unknown."""


class IceCredentialsError(IceArgumentError):
    """Remote ICE credentials that cannot be applied (those of a previous generation)."""


class CandidateParseError(IceArgumentError):
    """A candidate attribute that does not follow RFC 8839 §5.1."""


class IceClosedError(IceError, ConnectionError):
    """The ICE transport is closed."""


class IceLimitError(IceError, RuntimeError):
    """A limit of the runtime was reached (host socket ids, for one)."""


class PairStateError(IceError, RuntimeError):
    """A pair was asked to move between states the table does not connect."""


__all__ = [
    "CandidateParseError",
    "IceArgumentError",
    "IceClosedError",
    "IceCredentialsError",
    "IceError",
    "IceLimitError",
    "PairStateError",
]
