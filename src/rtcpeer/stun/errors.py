"""The errors the STUN layer (:mod:`rtcpeer.stun`) raises, under one base.

Catch :class:`StunError` for any of them. Each subclass also derives from the
builtin it stands for, so ``except ValueError`` keeps catching what it did.
"""

from __future__ import annotations


class StunError(Exception):
    """The base of every error raised by :mod:`rtcpeer.stun`."""


class StunDecodeError(StunError, ValueError):
    """Bytes that are not a well-formed STUN message or ChannelData frame."""


class StunValueError(StunError, ValueError):
    """A value handed to the STUN code is out of range or already in use
    (a channel number outside 0x4000-0x4FFF, a transaction id taken, ...)."""


__all__ = ["StunDecodeError", "StunError", "StunValueError"]
