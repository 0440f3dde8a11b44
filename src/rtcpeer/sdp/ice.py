"""ICE's SDP grammar (RFC 8839): ice-char, ufrag and pwd, and minting credentials.

The one home of these rules: the ICE agent (``rtcpeer.ice``) and JSEP
(``rtcpeer.jsep``) both take them from here (jsep may not import ice, and
sdp imports nothing above it). The ``a=candidate`` value grammar is next
door, in :mod:`rtcpeer.sdp.candidate`.

- ``ice-char = ALPHA / DIGIT / "+" / "/"``; a candidate foundation is 1 to
  32 of them, an ice-ufrag 4 to 256, an ice-pwd 22 to 256 (RFC 8839 §5.1,
  §5.4).
- Fresh credentials need at least 24 random bits in the ufrag and 128 in the
  password (RFC 8445 §5.3): :func:`random_ice_string`.
"""

from __future__ import annotations

import os
import random

#: Every ice-char, in the order :func:`random_ice_string` numbers them (a
#: seeded ``random.Random`` draws the same strings release after release).
ICE_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
_ICE_CHAR_SET = frozenset(ICE_CHARS)
#: Byte b -> ice-char number (b & 63), for bytes.translate.
_ICE_BYTE_TABLE = bytes(ord(ICE_CHARS[b & 63]) for b in range(256))

#: Candidates accepted for one transport of a remote description (signalled and
#: trickled); a description with more is refused, a trickled one beyond is
#: dropped and counted. Real peers send a few dozen; the cap only bounds what
#: a hostile or broken one can make us hold and pair.
MAX_REMOTE_CANDIDATES = 20_000


def is_ice_chars(text: str, min_length: int, max_length: int) -> bool:
    """True when ``text`` is ``min_length`` to ``max_length`` ice-chars."""
    return min_length <= len(text) <= max_length and _ICE_CHAR_SET.issuperset(text)


def is_foundation(text: str) -> bool:
    """True when ``text`` is a candidate foundation: 1 to 32 ice-chars."""
    return is_ice_chars(text, 1, 32)


def credentials_problem(ufrag: str | None, pwd: str | None) -> str | None:
    """Why these credentials are unacceptable (missing, size, characters), or None."""
    if ufrag is None or pwd is None:
        missing = " and ".join(n for n, v in (("ice-ufrag", ufrag), ("ice-pwd", pwd)) if v is None)
        return f"missing {missing}"
    if not is_ice_chars(ufrag, 4, 256):
        return "ice-ufrag must be 4 to 256 ice-chars (A-Z a-z 0-9 + /)"
    if not is_ice_chars(pwd, 22, 256):
        return "ice-pwd must be 22 to 256 ice-chars (A-Z a-z 0-9 + /)"
    return None


def random_ice_string(rng: random.Random | None, length: int) -> str:
    """A ufrag or password: ``length`` ice-chars drawn from ``rng`` (None: the OS's).

    ``None`` and a ``random.SystemRandom`` read the operating system's
    randomness; any other ``random.Random`` (a seeded one in tests) is used
    as given, so its strings are reproducible.
    """
    if rng is None or isinstance(rng, random.SystemRandom):
        # One urandom read instead of one per character (choice() on a
        # SystemRandom reads urandom each time); 64 symbols divide 256, so
        # masking a byte keeps every character equally likely.
        return os.urandom(length).translate(_ICE_BYTE_TABLE).decode("ascii")
    return "".join(rng.choice(ICE_CHARS) for _ in range(length))  # seeded: reproducible


__all__ = [
    "ICE_CHARS",
    "MAX_REMOTE_CANDIDATES",
    "credentials_problem",
    "is_foundation",
    "is_ice_chars",
    "random_ice_string",
]
