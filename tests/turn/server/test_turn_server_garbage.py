"""Garbage on every listener leaves an existing allocation relaying and the
server alive: random bytes, truncated and mis-signed messages, a broken
TLS/DTLS handshake, and a bounded flood of 2,000 Allocate requests."""

from __future__ import annotations

import asyncio
import random
import ssl
from typing import Any

from tests.support.turn_server import PASSWORD, REALM, USER, PeerProtocol

from rtcpeer.stun import (
    TRANSPORT_UDP,
    Attr,
    ErrorCode,
    MessageClass,
    Method,
    StunMessage,
    decode_message,
    encode_channel_data,
    long_term_key,
)
from rtcpeer.testing.pki import CertificateFiles
from rtcpeer.turn.client import TurnClient
from rtcpeer.turn.client import TurnServer as Target
from rtcpeer.turn.server.runtime import TurnServer

FLOOD = 2000
BATCH = 50


class RawUdp(asyncio.DatagramProtocol):
    """A bare UDP socket that queues every datagram it receives."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.queue.put_nowait(data)

    async def reply(self, timeout: float = 3.0) -> StunMessage:
        return decode_message(await asyncio.wait_for(self.queue.get(), timeout))


async def raw_udp(remote: tuple[str, int]) -> RawUdp:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_datagram_endpoint(RawUdp, remote_addr=remote)
    return protocol


def garbage_datagrams(rng: random.Random) -> list[bytes]:
    allocate = StunMessage(Method.ALLOCATE, MessageClass.REQUEST)
    allocate.add(Attr.REQUESTED_TRANSPORT, TRANSPORT_UDP).add(Attr.USERNAME, USER)
    allocate.add(Attr.REALM, REALM).add(Attr.NONCE, "rtcp0.bogus")
    signed = allocate.encode(long_term_key(USER, REALM, "wrong password"))
    flipped = bytearray(signed)
    flipped[-9] ^= 0x01  # breaks the fingerprint
    datagrams = [rng.randbytes(rng.randrange(1, 600)) for _ in range(200)]
    datagrams += [signed[:n] for n in range(0, len(signed), 3)]  # truncations
    datagrams += [signed, bytes(flipped), b"\x00\x01\x00\x00", b"\x40\x00\xff\xff"]
    datagrams += [encode_channel_data(0x4000 + n, b"x" * n) for n in range(20)]
    datagrams += [b"\x16\xfe\xfd" + rng.randbytes(60) for _ in range(20)]  # fake DTLS
    return datagrams


async def round_trip(client: TurnClient, peer: PeerProtocol, tag: bytes) -> None:
    """Client -> relay -> peer and back, through the existing allocation."""
    relay = client.relayed_address
    client.send_to(b"out-" + tag, peer.address)
    assert await peer.next() == (b"out-" + tag, relay)
    assert peer.transport is not None
    peer.transport.sendto(b"in-" + tag, relay)
    assert await asyncio.wait_for(client.recv_from(), 3.0) == (b"in-" + tag, peer.address)


async def test_garbage_and_a_flood_leave_the_server_relaying(
    turn_server: TurnServer, peer: PeerProtocol, certificates: CertificateFiles
) -> None:
    rng = random.Random(8656)
    udp_address = turn_server.addresses["udp"]
    victim = await TurnClient.connect(Target(*udp_address), USER, PASSWORD, timeout=5.0)
    try:
        await asyncio.wait_for(victim.create_permission("127.0.0.1"), 3.0)
        await asyncio.wait_for(victim.bind_channel(peer.address), 3.0)
        await round_trip(victim, peer, b"before")
        relay = victim.relayed_address

        # 1. datagram garbage on UDP and DTLS, and on the relayed address
        for kind in ("udp", "dtls"):
            attacker = await raw_udp(turn_server.addresses[kind])
            for datagram in garbage_datagrams(rng):
                attacker.transport.sendto(datagram)
            attacker.transport.close()
        assert peer.transport is not None
        for datagram in garbage_datagrams(rng)[:50]:
            peer.transport.sendto(datagram, ("127.0.0.2", relay[1]))  # no permission

        # 2. stream garbage on TCP and TLS (plain bytes into a TLS port too)
        loop = asyncio.get_running_loop()
        for kind in ("tcp", "tls"):
            host, port = turn_server.addresses[kind]
            for datagram in garbage_datagrams(rng)[:40]:
                reader, writer = await asyncio.open_connection(host, port)
                writer.write(datagram)
                await writer.drain()
                writer.close()
        tls_context = ssl.create_default_context(cafile=str(certificates.ca))
        host, port = turn_server.addresses["tls"]
        reader, writer = await asyncio.open_connection(host, port, ssl=tls_context)
        writer.write(b"\x00\x03\x00\x08" + b"\xff" * 7)  # truncated STUN on TLS
        writer.write(b"\x7f" * 64)  # not STUN, not ChannelData: connection is closed
        assert await asyncio.wait_for(reader.read(), 3.0) == b""
        writer.close()
        assert loop.is_running()

        # 3. the flood: 2,000 Allocates from one address, answered in batches
        flooder = await raw_udp(udp_address)
        challenge = StunMessage(Method.ALLOCATE, MessageClass.REQUEST)
        challenge.add(Attr.REQUESTED_TRANSPORT, TRANSPORT_UDP)
        flooder.transport.sendto(challenge.encode())
        nonce = (await flooder.reply()).get(Attr.NONCE)
        key = long_term_key(USER, REALM, PASSWORD)
        codes: list[int | None] = []
        for start in range(0, FLOOD, BATCH):
            for n in range(start, start + BATCH):
                request = StunMessage(Method.ALLOCATE, MessageClass.REQUEST)
                request.add(Attr.REQUESTED_TRANSPORT, TRANSPORT_UDP)
                if n % 2:
                    request.add(Attr.USERNAME, USER).add(Attr.REALM, REALM)
                    request.add(Attr.NONCE, nonce)
                    flooder.transport.sendto(request.encode(key))
                else:
                    flooder.transport.sendto(request.encode())
            for _ in range(BATCH):
                codes.append((await flooder.reply()).error_code)
        assert len(codes) == FLOOD
        assert codes.count(ErrorCode.UNAUTHENTICATED) == FLOOD // 2
        assert codes.count(None) == 1  # one allocation for the flooder's 5-tuple...
        assert codes.count(ErrorCode.ALLOCATION_MISMATCH) == FLOOD // 2 - 1  # ...only
        assert turn_server.relay_count == 2
        flooder.transport.close()

        # 4. the victim's allocation still relays, and every listener answers
        await round_trip(victim, peer, b"after")
        for kind in ("udp",):
            probe = await raw_udp(turn_server.addresses[kind])
            probe.transport.sendto(StunMessage(Method.BINDING, MessageClass.REQUEST).encode())
            assert (await probe.reply()).message_class is MessageClass.SUCCESS
            probe.transport.close()
        host, port = turn_server.addresses["tcp"]
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(StunMessage(Method.BINDING, MessageClass.REQUEST).encode())
        header = await asyncio.wait_for(reader.readexactly(20), 3.0)
        body = await asyncio.wait_for(reader.readexactly(int.from_bytes(header[2:4], "big")), 3.0)
        assert decode_message(header + body).message_class is MessageClass.SUCCESS
        writer.close()
        for kind in ("tls", "dtls"):
            secure = await TurnClient.connect(
                Target(
                    *turn_server.addresses[kind],
                    transport="tcp" if kind == "tls" else "udp",
                    secure=True,
                ),
                USER,
                PASSWORD,
                cafile=certificates.ca,
                timeout=5.0,
            )
            await secure.close()
    finally:
        await victim.close()
