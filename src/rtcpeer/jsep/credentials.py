"""ICE credentials as JSEP hands them around: one ufrag/pwd pair per ICE generation.

The rules (ice-char, lengths) and the minting live in :mod:`rtcpeer.sdp.ice`,
shared with the ICE agent; this module gives them JSEP's value type.
"""

from __future__ import annotations

from dataclasses import dataclass

from rtcpeer.sdp.ice import ICE_CHARS, credentials_problem, random_ice_string


@dataclass(frozen=True, slots=True)
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
        random_ice_string(None, ufrag_length), random_ice_string(None, pwd_length)
    )


__all__ = ["ICE_CHARS", "IceCredentials", "credentials_problem", "generate_ice_credentials"]
