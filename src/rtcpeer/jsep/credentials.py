"""ICE credentials: minting fresh ones and checking a peer's (RFC 8839 §5.4)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

#: ice-char = ALPHA / DIGIT / "+" / "/"
ICE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_UFRAG = re.compile(r"[A-Za-z0-9+/]{4,256}")
_PWD = re.compile(r"[A-Za-z0-9+/]{22,256}")


@dataclass(frozen=True)
class IceCredentials:
    """One ICE username fragment and password; a new pair is a new ICE generation."""

    ufrag: str
    pwd: str

    def __repr__(self) -> str:
        return f"IceCredentials(ufrag={self.ufrag!r}, pwd=<{len(self.pwd)} chars>)"


def generate_ice_credentials(ufrag_length: int = 8, pwd_length: int = 24) -> IceCredentials:
    """Fresh random credentials: 48 bits of ufrag, 144 bits of password by default.

    RFC 8839 asks for at least 24 bits of randomness in the ufrag and 128
    in the password.
    """
    if ufrag_length < 4 or pwd_length < 22:
        raise ValueError("ICE ufrag needs >= 4 characters and pwd >= 22")
    return IceCredentials(
        "".join(secrets.choice(ICE_CHARS) for _ in range(ufrag_length)),
        "".join(secrets.choice(ICE_CHARS) for _ in range(pwd_length)),
    )


def credentials_problem(ufrag: str | None, pwd: str | None) -> str | None:
    """Why these credentials are unacceptable (missing, size, characters), or None."""
    if ufrag is None or pwd is None:
        missing = " and ".join(n for n, v in (("ice-ufrag", ufrag), ("ice-pwd", pwd)) if v is None)
        return f"missing {missing}"
    if _UFRAG.fullmatch(ufrag) is None:
        return "ice-ufrag must be 4 to 256 ice-chars (A-Z a-z 0-9 + /)"
    if _PWD.fullmatch(pwd) is None:
        return "ice-pwd must be 22 to 256 ice-chars (A-Z a-z 0-9 + /)"
    return None


__all__ = ["ICE_CHARS", "IceCredentials", "credentials_problem", "generate_ice_credentials"]
