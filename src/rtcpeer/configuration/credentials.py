"""TURN username/credential conformance: the PRECIS OpaqueString profile.

webrtc-pc's "validate an ICE server URL" throws InvalidAccessError when a
TURN server's username or credential "fail[s] to conform to [RFC8489]
section 14.3 and [RFC8265] section 4.1 respectively". Both mean the
OpaqueString profile (RFC 8265 §4.2) over the PRECIS FreeformClass
(RFC 8264); the username must also be fewer than 509 bytes of UTF-8.

OpaqueString enforcement (RFC 8265 §4.2.2), in order:

1. Preparation: every code point must be allowed by the FreeformClass.
2. Width mapping: none -- fullwidth/halfwidth code points are *not* mapped.
3. Additional mapping: non-ASCII spaces (category Zs) become U+0020.
4. Case mapping: none.
5. Normalisation: NFC.
6. Directionality: none.

The result must again be FreeformClass-valid and must not be empty.

The FreeformClass derived property (RFC 8264 §8-9) is computed here from
:mod:`unicodedata`. Two inputs the module does not expose are approximated
conservatively: the Default_Ignorable_Code_Point table is embedded below,
and the contextual rules for ZERO WIDTH (NON-)JOINER accept only the
Virama case (the Joining_Type case needs data Python does not ship), so a
few exotic Arabic-script passwords are rejected that a full implementation
would accept.
"""

from __future__ import annotations

import unicodedata
from enum import Enum

#: RFC 8489 §14.3: a USERNAME "MUST contain a UTF-8-encoded sequence of
#: fewer than 509 bytes".
MAX_USERNAME_BYTES = 508


class PrecisError(ValueError):
    """A string that the OpaqueString profile rejects; the message says why."""


class _Property(Enum):
    PVALID = "PVALID"
    CONTEXTJ = "CONTEXTJ"
    CONTEXTO = "CONTEXTO"
    DISALLOWED = "DISALLOWED"
    UNASSIGNED = "UNASSIGNED"


# RFC 5892 §2.6 exceptions (category F), as used by RFC 8264 §9.6.
_EXCEPTIONS: dict[int, _Property] = {
    **dict.fromkeys((0x00DF, 0x03C2, 0x06FD, 0x06FE, 0x0F0B, 0x3007), _Property.PVALID),
    **dict.fromkeys(
        (0x00B7, 0x0375, 0x05F3, 0x05F4, 0x30FB, *range(0x0660, 0x066A), *range(0x06F0, 0x06FA)),
        _Property.CONTEXTO,
    ),
    **dict.fromkeys(
        (0x0640, 0x07FA, 0x302E, 0x302F, *range(0x3031, 0x3036), 0x303B),
        _Property.DISALLOWED,
    ),
}

# Unicode DerivedCoreProperties: Default_Ignorable_Code_Point (stable set).
_DEFAULT_IGNORABLE: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)

# Hangul_Syllable_Type L, V and T (RFC 8264 §9.10 "OldHangulJamo").
_OLD_HANGUL_JAMO: tuple[tuple[int, int], ...] = (
    (0x1100, 0x11FF),
    (0xA960, 0xA97C),
    (0xD7B0, 0xD7C6),
    (0xD7CB, 0xD7FB),
)

_LETTER_DIGITS = frozenset({"Ll", "Lu", "Lo", "Nd", "Lm", "Mn", "Mc"})
_OTHER_LETTER_DIGITS = frozenset({"Lt", "Nl", "No", "Me"})
_SYMBOLS = frozenset({"Sm", "Sc", "Sk", "So"})
_PUNCTUATION = frozenset({"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"})
_VIRAMA = 9  # canonical combining class of a virama


def _in_ranges(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def _is_noncharacter(cp: int) -> bool:
    return 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE


def freeform_property(char: str) -> _Property:
    """The FreeformClass derived property of one code point (RFC 8264 §8)."""
    cp = ord(char)
    if cp in _EXCEPTIONS:
        return _EXCEPTIONS[cp]
    category = unicodedata.category(char)
    if category == "Cn" and not _is_noncharacter(cp):
        return _Property.UNASSIGNED
    if 0x21 <= cp <= 0x7E:
        return _Property.PVALID
    if cp in (0x200C, 0x200D):
        return _Property.CONTEXTJ
    if _in_ranges(cp, _OLD_HANGUL_JAMO):
        return _Property.DISALLOWED
    if _in_ranges(cp, _DEFAULT_IGNORABLE) or _is_noncharacter(cp):
        return _Property.DISALLOWED
    if category == "Cc":
        return _Property.DISALLOWED
    if unicodedata.normalize("NFKC", char) != char:
        return _Property.PVALID  # HasCompat: FREE_PVAL in the FreeformClass
    if category in _LETTER_DIGITS | _OTHER_LETTER_DIGITS | _SYMBOLS | _PUNCTUATION:
        return _Property.PVALID
    if category == "Zs":
        return _Property.PVALID
    return _Property.DISALLOWED


def _script_is(char: str, *prefixes: str) -> bool:
    """Approximate Unicode Script by character name (unicodedata lacks Script)."""
    name = unicodedata.name(char, "")
    return name.startswith(prefixes)


def _context_ok(text: str, index: int) -> bool:
    """RFC 5892 Appendix A contextual rules for CONTEXTJ/CONTEXTO code points."""
    cp = ord(text[index])
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    if cp in (0x200C, 0x200D):  # ZWNJ / ZWJ: after a virama
        return bool(before) and unicodedata.combining(before) == _VIRAMA
    if cp == 0x00B7:  # MIDDLE DOT: between two 'l' (Catalan)
        return before == "l" and after == "l"
    if cp == 0x0375:  # GREEK LOWER NUMERAL SIGN: followed by Greek
        return bool(after) and _script_is(after, "GREEK")
    if cp in (0x05F3, 0x05F4):  # HEBREW GERESH / GERSHAYIM: after Hebrew
        return bool(before) and _script_is(before, "HEBREW")
    if cp == 0x30FB:  # KATAKANA MIDDLE DOT: some Hiragana, Katakana or Han
        return any(
            _script_is(c, "HIRAGANA", "KATAKANA", "CJK UNIFIED IDEOGRAPH")
            for c in text
            if c != "\u30fb"
        )
    if 0x0660 <= cp <= 0x0669:  # ARABIC-INDIC DIGITS: not mixed with extended
        return not any(0x06F0 <= ord(c) <= 0x06F9 for c in text)
    if 0x06F0 <= cp <= 0x06F9:  # EXTENDED ARABIC-INDIC DIGITS: not mixed
        return not any(0x0660 <= ord(c) <= 0x0669 for c in text)
    return False


def _check_freeform(text: str) -> None:
    for index, char in enumerate(text):
        prop = freeform_property(char)
        if prop is _Property.PVALID:
            continue
        if prop in (_Property.CONTEXTJ, _Property.CONTEXTO) and _context_ok(text, index):
            continue
        raise PrecisError(
            f"U+{ord(char):04X} at position {index} is {prop.value} in the PRECIS FreeformClass"
        )


def opaque_string(text: str) -> str:
    """Enforce the OpaqueString profile; returns the enforced form.

    Raises :class:`PrecisError` when the string does not conform (including
    the empty string and strings with lone surrogates).
    """
    _check_freeform(text)
    mapped = "".join(" " if unicodedata.category(c) == "Zs" else c for c in text)
    enforced = unicodedata.normalize("NFC", mapped)
    _check_freeform(enforced)
    if not enforced:
        raise PrecisError("the string is empty")
    return enforced


def stun_username(text: str) -> str:
    """Enforce RFC 8489 §14.3 on a USERNAME; returns the enforced form."""
    enforced = opaque_string(text)
    size = len(enforced.encode("utf-8"))
    if size > MAX_USERNAME_BYTES:
        raise PrecisError(f"it is {size} bytes of UTF-8; fewer than 509 are allowed")
    return enforced


__all__ = [
    "MAX_USERNAME_BYTES",
    "PrecisError",
    "freeform_property",
    "opaque_string",
    "stun_username",
]
