"""Which TURN server to talk to, and how.

The configuration layer's parsed ``IceServerUrl`` satisfies
:class:`TurnServerTarget`; :class:`TurnServer` is a plain stand-in for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rtcpeer.turn.errors import TurnValueError


class TurnServerTarget(Protocol):
    """A TURN server URL, already parsed (RFC 7065)."""

    @property
    def host(self) -> str:
        """Host name or IP literal (IPv6 without brackets)."""

    @property
    def port(self) -> int: ...

    @property
    def transport(self) -> str:
        """``"udp"`` or ``"tcp"``; with ``secure`` that is DTLS or TLS."""

    @property
    def secure(self) -> bool:
        """True for ``turns:``."""

    @property
    def url(self) -> str:
        """The URL as configured, for error reports."""


@dataclass(frozen=True)
class TurnServer:
    """A TURN server target built by hand."""

    host: str
    port: int = 3478
    transport: str = "udp"
    secure: bool = False
    url: str = ""

    def __post_init__(self) -> None:
        if self.transport not in ("udp", "tcp"):
            raise TurnValueError(f"transport must be 'udp' or 'tcp', not {self.transport!r}")
        if not self.url:
            host = f"[{self.host}]" if ":" in self.host else self.host
            scheme = "turns" if self.secure else "turn"
            object.__setattr__(
                self, "url", f"{scheme}:{host}:{self.port}?transport={self.transport}"
            )


def is_stream(target: TurnServerTarget) -> bool:
    """TCP and TLS carry STUN as a byte stream; UDP and DTLS as datagrams."""
    return target.transport == "tcp"


def transport_name(target: TurnServerTarget) -> str:
    """``udp``, ``tcp``, ``tls`` or ``dtls``."""
    if target.secure:
        return "tls" if target.transport == "tcp" else "dtls"
    return target.transport
