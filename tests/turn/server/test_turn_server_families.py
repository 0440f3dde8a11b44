"""The embedded TURN server relays in both families (issue 21, outcome 2).

The core: REQUESTED-ADDRESS-FAMILY and ADDITIONAL-ADDRESS-FAMILY (RFC 8656
§7.2), a default that serves clients that ask for no family on an IPv6-only
relay, per-family permissions and data, one family given back by Refresh.
The runtime on real loopback sockets (127.0.0.1 and ::1), and the CLI.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.support.turn_server import (
    PASSWORD,
    REALM,
    USER,
    CoreClient,
    PeerProtocol,
    client_key,
    make_core,
)

from rtcpeer.cli import build_parser
from rtcpeer.stun import Attr, ErrorCode, MessageClass
from rtcpeer.stun.constants import FAMILY_IPV4, FAMILY_IPV6
from rtcpeer.turn.client import TurnClient
from rtcpeer.turn.client import TurnServer as Target
from rtcpeer.turn.server import SendFromRelay, TurnServerConfig
from rtcpeer.turn.server.command import build
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer

PEER4, PEER6 = ("198.51.100.7", 40000), ("2001:db8:1::7", 40000)


def _relayed(reply: Any) -> list[str]:
    return [address[0] for address in reply.get_all(Attr.XOR_RELAYED_ADDRESS)]


def test_no_family_asked_on_an_ipv6_only_relay_gets_ipv6() -> None:
    core, _ = make_core(families=(6,))
    reply = CoreClient(core, client_key()).allocate()
    assert reply.message_class is MessageClass.SUCCESS, reply.error_reason
    assert _relayed(reply) == ["2001:db8::200"]


def test_no_family_asked_on_a_dual_stack_relay_gets_ipv4() -> None:
    core, _ = make_core(families=(4, 6))
    assert _relayed(CoreClient(core, client_key()).allocate()) == ["192.0.2.200"]


def test_requested_family_picks_the_relay_and_440_when_missing() -> None:
    core, _ = make_core(families=(4, 6))
    reply = CoreClient(core, client_key(1)).allocate(0.0, (Attr.REQUESTED_ADDRESS_FAMILY, 2))
    assert _relayed(reply) == ["2001:db8::200"]
    core, _ = make_core(families=(6,))
    reply = CoreClient(core, client_key(2)).allocate(0.0, (Attr.REQUESTED_ADDRESS_FAMILY, 1))
    assert reply.error_code == ErrorCode.ADDRESS_FAMILY_NOT_SUPPORTED


def test_additional_family_gives_a_dual_stack_allocation() -> None:
    core, relays = make_core(families=(4, 6))
    client = CoreClient(core, client_key())
    reply = client.allocate(0.0, (Attr.ADDITIONAL_ADDRESS_FAMILY, FAMILY_IPV6))
    assert _relayed(reply) == ["192.0.2.200", "2001:db8::200"]
    assert not reply.has(Attr.ADDRESS_ERROR_CODE)
    relay4, relay6 = reply.get_all(Attr.XOR_RELAYED_ADDRESS)
    assert client.permit(0.0, PEER4, PEER6).message_class is MessageClass.SUCCESS
    out = client.send(0.0, PEER6, b"six") + client.send(0.0, PEER4, b"four")
    assert out == [SendFromRelay(relay6, PEER6, b"six"), SendFromRelay(relay4, PEER4, b"four")]
    assert client.bind(0.0, 0x4001, PEER6).message_class is MessageClass.SUCCESS
    assert core.receive_on_relay(relay6, PEER6, b"in", 0.0)  # delivered to the client
    assert not core.receive_on_relay(relay6, ("2001:db8:1::8", 1), b"x", 0.0)  # no permission
    # Refresh with REQUESTED-ADDRESS-FAMILY and LIFETIME 0 gives back that family only.
    refresh = client.request(
        0x004, [(Attr.LIFETIME, 0), (Attr.REQUESTED_ADDRESS_FAMILY, FAMILY_IPV6)], 0.0
    )
    assert refresh.message_class is MessageClass.SUCCESS
    assert relays.open == {relay4} and len(core.allocations) == 1
    assert client.permit(0.0, PEER6).error_code == ErrorCode.PEER_ADDRESS_FAMILY_MISMATCH
    assert client.refresh(0.0, 0).message_class is MessageClass.SUCCESS
    assert relays.open == set() and not core.allocations


def test_additional_family_without_ipv6_succeeds_with_an_address_error_code() -> None:
    core, _ = make_core(families=(4,))
    client = CoreClient(core, client_key())
    reply = client.allocate(0.0, (Attr.ADDITIONAL_ADDRESS_FAMILY, FAMILY_IPV6))
    assert _relayed(reply) == ["192.0.2.200"]
    assert reply.get(Attr.ADDRESS_ERROR_CODE) == (FAMILY_IPV6, 440, "Address Family not Supported")
    assert client.permit(0.0, PEER6).error_code == ErrorCode.PEER_ADDRESS_FAMILY_MISMATCH


def test_additional_family_when_ipv6_ports_run_out_is_508_for_ipv6_only() -> None:
    core, relays = make_core(families=(4, 6))
    relays.capacity = 1
    reply = CoreClient(core, client_key()).allocate(
        0.0, (Attr.ADDITIONAL_ADDRESS_FAMILY, FAMILY_IPV6)
    )
    assert _relayed(reply) == ["192.0.2.200"]
    assert reply.get(Attr.ADDRESS_ERROR_CODE)[:2] == (FAMILY_IPV6, 508)


@pytest.mark.parametrize(
    "attrs",
    [
        [(Attr.ADDITIONAL_ADDRESS_FAMILY, FAMILY_IPV4)],  # only IPv6 may be additional
        [(Attr.ADDITIONAL_ADDRESS_FAMILY, FAMILY_IPV6), (Attr.REQUESTED_ADDRESS_FAMILY, 1)],
    ],
    ids=["ipv4-as-additional", "with-requested-family"],
)
def test_malformed_family_requests_are_400(attrs: list[tuple[int, int]]) -> None:
    core, relays = make_core(families=(4, 6))
    reply = CoreClient(core, client_key()).allocate(0.0, *attrs)
    assert reply.error_code == ErrorCode.BAD_REQUEST
    assert not relays.open


def _config() -> TurnServerConfig:
    return TurnServerConfig(realm=REALM, users={USER: PASSWORD}, allow_loopback_peers=True)


async def test_ipv6_listener_with_its_defaults_serves_a_client_that_asks_for_no_family() -> None:
    """`turn-server --listen ::1`: the relay defaults to ::1 too, and a client
    that sends no REQUESTED-ADDRESS-FAMILY (family=4 here) gets it."""
    loop = asyncio.get_running_loop()
    async with TurnServer(_config(), ListenSettings(host="::1", port=0)) as server:
        port = server.addresses["udp"][1]
        client = await TurnClient.connect(
            Target("::1", port), USER, PASSWORD, family=4, family_fallback=False
        )
        transport, peer = await loop.create_datagram_endpoint(PeerProtocol, local_addr=("::1", 0))
        try:
            assert client.relayed_address[0] == "::1"
            await client.create_permission("::1")
            client.send_to(b"over six", peer.address)
            data, source = await peer.next()
            assert (data, source) == (b"over six", client.relayed_address)
        finally:
            transport.close()
            await client.close()


async def test_dual_stack_relay_ips_give_both_families_to_one_client() -> None:
    loop = asyncio.get_running_loop()
    settings = ListenSettings(host="127.0.0.1", port=0, relay_ip=("127.0.0.1", "::1"))
    async with TurnServer(_config(), settings) as server:
        port = server.addresses["udp"][1]
        client = await TurnClient.connect(
            Target("127.0.0.1", port), USER, PASSWORD, dual_stack=True
        )
        peers = []
        try:
            assert [a[0] for a in client.relayed_addresses] == ["127.0.0.1", "::1"]
            for host in ("127.0.0.1", "::1"):
                transport, peer = await loop.create_datagram_endpoint(
                    PeerProtocol, local_addr=(host, 0)
                )
                peers.append(transport)
                await client.create_permission(host)
                client.send_to(host.encode(), peer.address)
                data, source = await peer.next()
                assert data == host.encode() and source[0] == host
                assert peer.transport is not None
                peer.transport.sendto(b"reply " + data, source)
                assert await asyncio.wait_for(client.recv_from(), 3.0) == (
                    b"reply " + data,
                    peer.address,
                )
        finally:
            for transport in peers:
                transport.close()
            await client.close()


def test_cli_relay_ip_is_repeatable_one_per_family(tmp_path: Any) -> None:
    parser = build_parser()
    args = parser.parse_args(
        ["turn-server", "--user", "u:p", "--relay-ip", "127.0.0.1", "--relay-ip", "::1"]
    )
    assert build(args, tmp_path).settings.relay_ip == ("127.0.0.1", "::1")
    args = parser.parse_args(["turn-server", "--user", "u:p", "--listen", "::1"])
    assert build(args, tmp_path).settings.relay_ip is None  # the --listen IP
    args = parser.parse_args(
        ["turn-server", "--user", "u:p", "--relay-ip", "::1", "--relay-ip", "::2"]
    )
    with pytest.raises(SystemExit, match="one --relay-ip per address family"):
        build(args, tmp_path)


def test_cli_help_explains_the_family_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["turn-server", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "repeat once per family" in text
    assert "an IPv6 one when every relay IP is IPv6" in text
    assert "ADDITIONAL-ADDRESS-FAMILY" in text
