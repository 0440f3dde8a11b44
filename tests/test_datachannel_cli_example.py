"""examples/datachannel_cli.py: an offering and an answering process meet over TCP
socket signalling on loopback and ping/pong over a data channel (issue 18 outcome 4).

Both relay through an embedded TURN server on 127.0.0.1 (``--relay-only``): the
tests may run where loopback is the only network, and rtcpeer offers no loopback
host candidates."""

from __future__ import annotations

import asyncio
import re
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from rtcpeer import ListenSettings, TurnServer, TurnServerConfig

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "datachannel_cli.py"
TIMEOUT = 30.0
USER, PASSWORD = "cli", "secret"
PINGS = 3


@pytest_asyncio.fixture
async def turn_url() -> AsyncIterator[str]:
    server = TurnServer(
        TurnServerConfig(realm="example.test", users={USER: PASSWORD}, allow_loopback_peers=True),
        ListenSettings(host="127.0.0.1", port=0, tls_port=None),
    )
    await server.start()
    host, port = server.addresses["udp"]
    try:
        yield f"turn:{host}:{port}"
    finally:
        await server.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _start(role: str, turn: str, port: int, *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        role,
        "--signaling",
        "tcp-socket",
        "--signaling-port",
        str(port),
        "--ice-server",
        turn,
        "--ice-username",
        USER,
        "--ice-credential",
        PASSWORD,
        "--relay-only",
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_offer_and_answer_processes_ping_pong(turn_url: str) -> None:
    port = _free_port()
    # The answerer starts first: it keeps trying until the offerer listens.
    answer = await _start("answer", turn_url, port)
    offer = await _start("offer", turn_url, port, "--count", str(PINGS), "--interval", "0.05")
    try:
        offer_out, offer_err = await asyncio.wait_for(offer.communicate(), TIMEOUT)
        answer_out, answer_err = await asyncio.wait_for(answer.communicate(), TIMEOUT)
    finally:
        for process in (offer, answer):
            if process.returncode is None:
                process.kill()
                await process.wait()
    offer_text, answer_text = offer_out.decode(), answer_out.decode()
    assert offer.returncode == 0, offer_text + offer_err.decode()
    assert answer.returncode == 0, answer_text + answer_err.decode()
    assert "channel(chat) - created by local party" in offer_text
    pongs = re.findall(r"^channel\(chat\) < pong (\d+)$", offer_text, flags=re.M)
    assert len(pongs) >= PINGS
    assert len(re.findall(r"^ RTT \d+\.\d\d ms$", offer_text, flags=re.M)) == len(pongs)
    # Every pong answers one of the pings the answerer saw.
    pings = re.findall(r"^channel\(chat\) < ping (\d+)$", answer_text, flags=re.M)
    assert set(pongs) <= set(pings)
    assert "channel(chat) - created by remote party" in answer_text
    assert answer_text.rstrip().endswith("Exiting")  # the offerer said BYE


def test_the_example_uses_the_public_api_only() -> None:
    source = EXAMPLE.read_text()
    imports = re.findall(r"^from (rtcpeer\S*) import", source, flags=re.M)
    assert sorted(imports) == ["rtcpeer", "rtcpeer.signaling"], imports
    assert "aiortc" not in re.findall(r"^(?:from|import) (\w+)", source, flags=re.M)
    assert not re.search(r"(?<!self)\._[a-z]", source), "reads a private member"
