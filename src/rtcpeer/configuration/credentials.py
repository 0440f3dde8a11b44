"""TURN username/credential conformance: the PRECIS OpaqueString profile.

webrtc-pc's "validate an ICE server URL" throws InvalidAccessError when a
TURN server's username or credential "fail[s] to conform to [RFC8489]
section 14.3 and [RFC8265] section 4.1 respectively". Both mean the
OpaqueString profile (RFC 8265 §4.2) over the PRECIS FreeformClass
(RFC 8264); the username must also be fewer than 509 bytes of UTF-8.

The profile is `precis-i18n <https://pypi.org/project/precis-i18n/>`_'s, a
maintained implementation of RFC 8264/8265 with the Unicode tables PRECIS
needs (including the joining types of the ZERO WIDTH NON-JOINER rule, which
Python's :mod:`unicodedata` does not expose). rtcpeer wrote its own once
and had to approximate that rule; ``tests/configuration`` keeps the cases
that showed the difference.
"""

from __future__ import annotations

from typing import Any

import precis_i18n

#: RFC 8489 §14.3: a USERNAME "MUST contain a UTF-8-encoded sequence of
#: fewer than 509 bytes".
MAX_USERNAME_BYTES = 508

_OPAQUE_STRING: Any = precis_i18n.get_profile("OpaqueString")


class PrecisError(ValueError):
    """A string that the OpaqueString profile rejects; the message says why."""


def opaque_string(text: str) -> str:
    """Enforce the OpaqueString profile; returns the enforced form.

    Raises :class:`PrecisError` when the string does not conform (including
    the empty string and strings with lone surrogates).
    """
    try:
        enforced: str = _OPAQUE_STRING.enforce(text)
    except UnicodeEncodeError as error:
        raise PrecisError(_describe(error)) from None
    return enforced


def stun_username(text: str) -> str:
    """Enforce RFC 8489 §14.3 on a USERNAME; returns the enforced form."""
    enforced = opaque_string(text)
    size = len(enforced.encode("utf-8"))
    if size > MAX_USERNAME_BYTES:
        raise PrecisError(f"it is {size} bytes of UTF-8; fewer than 509 are allowed")
    return enforced


def _describe(error: UnicodeEncodeError) -> str:
    """precis-i18n's reason ("DISALLOWED/controls") with the code point it is about."""
    reason = error.reason.replace("/", ": ", 1).replace("_", " ")
    if error.reason.endswith("/empty") or not error.object:
        return f"the string is {'empty' if error.reason.endswith('/empty') else reason}"
    char = error.object[error.start] if error.start < len(error.object) else ""
    where = f"U+{ord(char):04X} at position {error.start}" if char else "the string"
    return f"{where} is {reason} in the PRECIS OpaqueString profile"


__all__ = ["MAX_USERNAME_BYTES", "PrecisError", "opaque_string", "stun_username"]
