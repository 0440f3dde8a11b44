"""IPv6 all the way (issue 21): host, relay and a region move, in a private
namespace whose ``lo`` carries 127.0.0.1 and ::1.

- host: IPv6-only and dual-stack rtcpeer pairs;
- relay-only through coturn relaying IPv6 only, both families, and across
  families (IPv4 client to an IPv6-relaying server and back);
- the same against the embedded server (``turn-server --listen ::1`` with its
  defaults, a dual-stack ``--relay-ip`` pair, an IPv4 listener relaying IPv6);
- a live data-channel stream moved by an ICE restart from an IPv4 TURN
  region to an IPv6-only one, nothing lost;
- coturn's 440 reason phrase reaches us without its padding NULs.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from tests.support.coturn import Coturn, start_coturn
from tests.support.interop import (
    PASSWORD,
    TIMEOUT,
    USER,
    Stream,
    in_range,
    on_region,
    opened,
    poll,
    until,
)

from rtcpeer import RTCPeerConnection
from rtcpeer.testing.pki import CertificateFiles
from rtcpeer.turn.client import AllocationFailed, TurnClientConnection, TurnServer
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings
from rtcpeer.turn.server.runtime import TurnServer as EmbeddedTurnServer

pytestmark = pytest.mark.interop

V4, V6 = "127.0.0.1", "::1"
COTURN_PORTS = {"v6": (57300, 57339), "dual": (57340, 57379), "v4": (57380, 57419)}
COTURN_RELAYS = {"v6": (V6,), "dual": (V4, V6), "v4": (V4,)}
REGION_V4, REGION_V6 = (57500, 57599), (57600, 57699)


@pytest.fixture(scope="module")
def coturns(
    network: None, tmp_path_factory: pytest.TempPathFactory, interop_certificates: CertificateFiles
) -> Iterator[dict[str, Coturn]]:
    """coturn listening on 127.0.0.1 and ::1, relaying from IPv6 only, both
    families, or IPv4 only; stopped by PID."""
    workdir = Path(tmp_path_factory.mktemp("coturn-v6"))
    started: dict[str, Coturn] = {}
    try:
        for kind, relays in COTURN_RELAYS.items():
            started[kind] = start_coturn(
                workdir / kind,
                relay_ports=COTURN_PORTS[kind],
                certs=interop_certificates,
                listen=(V4, V6),
                relay_ips=relays,
            )
        yield started
    finally:
        for server in started.values():
            server.stop()


def _url(host: str, port: int) -> str:
    return f"turn:[{host}]:{port}?transport=udp" if ":" in host else f"turn:{host}:{port}"


def _config(url: str, policy: str = "relay") -> dict[str, Any]:
    return {
        "iceServers": [{"urls": url, "username": USER, "credential": PASSWORD}],
        "iceTransportPolicy": policy,
    }


def _peer(
    configuration: dict[str, Any] | None = None, hosts: tuple[str, ...] = (V4, V6), **kwargs: Any
) -> RTCPeerConnection:
    return RTCPeerConnection(configuration, _include_loopback=True, _host_addresses=hosts, **kwargs)


async def _connect(a: RTCPeerConnection, b: RTCPeerConnection) -> tuple[Any, Any]:
    """Trickle both ways, negotiate, open a channel; (near, far)."""
    for source, target in ((a, b), (b, a)):
        source.on(
            "icecandidate",
            lambda event, target=target: asyncio.ensure_future(
                target.addIceCandidate(
                    None if event.candidate is None else event.candidate.toJSON()
                )
            ),
        )
    channel = a.createDataChannel("v6")
    far: asyncio.Queue[Any] = asyncio.Queue()
    b.on("datachannel", lambda event: far.put_nowait(event.channel))
    offer = await a.createOffer()
    await a.setLocalDescription(offer)
    await b.setRemoteDescription(offer.toJSON())
    await b.setLocalDescription()
    assert b.localDescription is not None
    await a.setRemoteDescription(b.localDescription.toJSON())
    await opened(channel)
    return channel, await asyncio.wait_for(far.get(), TIMEOUT)


async def _echo(near: Any, far: Any) -> None:
    got: asyncio.Queue[Any] = asyncio.Queue()
    far.on("message", got.put_nowait)
    near.send("over IPv6?")
    assert await asyncio.wait_for(got.get(), TIMEOUT) == "over IPv6?"


def _selected(pc: RTCPeerConnection) -> tuple[Any, Any]:
    stack = pc._transports
    assert stack is not None and stack.ice.selected_pair is not None
    return stack.ice.selected_pair


def _relays(pc: RTCPeerConnection) -> list[str]:
    stack = pc._transports
    assert stack is not None
    return sorted(c.host for c in stack.ice.local_candidates if c.type == "relay")


async def _close(*pcs: RTCPeerConnection) -> None:
    for pc in pcs:
        await pc.close()


# -- host -----------------------------------------------------------------------
@pytest.mark.parametrize("hosts", [(V6,), (V4, V6)], ids=["ipv6-only", "dual-stack"])
async def test_host_connection(network: None, hosts: tuple[str, ...]) -> None:
    a, b = _peer(hosts=hosts), _peer(hosts=hosts)
    try:
        near, far = await _connect(a, b)
        local, remote = _selected(a)
        assert (local.type, local.host, remote.host) == ("host", V6, V6)  # IPv6 ranks first
        await _echo(near, far)
    finally:
        await _close(a, b)


# -- relay through coturn ------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "reach", "relayed"),
    [
        ("v6", V6, [V6]),  # REQUESTED-ADDRESS-FAMILY IPv6
        ("v6", V4, [V6]),  # across: IPv4 client, IPv6 relay (dual request, IPv4 part fails)
        ("dual", V4, [V4, V6]),  # ADDITIONAL-ADDRESS-FAMILY: both from one Allocate
        ("dual", V6, [V6]),
        ("v4", V6, [V4]),  # and back: IPv6 client, IPv4 relay (440, then IPv4)
    ],
    ids=[
        "v6-relay-over-v6",
        "v6-relay-over-v4",
        "dual-over-v4",
        "dual-over-v6",
        "v4-relay-over-v6",
    ],
)
async def test_relay_only_through_coturn(
    coturns: dict[str, Coturn], kind: str, reach: str, relayed: list[str]
) -> None:
    server = coturns[kind]
    config = _config(_url(reach, server.port))
    a, b = _peer(config), _peer(config)
    try:
        near, far = await _connect(a, b)
        for pc in (a, b):
            assert _relays(pc) == sorted(relayed)
            local, remote = _selected(pc)
            assert (local.type, remote.type) == ("relay", "relay")
            assert in_range(local.port, COTURN_PORTS[kind])
        await _echo(near, far)
    finally:
        await _close(a, b)


async def test_coturn_440_reason_has_no_padding_nuls(coturns: dict[str, Coturn]) -> None:
    """Ask coturn (IPv4 relay only) for IPv6 with the fallback off: the 440's
    reason phrase arrives as text, without the NULs coturn counts in it."""
    loop = asyncio.get_running_loop()
    server = coturns["v4"]
    conn = TurnClientConnection(
        TurnServer(V4, server.port), USER, PASSWORD, family=6, family_fallback=False
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, (V4, server.port))
        conn.allocate(loop.time())
        event = None
        while event is None:
            for data in conn.datagrams_to_send():
                await loop.sock_sendall(sock, data)
            conn.receive(await asyncio.wait_for(loop.sock_recv(sock, 2048), TIMEOUT), loop.time())
            event = conn.next_event()
        assert isinstance(event, AllocationFailed)
        assert event.error.code == 440
        assert event.error.reason == "Unsupported address family"
    finally:
        sock.close()


# -- relay through the embedded server -------------------------------------------------
async def _embedded(
    host: str, relay: str | tuple[str, ...] | None, ports: tuple[int, int]
) -> EmbeddedTurnServer:
    server = EmbeddedTurnServer(
        TurnServerConfig(realm="example.test", users={USER: PASSWORD}, allow_loopback_peers=True),
        ListenSettings(host=host, port=0, relay_ip=relay, min_port=ports[0], max_port=ports[1]),
    )
    await server.start()
    return server


@pytest.mark.parametrize(
    ("host", "relay", "relayed"),
    [
        (V6, None, [V6]),  # `turn-server --listen ::1`, defaults
        (V4, (V4, V6), [V4, V6]),  # --relay-ip 127.0.0.1 --relay-ip ::1
        (V4, V6, [V6]),  # across: IPv4 clients, IPv6 relay
        (V6, V4, [V4]),  # and back
    ],
    ids=["listen-v6-defaults", "dual-relay", "v4-listener-v6-relay", "v6-listener-v4-relay"],
)
async def test_relay_only_through_the_embedded_server(
    network: None, host: str, relay: str | tuple[str, ...] | None, relayed: list[str]
) -> None:
    server = await _embedded(host, relay, REGION_V6)
    config = _config(_url(host, server.addresses["udp"][1]))
    a, b = _peer(config), _peer(config)
    try:
        near, far = await _connect(a, b)
        for pc in (a, b):
            assert _relays(pc) == sorted(relayed)
            local, remote = _selected(pc)
            assert (local.type, remote.type) == ("relay", "relay")
        assert len(server.core.allocations) == 2  # type: ignore[union-attr]
        await _echo(near, far)
    finally:
        await _close(a, b)
        await server.close()


# -- a region move onto an IPv6-only TURN server --------------------------------------
@pytest_asyncio.fixture
async def regions(network: None) -> AsyncIterator[tuple[EmbeddedTurnServer, EmbeddedTurnServer]]:
    ipv4 = await _embedded(V4, None, REGION_V4)
    ipv6 = await _embedded(V6, None, REGION_V6)
    try:
        yield ipv4, ipv6
    finally:
        await ipv4.close()
        await ipv6.close()


async def test_region_move_from_ipv4_to_an_ipv6_only_server_loses_nothing(
    regions: tuple[EmbeddedTurnServer, EmbeddedTurnServer],
) -> None:
    region_v4, region_v6 = regions
    config_v4 = _config(_url(V4, region_v4.addresses["udp"][1]))
    config_v6 = _config(_url(V6, region_v6.addresses["udp"][1]))
    a, b = _peer(config_v4, hosts=(V4,)), _peer(config_v4, hosts=(V4,))
    try:
        near, far = await _connect(a, b)
        for pc in (a, b):
            assert on_region(pc, REGION_V4)
        got: list[str] = []
        far.on("message", got.append)
        stream = Stream(near)
        await poll(lambda: stream.sent >= 20)
        for pc in (a, b):
            pc.setConfiguration(config_v6)
        offer = await a.createOffer(iceRestart=True)
        await a.setLocalDescription(offer)
        await b.setRemoteDescription(offer.toJSON())
        await b.setLocalDescription()
        assert b.localDescription is not None
        await a.setRemoteDescription(b.localDescription.toJSON())
        for pc in (a, b):
            stack = pc._transports
            assert stack is not None

            def moved(pc: RTCPeerConnection = pc) -> bool:
                return on_region(pc, REGION_V6)

            await until(stack.ice, "selectedcandidatepairchange", moved)
            assert _selected(pc)[0].host == V6
        moved_at = stream.sent
        await poll(lambda: stream.sent >= moved_at + 20)
        sent = await stream.stop()
        await poll(lambda: len(got) >= sent)
        assert got == [str(i) for i in range(sent)]  # nothing lost, duplicated or reordered
        await poll(lambda: region_v4.relay_count == 0)
        assert a.connectionState == b.connectionState == "connected"
    finally:
        await _close(a, b)
