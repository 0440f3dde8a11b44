"""ICE's SDP grammar in its one home, rtcpeer.sdp.ice: ice-char, credentials, minting."""

from __future__ import annotations

import random
import re
import string

import pytest

from rtcpeer.jsep import generate_ice_credentials
from rtcpeer.sdp import SdpValueError, parse_candidate_value
from rtcpeer.sdp.ice import (
    ICE_CHARS,
    MAX_REMOTE_CANDIDATES,
    credentials_problem,
    is_foundation,
    is_ice_chars,
    random_ice_string,
)

ICE_CHAR = re.compile(r"[A-Za-z0-9+/]")


def test_ice_chars_are_exactly_alpha_digit_plus_slash() -> None:
    assert len(ICE_CHARS) == 64
    assert set(ICE_CHARS) == set(string.ascii_letters + string.digits + "+/")


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("a", True),
        ("a+/Z9", True),
        ("f" * 32, True),
        ("f" * 33, False),
        ("", False),
        ("f-1", False),
        ("f\u00f6o", False),
        ("\u0661", False),
    ],
)
def test_foundation(text: str, ok: bool) -> None:
    assert is_foundation(text) is ok
    line = f"{text} 1 udp 1 1.2.3.4 5 typ host"
    if ok:
        assert parse_candidate_value(line).foundation == text
    else:
        with pytest.raises(SdpValueError):
            parse_candidate_value(line)


def test_lengths_and_credentials_problem() -> None:
    assert is_ice_chars("abcd", 4, 256) and not is_ice_chars("abc", 4, 256)
    assert credentials_problem("abcd", "p" * 22) is None
    assert credentials_problem(None, None) == "missing ice-ufrag and ice-pwd"
    assert credentials_problem("abc", "p" * 22) == (
        "ice-ufrag must be 4 to 256 ice-chars (A-Z a-z 0-9 + /)"
    )
    assert credentials_problem("abcd", "p" * 21) == (
        "ice-pwd must be 22 to 256 ice-chars (A-Z a-z 0-9 + /)"
    )
    assert credentials_problem("abc-", "p" * 22) is not None


def test_a_seeded_rng_draws_the_same_strings_as_before() -> None:
    # The ICE agent's seeded generations: rng.choice over ICE_CHARS in this order.
    seeded = random.Random(7)
    expected = "".join(seeded.choice(ICE_CHARS) for _ in range(24))
    assert random_ice_string(random.Random(7), 24) == expected


@pytest.mark.parametrize("rng", [None, random.SystemRandom()])
def test_system_randomness_gives_ice_chars_of_every_kind(rng: random.Random | None) -> None:
    drawn = "".join(random_ice_string(rng, 64) for _ in range(64))
    assert len(drawn) == 64 * 64 and all(ICE_CHAR.fullmatch(c) for c in drawn)
    assert len(set(drawn)) == 64  # 4096 draws over 64 symbols: each one shows up


def test_jsep_mints_with_the_shared_generator() -> None:
    minted = generate_ice_credentials()
    assert (len(minted.ufrag), len(minted.pwd)) == (8, 24)
    assert credentials_problem(minted.ufrag, minted.pwd) is None


def test_the_ice_agent_caps_remote_candidates_at_the_same_number() -> None:
    """The agent's default cap is this one number (one home: sdp/ice.py)."""
    from rtcpeer.ice import IceAgentConfig

    assert IceAgentConfig().max_remote_candidates == MAX_REMOTE_CANDIDATES == 20_000
