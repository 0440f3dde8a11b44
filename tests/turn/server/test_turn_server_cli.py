"""``rtcpeer turn-server`` and ``python -m rtcpeer.turn.server`` as processes:
they print their URLs, serve, and close cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import pytest

from rtcpeer.cli import build_parser
from rtcpeer.stun import MessageClass, Method, StunMessage, decode_message


async def start(*args: str) -> tuple[asyncio.subprocess.Process, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        while len([line for line in lines if line.startswith("turn")]) < 4:
            line = await asyncio.wait_for(process.stdout.readline(), 10.0)
            assert line, "server exited early:\n" + "".join(lines)
            lines.append(line.decode())
    except BaseException:
        process.kill()
        await process.wait()
        raise
    return process, lines


async def binding(port: int) -> StunMessage:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[bytes] = loop.create_future()

    class Probe(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: object) -> None:
            if not answer.done():
                answer.set_result(data)

    transport, _ = await loop.create_datagram_endpoint(Probe, remote_addr=("127.0.0.1", port))
    try:
        transport.sendto(StunMessage(Method.BINDING, MessageClass.REQUEST).encode())
        return decode_message(await asyncio.wait_for(answer, 3.0))
    finally:
        transport.close()


@pytest.mark.parametrize(
    ("command", "signum"),
    [
        (["-m", "rtcpeer", "turn-server"], signal.SIGTERM),
        (["-m", "rtcpeer.turn.server"], signal.SIGINT),
    ],
)
async def test_serves_prints_urls_and_stops_on_signal(
    command: list[str], signum: signal.Signals
) -> None:
    process, lines = await start(
        *command, "--port", "0", "--tls-port", "0", "--self-signed",
        "--user", "u:p", "--auth-secret", "s", "--allow-loopback-peers",
    )
    try:
        urls = [line.strip() for line in lines if line.startswith("turn")]
        assert [u.split("?")[1] for u in urls] == [
            "transport=udp", "transport=tcp", "transport=tcp", "transport=udp"
        ]
        assert urls[0].startswith("turn:127.0.0.1:") and urls[2].startswith("turns:127.0.0.1:")
        ready = next(line for line in lines if line.startswith("TURN server ready"))
        # It says how long start-up took (benchmarks/turn_startup.py times it).
        assert re.fullmatch(r"TURN server ready in \d+(\.\d+)? ms\s*", ready), ready
        port = int(re.findall(r":(\d+)\?", urls[0])[0])
        reply = await binding(port)
        assert reply.message_class is MessageClass.SUCCESS
        process.send_signal(signum)
        output, _ = await asyncio.wait_for(process.communicate(), 10.0)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    assert b"TURN server closed" in output


def test_argument_errors() -> None:
    parser = build_parser()
    args = parser.parse_args(["turn-server", "--tls-port", "5349", "--user", "a:b"])
    with pytest.raises(SystemExit, match="--cert"):
        args.func(args)
    args = parser.parse_args(["turn-server"])
    with pytest.raises(SystemExit, match="--user"):
        args.func(args)
    with pytest.raises(SystemExit):
        parser.parse_args(["turn-server", "--user", "no-colon"])
    args = parser.parse_args(
        ["turn-server", "--user", "a:b:c", "--user", "d:e", "--quota", "3",
         "--lifetime-max", "1200", "--min-port", "50000", "--max-port", "50100"]
    )
    assert args.user == [("a", "b:c"), ("d", "e")] and args.quota == 3
    assert args.lifetime_max == 1200 and (args.min_port, args.max_port) == (50000, 50100)
