"""IceTransport over real TURN servers on loopback: our embedded server (in
process) over UDP, TCP, TLS and DTLS, candidate errors, a restart that moves
relay-only transports from server A to server B while data flows, and close()."""

from __future__ import annotations

import asyncio

import pytest
from tests.support.ice_runtime import TIMEOUT, connect, transport, wait_for_event, wait_until
from tests.support.ice_turn import TRANSPORTS, ice_url, in_range, server_url

from rtcpeer.ice import Candidate
from rtcpeer.ice.events import CandidateError
from rtcpeer.ice.runtime import IceTransport
from rtcpeer.testing.pki import CertificateFiles
from rtcpeer.turn.server.runtime import TurnServer

Region = tuple[TurnServer, tuple[int, int]]


async def _gather(t: IceTransport) -> tuple[list[Candidate], list[CandidateError]]:
    candidates: list[Candidate] = []
    errors: list[CandidateError] = []

    def collect(c: Candidate | None) -> None:
        if c is not None:
            candidates.append(c)

    t.on("icecandidate", collect)
    t.on("icecandidateerror", errors.append)
    done = asyncio.ensure_future(wait_for_event(t, "icecandidate", lambda c: c is None))
    await t.gather()
    await done
    return candidates, errors


@pytest.mark.parametrize("protocol", list(TRANSPORTS))
async def test_gathers_a_relay_candidate_over_each_transport(
    protocol: str, turn_a: Region, certificates: CertificateFiles
) -> None:
    server, ports = turn_a
    t = transport(
        True, servers=[server_url(server, protocol)], policy="relay", cafile=str(certificates.ca)
    )
    try:
        candidates, errors = await _gather(t)
        assert errors == []
        assert [c.type for c in candidates] == ["relay"]  # relay policy: no host candidate
        assert in_range(candidates[0], ports) and candidates[0].host == "127.0.0.1"
        assert server.relay_count == 1
        local = [s for s in t.get_stats() if s["type"] == "local-candidate"]
        assert local[0]["relayProtocol"] == protocol
        assert local[0]["url"] == server_url(server, protocol).url
    finally:
        await t.close()
    await wait_until(lambda: server.relay_count == 0)


@pytest.mark.parametrize("protocol", list(TRANSPORTS))
async def test_relay_only_transports_connect_through_each_transport(
    protocol: str, turn_a: Region, certificates: CertificateFiles
) -> None:
    server, ports = turn_a
    kwargs = {
        "servers": [server_url(server, protocol)],
        "policy": "relay",
        "cafile": str(certificates.ca),
    }
    a, b = transport(True, **kwargs), transport(False, **kwargs)
    try:
        await connect(a, b)
        for t in (a, b):
            assert t.selected_pair is not None
            local, remote = t.selected_pair
            assert local.type == "relay" and in_range(local, ports)
            assert remote.type == "relay" and in_range(remote, ports)
        for index in range(10):
            a.send(b"a%d" % index)
            b.send(b"b%d" % index)
        assert [await asyncio.wait_for(b.receive(), TIMEOUT) for _ in range(10)] == [
            b"a%d" % i for i in range(10)
        ]
        assert [await asyncio.wait_for(a.receive(), TIMEOUT) for _ in range(10)] == [
            b"b%d" % i for i in range(10)
        ]
    finally:
        await a.close()
        await b.close()
    await wait_until(lambda: server.relay_count == 0)


async def test_tls_to_a_server_we_do_not_trust_is_a_701(turn_a: Region) -> None:
    server, _ = turn_a
    t = transport(True, servers=[server_url(server, "tls")], policy="relay")  # system CAs only
    try:
        candidates, errors = await _gather(t)
        assert candidates == []
        assert [e.error_code for e in errors] == [701]
        assert errors[0].url == server_url(server, "tls").url
    finally:
        await t.close()
    assert server.relay_count == 0


async def test_wrong_password_is_a_401_candidate_error(turn_a: Region) -> None:
    server, _ = turn_a
    url = server_url(server, "udp", password="wrong")
    t = transport(True, servers=[url])
    try:
        candidates, errors = await _gather(t)
        assert [c.type for c in candidates] == ["host"]
        assert len(errors) == 1
        assert errors[0].error_code == 401 and errors[0].url == url.url
        assert errors[0].address == "127.0.0.1" and errors[0].port
    finally:
        await t.close()


async def test_unreachable_port_is_a_701_candidate_error() -> None:
    # A UDP socket that reads and never answers: the server "is not there".
    loop = asyncio.get_running_loop()
    silent, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    port = silent.get_extra_info("sockname")[1]
    url = ice_url(f"turn:127.0.0.1:{port}?transport=udp")
    t = transport(True, servers=[url])
    try:
        candidates, errors = await asyncio.wait_for(_gather(t), 20)
        assert [c.type for c in candidates] == ["host"]
        # Exactly one error for the URL, though both a Binding probe (srflx) and
        # an Allocate (relay) went unanswered: the relay's, from its own socket.
        assert [(e.error_code, e.url) for e in errors] == [(701, url.url)]
        assert errors[0].error_text == "TURN server did not answer"
        assert errors[0].address == "127.0.0.1" and errors[0].port
    finally:
        await t.close()
        silent.close()


async def test_unresolvable_host_name_is_a_701_candidate_error() -> None:
    url = ice_url("turn:no-such-host.invalid:3478?transport=udp")
    t = transport(True, servers=[url], dns_timeout=2.0)
    try:
        _candidates, errors = await _gather(t)
        assert [(e.error_code, e.url) for e in errors] == [(701, url.url)]
        assert "no-such-host.invalid" in errors[0].error_text
    finally:
        await t.close()


async def test_host_name_of_a_server_is_resolved_and_used_for_tls_verification(
    turn_a: Region, certificates: CertificateFiles
) -> None:
    server, ports = turn_a
    url = server_url(server, "tls", host="localhost")
    t = transport(True, servers=[url], policy="relay", cafile=str(certificates.ca))
    try:
        candidates, errors = await _gather(t)
        assert errors == [] and len(candidates) == 1 and in_range(candidates[0], ports)
    finally:
        await t.close()


async def test_restart_moves_relay_only_transports_from_server_a_to_server_b(
    turn_a: Region, turn_b: Region, certificates: CertificateFiles
) -> None:
    (server_a, ports_a), (server_b, ports_b) = turn_a, turn_b
    a = transport(True, servers=[server_url(server_a, "udp")], policy="relay")
    b = transport(False, servers=[server_url(server_a, "udp")], policy="relay")
    received: list[bytes] = []
    try:
        await connect(a, b)
        assert a.selected_pair is not None and in_range(a.selected_pair[0], ports_a)
        assert server_a.relay_count == 2

        async def reader() -> None:
            while True:
                received.append(await b.receive())

        reading = asyncio.ensure_future(reader())
        on_b = [
            asyncio.ensure_future(
                wait_for_event(
                    t,
                    "selectedcandidatepairchange",
                    lambda p: in_range(p[0], ports_b) and in_range(p[1], ports_b),
                )
            )
            for t in (a, b)
        ]
        sent = 0
        for index in range(150):
            a.send(b"%d" % index)
            sent += 1
            if index == 30:  # setConfiguration onto B, then an ICE restart
                await asyncio.gather(
                    a.set_servers([server_url(server_b, "udp")], "relay", 0),
                    b.set_servers([server_url(server_b, "udp")], "relay", 0),
                )
                a.restart()
                b.set_remote_parameters(a.local_ufrag, a.local_pwd)
                a.set_remote_parameters(b.local_ufrag, b.local_pwd)
            await asyncio.sleep(0.005)
        await asyncio.wait_for(asyncio.gather(*on_b), TIMEOUT)
        await wait_until(lambda: len(received) == sent)
        reading.cancel()
        assert received == [b"%d" % i for i in range(sent)]  # nothing lost, in order
        for t in (a, b):
            assert t.selected_pair is not None
            assert in_range(t.selected_pair[0], ports_b) and in_range(t.selected_pair[1], ports_b)
        await wait_until(lambda: server_a.relay_count == 0)
        assert server_b.relay_count == 2
    finally:
        await a.close()
        await b.close()
    await wait_until(lambda: server_b.relay_count == 0)


async def test_close_releases_every_allocation_and_socket(
    turn_a: Region, turn_b: Region, certificates: CertificateFiles
) -> None:
    (server_a, _), (server_b, _) = turn_a, turn_b
    servers = [server_url(server_a, p) for p in TRANSPORTS] + [server_url(server_b, "udp")]
    t = transport(True, servers=servers, cafile=str(certificates.ca))
    candidates, errors = await _gather(t)
    assert errors == []
    assert sum(c.type == "relay" for c in candidates) == 5
    assert server_a.relay_count == 4 and server_b.relay_count == 1
    sockets = list(t.sockets.values())
    assert len(sockets) >= 6  # one host socket, five server connections
    await t.close()
    assert t.state == "closed"
    assert all(s.closed for s in sockets) and not t.sockets
    await wait_until(lambda: server_a.relay_count == 0 and server_b.relay_count == 0)
