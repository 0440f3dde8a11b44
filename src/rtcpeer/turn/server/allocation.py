"""One TURN allocation: its relayed address, permissions and channels, each
with an expiry time on the caller's clock (RFC 8656 §2.2, §9, §12)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rtcpeer.stun import Address
from rtcpeer.turn.server.events import ClientKey


def _version(ip: str) -> int:
    return 6 if ":" in ip else 4


@dataclass
class Allocation:
    """State the server keeps for one client 5-tuple."""

    client: ClientKey
    #: The relayed address of the requested family (the first one granted).
    relay: Address
    username: str
    expires: float
    #: Peer IP -> expiry time.
    permissions: dict[str, float] = field(default_factory=dict)
    #: Channel number -> (peer address, expiry time).
    channels: dict[int, tuple[Address, float]] = field(default_factory=dict)
    #: Peer address -> channel number (the reverse of ``channels``).
    channel_of_peer: dict[Address, int] = field(default_factory=dict)
    #: Transaction id and bytes of the Allocate success, for retransmissions.
    allocate_reply: tuple[bytes, bytes] | None = None
    #: Every relayed address by IP version: ``relay``, plus an IPv6 one for a
    #: dual-stack allocation (ADDITIONAL-ADDRESS-FAMILY, RFC 8656 §7.2).
    relays: dict[int, Address] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.relays.setdefault(_version(self.relay[0]), self.relay)

    def relay_for(self, peer_ip: str) -> Address | None:
        """The relayed address that talks to ``peer_ip``: the one of its family."""
        return self.relays.get(_version(peer_ip))

    def has_permission(self, peer_ip: str, now: float) -> bool:
        expiry = self.permissions.get(peer_ip)
        return expiry is not None and expiry > now

    def channel_peer(self, channel: int, now: float) -> Address | None:
        entry = self.channels.get(channel)
        if entry is None or entry[1] <= now:
            return None
        return entry[0]

    def next_deadline(self) -> float:
        """The earliest time at which something in this allocation expires."""
        times = [self.expires, *self.permissions.values()]
        times.extend(expiry for _, expiry in self.channels.values())
        return min(times)

    def expire(self, now: float) -> None:
        """Drop permissions and channels whose time has come."""
        for ip in [ip for ip, expiry in self.permissions.items() if expiry <= now]:
            del self.permissions[ip]
        for number in [n for n, (_, expiry) in self.channels.items() if expiry <= now]:
            peer, _ = self.channels.pop(number)
            self.channel_of_peer.pop(peer, None)
