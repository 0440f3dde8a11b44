"""The TURN server as a pure state machine (RFC 8656 over RFC 8489).

Inputs are bytes with addresses and the current time; outputs are
:class:`SendToClient` / :class:`SendFromRelay` orders returned from each
input call. The timer follows the one shape of :mod:`rtcpeer.sansio`:
:meth:`~TurnServerCore.handle_timer` queues what it produces and the driver
collects it with :meth:`~TurnServerCore.datagrams_to_send`. The core never
opens a socket or reads a clock, so the asyncio runtime and a simulated
network on a virtual clock drive the very same code.

The data path (RFC 8656 §12): besides the general inputs, the core keeps
a :class:`~rtcpeer.turn.server.allocation.ChannelRoute` for every usable
channel, rebuilt by each allocation whenever its lifetime, permissions or
channels change, and indexed in two live read-only maps, :meth:`routes_from`
(client address -> channel routes, per listener) and :attr:`routes_to_peers`
(relayed address -> peer address -> route). A runtime relays ChannelData
both ways by looking a frame up in them (:meth:`channel_route` and
:meth:`peer_route` say how) without building STUN messages; whatever finds
no usable route goes to :meth:`receive_from_client` /
:meth:`receive_on_relay` as before, which hold the rules and drop.

Choices where RFC 8656 leaves room:
- Only UDP relaying (REQUESTED-TRANSPORT other than 17 gets 442).
- EVEN-PORT is honoured (an even relay port); its R bit (reserve the next
  port) and RESERVATION-TOKEN get 508: no port reservations are kept.
- DONT-FRAGMENT is accepted and ignored.
- Binding requests need no authentication (as coturn).
- Channel numbers are 0x4000-0x4FFF; ``legacy_channel_numbers`` also accepts
  RFC 5766's 0x5000-0x7FFF (coturn's turnutils_uclient picks those), over
  UDP and DTLS only: stream framing knows only the RFC 8656 range.
- Nonces are stateless and bound to the 5-tuple (see ``auth``).
- Peers: private and special-purpose ranges are refused by default, with
  operator allow/deny lists (see ``peer_policy``).
- No amplification towards unauthenticated senders: only an Allocate gets
  the 401 challenge (with REALM and NONCE, as it must); a request that needs
  an allocation, from a 5-tuple that has none and without credentials, gets
  a bare 437 (no reason phrase, REALM, NONCE or SOFTWARE); an Allocate
  without REQUESTED-TRANSPORT a bare 400 before any challenge. SOFTWARE is
  sent on authenticated responses only, so a Binding answer is the header,
  XOR-MAPPED-ADDRESS and FINGERPRINT.
- Resources: quotas per user and in all (486), permissions and channels per
  allocation capped (508), and a relay that cannot be opened for any reason
  (no free port, EMFILE) answered 508 rather than left unanswered.
- Address families (§7.2): REQUESTED-ADDRESS-FAMILY picks the relayed
  family (440 when there is no relay of it). Without it the relay is IPv4,
  or IPv6 when the server relays IPv6 only (as coturn's
  ``allocation-default-address-family=keep`` does for IPv6 clients): a
  server listening on IPv6 alone then serves clients that do not ask.
  ADDITIONAL-ADDRESS-FAMILY IPv6 adds an IPv6 relayed address to the IPv4
  one (a dual-stack allocation); when that one cannot be had the Allocate
  still succeeds, with ADDRESS-ERROR-CODE saying why. A Refresh carrying
  REQUESTED-ADDRESS-FAMILY and LIFETIME 0 gives back that family alone.
"""

from __future__ import annotations

import heapq
import logging
import struct
from collections import deque
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from rtcpeer.sansio import Address
from rtcpeer.stun import (
    REASONS,
    TRANSPORT_UDP,
    Attr,
    ErrorCode,
    MessageClass,
    Method,
    PacketKind,
    StunDecodeError,
    StunMessage,
    classify,
    decode_channel_data,
    decode_message,
    encode_channel_data,
)
from rtcpeer.stun.constants import FAMILY_IPV6
from rtcpeer.stun.framing import CHANNEL_MAX, CHANNEL_MIN
from rtcpeer.turn.errors import TurnBaseError
from rtcpeer.turn.server.allocation import Allocation, ChannelRoute
from rtcpeer.turn.server.auth import CredentialStore, NonceIssuer
from rtcpeer.turn.server.config import (
    CHANNEL_LIFETIME,
    PERMISSION_LIFETIME,
    TurnServerConfig,
)
from rtcpeer.turn.server.events import (
    AllocationCreated,
    AllocationDeleted,
    ClientKey,
    Event,
    Output,
    SendFromRelay,
    SendToClient,
)
from rtcpeer.turn.server.peer_policy import PeerPolicy
from rtcpeer.turn.server.relay_provider import RelayProvider

logger = logging.getLogger(__name__)

_AUTHENTICATED_METHODS = frozenset(
    {Method.ALLOCATE, Method.REFRESH, Method.CREATE_PERMISSION, Method.CHANNEL_BIND}
)
_FAMILIES = {0x01: 4, 0x02: 6}
#: RFC 5766 allowed channels up to 0x7FFF; coturn's clients still pick them.
LEGACY_CHANNEL_MAX = 0x7FFF


class _Refusal(TurnBaseError):
    """An error response to send, raised from deep inside a handler."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class TurnServerCore:
    """All allocations of one TURN server, driven by bytes and time."""

    def __init__(
        self,
        config: TurnServerConfig,
        relays: RelayProvider,
        *,
        listening: Iterable[Address] = (),
        wall_offset: float = 0.0,
    ) -> None:
        """``wall_offset`` turns ``now`` into Unix time for REST usernames when a
        call passes no ``wall_time``."""
        self.config = config
        self._relays = relays
        self._policy = PeerPolicy(
            allow_loopback=config.allow_loopback_peers,
            listening=listening,
            allowed=config.allowed_peers,
            denied=config.denied_peers,
        )
        self._nonces = NonceIssuer(config.nonce_secret, config.nonce_lifetime)
        self._credentials = CredentialStore(config)
        self._wall_offset = wall_offset
        self._allocations: dict[ClientKey, Allocation] = {}
        self._by_relay: dict[Address, Allocation] = {}
        self._per_user: dict[str, int] = {}
        self._deadlines: list[float] = []
        self._events: deque[Event] = deque()
        self._outgoing: list[Output] = []
        self._channel_max = LEGACY_CHANNEL_MAX if config.legacy_channel_numbers else CHANNEL_MAX
        #: (transport, listening address) -> client address -> channel routes.
        self._routes_from: dict[tuple[str, Address], dict[Address, dict[int, ChannelRoute]]] = {}
        self._routes_to_peers: dict[Address, dict[Address, ChannelRoute]] = {}
        #: Read-only view of the relayed address -> peer -> route index.
        self.routes_to_peers: Final[Mapping[Address, Mapping[Address, ChannelRoute]]] = (
            MappingProxyType(self._routes_to_peers)
        )

    # -- introspection ------------------------------------------------------
    @property
    def allocations(self) -> Mapping[ClientKey, Allocation]:
        """Live allocations by client 5-tuple (read-only view)."""
        return MappingProxyType(self._allocations)

    def add_listening_address(self, address: Address) -> None:
        """Tell the core about one of its own listening sockets (never a peer)."""
        self._policy.add_listening(address)
        for allocation in self._allocations.values():
            self._update_routes(allocation)

    # -- the data path ------------------------------------------------------
    def routes_from(
        self, transport: str, local: Address
    ) -> Mapping[Address, Mapping[int, ChannelRoute]]:
        """The live channel routes of the clients of one listener (``"udp"``
        and its address): client address -> channel number -> route. The
        same mapping for the core's whole life, kept up to date by it, so a
        listener looks up each datagram's sender without building a
        :class:`ClientKey`. Pass a client's entry to :meth:`channel_route`."""
        index = self._routes_from.setdefault((transport, local), {})
        return MappingProxyType(index)

    def channel_routes(self, client: ClientKey) -> Mapping[int, ChannelRoute] | None:
        """The live channel routes of ``client``'s allocation, or None."""
        allocation = self._allocations.get(client)
        return None if allocation is None else allocation.routes

    @staticmethod
    def channel_route(
        routes: Mapping[int, ChannelRoute] | None, frame: bytes, now: float
    ) -> ChannelRoute | None:
        """The usable route of the ChannelData ``frame`` (its first two bytes
        are the channel number) among one client's ``routes``, or None: then
        hand the frame to :meth:`receive_from_client`. Relay
        ``route.unwrap(frame)`` (None: malformed, the general path drops it)
        from ``route.relay`` to ``route.peer``; nothing in the core changes."""
        if routes is None or len(frame) < 4:
            return None
        route = routes.get(frame[0] << 8 | frame[1])
        if route is None or route.usable_until <= now:
            return None
        return route

    def peer_route(self, relay: Address, peer: Address, now: float) -> ChannelRoute | None:
        """The usable route for a datagram from ``peer`` on ``relay``, or None:
        then hand it to :meth:`receive_on_relay`. Send ``route.wrap(data)``
        to ``route.client``. (:attr:`routes_to_peers` is the same lookup for
        a runtime that inlines it.)"""
        routes = self._routes_to_peers.get(relay)
        route = None if routes is None else routes.get(peer)
        if route is None or route.usable_until <= now:
            return None
        return route

    def _update_routes(self, allocation: Allocation) -> None:
        allocation.update_routes(self._policy.allows)

    def next_event(self) -> Event | None:
        """The oldest event not yet taken, or None."""
        return self._events.popleft() if self._events else None

    # -- timers -------------------------------------------------------------
    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` should next be called (None: no need)."""
        return self._deadlines[0] if self._deadlines else None

    def datagrams_to_send(self) -> list[Output]:
        """The outputs queued by :meth:`handle_timer`, taken out of the core.
        (Input methods return their outputs directly.)"""
        out, self._outgoing = self._outgoing, []
        return out

    def handle_timer(self, now: float) -> None:
        """Expire allocations, permissions and channels due by ``now``; what
        that sends (nothing today) is queued for :meth:`datagrams_to_send`."""
        while self._deadlines and self._deadlines[0] <= now:
            heapq.heappop(self._deadlines)
        for allocation in list(self._allocations.values()):
            if allocation.expires <= now:
                self._delete(allocation, "expired")
            else:
                allocation.expire(now)
                self._update_routes(allocation)

    def _schedule(self, when: float) -> None:
        heapq.heappush(self._deadlines, when)

    # -- inputs -------------------------------------------------------------
    def receive_from_client(
        self, client: ClientKey, data: bytes, now: float, *, wall_time: float | None = None
    ) -> list[Output]:
        """One datagram or stream frame from a client; garbage is dropped."""
        kind = classify(data)
        if kind is PacketKind.CHANNEL_DATA or (
            self._channel_max > CHANNEL_MAX and data and 0x50 <= data[0] <= 0x7F
        ):
            return self._client_channel_data(client, data, now)
        if kind is not PacketKind.STUN:
            return []
        try:
            message = decode_message(data)
        except StunDecodeError:
            return []
        wall = now + self._wall_offset if wall_time is None else wall_time
        if message.message_class is MessageClass.REQUEST:
            return self._request(client, message, now, wall)
        if message.message_class is MessageClass.INDICATION and message.method == Method.SEND:
            return self._send_indication(client, message, now)
        return []

    def receive_on_relay(
        self, relay: Address, peer: Address, data: bytes, now: float
    ) -> list[Output]:
        """A datagram from ``peer`` arrived on relayed address ``relay``."""
        allocation = self._by_relay.get(relay)
        if allocation is None or allocation.expires <= now:
            return []
        if not allocation.has_permission(peer[0], now) or not self._policy.allows(peer):
            return []
        client = allocation.client
        channel = allocation.channel_of_peer.get(peer)
        if channel is not None and allocation.channel_peer(channel, now) == peer:
            if channel > CHANNEL_MAX:  # legacy RFC 5766 numbers
                header = struct.pack("!HH", channel, len(data))
                return [SendToClient(client, header + data)]
            frame = encode_channel_data(channel, data, pad=client.is_stream)
            return [SendToClient(client, frame)]
        indication = StunMessage(Method.DATA, MessageClass.INDICATION)
        indication.add(Attr.XOR_PEER_ADDRESS, peer).add(Attr.DATA, data)
        return [SendToClient(client, indication.encode(fingerprint=True))]

    def client_closed(self, client: ClientKey, now: float) -> list[Output]:
        """The client's TCP/TLS connection (or DTLS session) is gone."""
        allocation = self._allocations.get(client)
        if allocation is not None:
            self._delete(allocation, "client-closed")
        return []

    def close(self) -> None:
        """Release every relayed address (server shutdown)."""
        for allocation in list(self._allocations.values()):
            self._delete(allocation, "client-closed")

    # -- requests -----------------------------------------------------------
    def _request(
        self, client: ClientKey, request: StunMessage, now: float, wall: float
    ) -> list[Output]:
        if request.method == Method.BINDING:
            if request.unknown_required:
                return [self._unknown_attributes(client, request, None)]
            reply = request.success().add(Attr.XOR_MAPPED_ADDRESS, client.remote)
            return [self._reply(client, reply, None)]
        if request.method not in _AUTHENTICATED_METHODS:
            return [self._bare_error(client, request, ErrorCode.BAD_REQUEST)]
        if not request.has(Attr.MESSAGE_INTEGRITY) and not request.has(
            Attr.MESSAGE_INTEGRITY_SHA256
        ):
            # Unauthenticated: answer no more than the sender needs to go on.
            if request.method != Method.ALLOCATE:
                if client not in self._allocations:
                    return [self._bare_error(client, request, ErrorCode.ALLOCATION_MISMATCH)]
            elif not request.has(Attr.REQUESTED_TRANSPORT):
                return [self._bare_error(client, request, ErrorCode.BAD_REQUEST)]
        authenticated = self._authenticate(client, request, now, wall)
        if isinstance(authenticated, SendToClient):
            return [authenticated]
        username, key = authenticated
        if request.unknown_required:
            return [self._unknown_attributes(client, request, key)]
        try:
            if request.method == Method.ALLOCATE:
                return self._allocate(client, request, username, key, now)
            allocation = self._allocations.get(client)
            if allocation is None:
                raise _Refusal(ErrorCode.ALLOCATION_MISMATCH)
            if allocation.username != username:
                raise _Refusal(ErrorCode.WRONG_CREDENTIALS)
            if request.method == Method.REFRESH:
                reply = self._refresh(allocation, request, now)
            elif request.method == Method.CREATE_PERMISSION:
                reply = self._create_permission(allocation, request, now)
            else:
                reply = self._channel_bind(allocation, request, now)
        except _Refusal as refusal:
            logger.info(
                "refused %s from %s (user %r): %d %s",
                _method(request),
                _client(client),
                username,
                refusal.code,
                REASONS.get(refusal.code, "error"),
            )
            return [self._reply(client, request.error(refusal.code), key)]
        return [self._reply(client, reply, key)]

    def _authenticate(
        self, client: ClientKey, request: StunMessage, now: float, wall: float
    ) -> tuple[str, bytes] | SendToClient:
        """The username and key, or the 400/401/438 answer (RFC 8489 §9.2.4)."""
        if not request.has(Attr.MESSAGE_INTEGRITY) and not request.has(
            Attr.MESSAGE_INTEGRITY_SHA256
        ):
            logger.debug("challenged %s from %s (401)", _method(request), _client(client))
            return self._challenge(client, request, ErrorCode.UNAUTHENTICATED, now)
        username = request.get(Attr.USERNAME)
        nonce = request.get(Attr.NONCE)
        if username is None or nonce is None or not request.has(Attr.REALM):
            return self._reply(client, request.error(ErrorCode.BAD_REQUEST), None)
        if not self._nonces.is_valid(nonce, client, now):
            logger.debug("stale nonce from %s (438)", _client(client))
            return self._challenge(client, request, ErrorCode.STALE_NONCE, now)
        if request.get(Attr.REALM) == self.config.realm:
            for key in self._credentials.keys_for(username, wall):
                if request.check_integrity(key):
                    return username, key
        logger.info(
            "refused %s from %s (user %r): 401 wrong credentials or realm",
            _method(request),
            _client(client),
            username,
        )
        return self._challenge(client, request, ErrorCode.UNAUTHENTICATED, now)

    def _challenge(
        self, client: ClientKey, request: StunMessage, code: int, now: float
    ) -> SendToClient:
        reply = request.error(code)
        reply.add(Attr.REALM, self.config.realm)
        reply.add(Attr.NONCE, self._nonces.issue(client, now))
        return self._reply(client, reply, None)

    def _allocate(
        self, client: ClientKey, request: StunMessage, username: str, key: bytes, now: float
    ) -> list[Output]:
        existing = self._allocations.get(client)
        if existing is not None:
            cached = existing.allocate_reply
            if cached is not None and cached[0] == request.transaction_id:
                return [SendToClient(client, cached[1])]
            raise _Refusal(ErrorCode.ALLOCATION_MISMATCH)
        transport = request.get(Attr.REQUESTED_TRANSPORT)
        if transport is None:
            raise _Refusal(ErrorCode.BAD_REQUEST)
        if transport != TRANSPORT_UDP:
            raise _Refusal(ErrorCode.UNSUPPORTED_TRANSPORT_PROTOCOL)
        even_port: bytes | None = request.get(Attr.EVEN_PORT)
        token = request.has(Attr.RESERVATION_TOKEN)
        requested_family = request.get(Attr.REQUESTED_ADDRESS_FAMILY)
        additional_family = request.get(Attr.ADDITIONAL_ADDRESS_FAMILY)
        if token and (even_port is not None or requested_family is not None):
            raise _Refusal(ErrorCode.BAD_REQUEST)
        if additional_family is not None and (
            requested_family is not None or token or additional_family != FAMILY_IPV6
        ):
            raise _Refusal(ErrorCode.BAD_REQUEST)  # §7.2: IPv6 in addition to IPv4 only
        if even_port is not None and len(even_port) != 1:
            raise _Refusal(ErrorCode.BAD_REQUEST)
        if token or (even_port is not None and even_port[0] & 0x80):
            raise _Refusal(ErrorCode.INSUFFICIENT_CAPACITY)  # no reservations kept
        if requested_family is not None:
            family = _FAMILIES.get(requested_family)
        elif additional_family is None and not self._relays.supports_family(4):
            family = 6  # an IPv6-only relay serves clients that do not ask
        else:
            family = 4
        if family is None or not self._relays.supports_family(family):
            raise _Refusal(ErrorCode.ADDRESS_FAMILY_NOT_SUPPORTED)
        quota_user, quota_total = self.config.user_quota, self.config.total_quota
        if (quota_user and self._per_user.get(username, 0) >= quota_user) or (
            quota_total and len(self._allocations) >= quota_total
        ):
            raise _Refusal(ErrorCode.ALLOCATION_QUOTA_REACHED)
        lifetime = self._lifetime(request)
        relay = self._open_relay(family, even_port=even_port is not None)
        if relay is None:
            raise _Refusal(ErrorCode.INSUFFICIENT_CAPACITY)
        allocation = Allocation(client, relay, username, now + lifetime)
        reply = request.success()
        reply.add(Attr.XOR_RELAYED_ADDRESS, relay)
        if additional_family is not None:
            error = ErrorCode.ADDRESS_FAMILY_NOT_SUPPORTED
            if self._relays.supports_family(6):
                extra = self._open_relay(6, even_port=even_port is not None)
                if extra is not None:
                    allocation.relays[6] = extra
                    reply.add(Attr.XOR_RELAYED_ADDRESS, extra)
                error = ErrorCode.INSUFFICIENT_CAPACITY
            if 6 not in allocation.relays:
                reply.add(Attr.ADDRESS_ERROR_CODE, (FAMILY_IPV6, int(error), REASONS[error]))
        self._allocations[client] = allocation
        for address in allocation.relays.values():
            self._by_relay[address] = allocation
            self._routes_to_peers[address] = allocation.peer_routes
        self._routes_from.setdefault((client.transport, client.local), {})[client.remote] = (
            allocation.routes
        )
        self._per_user[username] = self._per_user.get(username, 0) + 1
        self._schedule(allocation.expires)
        reply.add(Attr.LIFETIME, lifetime)
        reply.add(Attr.XOR_MAPPED_ADDRESS, client.remote)
        sent = self._reply(client, reply, key)
        allocation.allocate_reply = (request.transaction_id, sent.data)
        logger.info(
            "allocation for user %r from %s: relayed %s, lifetime %d s",
            username,
            _client(client),
            ", ".join(_address(a) for a in allocation.relays.values()),
            lifetime,
        )
        self._events.append(AllocationCreated(client, relay, username, lifetime))
        return [sent]

    def _open_relay(self, family: int, *, even_port: bool) -> Address | None:
        """A new relayed address, or None (508) whatever went wrong: out of
        ports, out of file descriptors, a bind error."""
        try:
            return self._relays.open_relay(family, even_port=even_port)
        except OSError as error:
            logger.warning("cannot open an IPv%d relay socket: %s", family, error)
            return None

    def _lifetime(self, request: StunMessage) -> int:
        """RFC 8656 §7.2: at least the default, at most the server maximum."""
        asked = request.get(Attr.LIFETIME)
        lifetime = self.config.default_lifetime if asked is None else int(asked)
        lifetime = max(lifetime, self.config.default_lifetime)
        return min(lifetime, self.config.max_lifetime)

    def _refresh(self, allocation: Allocation, request: StunMessage, now: float) -> StunMessage:
        requested_family = request.get(Attr.REQUESTED_ADDRESS_FAMILY)
        version = None if requested_family is None else _FAMILIES.get(requested_family)
        if requested_family is not None and version not in allocation.relays:
            raise _Refusal(ErrorCode.PEER_ADDRESS_FAMILY_MISMATCH)
        reply = request.success()
        if request.get(Attr.LIFETIME) == 0:
            if version is not None and len(allocation.relays) > 1:
                self._drop_family(allocation, version)  # §8: one family of a dual allocation
            else:
                self._delete(allocation, "refresh")
            return reply.add(Attr.LIFETIME, 0)
        lifetime = self._lifetime(request)
        allocation.expires = now + lifetime
        self._update_routes(allocation)
        self._schedule(allocation.expires)
        return reply.add(Attr.LIFETIME, lifetime)

    def _check_peer(self, allocation: Allocation, peer: Address, *, exact: bool) -> None:
        """443 for the wrong family, 403 for a forbidden peer. A permission
        (``exact`` False) ignores the port unless it names one of our own
        listening sockets; a channel needs a usable IP and port."""
        if allocation.relay_for(peer[0]) is None:
            raise _Refusal(ErrorCode.PEER_ADDRESS_FAMILY_MISMATCH)
        if not self._policy.allows_host(peer[0]):
            raise _Refusal(ErrorCode.FORBIDDEN)
        if (exact or peer[1] != 0) and not self._policy.allows(peer):
            raise _Refusal(ErrorCode.FORBIDDEN)

    def _create_permission(
        self, allocation: Allocation, request: StunMessage, now: float
    ) -> StunMessage:
        peers: list[Address] = request.get_all(Attr.XOR_PEER_ADDRESS)
        if not peers:
            raise _Refusal(ErrorCode.BAD_REQUEST)
        for peer in peers:
            self._check_peer(allocation, peer, exact=False)
        allocation.expire(now)
        limit = self.config.max_permissions
        new = {peer[0] for peer in peers} - allocation.permissions.keys()
        if limit and len(allocation.permissions) + len(new) > limit:
            raise _Refusal(ErrorCode.INSUFFICIENT_CAPACITY)
        for peer in peers:
            allocation.permissions[peer[0]] = now + PERMISSION_LIFETIME
        self._update_routes(allocation)
        self._schedule(now + PERMISSION_LIFETIME)
        return request.success()

    def _channel_bind(
        self, allocation: Allocation, request: StunMessage, now: float
    ) -> StunMessage:
        channel = request.get(Attr.CHANNEL_NUMBER)
        peer: Address | None = request.get(Attr.XOR_PEER_ADDRESS)
        if channel is None or peer is None or not CHANNEL_MIN <= channel <= self._channel_max:
            raise _Refusal(ErrorCode.BAD_REQUEST)
        self._check_peer(allocation, peer, exact=True)
        allocation.expire(now)
        bound = allocation.channels.get(channel)
        if bound is not None and bound[0] != peer:
            raise _Refusal(ErrorCode.BAD_REQUEST)
        other = allocation.channel_of_peer.get(peer)
        if other is not None and other != channel:
            raise _Refusal(ErrorCode.BAD_REQUEST)
        permits, channels = self.config.max_permissions, self.config.max_channels
        if (bound is None and channels and len(allocation.channels) >= channels) or (
            permits
            and peer[0] not in allocation.permissions
            and len(allocation.permissions) >= permits
        ):
            raise _Refusal(ErrorCode.INSUFFICIENT_CAPACITY)
        allocation.channels[channel] = (peer, now + CHANNEL_LIFETIME)
        allocation.channel_of_peer[peer] = channel
        allocation.permissions[peer[0]] = now + PERMISSION_LIFETIME
        self._update_routes(allocation)
        self._schedule(now + PERMISSION_LIFETIME)
        self._schedule(now + CHANNEL_LIFETIME)
        return request.success()

    # -- data ---------------------------------------------------------------
    def _send_indication(self, client: ClientKey, message: StunMessage, now: float) -> list[Output]:
        allocation = self._allocations.get(client)
        peer: Address | None = message.get(Attr.XOR_PEER_ADDRESS)
        data = message.get(Attr.DATA)
        if allocation is None or peer is None or data is None or message.unknown_required:
            return []
        return self._relay_to_peer(allocation, peer, data, now)

    def _client_channel_data(self, client: ClientKey, frame: bytes, now: float) -> list[Output]:
        allocation = self._allocations.get(client)
        if allocation is None:
            return []
        try:
            channel, data = decode_channel_data(frame)
        except StunDecodeError:
            if self._channel_max == CHANNEL_MAX or len(frame) < 4:
                return []
            channel, length = struct.unpack("!HH", frame[:4])
            if not 4 + length <= len(frame) <= 4 + length + 3:
                return []
            data = frame[4 : 4 + length]
        peer = allocation.channel_peer(channel, now)
        if peer is None:
            return []
        return self._relay_to_peer(allocation, peer, data, now)

    def _relay_to_peer(
        self, allocation: Allocation, peer: Address, data: bytes, now: float
    ) -> list[Output]:
        if allocation.expires <= now or not allocation.has_permission(peer[0], now):
            return []
        relay = allocation.relay_for(peer[0])
        if relay is None or not self._policy.allows(peer):
            return []
        return [SendFromRelay(relay, peer, data)]

    # -- helpers --------------------------------------------------------------
    def _reply(self, client: ClientKey, reply: StunMessage, key: bytes | None) -> SendToClient:
        """Encode a response; SOFTWARE only for a sender that authenticated."""
        if key is not None:
            reply.add(Attr.SOFTWARE, self.config.software)
        return SendToClient(client, reply.encode(key, fingerprint=True))

    def _bare_error(self, client: ClientKey, request: StunMessage, code: int) -> SendToClient:
        """An error for an unauthenticated sender: the code alone, no reason phrase."""
        return SendToClient(client, request.error(code, "").encode(fingerprint=True))

    def _unknown_attributes(
        self, client: ClientKey, request: StunMessage, key: bytes | None
    ) -> SendToClient:
        reply = request.error(ErrorCode.UNKNOWN_ATTRIBUTE)
        reply.add(Attr.UNKNOWN_ATTRIBUTES, tuple(request.unknown_required))
        return self._reply(client, reply, key)

    def _delete(self, allocation: Allocation, reason: str) -> None:
        if self._allocations.get(allocation.client) is not allocation:
            return
        del self._allocations[allocation.client]
        client = allocation.client
        for relay in allocation.relays.values():
            self._by_relay.pop(relay, None)
            self._routes_to_peers.pop(relay, None)
        index = self._routes_from.get((client.transport, client.local))
        if index is not None and index.get(client.remote) is allocation.routes:
            del index[client.remote]
        allocation.clear_routes()
        remaining = self._per_user.get(allocation.username, 1) - 1
        if remaining > 0:
            self._per_user[allocation.username] = remaining
        else:
            self._per_user.pop(allocation.username, None)
        for relay in allocation.relays.values():
            self._relays.close_relay(relay)
        logger.info(
            "allocation %s for %s deleted: %s",
            _address(allocation.relay),
            _client(allocation.client),
            reason,
        )
        self._events.append(AllocationDeleted(allocation.client, allocation.relay, reason))

    def _drop_family(self, allocation: Allocation, version: int) -> None:
        relay = allocation.relays.pop(version)
        self._by_relay.pop(relay, None)
        self._routes_to_peers.pop(relay, None)
        self._relays.close_relay(relay)
        if relay == allocation.relay:
            allocation.relay = next(iter(allocation.relays.values()))
        self._update_routes(allocation)


def _address(address: Address) -> str:
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _client(client: ClientKey) -> str:
    """``udp 192.0.2.1:5000`` for log lines."""
    return f"{client.transport} {_address(client.remote)}"


def _method(request: StunMessage) -> str:
    """``ALLOCATE``, ``REFRESH``, ... (never the message: it holds the HMAC)."""
    try:
        return Method(request.method).name
    except ValueError:
        return hex(request.method)
