"""Other TURN clients against our server: coturn's turnutils_uclient and
aioice (aiortc's ICE library). Missing programs make these tests fail."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator

import pytest
from tests.support.turn_server import PASSWORD, REALM, USER, PeerProtocol

from rtcpeer.testing.pki import CertificateFiles
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer

pytestmark = pytest.mark.interop

UCLIENT = "/usr/bin/turnutils_uclient"
SECRET = "uclient-shared-secret"
MESSAGES = 10


@pytest.fixture
async def interop_server(certificates: CertificateFiles) -> AsyncIterator[TurnServer]:
    """Static user and REST secret; loopback peers (uclient's peers are our own
    relays on 127.0.0.1); RFC 5766 channel numbers, which uclient picks."""
    config = TurnServerConfig(
        realm=REALM,
        users={USER: PASSWORD},
        auth_secrets=(SECRET,),
        allow_loopback_peers=True,
        legacy_channel_numbers=True,
    )
    settings = ListenSettings(port=0, tls_port=0, cert=certificates.cert, key=certificates.key)
    async with TurnServer(config, settings) as server:
        yield server


async def run_uclient(args: list[str], timeout: float = 25.0) -> tuple[int, str]:
    """Run turnutils_uclient; on timeout kill it by its PID."""
    process = await asyncio.create_subprocess_exec(
        UCLIENT,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


def uclient_command(server: TurnServer, mode: str) -> list[str]:
    """The exact uclient command line for one mode (reported in the docs)."""
    common = ["-y", "-c", "-n", str(MESSAGES), "-z", "5", "-l", "120"]
    udp_port = str(server.addresses["udp"][1])
    tls_port = str(server.addresses["tls"][1])
    static = ["-u", USER, "-w", PASSWORD]
    commands = {
        "udp-channels": [*common, *static, "-p", udp_port],
        "tcp-send": [*common, *static, "-t", "-s", "-p", udp_port],
        "tls-send": [*common, *static, "-t", "-S", "-s", "-p", tls_port],
        "dtls-channels": [*common, *static, "-S", "-p", tls_port],
        "udp-rest-secret": [*common, "-u", "uclient", "-W", SECRET, "-p", udp_port],
    }
    return [*commands[mode], "127.0.0.1"]


async def test_turnutils_uclient_relays_without_loss(interop_server: TurnServer) -> None:
    assert shutil.which(UCLIENT), f"{UCLIENT} is missing: apt-get install coturn"
    modes = ["udp-channels", "tcp-send", "tls-send", "dtls-channels", "udp-rest-secret"]
    results = await asyncio.gather(
        *(run_uclient(uclient_command(interop_server, mode)) for mode in modes)
    )
    for mode, (code, output) in zip(modes, results, strict=True):
        assert code == 0, f"{mode}: exit {code}\n{output[-2000:]}"
        totals = re.findall(r"tot_send_msgs=(\d+), tot_recv_msgs=(\d+)", output)
        assert totals, f"{mode}: no summary\n{output[-2000:]}"
        sent, received = map(int, totals[-1])
        # -y: two clients, each sends MESSAGES to the other through the relays
        assert sent == received == 2 * MESSAGES, f"{mode}: {totals[-1]}\n{output[-2000:]}"
        assert "Total lost packets 0 (" in output, f"{mode}\n{output[-2000:]}"
    # uclient exits without deleting its UDP/DTLS allocations (they would
    # expire); closing the server must still release every relay socket.
    assert interop_server.relay_count > 0
    await interop_server.close()
    assert interop_server.relay_count == 0


async def _until_no_relays(server: TurnServer) -> None:
    while server.relay_count:
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_aioice_allocates_and_relays(
    interop_server: TurnServer, peer: PeerProtocol, transport: str
) -> None:
    from aioice.turn import create_turn_endpoint

    received: asyncio.Queue[tuple[bytes, tuple[str, int]]] = asyncio.Queue()

    class Receiver(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            received.put_nowait((data, addr))

    turn, _ = await asyncio.wait_for(
        create_turn_endpoint(
            Receiver,
            interop_server.addresses[transport],
            USER,
            PASSWORD,
            transport=transport,
        ),
        5.0,
    )
    try:
        relay = turn.get_extra_info("sockname")
        assert relay[0] == "127.0.0.1" and interop_server.relay_count == 1
        turn.sendto(b"from aioice", peer.address)  # aioice binds a channel first
        assert await peer.next() == (b"from aioice", tuple(relay))
        assert peer.transport is not None
        peer.transport.sendto(b"to aioice", tuple(relay))
        assert await asyncio.wait_for(received.get(), 3.0) == (b"to aioice", peer.address)
    finally:
        turn.close()
    await asyncio.wait_for(_until_no_relays(interop_server), 5.0)
