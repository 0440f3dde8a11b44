"""The TURN client allocation lifecycle (RFC 8656) as a pure state machine.

One :class:`TurnClientConnection` is one allocation on one server over one
transport. It never touches a socket or a clock: feed it what the server sent
(:meth:`~TurnClientConnection.receive`, one datagram or one de-framed stream
frame), hand :meth:`~TurnClientConnection.datagrams_to_send` to the wire,
call :meth:`~TurnClientConnection.handle_timer` when
:meth:`~TurnClientConnection.get_timer` comes due, and read what happened
from :meth:`~TurnClientConnection.next_event`.

The lifecycle: Allocate without credentials → 401 gives REALM and NONCE →
Allocate again with the long-term credential (438 Stale Nonce → again with the
new nonce). Then the allocation is refreshed before it expires, permissions
every 4 minutes (they live 5), channel bindings every 9 (they live 10), and
released with a Refresh carrying LIFETIME 0. Every failure is a
:class:`~rtcpeer.turn.errors.TurnError`: the STUN error code, or 701 when the
server did not answer.

Address families (RFC 8656 §7.1): ``family=6`` sends REQUESTED-ADDRESS-FAMILY
IPv6 (as libwebrtc does when it reaches the server over IPv6); ``family=4``
sends none, which means IPv4. ``dual_stack=True`` (IPv4 only) adds
ADDITIONAL-ADDRESS-FAMILY IPv6: a server that supports it grants an IPv4 and
an IPv6 relayed address from one Allocate, or says in ADDRESS-ERROR-CODE why
the IPv6 one could not be had; one that does not ignores the
comprehension-optional attribute. The attribute goes under both its RFC
number (0x8000, coturn 4.10 on) and the draft number coturn used before
(0x8032); each server reads exactly one of them. A relayed address of
0.0.0.0/:: port 0 (coturn's way of saying "that family failed") is no
address. A 440 Address Family not Supported is
retried once in the other family. Permissions, channels and data for a peer
go through the relayed address of the peer's family; a peer of a family the
allocation has no relayed address for fails at once with 443.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import random
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from rtcpeer.sansio import Address
from rtcpeer.stun.attributes import StunDecodeError
from rtcpeer.stun.constants import (
    FAMILY_IPV4,
    FAMILY_IPV6,
    REASONS,
    TRANSPORT_UDP,
    Attr,
    ErrorCode,
    MessageClass,
    Method,
)
from rtcpeer.stun.framing import (
    CHANNEL_MAX,
    CHANNEL_MIN,
    PacketKind,
    classify,
    decode_channel_data,
    encode_channel_data,
)
from rtcpeer.stun.message import IntegrityKey, StunMessage, decode_message, long_term_key
from rtcpeer.stun.transaction import (
    RetransmissionPolicy,
    TransactionManager,
    TransactionResponse,
    TransactionTimeout,
)
from rtcpeer.turn.client.events import (
    AllocationFailed,
    AllocationLost,
    AllocationRefreshed,
    AllocationSucceeded,
    ChannelBindFailed,
    ChannelBound,
    PeerDataReceived,
    PermissionCreated,
    PermissionFailed,
    Released,
    TurnEvent,
)
from rtcpeer.turn.client.target import TurnServerTarget, is_stream
from rtcpeer.turn.errors import UNREACHABLE, TurnError, TurnStateError, TurnValueError

logger = logging.getLogger(__name__)

DEFAULT_LIFETIME = 600
PERMISSION_LIFETIME = 300
PERMISSION_REFRESH = 240.0
CHANNEL_LIFETIME = 600
CHANNEL_REFRESH = 540.0
MAX_STALE_NONCE_RETRIES = 3
#: STUN family codes by IP version, and back.
_STUN_FAMILY = {4: FAMILY_IPV4, 6: FAMILY_IPV6}
_IP_VERSION = {FAMILY_IPV4: 4, FAMILY_IPV6: 6}
#: The unspecified addresses as canonical text (coturn's "that family failed").
_UNSPECIFIED = frozenset({"0.0.0.0", "::"})
#: Plain names for the per-request code (an Enum member look-up costs ~70 ns).
_REQUEST = MessageClass.REQUEST
_RESPONSE_CLASSES = (MessageClass.SUCCESS, MessageClass.ERROR)
_USERNAME, _REALM, _NONCE = int(Attr.USERNAME), int(Attr.REALM), int(Attr.NONCE)
_SOFTWARE = int(Attr.SOFTWARE)


def refresh_delay(lifetime: float) -> float:
    """When to refresh after a grant of ``lifetime`` seconds: a minute early,
    or halfway through for lifetimes of two minutes or less."""
    return lifetime - 60 if lifetime > 120 else lifetime / 2


class AllocationState(Enum):
    """Where the allocation is in its life."""

    NEW = "new"
    ALLOCATING = "allocating"
    ALLOCATED = "allocated"
    RELEASING = "releasing"
    CLOSED = "closed"
    FAILED = "failed"


class _Kind(Enum):
    ALLOCATE = "allocate"
    REFRESH = "refresh"
    PERMISSION = "permission"
    CHANNEL = "channel"
    RELEASE = "release"


@dataclass
class _Request:
    """What an outstanding transaction was for, so it can be re-sent."""

    kind: _Kind
    method: Method
    attributes: list[tuple[int, Any]]
    subject: Any = None
    stale_nonce_retries: int = 0


@dataclass
class _Permission:
    refresh_at: float | None = None
    in_flight: bool = False


@dataclass
class _Channel:
    number: int
    bound: bool = False
    refresh_at: float | None = None
    in_flight: bool = False


@dataclass
class _Credentials:
    username: str
    password: str
    realm: str | None = None
    nonce: str | None = None
    #: The long-term key, keyed once for every request it signs.
    key: IntegrityKey | None = field(default=None, repr=False)


class TurnClientConnection:
    """One TURN allocation, driven by bytes and a caller-supplied clock."""

    def __init__(
        self,
        server: TurnServerTarget,
        username: str,
        password: str,
        *,
        lifetime: int = DEFAULT_LIFETIME,
        policy: RetransmissionPolicy | None = None,
        software: str | None = None,
        rng: random.Random | None = None,
        family: int = 4,
        dual_stack: bool = False,
        family_fallback: bool = True,
    ) -> None:
        """``rng``, if given, draws the STUN transaction ids (else ``os.urandom``),
        so a seeded simulation repeats byte for byte. ``family`` (4 or 6) is the
        relayed address family asked for, ``dual_stack`` adds an IPv6 one to an
        IPv4 request, ``family_fallback`` retries the other family after 440."""
        if family not in _STUN_FAMILY:
            raise TurnValueError(f"family must be 4 or 6, not {family!r}")
        if dual_stack and family != 4:
            raise TurnValueError("a dual-stack allocation asks for IPv4 plus an additional IPv6")
        self.server = server
        self.state = AllocationState.NEW
        #: The first XOR-RELAYED-ADDRESS granted (the requested family's).
        self.relayed_address: Address | None = None
        #: Every relayed address granted, by IP version (4, 6).
        self.relayed_addresses: dict[int, Address] = {}
        #: Why a family asked for in a dual-stack Allocate was not granted.
        self.address_errors: dict[int, TurnError] = {}
        self.family = family
        self.dual_stack = dual_stack
        self._family_fallback = family_fallback
        self.mapped_address: Address | None = None
        self.lifetime = lifetime
        self._stream = is_stream(server)
        self._credentials = _Credentials(username, password)
        self._software = software
        self._transactions = TransactionManager(reliable=self._stream, policy=policy)
        self._requests: dict[bytes, _Request] = {}
        self._outgoing: list[bytes] = []
        self._events: deque[TurnEvent] = deque()
        self._refresh_at: float | None = None
        self._refresh_in_flight = False
        self._permissions: dict[str, _Permission] = {}
        self._channels: dict[Address, _Channel] = {}
        self._channel_peers: dict[int, Address] = {}
        self._next_channel = CHANNEL_MIN
        self._rng = rng

    # -- public surface ------------------------------------------------------
    @property
    def url(self) -> str:
        return self.server.url

    @property
    def realm(self) -> str | None:
        return self._credentials.realm

    @property
    def nonce(self) -> str | None:
        return self._credentials.nonce

    def allocate(self, now: float) -> None:
        """Send the first Allocate request (without credentials)."""
        self._require(AllocationState.NEW, "allocate")
        self.state = AllocationState.ALLOCATING
        logger.debug("TURN %s: requesting an allocation", self.url)
        self._start(self._allocate_request(), now)

    def _allocate_request(self) -> _Request:
        attributes: list[tuple[int, Any]] = [
            (Attr.REQUESTED_TRANSPORT, TRANSPORT_UDP),
            (Attr.LIFETIME, self.lifetime),
        ]
        if self.family == 6:
            attributes.append((Attr.REQUESTED_ADDRESS_FAMILY, FAMILY_IPV6))
        elif self.dual_stack:
            attributes.append((Attr.ADDITIONAL_ADDRESS_FAMILY, FAMILY_IPV6))
            attributes.append((Attr.ADDITIONAL_ADDRESS_FAMILY_DRAFT, FAMILY_IPV6))
        return _Request(_Kind.ALLOCATE, Method.ALLOCATE, attributes)

    def relayed_address_for(self, peer_host: str) -> Address | None:
        """The relayed address that carries traffic to ``peer_host`` (its family's)."""
        return self.relayed_addresses.get(_version(peer_host))

    def create_permission(self, peer_host: str, now: float) -> None:
        """Install (or refresh) a permission for a peer IP address; the
        outcome is a PermissionCreated or PermissionFailed event."""
        self._require(AllocationState.ALLOCATED, "create a permission")
        host = normalise_host(peer_host)
        if self.relayed_address_for(host) is None:
            self._events.append(PermissionFailed(host, self._family_mismatch(host)))
            return
        permission = self._permissions.setdefault(host, _Permission())
        if not permission.in_flight:
            self._send_permission(host, permission, now)

    def bind_channel(self, peer: Address, now: float) -> int:
        """Bind (or refresh) a channel to ``peer``; returns its number. The
        outcome is a ChannelBound or ChannelBindFailed event."""
        self._require(AllocationState.ALLOCATED, "bind a channel")
        peer = (normalise_host(peer[0]), peer[1])
        channel = self._channels.get(peer)
        if channel is None and self.relayed_address_for(peer[0]) is None:
            number = self._next_channel
            self._events.append(ChannelBindFailed(peer, number, self._family_mismatch(peer[0])))
            return number
        if channel is None:
            if self._next_channel > CHANNEL_MAX:
                raise TurnStateError("no channel numbers left")
            channel = _Channel(self._next_channel)
            self._next_channel += 1
            self._channels[peer] = channel
            self._channel_peers[channel.number] = peer
        if not channel.in_flight:
            self._send_channel_bind(peer, channel, now)
        return channel.number

    def channel_for(self, peer: Address) -> int | None:
        """The channel number bound to ``peer``, once the server confirmed it."""
        channel = self._channels.get((normalise_host(peer[0]), peer[1]))
        return channel.number if channel is not None and channel.bound else None

    def has_permission(self, peer_host: str) -> bool:
        permission = self._permissions.get(normalise_host(peer_host))
        return permission is not None and permission.refresh_at is not None

    def send(self, data: bytes, peer: Address, now: float) -> None:
        """Relay ``data`` to ``peer``: ChannelData on a bound channel, else a
        Send indication. The server drops it without a permission."""
        self._require(AllocationState.ALLOCATED, "send")
        peer = (normalise_host(peer[0]), peer[1])
        channel = self._channels.get(peer)
        if channel is not None and channel.bound:
            self._outgoing.append(encode_channel_data(channel.number, data, pad=self._stream))
            return
        indication = StunMessage(Method.SEND, MessageClass.INDICATION, self._transaction_id())
        indication.add(Attr.XOR_PEER_ADDRESS, peer).add(Attr.DATA, data)
        self._outgoing.append(indication.encode(None, fingerprint=True))

    def release(self, now: float) -> None:
        """Give the allocation back (Refresh with LIFETIME 0). A Released
        event follows; without an allocation it follows at once."""
        if self.state in (AllocationState.RELEASING, AllocationState.CLOSED):
            return
        was_allocated = self.state == AllocationState.ALLOCATED
        self._stop_everything()
        if not was_allocated:
            self.state = AllocationState.CLOSED
            self._events.append(Released())
            return
        self.state = AllocationState.RELEASING
        logger.info("TURN %s: releasing the allocation %s", self.url, _fmt(self.relayed_address))
        self._start(_Request(_Kind.RELEASE, Method.REFRESH, [(Attr.LIFETIME, 0)]), now)

    def connection_lost(self, reason: str = "connection to the server lost") -> None:
        """The runtime lost the transport (TCP reset, TLS/DTLS failure, ...)."""
        error = TurnError(UNREACHABLE, self.url, reason)
        if self.state != AllocationState.CLOSED:
            logger.info(
                "TURN %s: connection lost (%s) in state %s", self.url, reason, self.state.value
            )
        if self.state in (AllocationState.NEW, AllocationState.ALLOCATING):
            self._events.append(AllocationFailed(error))
            self._fail()
        elif self.state == AllocationState.ALLOCATED:
            self._events.append(AllocationLost(error))
            self._fail()
        elif self.state == AllocationState.RELEASING:
            self._stop_everything()
            self.state = AllocationState.CLOSED
            self._events.append(Released())

    def receive(self, data: bytes, now: float) -> None:
        """Process one datagram (or one de-framed stream frame) from the server."""
        kind = classify(data)
        if kind == PacketKind.STUN:
            try:
                message = decode_message(data)
            except StunDecodeError:
                return
            self._receive_stun(message, now)
        elif kind == PacketKind.CHANNEL_DATA:
            try:
                number, payload = decode_channel_data(data)
            except StunDecodeError:
                return
            peer = self._channel_peers.get(number)
            if peer is not None and self._relaying:
                self._events.append(PeerDataReceived(peer, payload))

    def datagrams_to_send(self) -> list[bytes]:
        """Everything waiting to go to the server, in order."""
        out = self._transactions.datagrams_to_send() + self._outgoing
        self._outgoing = []
        return out

    def get_timer(self) -> float | None:
        """The next moment :meth:`handle_timer` must run, or None."""
        earliest = self._transactions.get_timer()
        if self.state != AllocationState.ALLOCATED:
            return earliest
        timers: list[float | None] = [] if self._refresh_in_flight else [self._refresh_at]
        if self._permissions:
            timers += [p.refresh_at for p in self._permissions.values() if not p.in_flight]
        if self._channels:
            timers += [c.refresh_at for c in self._channels.values() if not c.in_flight]
        for timer in timers:
            if timer is not None and (earliest is None or timer < earliest):
                earliest = timer
        return earliest

    def handle_timer(self, now: float) -> None:
        """Retransmit, time out, and refresh what is due at ``now``."""
        self._transactions.handle_timer(now)
        self._drain_transactions(now)
        if self.state != AllocationState.ALLOCATED:
            return
        if not self._refresh_in_flight and self._refresh_at is not None and now >= self._refresh_at:
            self._refresh_in_flight = True
            self._start(
                _Request(_Kind.REFRESH, Method.REFRESH, [(Attr.LIFETIME, self.lifetime)]), now
            )
        for host, permission in self._permissions.items():
            due = permission.refresh_at
            if not permission.in_flight and due is not None and now >= due:
                self._send_permission(host, permission, now)
        for peer, channel in self._channels.items():
            due = channel.refresh_at
            if not channel.in_flight and due is not None and now >= due:
                self._send_channel_bind(peer, channel, now)

    def next_event(self) -> TurnEvent | None:
        return self._events.popleft() if self._events else None

    # -- requests ------------------------------------------------------------
    def _transaction_id(self) -> bytes:
        return os.urandom(12) if self._rng is None else self._rng.randbytes(12)

    @property
    def _relaying(self) -> bool:
        return self.state in (AllocationState.ALLOCATED, AllocationState.RELEASING)

    def _family_mismatch(self, host: str) -> TurnError:
        return TurnError(
            int(ErrorCode.PEER_ADDRESS_FAMILY_MISMATCH),
            self.url,
            f"no IPv{_version(host)} relayed address for {host}",
        )

    def _require(self, state: AllocationState, action: str) -> None:
        if self.state != state:
            raise TurnStateError(f"cannot {action} in state {self.state.value}")

    def _send_permission(self, host: str, permission: _Permission, now: float) -> None:
        permission.in_flight = True
        self._start(
            _Request(
                _Kind.PERMISSION,
                Method.CREATE_PERMISSION,
                [(Attr.XOR_PEER_ADDRESS, (host, 0))],
                subject=host,
            ),
            now,
        )

    def _send_channel_bind(self, peer: Address, channel: _Channel, now: float) -> None:
        channel.in_flight = True
        self._start(
            _Request(
                _Kind.CHANNEL,
                Method.CHANNEL_BIND,
                [(Attr.CHANNEL_NUMBER, channel.number), (Attr.XOR_PEER_ADDRESS, peer)],
                subject=peer,
            ),
            now,
        )

    def _start(self, request: _Request, now: float) -> None:
        message = StunMessage(request.method, _REQUEST, self._transaction_id())
        attributes = message.attributes
        attributes += request.attributes
        creds = self._credentials
        key = creds.key
        if key is not None:
            attributes.append((_USERNAME, creds.username))
            attributes.append((_REALM, creds.realm))
            attributes.append((_NONCE, creds.nonce))
        if self._software:
            attributes.append((_SOFTWARE, self._software))
        data = message.encode(key, fingerprint=True)
        self._transactions.start(message, data, now, integrity_key=key)
        self._requests[message.transaction_id] = request

    def _receive_stun(self, message: StunMessage, now: float) -> None:
        if message.message_class in _RESPONSE_CLASSES:
            if self._transactions.receive(message):
                self._drain_transactions(now)
            return
        if (
            message.message_class == MessageClass.INDICATION
            and message.method == Method.DATA
            and self._relaying
        ):
            peer = message.get(Attr.XOR_PEER_ADDRESS)
            payload = message.get(Attr.DATA)
            if peer is not None and payload is not None:
                self._events.append(PeerDataReceived(peer, payload))

    def _drain_transactions(self, now: float) -> None:
        while (event := self._transactions.next_event()) is not None:
            request = self._requests.pop(event.transaction_id, None)
            if request is None:
                continue
            if isinstance(event, TransactionTimeout):
                self._on_failure(
                    request, TurnError(UNREACHABLE, self.url, "no response from the server")
                )
            elif isinstance(event, TransactionResponse):
                self._on_response(request, event.response, now)

    def _on_response(self, request: _Request, response: StunMessage, now: float) -> None:
        if response.message_class == MessageClass.SUCCESS:
            self._on_success(request, response, now)
            return
        code = response.error_code or 0
        if self._retry_after_challenge(request, response, code, now):
            return
        if self._retry_other_family(request, code, now):
            return
        reason = response.error_reason or REASONS.get(code, "error")
        error = TurnError(code, self.url, reason)
        alternate = response.get(Attr.ALTERNATE_SERVER) if code == 300 else None
        self._on_failure(request, error, alternate)

    def _retry_after_challenge(
        self, request: _Request, response: StunMessage, code: int, now: float
    ) -> bool:
        """Handle 401 (first challenge) and 438 (stale nonce) by re-sending."""
        creds = self._credentials
        realm, nonce = response.get(Attr.REALM), response.get(Attr.NONCE)
        if nonce is None:
            return False
        if code == 401 and creds.key is None and realm is not None:
            logger.debug(
                "TURN %s: challenged (401), retrying %s with credentials for realm %r",
                self.url,
                request.kind.value,
                realm,
            )
            creds.realm, creds.nonce = realm, nonce
            creds.key = IntegrityKey(long_term_key(creds.username, realm, creds.password))
            self._start(request, now)
            return True
        if code == 438 and request.stale_nonce_retries < MAX_STALE_NONCE_RETRIES:
            request.stale_nonce_retries += 1
            logger.debug("TURN %s: stale nonce (438), retrying %s", self.url, request.kind.value)
            creds.nonce = nonce
            if realm is not None and realm != creds.realm:
                creds.realm = realm
                creds.key = IntegrityKey(long_term_key(creds.username, realm, creds.password))
            self._start(request, now)
            return True
        return False

    def _retry_other_family(self, request: _Request, code: int, now: float) -> bool:
        """440 to an Allocate: ask once more, for the other family alone."""
        if (
            request.kind != _Kind.ALLOCATE
            or code != ErrorCode.ADDRESS_FAMILY_NOT_SUPPORTED
            or not self._family_fallback
        ):
            return False
        self._family_fallback = False
        logger.info(
            "TURN %s: address family refused (440), asking for IPv%d alone",
            self.url,
            6 if self.family == 4 else 4,
        )
        self.family = 6 if self.family == 4 else 4
        self.dual_stack = False
        self._start(self._allocate_request(), now)
        return True

    def _on_success(self, request: _Request, response: StunMessage, now: float) -> None:
        kind = request.kind
        if kind == _Kind.ALLOCATE:
            granted: dict[int, Address] = {}
            for address in response.get_all(Attr.XOR_RELAYED_ADDRESS):
                if address[1] != 0 and _canonical_ip(address[0]) not in _UNSPECIFIED:
                    granted.setdefault(_version(address[0]), address)
            if not granted:
                error = TurnError(500, self.url, "Allocate response without XOR-RELAYED-ADDRESS")
                self._on_failure(request, error)
                return
            relayed = next(iter(granted.values()))
            self.relayed_address = relayed
            self.relayed_addresses = granted
            errors = response.get_all(Attr.ADDRESS_ERROR_CODE) + response.get_all(
                Attr.ADDRESS_ERROR_CODE_DRAFT
            )
            for stun_family, code, reason in errors:
                version = _IP_VERSION.get(stun_family)
                if version is not None and version not in granted:
                    self.address_errors[version] = TurnError(
                        code, self.url, reason or REASONS.get(code, "error")
                    )
            self.mapped_address = response.get(Attr.XOR_MAPPED_ADDRESS)
            self.lifetime = int(response.get(Attr.LIFETIME, self.lifetime))
            self.state = AllocationState.ALLOCATED
            self._refresh_at = now + refresh_delay(self.lifetime)
            if logger.isEnabledFor(logging.INFO):
                logger.info(
                    "TURN %s: allocated %s (mapped %s, lifetime %d s)",
                    self.url,
                    ", ".join(_fmt(a) for a in granted.values()),
                    _fmt(self.mapped_address),
                    self.lifetime,
                )
            self._events.append(
                AllocationSucceeded(
                    relayed,
                    self.mapped_address,
                    self.lifetime,
                    tuple(granted.values()),
                    tuple(self.address_errors.values()),
                )
            )
        elif kind == _Kind.REFRESH:
            self._refresh_in_flight = False
            if self.state != AllocationState.ALLOCATED:
                return
            self.lifetime = int(response.get(Attr.LIFETIME, self.lifetime))
            self._refresh_at = now + refresh_delay(self.lifetime)
            logger.debug("TURN %s: allocation refreshed, lifetime %d s", self.url, self.lifetime)
            self._events.append(AllocationRefreshed(self.lifetime))
        elif kind == _Kind.PERMISSION:
            permission = self._permissions.get(request.subject)
            if permission is not None:
                permission.in_flight = False
                permission.refresh_at = now + PERMISSION_REFRESH
                logger.debug("TURN %s: permission for %s", self.url, request.subject)
                self._events.append(PermissionCreated(request.subject))
        elif kind == _Kind.CHANNEL:
            channel = self._channels.get(request.subject)
            if channel is not None:
                channel.in_flight = False
                channel.bound = True
                channel.refresh_at = now + CHANNEL_REFRESH
                logger.debug(
                    "TURN %s: channel %#x bound to %s",
                    self.url,
                    channel.number,
                    _fmt(request.subject),
                )
                self._events.append(ChannelBound(request.subject, channel.number))
        elif kind == _Kind.RELEASE:
            self._finish_release()

    def _on_failure(
        self, request: _Request, error: TurnError, alternate: Address | None = None
    ) -> None:
        kind = request.kind
        logger.info("TURN %s: %s failed: %s", self.url, kind.value, error)
        if kind == _Kind.ALLOCATE:
            self._events.append(AllocationFailed(error, alternate))
            self._fail()
        elif kind == _Kind.REFRESH:
            self._refresh_in_flight = False
            if self.state == AllocationState.ALLOCATED:
                self._events.append(AllocationLost(error))
                self._fail()
        elif kind == _Kind.PERMISSION:
            if self._permissions.pop(request.subject, None) is not None:
                self._events.append(PermissionFailed(request.subject, error))
        elif kind == _Kind.CHANNEL:
            channel = self._channels.pop(request.subject, None)
            if channel is not None:
                self._channel_peers.pop(channel.number, None)
                self._events.append(ChannelBindFailed(request.subject, channel.number, error))
        elif kind == _Kind.RELEASE:
            # 437 means it is already gone; a timeout means we cannot know.
            self._finish_release()

    def _finish_release(self) -> None:
        self.state = AllocationState.CLOSED
        self._events.append(Released())

    def _fail(self) -> None:
        self._stop_everything()
        self.state = AllocationState.FAILED

    def _stop_everything(self) -> None:
        self._transactions.cancel_all()
        self._requests.clear()
        self._outgoing.clear()
        self._refresh_at = None
        self._refresh_in_flight = False
        for permission in self._permissions.values():
            permission.refresh_at, permission.in_flight = None, False
        for channel in self._channels.values():
            channel.refresh_at, channel.in_flight = None, False


def _fmt(address: Address | None) -> str:
    """``host:port`` (``[v6]:port``) for log lines."""
    if address is None:
        return "none"
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _version(host: str) -> int:
    """4 or 6 for an IP literal (anything with a colon is IPv6)."""
    return 6 if ":" in host else 4


def normalise_host(host: str) -> str:
    """The canonical text of an IP literal (TURN peers are always IP addresses)."""
    canonical = _canonical_ip(host)
    if canonical is None:
        raise TurnValueError(f"peer address must be an IP literal, not {host!r}")
    return canonical


@functools.lru_cache(maxsize=1024)
def _canonical_ip(host: str) -> str | None:
    """Parsing an IP literal is the costliest step of relaying a datagram, and a
    session relays to a handful of peers: remember the answers."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None
