"""The ChannelData data path (channel routes) decides exactly as the general
path: the same frames relayed, to the same peer from the same relay, with the
same bytes, and nothing once a permission, channel or allocation has expired
or been taken away, whether or not the expiry timer has run yet."""

from __future__ import annotations

import asyncio
import random
import struct
from typing import Any

import pytest
from tests.support.turn_server import (
    PASSWORD,
    PEER,
    PEER2,
    USER,
    CoreClient,
    PeerProtocol,
    client_key,
    make_core,
    relayed,
)

from rtcpeer.stun import Attr, MessageClass, decode_channel_data, encode_channel_data
from rtcpeer.testing.pki import CertificateFiles
from rtcpeer.turn.client import TurnClient
from rtcpeer.turn.client import TurnServer as Target
from rtcpeer.turn.server import SendFromRelay, SendToClient, TurnServerCore
from rtcpeer.turn.server.allocation import ChannelRoute
from rtcpeer.turn.server.events import ClientKey
from rtcpeer.turn.server.runtime import TurnServer

PEER3 = ("198.51.100.9", 40002)


def fast_to_peer(
    core: TurnServerCore, client: ClientKey, frame: bytes, now: float
) -> SendFromRelay | None:
    """What the runtime's UDP data path sends for ``frame``, or None (general path)."""
    routes = core.routes_from(client.transport, client.local).get(client.remote)
    assert routes is core.channel_routes(client) or routes is None
    route = core.channel_route(routes, frame, now)
    if route is None:
        return None
    payload = route.unwrap(frame)
    return None if payload is None else SendFromRelay(route.relay, route.peer, payload)


def fast_to_client(
    core: TurnServerCore, relay: Any, peer: Any, data: bytes, now: float
) -> SendToClient | None:
    """What the runtime's peer-side data path sends, or None (general path)."""
    route = core.peer_route(relay, peer, now)
    indexed = core.routes_to_peers.get(relay, {}).get(peer)
    assert route is None or route is indexed
    return None if route is None else SendToClient(route.client, route.wrap(data))


def assert_same_decisions(
    core: TurnServerCore, client: ClientKey, relay: Any, now: float, frames: list[bytes]
) -> int:
    """For every frame and every peer: the data path relays exactly what the
    general path relays (or leaves it to the general path, which then drops
    it). Returns how many were relayed by the data path."""
    used = 0
    for frame in frames:
        general = relayed(core.receive_from_client(client, frame, now))
        fast = fast_to_peer(core, client, frame, now)
        if fast is not None:
            assert general == [fast]
            used += 1
        else:
            # the data path never declines a frame the general path would
            # relay on a bound channel (only malformed or unbound ones)
            assert general == [] or not 0x40 <= frame[0] <= 0x4F or len(frame) < 4
    for peer in (PEER, PEER2, PEER3, (PEER[0], 1)):
        general_back = core.receive_on_relay(relay, peer, b"\x01back", now)
        fast_back = fast_to_client(core, relay, peer, b"\x01back", now)
        if fast_back is not None:
            assert general_back == [fast_back]
            used += 1
        elif general_back:
            # no route: the general path answers with a Data indication only
            (out,) = general_back
            assert isinstance(out, SendToClient) and out.data[:2] == b"\x00\x17"
    return used


def frames_for(*channels: int) -> list[bytes]:
    frames = []
    for channel in channels:
        frames.append(encode_channel_data(channel, b"hello"))
        frames.append(encode_channel_data(channel, b"hello", pad=True))
        frames.append(struct.pack("!HH", channel, 9) + b"short")  # length too long
        frames.append(struct.pack("!HH", channel, 1) + b"abcde")  # 4 extra bytes
        frames.append(struct.pack("!HH", channel, 0))
    return frames


def test_routes_follow_permission_channel_and_allocation_expiry() -> None:
    core, _ = make_core()
    alice = CoreClient(core, client_key())
    relay = alice.relay_address(0.0)
    frames = frames_for(0x4000, 0x4001)
    assert core.routes_from("udp", alice.client.local).get(alice.client.remote) == {}
    assert assert_same_decisions(core, alice.client, relay, 1.0, frames) == 0
    # a permission alone gives no route (Send indications use the general path)
    alice.permit(1.0, PEER)
    assert assert_same_decisions(core, alice.client, relay, 2.0, frames) == 0
    assert alice.bind(2.0, 0x4000, PEER).message_class is MessageClass.SUCCESS
    route = core.channel_route(core.channel_routes(alice.client), frames[0], 3.0)
    assert isinstance(route, ChannelRoute) and route.peer == PEER and route.relay == relay
    # three well-formed frames (one padded, one empty) and the peer's answer
    assert assert_same_decisions(core, alice.client, relay, 3.0, frames) == 4
    # the permission (300 s from the bind) lapses before the channel (600 s):
    # refused by `now` alone, before the timer has run ...
    assert assert_same_decisions(core, alice.client, relay, 301.9, frames) == 4
    assert assert_same_decisions(core, alice.client, relay, 302.0, frames) == 0
    assert fast_to_peer(core, alice.client, frames[0], 302.0) is None
    # ... and after it
    core.handle_timer(302.0)
    assert assert_same_decisions(core, alice.client, relay, 302.0, frames) == 0
    # a new permission brings the channel back; so does a refresh later
    alice.permit(303.0, PEER)
    assert assert_same_decisions(core, alice.client, relay, 303.0, frames) == 4
    alice.permit(590.0, PEER)
    assert alice.refresh(590.0).get(Attr.LIFETIME) == 600
    assert assert_same_decisions(core, alice.client, relay, 601.9, frames) == 4
    # the channel itself ends 600 s after its bind
    assert assert_same_decisions(core, alice.client, relay, 602.0, frames) == 0
    core.handle_timer(602.0)
    assert core.channel_routes(alice.client) == {}
    assert core.routes_to_peers[relay] == {}
    # the peer keeps its permission: its datagrams arrive as Data indications
    back = core.receive_on_relay(relay, PEER, b"x", 603.0)
    assert len(back) == 1 and isinstance(back[0], SendToClient)
    assert back[0].data[:2] == b"\x00\x17"


def test_routes_end_with_the_allocation() -> None:
    core, relays = make_core()
    alice = CoreClient(core, client_key())
    relay = alice.relay_address(0.0)
    alice.bind(0.0, 0x4000, PEER)
    frames = frames_for(0x4000)
    held = core.channel_routes(alice.client)
    assert held is not None and list(held) == [0x4000]
    # the allocation's own lifetime (600 s) bounds the route, timer or not
    assert alice.refresh(0.0, lifetime=600).get(Attr.LIFETIME) == 600
    alice.permit(400.0, PEER)
    alice.bind(400.0, 0x4000, PEER)
    assert assert_same_decisions(core, alice.client, relay, 599.9, frames) == 4
    assert assert_same_decisions(core, alice.client, relay, 600.0, frames) == 0
    core.handle_timer(600.0)
    assert alice.client not in core.allocations and relay in relays.closed
    assert held == {}  # a runtime that kept the dict sees it emptied
    assert core.routes_from("udp", alice.client.local).get(alice.client.remote) is None
    assert relay not in core.routes_to_peers
    # Refresh with lifetime 0 ends them at once
    bob = CoreClient(core, client_key(50002))
    relay = bob.relay_address(700.0)
    bob.bind(700.0, 0x4001, PEER2)
    assert assert_same_decisions(core, bob.client, relay, 701.0, frames_for(0x4001)) == 4
    assert bob.refresh(701.0, lifetime=0).get(Attr.LIFETIME) == 0
    assert fast_to_peer(core, bob.client, encode_channel_data(0x4001, b"x"), 701.0) is None
    assert fast_to_client(core, relay, PEER2, b"x", 701.0) is None


def test_routes_respect_the_peer_policy_and_each_client() -> None:
    core, _ = make_core(allow_loopback_peers=True)
    alice = CoreClient(core, client_key())
    bob = CoreClient(core, client_key(50002))
    relay = alice.relay_address(0.0)
    bob.relay_address(0.0)
    peer = ("127.0.0.1", 7000)
    alice.bind(0.0, 0x4000, peer)
    frame = encode_channel_data(0x4000, b"x")
    assert fast_to_peer(core, alice.client, frame, 1.0) == SendFromRelay(relay, peer, b"x")
    # channel numbers are per allocation: bob has no 0x4000
    assert fast_to_peer(core, bob.client, frame, 1.0) is None
    assert relayed(core.receive_from_client(bob.client, frame, 1.0)) == []
    # the peer turns out to be one of the server's own listening sockets
    core.add_listening_address(peer)
    assert fast_to_peer(core, alice.client, frame, 1.0) is None
    assert relayed(core.receive_from_client(alice.client, frame, 1.0)) == []
    assert fast_to_client(core, relay, peer, b"x", 1.0) is None
    assert core.receive_on_relay(relay, peer, b"x", 1.0) == []


def test_routes_follow_a_dropped_address_family() -> None:
    core, _ = make_core(families=(4, 6))
    alice = CoreClient(core, client_key())
    reply = alice.allocate(0.0, (Attr.ADDITIONAL_ADDRESS_FAMILY, 0x02))
    relay4, relay6 = reply.get_all(Attr.XOR_RELAYED_ADDRESS)
    peer6 = ("2001:db8::7", 4000)
    alice.bind(0.0, 0x4000, PEER)
    alice.bind(0.0, 0x4001, peer6)
    assert fast_to_peer(core, alice.client, encode_channel_data(0x4001, b"6"), 1.0) == (
        SendFromRelay(relay6, peer6, b"6")
    )
    assert fast_to_client(core, relay6, peer6, b"6", 1.0) is not None
    dropped = alice.request(0x004, [(Attr.REQUESTED_ADDRESS_FAMILY, 0x02), (Attr.LIFETIME, 0)], 1.0)
    assert dropped.message_class is MessageClass.SUCCESS
    assert fast_to_peer(core, alice.client, encode_channel_data(0x4001, b"6"), 2.0) is None
    frame6 = encode_channel_data(0x4001, b"6")
    assert relayed(core.receive_from_client(alice.client, frame6, 2.0)) == []
    assert relay6 not in core.routes_to_peers
    assert fast_to_peer(core, alice.client, encode_channel_data(0x4000, b"4"), 2.0) == (
        SendFromRelay(relay4, PEER, b"4")
    )


def test_random_histories_decide_alike() -> None:
    """Random binds, permissions, refreshes, timer runs and clock steps: at
    every step the data path relays exactly what the general path would."""
    rng = random.Random(1906)
    used = 0
    for _ in range(20):
        core, _ = make_core()
        alice = CoreClient(core, client_key(transport=rng.choice(["udp", "tcp"])))
        relay = alice.relay_address(0.0)
        now = 0.0
        channels = [0x4000, 0x4001, 0x4FFF]
        peers = [PEER, PEER2, PEER3]
        for _ in range(40):
            now += rng.choice([0.5, 30.0, 120.0, 299.0])
            action = rng.randrange(5)
            if action == 0:
                index = rng.randrange(3)
                alice.bind(now, channels[index], peers[index])
            elif action == 1:
                alice.permit(now, rng.choice(peers))
            elif action == 2:
                alice.refresh(now, lifetime=rng.choice([600, 900]))
            elif action == 3:
                core.handle_timer(now)
            if alice.client not in core.allocations:
                break
            used += assert_same_decisions(core, alice.client, relay, now, frames_for(*channels))
    assert used > 100  # the histories did exercise usable routes


def test_wrap_pads_stream_frames_only() -> None:
    udp = ChannelRoute(0x4001, client_key(), PEER, ("192.0.2.200", 5), 1.0)
    tcp = ChannelRoute(0x4001, client_key(transport="tcp"), PEER, ("192.0.2.200", 5), 1.0)
    legacy = ChannelRoute(0x5001, client_key(transport="tcp"), PEER, ("192.0.2.200", 5), 1.0)
    for size in range(9):
        data = bytes(range(size))
        assert udp.wrap(data) == encode_channel_data(0x4001, data)
        assert tcp.wrap(data) == encode_channel_data(0x4001, data, pad=True)
        assert legacy.wrap(data) == struct.pack("!HH", 0x5001, size) + data
        for frame in (udp.wrap(data), tcp.wrap(data)):
            assert udp.unwrap(frame) == decode_channel_data(frame)[1] == data
    assert udp.unwrap(struct.pack("!HH", 0x4001, 5) + b"abcd") is None
    assert udp.unwrap(struct.pack("!HH", 0x4001, 1) + b"abcde") is None


@pytest.mark.parametrize("kind", ["udp", "tcp", "tls", "dtls"])
async def test_data_path_relays_identical_bytes_without_the_general_path(
    turn_server: TurnServer, peer: PeerProtocol, certificates: CertificateFiles, kind: str
) -> None:
    """On real sockets: once the channel is bound, ChannelData both ways is
    carried by the data path (the core's general inputs never see it) with
    every byte intact; once the allocation is gone the general path gets the
    client's frames again, and drops them."""
    core = turn_server.core
    assert core is not None
    seen: list[tuple[bytes, list[Any]]] = []
    general_from_client = core.receive_from_client
    general_on_relay = core.receive_on_relay
    arrived = asyncio.Event()

    def spy_client(client: ClientKey, data: bytes, now: float, **kw: Any) -> Any:
        outputs = general_from_client(client, data, now, **kw)
        seen.append((data, outputs))
        arrived.set()
        return outputs

    def spy_relay(relay: Any, source: Any, data: bytes, now: float) -> Any:
        outputs = general_on_relay(relay, source, data, now)
        seen.append((data, outputs))
        return outputs

    core.receive_from_client = spy_client  # type: ignore[method-assign]
    core.receive_on_relay = spy_relay  # type: ignore[method-assign, assignment]
    host, port = turn_server.addresses[kind]
    server = Target(
        host,
        port,
        transport="tcp" if kind in ("tcp", "tls") else "udp",
        secure=kind in ("tls", "dtls"),
    )
    client = await TurnClient.connect(server, USER, PASSWORD, cafile=certificates.ca, timeout=5.0)
    try:
        relay = client.relayed_address
        await asyncio.wait_for(client.bind_channel(peer.address), 3.0)
        seen.clear()
        sink_calls: list[bytes] = []
        if kind == "udp":  # over UDP the listener relays before making a ClientKey
            sink = turn_server.from_client

            def spy_sink(client: ClientKey, data: bytes) -> None:
                sink_calls.append(data)
                sink(client, data)

            turn_server.from_client = spy_sink  # type: ignore[method-assign]
        assert peer.transport is not None
        rng = random.Random(7)
        for size in (1, 3, 5, 60, 1199, 1200):  # odd sizes: padding over streams
            payload = rng.randbytes(size)
            client.send_to(payload, peer.address)
            assert await peer.next() == (payload, relay)
            peer.transport.sendto(payload[::-1], relay)
            assert await asyncio.wait_for(client.recv_from(), 3.0) == (payload[::-1], peer.address)
        assert seen == [] and sink_calls == []
        # the allocation ends behind the client's back; its next frame on the
        # channel reaches the general path, which drops it
        (key,) = core.allocations
        core.client_closed(key, asyncio.get_running_loop().time())
        arrived.clear()
        client.send_to(b"late", peer.address)
        await asyncio.wait_for(arrived.wait(), 3.0)
        ((frame, outputs),) = seen
        assert decode_channel_data(frame[: 4 + 4])[1] == b"late" and outputs == []
    finally:
        await client.close()
