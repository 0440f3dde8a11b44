"""The embedded TURN server is safe on a real network (issue 16).

Peer-address policy (outcomes 1), bounded resources with 508 on failure
(2), no amplification towards unauthenticated senders (4), on the sans-IO
core; the stream listener's caps and timeouts (3) and resource exhaustion
under a lowered RLIMIT_NOFILE (2, 3) on real loopback sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from tests.support.turn_server import (
    PASSWORD,
    PEER,
    REALM,
    USER,
    CoreClient,
    FakeRelays,
    client_key,
    make_core,
)

from rtcpeer.cli import build_parser
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
from rtcpeer.turn.client import TurnClient
from rtcpeer.turn.client import TurnServer as Target
from rtcpeer.turn.server import SendFromRelay, SendToClient, TurnServerConfig, TurnServerCore
from rtcpeer.turn.server.command import build
from rtcpeer.turn.server.config import TOTAL_QUOTA, USER_QUOTA
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer
from rtcpeer.turn.server.stream_listener import StreamLimits

# -- 1. peer address policy ----------------------------------------------------

#: Refused by default: the issue's table, one address from each range.
DENIED = [
    ("10.0.0.1", 6379),  # private, measured relayable before
    ("172.16.5.4", 80),
    ("192.168.1.1", 80),
    ("169.254.169.254", 80),  # cloud metadata, measured relayable before
    ("100.64.0.1", 53),  # CGNAT
    ("0.1.2.3", 80),
    ("198.18.0.1", 80),
    ("240.0.0.1", 80),
    ("255.255.255.255", 9),  # broadcast, measured relayable before
    ("127.0.0.1", 8080),  # loopback
    ("224.0.0.251", 5353),  # multicast
    ("fd00::1", 80),
    ("fe80::1", 80),
    ("ff02::1", 80),
    ("::1", 80),
    ("::ffff:10.0.0.1", 80),  # IPv4-mapped private
    ("64:ff9b::a9fe:a9fe", 80),  # NAT64 of 169.254.169.254
]
ALLOWED = [("198.51.100.7", 40000), ("203.0.113.9", 3000), ("8.8.8.8", 53), ("2001:db8::5", 9)]


@pytest.mark.parametrize("peer", DENIED)
def test_default_policy_refuses_private_and_special_peers(peer: Address) -> None:
    core, _ = make_core(families=(4, 6))
    alice = CoreClient(core, client_key())
    reply = alice.allocate(0.0, (Attr.ADDITIONAL_ADDRESS_FAMILY, 2))
    assert reply.message_class is MessageClass.SUCCESS, reply.error_reason
    assert alice.permit(0.0, peer).error_code == ErrorCode.FORBIDDEN
    assert alice.bind(0.0, 0x4000, peer).error_code == ErrorCode.FORBIDDEN
    assert alice.send(0.0, peer, b"x") == []


@pytest.mark.parametrize("peer", ALLOWED)
def test_default_policy_relays_to_public_peers(peer: Address) -> None:
    core, _ = make_core(families=(4, 6))
    alice = CoreClient(core, client_key())
    alice.allocate(0.0, (Attr.ADDITIONAL_ADDRESS_FAMILY, 2))
    assert alice.permit(0.0, peer).message_class is MessageClass.SUCCESS
    assert alice.bind(0.0, 0x4000, peer).message_class is MessageClass.SUCCESS
    assert [type(o) for o in alice.send(0.0, peer, b"x")] == [SendFromRelay]


def test_allow_and_deny_lists_most_specific_rule_wins() -> None:
    core, _ = make_core(
        allowed_peers=("10.1.0.0/16", "192.168.7.7"),
        denied_peers=("10.1.2.0/24", "198.51.100.0/24", "203.0.113.5/32"),
    )
    alice = CoreClient(core, client_key())
    alice.allocate()
    codes = {
        peer: alice.permit(0.0, (peer, 1)).error_code
        for peer in (
            "10.0.0.1",  # default deny 10/8
            "10.1.9.9",  # allow 10.1/16 beats deny 10/8
            "10.1.2.3",  # deny 10.1.2/24 beats allow 10.1/16
            "192.168.7.7",  # allow /32
            "192.168.7.8",  # default deny
            "198.51.100.7",  # operator deny
            "203.0.113.5",  # operator deny /32
            "203.0.113.6",  # public
        )
    }
    assert codes == {
        "10.0.0.1": ErrorCode.FORBIDDEN,
        "10.1.9.9": None,
        "10.1.2.3": ErrorCode.FORBIDDEN,
        "192.168.7.7": None,
        "192.168.7.8": ErrorCode.FORBIDDEN,
        "198.51.100.7": ErrorCode.FORBIDDEN,
        "203.0.113.5": ErrorCode.FORBIDDEN,
        "203.0.113.6": None,
    }
    # An allow and a deny of the same range: the allow wins (as in coturn).
    tie, _ = make_core(allowed_peers=("198.51.100.0/24",), denied_peers=("198.51.100.0/24",))
    bob = CoreClient(tie, client_key(2))
    bob.allocate()
    assert bob.permit(0.0, PEER).message_class is MessageClass.SUCCESS


def test_loopback_flag_and_listening_ports_stay_as_they_were() -> None:
    core, _ = make_core(allow_loopback_peers=True)
    alice = CoreClient(core, client_key())
    alice.allocate()
    assert alice.permit(0.0, ("127.0.0.1", 9)).message_class is MessageClass.SUCCESS
    assert alice.permit(0.0, ("10.0.0.1", 9)).error_code == ErrorCode.FORBIDDEN
    # no allow rule opens the server's own listening socket or port 0
    opened, _ = make_core(allowed_peers=("192.0.2.0/24",))
    bob = CoreClient(opened, client_key(2))
    bob.allocate()
    assert bob.bind(0.0, 0x4000, ("192.0.2.10", 3478)).error_code == ErrorCode.FORBIDDEN
    assert bob.bind(0.0, 0x4000, ("192.0.2.10", 0)).error_code == ErrorCode.FORBIDDEN


def test_cli_allow_and_deny_peer_options(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        [
            "turn-server",
            "--user",
            "u:p",
            "--allow-peer",
            "10.1.0.0/16",
            "--deny-peer",
            "203.0.113.0/24",
            "--deny-peer",
            "2001:db8::1",
            "--nonce-lifetime",
            "90",
        ]
    )
    server = build(args, tmp_path)
    assert server.config.allowed_peers == ("10.1.0.0/16",)
    assert server.config.denied_peers == ("203.0.113.0/24", "2001:db8::1/128")
    assert server.config.nonce_lifetime == 90
    with pytest.raises(SystemExit):
        build_parser().parse_args(["turn-server", "--user", "u:p", "--deny-peer", "10.0.0.300"])


# -- 2. bounded resources ---------------------------------------------------------


def test_default_quotas_stop_one_user_from_locking_out_the_rest() -> None:
    assert 0 < USER_QUOTA < TOTAL_QUOTA
    relays = FakeRelays(capacity=10_000)
    core = TurnServerCore(
        TurnServerConfig(realm=REALM, users={"alice": "secret", "bob": "hunter2"}), relays
    )
    codes = [
        CoreClient(core, client_key(1000 + n)).allocate().error_code for n in range(USER_QUOTA + 20)
    ]
    assert codes[:USER_QUOTA] == [None] * USER_QUOTA
    assert set(codes[USER_QUOTA:]) == {ErrorCode.ALLOCATION_QUOTA_REACHED}
    bob = CoreClient(core, client_key(9), "bob", "hunter2")
    assert bob.allocate().message_class is MessageClass.SUCCESS


def test_permission_and_channel_caps_answer_508() -> None:
    core, _ = make_core(max_permissions=3, max_channels=2)
    alice = CoreClient(core, client_key())
    alice.allocate()
    peers = [(f"198.51.100.{n}", 5000) for n in range(1, 6)]
    assert alice.permit(0.0, *peers[:3]).message_class is MessageClass.SUCCESS
    assert alice.permit(0.0, peers[3]).error_code == ErrorCode.INSUFFICIENT_CAPACITY
    assert alice.permit(0.0, peers[0]).message_class is MessageClass.SUCCESS  # a refresh
    assert alice.bind(0.0, 0x4000, peers[0]).message_class is MessageClass.SUCCESS
    assert alice.bind(0.0, 0x4001, peers[1]).message_class is MessageClass.SUCCESS
    assert alice.bind(0.0, 0x4002, peers[2]).error_code == ErrorCode.INSUFFICIENT_CAPACITY
    assert alice.bind(0.0, 0x4000, peers[0]).message_class is MessageClass.SUCCESS  # rebind
    # expired permissions make room again (300 s)
    assert alice.permit(301.0, peers[4]).message_class is MessageClass.SUCCESS


class FailingRelays(FakeRelays):
    """A relay provider whose sockets cannot be had (EMFILE)."""

    def open_relay(self, family: int, *, even_port: bool = False) -> Address | None:
        raise OSError(24, "Too many open files")


def test_a_relay_that_cannot_be_opened_is_answered_508() -> None:
    relays = FailingRelays()
    core = TurnServerCore(TurnServerConfig(realm=REALM, users={"alice": "secret"}), relays)
    reply = CoreClient(core, client_key()).allocate()
    assert reply.error_code == ErrorCode.INSUFFICIENT_CAPACITY
    assert not core.allocations


# -- 4. amplification -------------------------------------------------------------


def _request(method: int, *attrs: tuple[int, Any]) -> bytes:
    message = StunMessage(method, MessageClass.REQUEST)
    for attr, value in attrs:
        message.add(attr, value)
    return message.encode(fingerprint=False)


AMPLIFICATION_CASES: dict[str, tuple[bytes, float]] = {
    # name: (request, largest response/request ratio allowed)
    "binding": (_request(Method.BINDING), 2.0),
    "allocate-bare": (_request(Method.ALLOCATE), 1.8),
    # 401 with REALM ("example.test") and NONCE: what a client needs, no more
    "allocate": (_request(Method.ALLOCATE, (Attr.REQUESTED_TRANSPORT, TRANSPORT_UDP)), 3.5),
    "refresh": (_request(Method.REFRESH), 1.8),
    "create-permission": (_request(Method.CREATE_PERMISSION, (Attr.XOR_PEER_ADDRESS, PEER)), 1.2),
    "channel-bind": (
        _request(Method.CHANNEL_BIND, (Attr.CHANNEL_NUMBER, 0x4000), (Attr.XOR_PEER_ADDRESS, PEER)),
        1.0,
    ),
    "unknown-method": (_request(0x00F), 1.8),
    "send-indication": (
        StunMessage(Method.SEND, MessageClass.INDICATION)
        .add(Attr.XOR_PEER_ADDRESS, PEER)
        .add(Attr.DATA, b"x")
        .encode(),
        0.0,
    ),
}


@pytest.mark.parametrize("case", sorted(AMPLIFICATION_CASES))
def test_unauthenticated_requests_get_small_answers(case: str) -> None:
    request, bound = AMPLIFICATION_CASES[case]
    core, relays = make_core()
    client = client_key()
    outputs = core.receive_from_client(client, request, 0.0)
    sent = sum(len(getattr(output, "data", b"")) for output in outputs)
    assert sent <= bound * len(request), (case, len(request), sent)
    for output in outputs:
        assert isinstance(output, SendToClient)
        reply = decode_message(output.data)
        assert not reply.has(Attr.SOFTWARE)
        if reply.error_code != ErrorCode.UNAUTHENTICATED:
            assert not reply.has(Attr.REALM) and not reply.has(Attr.NONCE)
    assert not relays.open


def test_a_20_byte_refresh_gets_a_bare_437_but_a_client_with_an_allocation_a_challenge() -> None:
    core, _ = make_core()
    client = client_key()
    refresh = _request(Method.REFRESH)
    assert len(refresh) == 20
    [out] = core.receive_from_client(client, refresh, 0.0)
    assert isinstance(out, SendToClient)
    reply = decode_message(out.data)
    assert reply.error_code == ErrorCode.ALLOCATION_MISMATCH and len(out.data) <= 36
    CoreClient(core, client).allocate()
    [out] = core.receive_from_client(client, refresh, 1.0)
    assert isinstance(out, SendToClient)
    reply = decode_message(out.data)
    assert reply.error_code == ErrorCode.UNAUTHENTICATED and reply.has(Attr.NONCE)


def test_nonce_lifetime_is_configurable() -> None:
    core, _ = make_core(nonce_lifetime=30)
    alice = CoreClient(core, client_key())
    alice.allocate(0.0)
    nonce = alice.nonce
    assert alice.refresh(29.0).message_class is MessageClass.SUCCESS
    assert alice.nonce == nonce
    assert alice.refresh(31.0).message_class is MessageClass.SUCCESS  # after a 438
    assert alice.nonce != nonce


# -- 3. TCP/TLS listeners -------------------------------------------------------------


def _server(limits: StreamLimits, **config: Any) -> TurnServer:
    return TurnServer(
        TurnServerConfig(realm=REALM, users={USER: PASSWORD}, allow_loopback_peers=True, **config),
        ListenSettings(port=0, stream_limits=limits, min_port=0, max_port=0),
    )


async def _closed_by_server(reader: asyncio.StreamReader, timeout: float) -> bool:
    return await asyncio.wait_for(reader.read(), timeout) == b""


async def test_idle_and_slow_connections_are_closed_and_an_allocation_keeps_its_own() -> None:
    limits = StreamLimits(first_request_timeout=0.3, idle_timeout=0.5, frame_timeout=0.3)
    async with _server(limits) as server:
        host, port = server.addresses["tcp"]
        # silent from the start
        silent_r, silent_w = await asyncio.open_connection(host, port)
        # half a frame: a header that promises 100 bytes, then nothing
        slow_r, slow_w = await asyncio.open_connection(host, port)
        slow_w.write(bytes.fromhex("0001 0064 2112a442") + b"\x00" * 12)
        # one Binding, then silence: idle timeout
        idle_r, idle_w = await asyncio.open_connection(host, port)
        idle_w.write(_request(Method.BINDING))
        assert decode_message(await asyncio.wait_for(idle_r.read(40), 2.0))
        # a TURN client with an allocation outlives every timeout
        client = await TurnClient.connect(
            Target(host, port, transport="tcp"), USER, PASSWORD, timeout=5.0
        )
        began = asyncio.get_running_loop().time()
        assert await _closed_by_server(silent_r, 2.0)
        assert await _closed_by_server(slow_r, 2.0)
        assert await _closed_by_server(idle_r, 2.0)
        elapsed = asyncio.get_running_loop().time() - began
        assert elapsed < 1.5
        assert server.stream_connections == 1 and len(server.core.allocations) == 1  # type: ignore[union-attr]
        await client.create_permission("127.0.0.1")  # still served over its connection
        client._shutdown()
        for writer in (silent_w, slow_w, idle_w):
            writer.close()


async def test_connection_caps_overall_and_per_source() -> None:
    limits = StreamLimits(max_connections=6, max_per_source=4, first_request_timeout=5.0)
    async with _server(limits) as server:
        host, port = server.addresses["tcp"]
        opened = [await asyncio.open_connection(host, port) for _ in range(4)]
        # the fifth from 127.0.0.1 is closed at once
        reader, writer = await asyncio.open_connection(host, port)
        assert await _closed_by_server(reader, 2.0)
        writer.close()
        # from another source address: two more fit, then the overall cap
        others = []
        for _ in range(3):
            sock = socket.socket()
            sock.bind(("127.0.0.2", 0))
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, (host, port))
            others.append(await asyncio.open_connection(sock=sock))
        assert await _closed_by_server(others[2][0], 2.0)
        assert server.refused_connections == 2 and server.stream_connections == 6
        for _, w in opened + others:
            w.close()
        # closing frees places again
        await asyncio.wait_for(_until(lambda: server.stream_connections == 0), 3.0)
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(_request(Method.BINDING))
        assert decode_message(await asyncio.wait_for(reader.read(40), 2.0))
        writer.close()


async def _until(condition: Any) -> None:
    event = asyncio.Event()  # never set: a bounded wait between polls
    while not condition():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(event.wait(), 0.01)


# -- 2 and 3 under a lowered RLIMIT_NOFILE, in a subprocess ------------------------------

#: The server alone runs with 64 descriptors; the test drives it from outside.
_LIMITED_SERVER = textwrap.dedent(
    """
    import asyncio, resource, sys
    from rtcpeer.turn.server.config import TurnServerConfig
    from rtcpeer.turn.server.runtime import ListenSettings, TurnServer

    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    async def main():
        server = TurnServer(
            TurnServerConfig(realm="r", users={"a": "p", "b": "p"}),
            ListenSettings(port=0, tls_port=None),
        )
        await server.start()
        print("ready", server.addresses["udp"][1], flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.readline)
        print("accept_failures", server.accept_failures, flush=True)
        print("relays", server.relay_count, flush=True)
        await server.close()

    asyncio.run(main())
    """
)


async def _ask(sock: socket.socket, message: StunMessage, key: bytes | None = None) -> StunMessage:
    loop = asyncio.get_running_loop()
    await loop.sock_sendall(sock, message.encode(key))
    return decode_message(await asyncio.wait_for(loop.sock_recv(sock, 2048), 3.0))


async def _raw_allocate(address: Address, user: str) -> tuple[socket.socket, int | None]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sock.connect(address)
    probe = StunMessage(Method.ALLOCATE, MessageClass.REQUEST)
    nonce = (await _ask(sock, probe.add(Attr.REQUESTED_TRANSPORT, TRANSPORT_UDP))).get(Attr.NONCE)
    request = StunMessage(Method.ALLOCATE, MessageClass.REQUEST)
    request.add(Attr.REQUESTED_TRANSPORT, TRANSPORT_UDP)
    request.add(Attr.USERNAME, user).add(Attr.REALM, "r").add(Attr.NONCE, nonce)
    reply = await _ask(sock, request, long_term_key(user, "r", "p"))
    return sock, reply.error_code


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_NOFILE semantics of Linux")
async def test_out_of_descriptors_gives_508_no_tracebacks_and_udp_keeps_serving() -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _LIMITED_SERVER,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin and process.stdout and process.stderr
    socks: list[socket.socket] = []
    try:
        ready = (await asyncio.wait_for(process.stdout.readline(), 20.0)).decode().split()
        assert ready[0] == "ready", ready
        address = ("127.0.0.1", int(ready[1]))
        # 1. one user allocates far past the server's 64 descriptors: every
        # Allocate is answered, the last ones with 508
        codes = []
        for _ in range(80):
            sock, code = await _raw_allocate(address, "a")
            socks.append(sock)
            codes.append(code)
        granted = codes.count(None)
        assert 20 < granted < 64 and set(codes[granted:]) == {ErrorCode.INSUFFICIENT_CAPACITY}
        # 2. idle TCP connections until accept() fails with EMFILE
        tcp: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        for _ in range(20):
            tcp.append(await asyncio.open_connection(*address))
        # 3. meanwhile UDP is served: a Binding is answered, and a client with
        # an allocation is challenged as usual
        binding = await _ask(socks[-1], StunMessage(Method.BINDING, MessageClass.REQUEST))
        assert binding.message_class is MessageClass.SUCCESS
        for _, writer in tcp:
            writer.close()
        release = StunMessage(Method.REFRESH, MessageClass.REQUEST)
        assert (await _ask(socks[0], release)).error_code == ErrorCode.UNAUTHENTICATED
        process.stdin.write(b"stats\n")
        await process.stdin.drain()
        stats: dict[str, str] = {}
        for _ in range(2):
            name, value = (await asyncio.wait_for(process.stdout.readline(), 10.0)).split()
            stats[name.decode()] = value.decode()
        assert int(stats["accept_failures"]) >= 1
        assert int(stats["relays"]) == granted
        assert await asyncio.wait_for(process.wait(), 10.0) == 0
        errors = (await process.stderr.read()).decode()
        assert "Traceback" not in errors, errors
        assert errors.count("accept() failed") <= 3, errors  # one line per pause
    finally:
        for sock in socks:
            sock.close()
        if process.returncode is None:
            process.kill()
            await process.wait()
