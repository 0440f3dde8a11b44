"""DOMException-style errors named by the W3C WebRTC spec.

Each class carries ``.name`` equal to the DOMException name the spec uses, so
code written against browsers (``err.name == "InvalidStateError"``) reads the
same in Python. No class shadows a Python builtin: the spec's ``SyntaxError``
is :class:`DOMSyntaxError` here (its ``.name`` is still ``"SyntaxError"``).
WebIDL type errors are plain :class:`TypeError`.
"""

from __future__ import annotations


class DOMException(Exception):
    """Base of every spec-named error; ``name`` is the DOMException name."""

    name: str = "Error"

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.name}: {self.message}" if self.message else self.name


class InvalidStateError(DOMException):
    """The object is in a state (e.g. closed) where the call is not allowed."""

    name = "InvalidStateError"


class InvalidModificationError(DOMException):
    """setConfiguration tried to change a member that cannot change."""

    name = "InvalidModificationError"


class InvalidAccessError(DOMException):
    """Missing or non-conforming credentials, an expired certificate, ..."""

    name = "InvalidAccessError"


class DOMSyntaxError(DOMException):
    """A malformed URL, SDP or candidate (DOMException "SyntaxError")."""

    name = "SyntaxError"


class NotSupportedError(DOMException):
    """A valid request for something this implementation does not support."""

    name = "NotSupportedError"


class OperationError(DOMException):
    """An operation failed for a reason specific to the operation."""

    name = "OperationError"


class InvalidCharacterError(DOMException):
    """A string held characters the spec forbids."""

    name = "InvalidCharacterError"


__all__ = [
    "DOMException",
    "DOMSyntaxError",
    "InvalidAccessError",
    "InvalidCharacterError",
    "InvalidModificationError",
    "InvalidStateError",
    "NotSupportedError",
    "OperationError",
]
