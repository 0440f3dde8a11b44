"""The OpaqueString profile (RFC 8265 §4.2) and the RFC 8489 USERNAME limit."""

from __future__ import annotations

import pytest

from rtcpeer.configuration.credentials import (
    MAX_USERNAME_BYTES,
    PrecisError,
    opaque_string,
    stun_username,
)

VALID: list[tuple[str, str]] = [
    ("password", "password"),
    ("correct horse battery staple", "correct horse battery staple"),
    ("p@ss:w0rd!~", "p@ss:w0rd!~"),
    ("\u00a0leading nbsp", " leading nbsp"),  # non-ASCII space -> U+0020
    ("a\u3000b", "a b"),  # ideographic space -> U+0020
    ("\uff2bevin", "\uff2bevin"),  # no width mapping in OpaqueString
    ("Kevin", "Kevin"),  # no case mapping
    ("e\u0301", "\u00e9"),  # NFC
    ("\u212b", "\u00c5"),  # ANGSTROM SIGN: NFC singleton
    ("\u2163", "\u2163"),  # ROMAN NUMERAL FOUR: HasCompat, allowed in FreeformClass
    ("\u00bd", "\u00bd"),  # VULGAR FRACTION: allowed
    ("\U0001f600", "\U0001f600"),  # emoji (So)
    ("\u00df", "\u00df"),  # exception: PVALID
    ("l\u00b7l", "l\u00b7l"),  # MIDDLE DOT between two l
    ("\u0915\u094d\u200d", "\u0915\u094d\u200d"),  # ZWJ after a virama
    ("\u03b1\u0375\u03b2", "\u03b1\u0375\u03b2"),  # keraia followed by Greek
    ("\u05d0\u05f3", "\u05d0\u05f3"),  # geresh after Hebrew
    ("\u30a2\u30fb\u30a4", "\u30a2\u30fb\u30a4"),  # katakana middle dot with katakana
    ("\u0661\u0662", "\u0661\u0662"),  # Arabic-Indic digits, unmixed
    (" ", " "),  # a single ASCII space is a non-empty FreeformClass string
    # ZWNJ between two dual-joining Arabic letters (RFC 5892 A.1, joining types):
    # rtcpeer's own implementation rejected it (Python ships no joining types).
    ("\u0628\u200c\u0628", "\u0628\u200c\u0628"),
]

INVALID: list[str] = [
    "",
    "a\u0000b",  # Cc
    "tab\there",  # Cc
    "line\nbreak",  # Cc
    "a\u007fb",  # DEL
    "a\u0085b",  # C1 control
    "x\u200by",  # default ignorable
    "x\u00adx",  # SOFT HYPHEN: default ignorable
    "x\ufeffx",  # BOM: default ignorable
    "x\u200cx",  # ZWNJ without virama
    "\u200d",  # ZWJ alone
    "a\u00b7b",  # MIDDLE DOT not between l's
    "\u0375a",  # keraia not followed by Greek
    "\u05f3",  # geresh without Hebrew
    "\u30fb",  # katakana middle dot alone
    "\u0661\u06f1",  # mixed Arabic-Indic digit forms
    "\u0640",  # ARABIC TATWEEL: exception DISALLOWED
    "\u1100",  # old Hangul jamo
    "\ue000",  # private use
    "\ud800",  # lone surrogate
    "\ufdd0",  # noncharacter
    "\uffff",  # noncharacter
    "\u0378",  # unassigned
    "a\u2028b",  # LINE SEPARATOR (Zl)
    "\u0600",  # ARABIC NUMBER SIGN (Cf)
    "\U000e0041",  # TAG LATIN CAPITAL LETTER A: default ignorable
]


@pytest.mark.parametrize(("text", "enforced"), VALID, ids=[ascii(v) for v, _ in VALID])
def test_opaque_string_valid(text: str, enforced: str) -> None:
    assert opaque_string(text) == enforced
    assert opaque_string(enforced) == enforced  # idempotent


@pytest.mark.parametrize("text", INVALID, ids=[ascii(v) for v in INVALID])
def test_opaque_string_invalid(text: str) -> None:
    with pytest.raises(PrecisError):
        opaque_string(text)


def test_username_length_limit() -> None:
    assert MAX_USERNAME_BYTES == 508
    stun_username("u" * 508)
    with pytest.raises(PrecisError, match="509"):
        stun_username("u" * 509)
    stun_username("\u00e9" * 254)  # 508 bytes
    with pytest.raises(PrecisError):
        stun_username("\u00e9" * 255)  # 510 bytes
    # The limit applies to the enforced form: 254 x (e + combining acute) -> 508 bytes.
    stun_username("e\u0301" * 254)


def test_errors_say_which_code_point_and_why() -> None:
    with pytest.raises(PrecisError, match=r"U\+0000 at position 1 is DISALLOWED: controls"):
        opaque_string("a\u0000b")
    with pytest.raises(PrecisError, match="empty"):
        opaque_string("")


def test_credential_has_no_length_limit() -> None:
    assert opaque_string("p" * 5000) == "p" * 5000
