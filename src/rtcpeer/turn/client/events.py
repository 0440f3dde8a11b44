"""What a TURN client connection reports, one frozen dataclass per event."""

from __future__ import annotations

from dataclasses import dataclass

from rtcpeer.sansio import Address
from rtcpeer.turn.errors import TurnError


@dataclass(frozen=True)
class AllocationSucceeded:
    """The server granted a relayed transport address."""

    #: The relayed transport address on the server (the relay candidate).
    relayed_address: Address
    #: Our address as the server saw it (the server-reflexive candidate).
    mapped_address: Address | None
    #: Seconds the allocation lives unless refreshed.
    lifetime: int
    #: Every relayed address granted, the first one first (two for a dual-stack
    #: allocation: one IPv4, one IPv6).
    relayed_addresses: tuple[Address, ...] = ()
    #: ADDRESS-ERROR-CODE: why a family asked for as an addition was not granted.
    address_errors: tuple[TurnError, ...] = ()


@dataclass(frozen=True)
class AllocationFailed:
    """The Allocate request failed; no allocation exists."""

    #: The structured failure (code 701 when the server never answered).
    error: TurnError
    #: For 300 Try Alternate: the server to allocate on instead.
    alternate_server: Address | None = None


@dataclass(frozen=True)
class AllocationRefreshed:
    """A Refresh request kept the allocation alive."""

    #: The new lifetime in seconds.
    lifetime: int


@dataclass(frozen=True)
class AllocationLost:
    """An allocation that existed is gone (refresh failed, connection lost)."""

    #: Why it was lost.
    error: TurnError


@dataclass(frozen=True)
class PermissionCreated:
    """CreatePermission (or its refresh) succeeded for a peer IP."""

    #: The peer IP address the permission covers.
    peer_host: str


@dataclass(frozen=True)
class PermissionFailed:
    """CreatePermission failed; data from or to the peer IP is dropped."""

    #: The peer IP address.
    peer_host: str
    #: Why it failed.
    error: TurnError


@dataclass(frozen=True)
class ChannelBound:
    """ChannelBind (or its refresh) succeeded."""

    #: The peer transport address bound to the channel.
    peer: Address
    #: The channel number, 0x4000-0x4FFF.
    channel: int


@dataclass(frozen=True)
class ChannelBindFailed:
    """ChannelBind failed; the peer is still reachable by Send indications."""

    #: The peer transport address.
    peer: Address
    #: The channel number that was asked for.
    channel: int
    #: Why it failed.
    error: TurnError


@dataclass(slots=True)  # not frozen: one per datagram, and frozen init costs 5x
class PeerDataReceived:
    """A peer sent data through the relay (Data indication or ChannelData; read-only)."""

    #: The peer transport address the data came from.
    peer: Address
    #: The application payload.
    data: bytes


@dataclass(frozen=True)
class Released:
    """The allocation was released (Refresh with LIFETIME 0) or abandoned."""


TurnEvent = (
    AllocationSucceeded
    | AllocationFailed
    | AllocationRefreshed
    | AllocationLost
    | PermissionCreated
    | PermissionFailed
    | ChannelBound
    | ChannelBindFailed
    | PeerDataReceived
    | Released
)
