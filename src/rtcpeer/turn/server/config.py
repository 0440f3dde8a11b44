"""Policy of the TURN server core: realm, users, lifetimes, quotas, peers.

The defaults are meant to be safe on a host with a private network behind
it: private and special-purpose peers refused (see ``peer_policy``), a quota
per user and in all, and a cap on permissions and channels per allocation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_LIFETIME = 600
MAX_LIFETIME = 3600
PERMISSION_LIFETIME = 300
CHANNEL_LIFETIME = 600
NONCE_LIFETIME = 600
#: Allocations one username may hold at once by default.
USER_QUOTA = 256
#: Allocations the whole server may hold at once by default.
TOTAL_QUOTA = 1024
#: Peer IPs one allocation may hold permissions for (508 beyond).
MAX_PERMISSIONS = 256
#: Channels one allocation may bind (508 beyond; the protocol allows 4096).
MAX_CHANNELS = 256


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
    #: Allocations one username may hold at once (0 = unlimited): 486 beyond.
    user_quota: int = USER_QUOTA
    #: Allocations the whole server may hold at once (0 = unlimited): 486 beyond.
    total_quota: int = TOTAL_QUOTA
    #: Peer IPs with a permission per allocation (0 = unlimited): 508 beyond.
    max_permissions: int = MAX_PERMISSIONS
    #: Channels per allocation (0 = unlimited): 508 beyond.
    max_channels: int = MAX_CHANNELS
    #: Allow peers on 127.0.0.0/8 and ::1 (tests only: loopback is our own host).
    allow_loopback_peers: bool = False
    #: Peer CIDRs to open although a default (or ``denied_peers``) rule refuses
    #: them; the most specific rule wins, an allow over a deny of equal length.
    allowed_peers: tuple[str, ...] = ()
    #: Peer CIDRs to refuse besides the private and special-purpose defaults.
    denied_peers: tuple[str, ...] = ()
    #: Also accept RFC 5766 channel numbers 0x5000-0x7FFF (datagram transports).
    legacy_channel_numbers: bool = False
    #: SOFTWARE attribute value on every response.
    software: str = "rtcpeer-turn"
    #: Key for the nonce HMAC; pass a fixed value for reproducible tests.
    nonce_secret: bytes = b""
