"""``rtcpeer turn-server`` and ``python -m rtcpeer.turn.server`` as processes:
they print their URLs, serve, and close cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import functools
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from rtcpeer.cli import build_parser, main
from rtcpeer.stun import MessageClass, Method, StunMessage, decode_message
from rtcpeer.testing.pki import make_certificates
from rtcpeer.turn.server.command import build
from rtcpeer.version import __version__


async def start(*args: str) -> tuple[asyncio.subprocess.Process, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
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
        *command,
        "--port",
        "0",
        "--tls-port",
        "0",
        "--self-signed",
        "--user",
        "u:p",
        "--auth-secret",
        "s",
        "--allow-loopback-peers",
    )
    try:
        urls = [line.strip() for line in lines if line.startswith("turn")]
        assert [u.split("?")[1] for u in urls] == [
            "transport=udp",
            "transport=tcp",
            "transport=tcp",
            "transport=udp",
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
        [
            "turn-server",
            "--user",
            "a:b:c",
            "--user",
            "d:e",
            "--quota",
            "3",
            "--lifetime-max",
            "1200",
            "--min-port",
            "50000",
            "--max-port",
            "50100",
        ]
    )
    assert args.user == [("a", "b:c"), ("d", "e")] and args.quota == 3
    assert args.lifetime_max == 1200 and (args.min_port, args.max_port) == (50000, 50100)


def test_self_signed_certifies_every_cert_name(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        ["turn-server", "--user", "a:b", "--tls-port", "0", "--self-signed",
         "--cert-name", "TURN.Example.test.", "--cert-name", "192.0.2.7",
         "--cert-name", "[2001:db8::1]", "--cert-name", "localhost"]
    )  # fmt: skip
    server = build(args, tmp_path)
    assert server.settings.cert is not None
    cert = x509.load_pem_x509_certificate(server.settings.cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["turn.example.test", "localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == [
        "192.0.2.7",
        "2001:db8::1",
        "127.0.0.1",
        "::1",
    ]
    assert cert.subject.rfc4514_string() == "CN=turn.example.test"


def test_cert_name_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["turn-server", "--cert-name", "not a name!"])
    assert caught.value.code == 2
    assert "expected a DNS name or an IP address" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["turn-server", "--user", "a:b", "--cert-name", "turn.example.test"])
    assert caught.value.code == 2
    assert capsys.readouterr().err == "turn-server: --cert-name needs --self-signed\n"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_unusable_cert_or_key_is_one_line_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_certificates(tmp_path / "good")
    other = make_certificates(tmp_path / "other")
    garbage = _write(tmp_path / "garbage.pem", b"not PEM at all\n")
    encrypted = _write(
        tmp_path / "encrypted.key",
        serialization.load_pem_private_key(good.key.read_bytes(), None).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        ),
    )
    missing = tmp_path / "missing.pem"
    cases = [
        (missing, good.key, f"cannot read --cert {missing}: No such file or directory"),
        (good.cert, missing, f"cannot read --key {missing}: No such file or directory"),
        (tmp_path, good.key, f"cannot read --cert {tmp_path}: Is a directory"),
        (garbage, good.key, f"--cert {garbage} holds no PEM certificate"),
        (good.key, good.key, f"--cert {good.key} holds no PEM certificate"),
        (good.cert, garbage, f"--key {garbage} holds no PEM private key"),
        (good.cert, good.cert, f"--key {good.cert} holds no PEM private key"),
        (good.cert, encrypted, f"--key {encrypted} is encrypted"),
        (good.cert, other.key, f"--key {other.key} is not the key of the certificate"),
    ]
    for cert, key, message in cases:
        with pytest.raises(SystemExit) as caught:
            main(["turn-server", "--user", "a:b", "--port", "0", "--tls-port", "0",
                  "--cert", str(cert), "--key", str(key)])  # fmt: skip
        assert caught.value.code == 2, message
        err = capsys.readouterr().err
        assert err.startswith(f"turn-server: {message}") and err.count("\n") == 1, err


def test_module_entry_point_is_the_command_without_the_cli_package() -> None:
    """``python -m rtcpeer.turn.server --help`` prints what ``rtcpeer turn-server
    --help`` prints, and imports nothing from rtcpeer.cli (the layer above)."""
    run = functools.partial(subprocess.run, capture_output=True, text=True, timeout=30)
    module = run([sys.executable, "-X", "importtime", "-m", "rtcpeer.turn.server", "--help"])
    command = run([sys.executable, "-m", "rtcpeer", "turn-server", "--help"])
    assert module.returncode == command.returncode == 0
    assert module.stdout == command.stdout
    assert module.stdout.startswith("usage: rtcpeer turn-server [-h] [--version] [--listen LISTEN]")
    imported = [line.rsplit("|", 1)[-1].strip() for line in module.stderr.splitlines()]
    assert "rtcpeer.turn.server.command" in imported
    assert [name for name in imported if name.startswith("rtcpeer.cli")] == []


@pytest.mark.parametrize(
    "command",
    [["-m", "rtcpeer.turn.server", "--version"], ["-m", "rtcpeer", "turn-server", "--version"]],
)
def test_version_is_printed_by_the_module_and_the_subcommand(command: list[str]) -> None:
    """``--version`` works where a TURN server's operator types it (both spellings)."""
    done = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"rtcpeer {__version__}\n", "")
