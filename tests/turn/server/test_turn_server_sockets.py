"""The asyncio TurnServer on real loopback sockets, driven by rtcpeer's own
TURN client over UDP, TCP, TLS and DTLS."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from tests.support.turn_server import PASSWORD, REALM, USER, PeerProtocol

from rtcpeer.testing.pki import CertificateFiles
from rtcpeer.turn.client import TurnClient
from rtcpeer.turn.client import TurnServer as Target
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer


async def wait_until(condition: object, timeout: float = 3.0) -> None:
    """Poll a cheap condition until true (bounded; fails with TimeoutError)."""

    async def poll() -> None:
        while not callable(condition) or not condition():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


def target(server: TurnServer, kind: str) -> Target:
    host, port = server.addresses[kind]
    return Target(
        host,
        port,
        transport="tcp" if kind in ("tcp", "tls") else "udp",
        secure=kind in ("tls", "dtls"),
    )


@pytest.mark.parametrize("kind", ["udp", "tcp", "tls", "dtls"])
async def test_relays_both_ways_with_indications_and_channels(
    turn_server: TurnServer, peer: PeerProtocol, certificates: CertificateFiles, kind: str
) -> None:
    client = await TurnClient.connect(
        target(turn_server, kind), USER, PASSWORD, cafile=certificates.ca, timeout=5.0
    )
    try:
        relay = client.relayed_address
        assert relay[0] == "127.0.0.1" and turn_server.relay_count == 1
        await asyncio.wait_for(client.create_permission("127.0.0.1"), 3.0)
        client.send_to(b"via-indication", peer.address)
        assert await peer.next() == (b"via-indication", relay)
        assert peer.transport is not None
        peer.transport.sendto(b"back-as-data", relay)
        data, source = await asyncio.wait_for(client.recv_from(), 3.0)
        assert (data, source) == (b"back-as-data", peer.address)

        channel = await asyncio.wait_for(client.bind_channel(peer.address), 3.0)
        assert 0x4000 <= channel <= 0x4FFF
        for size in (1, 5, 1200):  # odd sizes exercise stream padding
            payload = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
            client.send_to(payload, peer.address)
            assert await peer.next() == (payload, relay)
            peer.transport.sendto(payload[::-1], relay)
            assert await asyncio.wait_for(client.recv_from(), 3.0) == (payload[::-1], peer.address)
    finally:
        await client.close()
    await wait_until(lambda: turn_server.relay_count == 0)


async def test_stream_and_dtls_disconnect_releases_the_allocation(
    turn_server: TurnServer, certificates: CertificateFiles
) -> None:
    for kind in ("tcp", "tls"):
        client = await TurnClient.connect(
            target(turn_server, kind), USER, PASSWORD, cafile=certificates.ca, timeout=5.0
        )
        assert turn_server.relay_count == 1
        client._link.close()  # drop the connection without a Refresh(0)
        await wait_until(lambda: turn_server.relay_count == 0)
        client._shutdown()


async def test_wrong_password_is_refused_over_the_wire(turn_server: TurnServer) -> None:
    from rtcpeer.turn.client import TurnError

    with pytest.raises(TurnError) as info:
        await TurnClient.connect(target(turn_server, "udp"), USER, "wrong", timeout=5.0)
    assert info.value.code == 401
    assert turn_server.relay_count == 0


async def test_starts_lists_urls_and_close_frees_every_port(
    certificates: CertificateFiles,
) -> None:
    """(How long start() takes is benchmarks/turn_startup.py's measure.)"""
    config = TurnServerConfig(realm=REALM, users={USER: PASSWORD}, allow_loopback_peers=True)
    settings = ListenSettings(
        port=0,
        tls_port=0,
        cert=certificates.cert,
        key=certificates.key,
        min_port=0,
        max_port=0,
    )
    server = TurnServer(config, settings)
    await server.start()
    urls = server.urls()
    udp, tcp = server.addresses["udp"], server.addresses["tcp"]
    tls, dtls = server.addresses["tls"], server.addresses["dtls"]
    assert udp[1] == tcp[1] and tls[1] == dtls[1]
    assert urls == [
        f"turn:127.0.0.1:{udp[1]}?transport=udp",
        f"turn:127.0.0.1:{tcp[1]}?transport=tcp",
        f"turns:127.0.0.1:{tls[1]}?transport=tcp",
        f"turns:127.0.0.1:{dtls[1]}?transport=udp",
    ]
    client = await TurnClient.connect(target(server, "udp"), USER, PASSWORD, timeout=5.0)
    relay = client.relayed_address
    await server.close()
    assert server.relay_count == 0
    client._shutdown()
    # every socket is free again: bind each one ourselves
    for address, kind in (
        (udp, socket.SOCK_DGRAM),
        (dtls, socket.SOCK_DGRAM),
        (relay, socket.SOCK_DGRAM),
        (tcp, socket.SOCK_STREAM),
        (tls, socket.SOCK_STREAM),
    ):
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)


async def test_relay_port_range_is_honoured(certificates: CertificateFiles) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1]
    low, high = base, base + 3
    config = TurnServerConfig(realm=REALM, users={USER: PASSWORD}, allow_loopback_peers=True)
    async with TurnServer(config, ListenSettings(port=0, min_port=low, max_port=high)) as server:
        clients = []
        try:
            for _ in range(4):
                clients.append(
                    await TurnClient.connect(target(server, "udp"), USER, PASSWORD, timeout=5.0)
                )
            assert all(low <= c.relayed_address[1] <= high for c in clients)
            assert len({c.relayed_address for c in clients}) == 4
            from rtcpeer.turn.client import TurnError

            with pytest.raises(TurnError) as info:
                await TurnClient.connect(target(server, "udp"), USER, PASSWORD, timeout=5.0)
            assert info.value.code == 508
        finally:
            for c in clients:
                await c.close()


async def test_runtime_timer_expires_an_unrefreshed_allocation() -> None:
    from tests.support.turn_server import PeerProtocol as Raw

    from rtcpeer.stun import (
        TRANSPORT_UDP,
        Attr,
        MessageClass,
        Method,
        StunMessage,
        decode_message,
        long_term_key,
    )

    config = TurnServerConfig(
        realm=REALM, users={USER: PASSWORD}, default_lifetime=1, max_lifetime=1
    )
    async with TurnServer(config, ListenSettings(port=0, tcp=False)) as server:
        loop = asyncio.get_running_loop()
        fired = asyncio.Event()
        removed_at: list[float] = []
        runtime_on_timer = server._on_timer

        def on_timer() -> None:
            held = server.relay_count
            runtime_on_timer()
            if held and not server.relay_count:
                removed_at.append(loop.time())
            fired.set()

        server._on_timer = on_timer  # type: ignore[method-assign]
        transport, raw = await loop.create_datagram_endpoint(
            Raw, remote_addr=server.addresses["udp"]
        )
        try:
            request = StunMessage(Method.ALLOCATE, MessageClass.REQUEST)
            transport.sendto(request.add(Attr.REQUESTED_TRANSPORT, TRANSPORT_UDP).encode())
            nonce = decode_message((await raw.next())[0]).get(Attr.NONCE)
            request = StunMessage(Method.ALLOCATE, MessageClass.REQUEST)
            request.add(Attr.REQUESTED_TRANSPORT, TRANSPORT_UDP).add(Attr.USERNAME, USER)
            request.add(Attr.REALM, REALM).add(Attr.NONCE, nonce)
            sent_at = loop.time()
            transport.sendto(request.encode(long_term_key(USER, REALM, PASSWORD)))
            reply = decode_message((await raw.next())[0])
            assert reply.get(Attr.LIFETIME) == 1 and server.relay_count == 1
            # The runtime armed the loop's timer for the core's next deadline,
            # which is this allocation's expiry: its 1 s lifetime from when the
            # request arrived (between our send and the reply's arrival).
            core = server.core
            assert core is not None
            expiry = core.get_timer()
            assert expiry is not None and server._timer_at == expiry
            assert sent_at + 1.0 <= expiry <= loop.time() + 1.0
            # Wait for the runtime's timer to fire (an event; only a generous
            # timeout bounds it) until the allocation is gone: never before its
            # expiry (asyncio runs a timer up to its clock resolution early).
            while server.relay_count:
                await asyncio.wait_for(fired.wait(), 10.0)
                fired.clear()
            (removed,) = removed_at  # by the timer, not by anything else
            assert removed >= expiry - time.get_clock_info("monotonic").resolution
        finally:
            transport.close()


async def test_ipv6_listener_with_an_ipv4_relay() -> None:
    """Without REQUESTED-ADDRESS-FAMILY a client gets an IPv4 relay (RFC 8656
    §7.2) even over IPv6; the relay IP is therefore configured separately."""
    config = TurnServerConfig(realm=REALM, users={USER: PASSWORD}, allow_loopback_peers=True)
    loop = asyncio.get_running_loop()
    settings = ListenSettings(host="::1", port=0, relay_ip="127.0.0.1")
    async with TurnServer(config, settings) as server:
        assert server.urls()[0] == f"turn:[::1]:{server.addresses['udp'][1]}?transport=udp"
        transport, peer = await loop.create_datagram_endpoint(
            PeerProtocol, local_addr=("127.0.0.1", 0)
        )
        for kind in ("udp", "tcp"):
            client = await TurnClient.connect(target(server, kind), USER, PASSWORD, timeout=5.0)
            try:
                relay = client.relayed_address
                assert relay[0] == "127.0.0.1"
                assert client.mapped_address is not None and client.mapped_address[0] == "::1"
                await asyncio.wait_for(client.create_permission("127.0.0.1"), 3.0)
                client.send_to(b"six", peer.address)
                assert await peer.next() == (b"six", relay)
                transport.sendto(b"xis", relay)
                assert await asyncio.wait_for(client.recv_from(), 3.0) == (b"xis", peer.address)
            finally:
                await client.close()
        transport.close()


async def test_dtls_session_cap_keeps_sessions_with_allocations(
    turn_server: TurnServer, certificates: CertificateFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rtcpeer.turn.client import TurnError
    from rtcpeer.turn.server import dtls_listener

    monkeypatch.setattr(dtls_listener, "MAX_SESSIONS", 1)
    monkeypatch.setattr(dtls_listener, "IDLE_EVICTION", 0.0)
    dtls = target(turn_server, "dtls")
    first = await TurnClient.connect(dtls, USER, PASSWORD, cafile=certificates.ca, timeout=5.0)
    with pytest.raises(TurnError) as info:  # full, and the one session holds an allocation
        await TurnClient.connect(dtls, USER, PASSWORD, cafile=certificates.ca, timeout=1.0)
    assert info.value.code == 701
    assert first.allocated
    await first.close()  # Refresh(0), then close_notify frees the session
    second = await TurnClient.connect(dtls, USER, PASSWORD, cafile=certificates.ca, timeout=5.0)
    await second.close()
