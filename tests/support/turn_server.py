"""Test-only helpers: a fake relay provider and a sans-IO TURN test client."""

from __future__ import annotations

import asyncio
from typing import Any

from rtcpeer.stun import (
    TRANSPORT_UDP,
    Address,
    Attr,
    ErrorCode,
    MessageClass,
    Method,
    StunMessage,
    decode_message,
    long_term_key,
)
from rtcpeer.turn.server import (
    ClientKey,
    Output,
    SendFromRelay,
    SendToClient,
    TurnServerConfig,
    TurnServerCore,
)

REALM = "example.test"
USER, PASSWORD = "user", "pass"
SERVER = ("192.0.2.10", 3478)
PEER = ("198.51.100.7", 40000)
PEER2 = ("198.51.100.8", 40001)


class FakeRelays:
    """Hands out documentation-range relayed addresses and tracks them."""

    def __init__(self, families: tuple[int, ...] = (4,), capacity: int = 1000) -> None:
        self.families = families
        self.capacity = capacity
        self.open: set[Address] = set()
        self.closed: list[Address] = []
        self._port = 50000

    def supports_family(self, family: int) -> bool:
        return family in self.families

    def open_relay(self, family: int, *, even_port: bool = False) -> Address | None:
        if len(self.open) >= self.capacity:
            return None
        self._port += 2 if even_port and self._port % 2 == 0 else 1
        address = ("192.0.2.200" if family == 4 else "2001:db8::200", self._port)
        self.open.add(address)
        return address

    def close_relay(self, address: Address) -> None:
        self.open.remove(address)
        self.closed.append(address)


def make_core(**overrides: Any) -> tuple[TurnServerCore, FakeRelays]:
    settings: dict[str, Any] = {
        "realm": REALM,
        "users": {"alice": "secret", "bob": "hunter2"},
        "nonce_secret": b"k" * 16,
    }
    settings.update(overrides)
    families = settings.pop("families", (4,))
    relays = FakeRelays(families)
    core = TurnServerCore(TurnServerConfig(**settings), relays, listening=[SERVER])
    return core, relays


def client_key(port: int = 50001, transport: str = "udp") -> ClientKey:
    return ClientKey(transport, ("203.0.113.5", port), SERVER)


def only_reply(outputs: list[Output], client: ClientKey) -> StunMessage:
    """The single STUN message the core sent back to ``client``."""
    assert len(outputs) == 1, outputs
    out = outputs[0]
    assert isinstance(out, SendToClient) and out.client == client
    return decode_message(out.data)


def relayed(outputs: list[Output]) -> list[SendFromRelay]:
    return [o for o in outputs if isinstance(o, SendFromRelay)]


class CoreClient:
    """A TURN client talking straight into a core: handles 401/438 itself."""

    def __init__(
        self,
        core: TurnServerCore,
        client: ClientKey,
        username: str = "alice",
        password: str = "secret",
        realm: str = REALM,
    ) -> None:
        self.core = core
        self.client = client
        self.username = username
        self.key = long_term_key(username, realm, password)
        self.realm = realm
        self.nonce: str | None = None
        self.wall_time: float | None = None

    def raw(self, message: StunMessage, now: float, key: bytes | None = None) -> StunMessage:
        data = message.encode(key, fingerprint=True)
        return only_reply(
            self.core.receive_from_client(self.client, data, now, wall_time=self.wall_time),
            self.client,
        )

    def signed(self, message: StunMessage) -> StunMessage:
        assert self.nonce is not None
        message.add(Attr.USERNAME, self.username)
        message.add(Attr.REALM, self.realm)
        message.add(Attr.NONCE, self.nonce)
        return message

    def request(self, method: int, attrs: list[tuple[int, Any]], now: float) -> StunMessage:
        """Send an authenticated request, learning the nonce on the way."""
        for _ in range(3):
            if self.nonce is None:
                probe = StunMessage(method, MessageClass.REQUEST, attributes=list(attrs))
                challenge = self.raw(probe, now)
                if challenge.error_code != ErrorCode.UNAUTHENTICATED:
                    return challenge  # e.g. a bare 437: no allocation, no challenge
                self.nonce = challenge.get(Attr.NONCE)
            message = StunMessage(method, MessageClass.REQUEST, attributes=list(attrs))
            reply = self.raw(self.signed(message), now, self.key)
            if reply.error_code == ErrorCode.STALE_NONCE:
                self.nonce = reply.get(Attr.NONCE)
                continue
            return reply
        raise AssertionError("nonce kept going stale")

    def allocate(self, now: float = 0.0, *extra: tuple[int, Any]) -> StunMessage:
        attrs: list[tuple[int, Any]] = [(Attr.REQUESTED_TRANSPORT, TRANSPORT_UDP), *extra]
        return self.request(Method.ALLOCATE, attrs, now)

    def relay_address(self, now: float = 0.0) -> Address:
        reply = self.allocate(now)
        assert reply.message_class is MessageClass.SUCCESS, reply.error_reason
        address: Address = reply.get(Attr.XOR_RELAYED_ADDRESS)
        return address

    def permit(self, now: float, *peers: Address) -> StunMessage:
        attrs: list[tuple[int, Any]] = [(Attr.XOR_PEER_ADDRESS, p) for p in peers]
        return self.request(Method.CREATE_PERMISSION, attrs, now)

    def bind(self, now: float, channel: int, peer: Address) -> StunMessage:
        attrs: list[tuple[int, Any]] = [
            (Attr.CHANNEL_NUMBER, channel),
            (Attr.XOR_PEER_ADDRESS, peer),
        ]
        return self.request(Method.CHANNEL_BIND, attrs, now)

    def refresh(self, now: float, lifetime: int | None = None) -> StunMessage:
        attrs: list[tuple[int, Any]] = [] if lifetime is None else [(Attr.LIFETIME, lifetime)]
        return self.request(Method.REFRESH, attrs, now)

    def send(self, now: float, peer: Address, data: bytes) -> list[Output]:
        indication = StunMessage(Method.SEND, MessageClass.INDICATION)
        indication.add(Attr.XOR_PEER_ADDRESS, peer).add(Attr.DATA, data)
        return self.core.receive_from_client(self.client, indication.encode(), now)


def make_config(**overrides: Any) -> TurnServerConfig:
    settings: dict[str, Any] = {"realm": REALM, "users": {"alice": "secret"}}
    settings.update(overrides)
    return TurnServerConfig(**settings)


class PeerProtocol(asyncio.DatagramProtocol):
    """A plain UDP peer on loopback that queues what it receives."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[tuple[bytes, Address]] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.received.put_nowait((data, (addr[0], addr[1])))

    @property
    def address(self) -> Address:
        assert self.transport is not None
        host, port = self.transport.get_extra_info("sockname")[:2]
        return (host, port)

    async def next(self, timeout: float = 3.0) -> tuple[bytes, Address]:
        return await asyncio.wait_for(self.received.get(), timeout)
