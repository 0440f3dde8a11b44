"""One TURN allocation: its relayed address, permissions and channels, each
with an expiry time on the caller's clock (RFC 8656 §2.2, §9, §12), and the
channel routes the data path reads (:class:`ChannelRoute`)."""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from rtcpeer.sansio import Address
from rtcpeer.stun.framing import CHANNEL_MAX
from rtcpeer.turn.server.events import ClientKey

_CHANNEL_HEADER = struct.Struct("!HH")
#: Zero bytes that pad a payload of length n to 4 bytes, by ``n % 4``.
_PADDING = (b"", b"\0\0\0", b"\0\0", b"\0")


def _version(ip: str) -> int:
    return 6 if ":" in ip else 4


@dataclass(eq=False, slots=True)
class ChannelRoute:
    """One bound channel as the data path needs it (RFC 8656 §12): everything
    a ChannelData frame from the client, or a datagram from the channel's
    peer, takes to be relayed, without decoding or building STUN messages.

    The :class:`Allocation` rebuilds its routes whenever its lifetime, a
    permission or a channel changes, so a route exists only for a channel
    whose peer holds a permission, has a relay of its family and passes the
    peer policy; it carries data while ``now < usable_until``. A missing or
    outdated route only means "take the general path", which decides (and
    drops) exactly as before.
    """

    #: The channel number (0x4000-0x4FFF, or RFC 5766's up to 0x7FFF).
    channel: int
    #: The client that owns the allocation.
    client: ClientKey
    #: The peer bound to the channel.
    peer: Address
    #: The relayed address that talks to ``peer`` (the one of its family).
    relay: Address
    #: The earliest of the allocation's, the permission's and the channel's
    #: expiry: the route carries data while ``now`` is before it.
    usable_until: float

    def unwrap(self, frame: bytes) -> bytes | None:
        """The payload of a ChannelData ``frame`` on this channel, or None when
        its length field does not fit the frame (up to 3 bytes of padding
        after the data are allowed)."""
        length = frame[2] << 8 | frame[3]
        size = len(frame)
        if size == 4 + length:
            return frame[4:]
        if 4 + length < size <= 7 + length:
            return frame[4 : 4 + length]
        return None

    def wrap(self, data: bytes) -> bytes:
        """``data`` from the peer as a ChannelData frame to the client, padded
        to 4 bytes over TCP/TLS (RFC 8656 §12.5); never over datagrams, nor
        for RFC 5766's legacy channel numbers."""
        frame = _CHANNEL_HEADER.pack(self.channel, len(data)) + data
        if self.client.transport in ("tcp", "tls") and self.channel <= CHANNEL_MAX:
            padding = _PADDING[len(data) % 4]
            if padding:
                frame += padding
        return frame


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
    #: Channel number -> route, for frames from the client (see
    #: :meth:`update_routes`). The same dict object for the allocation's
    #: whole life, so a runtime may hold on to it.
    routes: dict[int, ChannelRoute] = field(default_factory=dict)
    #: Peer address -> route, for datagrams from a bound peer.
    peer_routes: dict[Address, ChannelRoute] = field(default_factory=dict)

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

    def update_routes(self, peer_allowed: Callable[[Address], bool]) -> None:
        """Rebuild :attr:`routes` and :attr:`peer_routes` from the lifetime,
        permissions, channels and relays (call after changing any of them):
        a channel gets a route when its peer has a permission, a relay of its
        family and ``peer_allowed``; the route is usable until the first of
        the three expiries. The dicts are updated in place."""
        routes, peer_routes = self.routes, self.peer_routes
        routes.clear()
        peer_routes.clear()
        for channel, (peer, channel_expiry) in self.channels.items():
            permission = self.permissions.get(peer[0])
            relay = self.relay_for(peer[0])
            if permission is None or relay is None or not peer_allowed(peer):
                continue
            until = min(self.expires, permission, channel_expiry)
            route = ChannelRoute(channel, self.client, peer, relay, until)
            routes[channel] = route
            peer_routes[peer] = route

    def clear_routes(self) -> None:
        """Forget every route (the allocation is gone)."""
        self.routes.clear()
        self.peer_routes.clear()
