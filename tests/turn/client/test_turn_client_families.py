"""The TURN client asks for the right address family (issue 21, outcome 1).

The sans-IO client is wired straight into the sans-IO server core (RFC 8656
§7.1-§7.2, §18.11-§18.13): REQUESTED-ADDRESS-FAMILY for an IPv6 relay, a
retry in the other family after 440, ADDITIONAL-ADDRESS-FAMILY for a
dual-stack allocation with its per-family error, and permissions, channels
and data for peers of either family on the relayed address of their family.
A hand-built response shows coturn's own dialect (draft attribute numbers,
a 0.0.0.0:0 "relayed address" for a family that failed).
"""

from __future__ import annotations

import struct

from rtcpeer.stun import Address, Attr, MessageClass, Method, StunMessage, decode_message
from rtcpeer.stun.constants import FAMILY_IPV4, FAMILY_IPV6
from rtcpeer.turn.client import (
    AllocationFailed,
    AllocationState,
    AllocationSucceeded,
    ChannelBindFailed,
    ChannelBound,
    PeerDataReceived,
    PermissionCreated,
    PermissionFailed,
    TurnClientConnection,
    TurnEvent,
    TurnServer,
)
from rtcpeer.turn.server import (
    ClientKey,
    SendFromRelay,
    SendToClient,
    TurnServerConfig,
    TurnServerCore,
)

SERVER = TurnServer("192.0.2.10", 3478)
CLIENT = ClientKey("udp", ("203.0.113.5", 50001), ("192.0.2.10", 3478))
PEER4, PEER6 = ("198.51.100.7", 40000), ("2001:db8:1::7", 40000)


class Relays:
    """Relayed addresses of the families given (documentation ranges)."""

    def __init__(self, *families: int) -> None:
        self.families = families
        self.port = 50000

    def supports_family(self, family: int) -> bool:
        return family in self.families

    def open_relay(self, family: int, *, even_port: bool = False) -> Address | None:
        self.port += 1
        return ("192.0.2.200" if family == 4 else "2001:db8::200", self.port)

    def close_relay(self, address: Address) -> None:
        pass


class Wire:
    """One client and one server core, exchanging everything at ``now``."""

    def __init__(self, *families: int, **client: object) -> None:
        config = TurnServerConfig(
            realm="example.test", users={"user": "pass"}, nonce_secret=b"k" * 16
        )
        self.core = TurnServerCore(config, Relays(*families))
        self.conn = TurnClientConnection(SERVER, "user", "pass", **client)  # type: ignore[arg-type]
        self.requests: list[StunMessage] = []
        self.from_relay: list[SendFromRelay] = []

    def run(self, now: float = 0.0) -> list[TurnEvent]:
        for _ in range(20):
            out = self.conn.datagrams_to_send()
            if not out:
                break
            for data in out:
                if data[0] < 0x40:
                    self.requests.append(decode_message(data))
                for output in self.core.receive_from_client(CLIENT, data, now, wall_time=now):
                    if isinstance(output, SendToClient):
                        self.conn.receive(output.data, now)
                    elif isinstance(output, SendFromRelay):
                        self.from_relay.append(output)
        events = []
        while (event := self.conn.next_event()) is not None:
            events.append(event)
        return events

    def allocates(self) -> list[StunMessage]:
        return [m for m in self.requests if m.method == Method.ALLOCATE]


def test_an_ipv6_relay_is_asked_for_with_requested_address_family() -> None:
    wire = Wire(4, 6, family=6)
    wire.conn.allocate(0.0)
    (event,) = wire.run()
    assert isinstance(event, AllocationSucceeded)
    assert event.relayed_address[0] == "2001:db8::200"
    assert all(m.get(Attr.REQUESTED_ADDRESS_FAMILY) == FAMILY_IPV6 for m in wire.allocates())


def test_ipv4_is_asked_for_by_sending_no_family() -> None:
    wire = Wire(4, 6)
    wire.conn.allocate(0.0)
    (event,) = wire.run()
    assert isinstance(event, AllocationSucceeded) and event.relayed_address[0] == "192.0.2.200"
    assert not any(m.has(Attr.REQUESTED_ADDRESS_FAMILY) for m in wire.allocates())


def test_440_is_retried_once_in_the_other_family() -> None:
    wire = Wire(4, family=6)
    wire.conn.allocate(0.0)
    (event,) = wire.run()
    assert isinstance(event, AllocationSucceeded) and event.relayed_address[0] == "192.0.2.200"
    families = [m.get(Attr.REQUESTED_ADDRESS_FAMILY) for m in wire.allocates()]
    assert families == [FAMILY_IPV6, FAMILY_IPV6, None]  # 401, 440, then IPv4
    assert wire.conn.family == 4


def test_440_in_both_families_fails_with_440() -> None:
    wire = Wire(6, family=6, family_fallback=True)
    wire.core = TurnServerCore(wire.core.config, Relays())  # relays nothing at all
    wire.conn.allocate(0.0)
    (event,) = wire.run()
    assert isinstance(event, AllocationFailed) and event.error.code == 440


def test_dual_stack_allocation_gives_two_relayed_addresses_from_one_allocate() -> None:
    wire = Wire(4, 6, dual_stack=True)
    wire.conn.allocate(0.0)
    (event,) = wire.run()
    assert isinstance(event, AllocationSucceeded)
    assert [a[0] for a in event.relayed_addresses] == ["192.0.2.200", "2001:db8::200"]
    assert event.address_errors == ()
    (allocate,) = [m for m in wire.allocates() if m.has(Attr.MESSAGE_INTEGRITY)]
    assert allocate.get(Attr.ADDITIONAL_ADDRESS_FAMILY) == FAMILY_IPV6
    assert not allocate.has(Attr.REQUESTED_ADDRESS_FAMILY)
    assert len(wire.core.allocations) == 1
    # Permissions, channels and data per family, each on its own relayed address.
    conn = wire.conn
    conn.create_permission(PEER4[0], 0.0)
    conn.create_permission(PEER6[0], 0.0)
    assert {e.peer_host for e in wire.run() if isinstance(e, PermissionCreated)} == {
        PEER4[0],
        PEER6[0],
    }
    conn.send(b"to v4", PEER4, 0.0)
    conn.send(b"to v6", PEER6, 0.0)
    wire.run()
    assert [(o.relay[0], o.peer, o.data) for o in wire.from_relay] == [
        ("192.0.2.200", PEER4, b"to v4"),
        ("2001:db8::200", PEER6, b"to v6"),
    ]
    assert conn.relayed_address_for(PEER6[0]) == event.relayed_addresses[1]
    conn.bind_channel(PEER6, 0.0)
    assert [type(e) for e in wire.run()] == [ChannelBound]
    conn.send(b"channel v6", PEER6, 0.0)
    wire.run()
    assert wire.from_relay[-1].relay == event.relayed_addresses[1]
    for output in wire.core.receive_on_relay(event.relayed_addresses[1], PEER6, b"back", 0.0):
        assert isinstance(output, SendToClient)
        conn.receive(output.data, 0.0)
    assert wire.run() == [PeerDataReceived(PEER6, b"back")]


def test_dual_stack_on_a_server_without_ipv6_reports_the_family_error_and_keeps_ipv4() -> None:
    wire = Wire(4, dual_stack=True)
    wire.conn.allocate(0.0)
    (event,) = wire.run()
    assert isinstance(event, AllocationSucceeded)
    assert [a[0] for a in event.relayed_addresses] == ["192.0.2.200"]
    (error,) = event.address_errors
    assert error.code == 440
    assert wire.conn.address_errors[6].code == 440
    # A peer of the missing family fails at once, without asking the server.
    sent_before = len(wire.requests)
    wire.conn.create_permission(PEER6[0], 0.0)
    wire.conn.bind_channel(PEER6, 0.0)
    events = wire.run()
    assert len(wire.requests) == sent_before
    assert [type(e) for e in events] == [PermissionFailed, ChannelBindFailed]
    assert all(e.error.code == 443 for e in events)  # type: ignore[union-attr]


def test_coturn_dialect_draft_numbers_and_an_unspecified_relayed_address() -> None:
    """coturn before 4.10 numbers ADDRESS-ERROR-CODE 0x8033 and reports a
    family that failed as 0.0.0.0:0 in an XOR-RELAYED-ADDRESS of its own."""
    conn = TurnClientConnection(SERVER, "user", "pass", dual_stack=True)
    conn.allocate(0.0)
    (first,) = conn.datagrams_to_send()
    request = decode_message(first)
    assert request.get(Attr.ADDITIONAL_ADDRESS_FAMILY) == FAMILY_IPV6
    assert request.get(Attr.ADDITIONAL_ADDRESS_FAMILY_DRAFT) == FAMILY_IPV6
    reply = request.success()
    reply.add(Attr.XOR_RELAYED_ADDRESS, ("0.0.0.0", 0))
    reply.add(Attr.XOR_RELAYED_ADDRESS, ("2001:db8::200", 50002))
    reply.add(Attr.ADDRESS_ERROR_CODE_DRAFT, (FAMILY_IPV4, 440, "Unsupported address family"))
    reply.add(Attr.LIFETIME, 600)
    conn.receive(reply.encode(None), 0.0)
    event = conn.next_event()
    assert isinstance(event, AllocationSucceeded)
    assert event.relayed_address == ("2001:db8::200", 50002)
    assert event.relayed_addresses == (("2001:db8::200", 50002),)
    assert conn.address_errors[4].reason == "Unsupported address family"
    assert conn.state == AllocationState.ALLOCATED


def test_address_family_attributes_encode_as_rfc_8656_says() -> None:
    message = StunMessage(Method.ALLOCATE, MessageClass.REQUEST, bytes(12))
    message.add(Attr.ADDITIONAL_ADDRESS_FAMILY, FAMILY_IPV6)
    data = message.encode(None, fingerprint=False)
    assert data[20:28] == struct.pack("!HHB3x", 0x8000, 4, 0x02)


def test_an_unspecified_relayed_address_is_no_address_whatever_its_port() -> None:
    """0.0.0.0 or :: with a port is no relayed address either (the check reads
    the canonical text, not ``ipaddress`` objects, on the gathering path)."""
    conn = TurnClientConnection(SERVER, "user", "pass", dual_stack=True)
    conn.allocate(0.0)
    request = decode_message(conn.datagrams_to_send()[0])
    reply = request.success()
    reply.add(Attr.XOR_RELAYED_ADDRESS, ("::", 50003))
    reply.add(Attr.XOR_RELAYED_ADDRESS, ("0.0.0.0", 50004))
    reply.add(Attr.XOR_RELAYED_ADDRESS, ("192.0.2.200", 50005))
    reply.add(Attr.LIFETIME, 600)
    conn.receive(reply.encode(None), 0.0)
    event = conn.next_event()
    assert isinstance(event, AllocationSucceeded)
    assert event.relayed_addresses == (("192.0.2.200", 50005),)
