"""Policy of the TURN server core: realm, users, lifetimes, quotas, peers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_LIFETIME = 600
MAX_LIFETIME = 3600
PERMISSION_LIFETIME = 300
CHANNEL_LIFETIME = 600
NONCE_LIFETIME = 600


@dataclass(frozen=True)
class TurnServerConfig:
    """Everything the sans-IO core decides by; no sockets, no clocks."""

    #: The REALM of the long-term credentials.
    realm: str = "rtcpeer"
    #: Static long-term users: username -> password.
    users: Mapping[str, str] = field(default_factory=dict)
    #: Shared secrets for coturn-style time-limited ("REST API") usernames.
    auth_secrets: tuple[str, ...] = ()
    #: Lifetime granted when the client asks for none or for less (seconds).
    default_lifetime: int = DEFAULT_LIFETIME
    #: Upper bound on any granted allocation lifetime (seconds).
    max_lifetime: int = MAX_LIFETIME
    #: How long a nonce stays valid before 438 Stale Nonce (seconds).
    nonce_lifetime: int = NONCE_LIFETIME
    #: Allocations one username may hold at once (0 = unlimited).
    user_quota: int = 0
    #: Allocations the whole server may hold at once (0 = unlimited).
    total_quota: int = 0
    #: Allow peers on 127.0.0.0/8 and ::1 (tests only: loopback is our own host).
    allow_loopback_peers: bool = False
    #: Also accept RFC 5766 channel numbers 0x5000-0x7FFF (datagram transports).
    legacy_channel_numbers: bool = False
    #: SOFTWARE attribute value on every response.
    software: str = "rtcpeer-turn"
    #: Key for the nonce HMAC; pass a fixed value for reproducible tests.
    nonce_secret: bytes = b""
