"""``rtcpeer ice-check``: validation, the per-URL report, JSON, exit codes, and real
gathering/relaying through our embedded TURN server on loopback (UDP, TCP, TLS,
DTLS), including one run of the real command in a subprocess."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from rtcpeer import spki_pin
from rtcpeer.cli import main
from rtcpeer.cli.ice_check_report import (
    ConnectResult,
    FoundCandidate,
    UrlError,
    UrlResult,
    render_text,
)
from rtcpeer.configuration import IceServerUrl, RTCIceServer, validate_ice_server_url
from rtcpeer.ice import Candidate
from rtcpeer.ice.events import CandidateError
from rtcpeer.ice.runtime import IceTransport
from rtcpeer.testing.pki import CertificateFiles, make_certificates
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "configs"
ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "user", "pass"
#: Longest any single command run may take here (they take well under a second).
RUN_LIMIT = 20.0


# -- helpers -----------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``rtcpeer ice-check ARGV`` in this process (from a sync test)."""
    code = main(["ice-check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


async def run_cli_async(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The same from an async test: the command runs its own event loop in a thread,
    while this loop keeps serving the in-process TURN server."""
    code = await asyncio.wait_for(asyncio.to_thread(main, ["ice-check", *argv]), RUN_LIMIT)
    out, err = capsys.readouterr()
    return code, out, err


def config(*servers: dict[str, Any]) -> str:
    return json.dumps({"iceServers": list(servers)})


def turn(*urls: str, password: str = PASSWORD) -> dict[str, Any]:
    return {"urls": list(urls), "username": USER, "credential": password}


def url_of(server: TurnServer, transport: str) -> str:
    scheme, query, listener = {
        "udp": ("turn", "", "udp"),
        "tcp": ("turn", "?transport=tcp", "tcp"),
        "tls": ("turns", "", "tls"),
        "dtls": ("turns", "?transport=udp", "dtls"),
    }[transport]
    host, port = server.addresses[listener]
    return f"{scheme}:{host}:{port}{query}"


def header(out: str, url: str) -> str:
    """The report line that starts the section of ``url``."""
    (line,) = [line for line in out.splitlines() if line.startswith(url + " ")]
    return line


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(Path(tmp_path_factory.mktemp("ice-check-certs")))


@pytest.fixture
async def server(certificates: CertificateFiles) -> AsyncIterator[TurnServer]:
    """Our TURN server in this process: UDP, TCP, TLS and DTLS on free loopback ports."""
    turn_server = TurnServer(
        TurnServerConfig(realm="example.test", users={USER: PASSWORD}, allow_loopback_peers=True),
        ListenSettings(
            host="127.0.0.1",
            port=0,
            tls_port=0,
            cert=Path(certificates.cert),
            key=Path(certificates.key),
        ),
    )
    await turn_server.start()
    try:
        yield turn_server
    finally:
        await turn_server.close()


async def wait_for_no_allocations(server: TurnServer) -> None:
    async def poll() -> None:
        while server.relay_count:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), 5)


# -- validation and input ------------------------------------------------------------------


def test_invalid_configuration_exits_1_with_domexception_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(capsys, str(EXAMPLES / "invalid.json"))
    assert code == 1
    assert "iceServers[0].urls[0] 'stun:stun.example.org?transport=udp': SyntaxError" in out
    assert "iceServers[1].urls[0] 'turn:turn.example.net': InvalidAccessError" in out


def test_invalid_configuration_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "--json", config({"urls": "turn:127.0.0.1"}, {"urls": "stun:x?transport=tcp"})
    )
    assert code == 1
    report = json.loads(out)
    assert report["valid"] is False
    assert [(p["error"], p["where"]) for p in report["problems"]] == [
        ("InvalidAccessError", "iceServers[0].urls[0]"),
        ("SyntaxError", "iceServers[1].urls[0]"),
    ]


def test_type_error_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, '{"iceTransportPolicy": "none"}')
    assert code == 1
    assert "TypeError" in out


def test_unreadable_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, str(tmp_path / "missing.json"))
    assert code == 2
    assert "rtcpeer ice-check: cannot read" in err


def test_no_servers_is_nothing_to_check(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, '{"iceServers": []}')
    assert (code, out.strip()) == (0, "no ICE server URLs to check")


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["ice-check", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for line in ("0  every URL passed", "1  the configuration is invalid", "3  at least one URL"):
        assert line in text
    for option in ("--json", "--connect", "--timeout", "--cafile"):
        assert option in text


def test_timeout_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["ice-check", "--timeout", "0", "{}"])
    assert exit_info.value.code == 2
    assert "must be greater than 0" in capsys.readouterr().err


# -- rendering, on hand-made results -------------------------------------------------------


def _url(text: str) -> IceServerUrl:
    return validate_ice_server_url(text, RTCIceServer(urls=[text], username="u", credential="p"))


def test_table_columns_are_aligned_across_urls() -> None:
    first = UrlResult(
        _url("turn:turn.example.org"),
        where="iceServers[0].urls[0]",
        candidates=[
            FoundCandidate("srflx", "udp", "203.0.113.7", 40000, None, 0.004),
            FoundCandidate("relay", "udp", "198.51.100.20", 50123, "udp", 0.0213),
        ],
        first_candidate=0.004,
        gathering_time=0.03,
        connect=ConnectResult(True, 0.05, 0.0021, "198.51.100.20:50123", "198.51.100.20:50999"),
    )
    second = UrlResult(
        _url("turns:turn.example.org:443?transport=tcp"),
        candidates=[FoundCandidate("relay", "udp", "2001:db8::1", 3, "tls", 0.25)],
        first_candidate=0.25,
        gathering_time=0.25,
    )
    third = UrlResult(
        _url("turn:other.example:3478"),
        errors=[UrlError(401, "Unauthorized", "192.0.2.1", 5000)],
        gathering_time=0.02,
    )
    text = render_text([first, second, third])
    lines = text.splitlines()
    rows = [line for line in lines if line.startswith("    ") and "udp  " in line]
    assert len(rows) == 3
    # Every column starts at the same offset in every row (and in the header).
    header_line = next(line for line in lines if line.strip().startswith("TYPE"))
    for column in ("PROTO", "ADDRESS", "RELAY", "AFTER"):
        offset = header_line.index(column)
        assert all(row[offset - 2 : offset] == "  " and row[offset] != " " for row in rows)
    assert "[2001:db8::1]:3" in text
    assert "round trip 2.1 ms" in text
    assert "error 401: Unauthorized (local 192.0.2.1:5000)" in text
    # URLs are padded to one width, so the statuses line up too.
    statuses = [line for line in lines if line.startswith(("turn:", "turns:"))]
    assert len({line.index(" ok " if " ok " in line else " FAIL ") for line in statuses}) == 1
    assert lines[-1] == "3 URL(s) checked: 2 ok, 1 failed"


def test_a_turn_url_without_relay_candidate_fails() -> None:
    result = UrlResult(
        _url("turn:turn.example.org"),
        candidates=[FoundCandidate("srflx", "udp", "203.0.113.7", 40000)],
        gathering_time=0.1,
    )
    assert not result.ok
    assert "error: no relay candidate" in render_text([result])


# -- a fake transport: the runner's logic without a network --------------------------------


class ScriptedTransport(IceTransport):
    """Emits scripted candidates and errors from gather(); never opens a socket."""

    script: Sequence[Candidate | CandidateError] = ()
    complete = True

    async def gather(self) -> None:
        await asyncio.sleep(0)
        for item in self.script:
            if isinstance(item, CandidateError):
                self.emit("icecandidateerror", item)
            else:
                self.emit("icecandidate", item)
        if self.complete:
            self.emit("icecandidate", None)

    async def close(self) -> None:
        pass


def _candidate(kind: str, port: int) -> Candidate:
    return Candidate("1", 1, "udp", 1, "192.0.2.9", port, kind)


def _run_with(
    capsys: pytest.CaptureFixture[str], transport: type[ScriptedTransport], *argv: str
) -> tuple[int, str]:
    from rtcpeer.cli import build_parser
    from rtcpeer.cli.ice_check import run

    args = build_parser().parse_args(["ice-check", *argv])
    code = run(args, factory=transport)
    return code, capsys.readouterr().out


def test_fake_transport_candidates_and_errors_are_reported(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Transport(ScriptedTransport):
        script = (
            _candidate("host", 1),
            _candidate("srflx", 2),
            _candidate("relay", 3),
            CandidateError("turn:t.example", "192.0.2.9", 9, 486, "Allocation Quota Reached"),
        )

    code, out = _run_with(capsys, Transport, "--json", config(turn("turn:t.example")))
    assert code == 3
    (entry,) = json.loads(out)["urls"]
    assert [(c["type"], c["port"], c["relayProtocol"]) for c in entry["candidates"]] == [
        ("srflx", 2, None),
        ("relay", 3, "udp"),  # relay protocol of a turn: URL without ?transport
    ]
    assert entry["errors"] == [
        {
            "errorCode": 486,
            "errorText": "Allocation Quota Reached",
            "address": "192.0.2.9",
            "port": 9,
        }
    ]
    assert entry["ok"] is False


def test_fake_transport_gathering_that_never_ends_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Transport(ScriptedTransport):
        script = (_candidate("relay", 3),)
        complete = False

    code, out = _run_with(capsys, Transport, "--timeout", "0.05", config(turn("turn:t.example")))
    assert code == 3
    assert "gathering unfinished" in header(out, "turn:t.example")
    assert "error: gathering did not complete in time" in out


# -- real gathering against our TURN server ------------------------------------------------


async def test_turn_udp_and_tcp_give_relay_candidates_and_exit_0(
    capsys: pytest.CaptureFixture[str], server: TurnServer
) -> None:
    udp, tcp = url_of(server, "udp"), url_of(server, "tcp")
    code, out, _ = await run_cli_async(capsys, config(turn(udp, tcp)))
    assert code == 0, out
    for url, protocol in ((udp, "udp"), (tcp, "tcp")):
        assert re.match(rf"{re.escape(url)} +ok +first candidate \d", header(out, url))
        section = out.split(header(out, url), 1)[1]
        assert re.search(rf"relay +udp +127\.0\.0\.1:\d+ +{protocol} ", section)
    assert out.splitlines()[-1] == "2 URL(s) checked: 2 ok, 0 failed"
    await wait_for_no_allocations(server)


async def test_turns_over_tls_and_dtls_verified_with_cafile(
    capsys: pytest.CaptureFixture[str], server: TurnServer, certificates: CertificateFiles
) -> None:
    tls, dtls = url_of(server, "tls"), url_of(server, "dtls")
    dtls_by_name = dtls.replace("127.0.0.1", "localhost")  # verified by name, not only IP
    code, out, _ = await run_cli_async(
        capsys, "--json", "--cafile", str(certificates.ca), config(turn(tls, dtls_by_name))
    )
    assert code == 0, out
    entries = json.loads(out)["urls"]
    assert [(e["url"], e["ok"]) for e in entries] == [(tls, True), (dtls_by_name, True)]
    assert [[c["relayProtocol"] for c in e["candidates"]] for e in entries] == [["tls"], ["dtls"]]


async def test_turns_over_tls_and_dtls_accepted_by_spki_pin(
    capsys: pytest.CaptureFixture[str], server: TurnServer, certificates: CertificateFiles
) -> None:
    tls, dtls = url_of(server, "tls"), url_of(server, "dtls")
    pin = spki_pin(x509.load_pem_x509_certificate(certificates.cert.read_bytes()))
    other = base64.b64encode(bytes(32)).decode()
    code, out, _ = await run_cli_async(
        capsys, "--json", "--spki-pin", other, "--spki-pin", f"sha256/{pin}",
        config(turn(tls, dtls)),
    )  # fmt: skip
    assert code == 0, out
    entries = json.loads(out)["urls"]
    assert [(e["url"], e["ok"]) for e in entries] == [(tls, True), (dtls, True)]
    # A pin of another key, and no CA: refused, with the hint.
    code, out, _ = await run_cli_async(capsys, "--json", "--spki-pin", other, config(turn(tls)))
    assert code == 3
    (entry,) = json.loads(out)["urls"]
    assert [e["errorCode"] for e in entry["errors"]] == [701]
    assert any("--spki-pin" in note for note in entry["notes"]), entry


def test_a_malformed_spki_pin_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        run_cli(capsys, "--spki-pin", "not base64!", config())
    assert caught.value.code == 2
    assert "--spki-pin: SPKI pin 'not base64!' is not base64" in capsys.readouterr().err


async def test_turns_without_the_ca_is_a_701(
    capsys: pytest.CaptureFixture[str], server: TurnServer
) -> None:
    tls = url_of(server, "tls")
    code, out, _ = await run_cli_async(capsys, "--json", config(turn(tls)))
    assert code == 3
    (entry,) = json.loads(out)["urls"]
    assert [e["errorCode"] for e in entry["errors"]] == [701]
    assert entry["candidates"] == []
    assert any("--cafile" in note for note in entry["notes"]), entry


async def test_wrong_password_is_401_and_exit_3(
    capsys: pytest.CaptureFixture[str], server: TurnServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # progress is for a terminal
    good, bad = url_of(server, "udp"), url_of(server, "tcp")
    code, out, err = await run_cli_async(capsys, config(turn(good), turn(bad, password="wrong")))
    assert code == 3
    # Progress: a line per URL as its gathering ends, before the table.
    assert f"  {good}: 1 candidate(s)" in err
    assert re.search(rf"  {re.escape(bad)}: 0 candidate\(s\), error 401 ", err)
    assert " ok " in header(out, good)
    assert " FAIL " in header(out, bad) and "(iceServers[1].urls[0])" in header(out, bad)
    section = out.split(header(out, bad), 1)[1]
    assert re.search(r"error 401: \S.* \(local 127\.0\.0\.1:\d+\)", section)
    assert out.splitlines()[-1] == "2 URL(s) checked: 1 ok, 1 failed"


async def test_unreachable_ports_are_701(capsys: pytest.CaptureFixture[str]) -> None:
    loop = asyncio.get_running_loop()
    # A UDP socket that never answers, and a TCP port nobody listens on.
    silent, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    udp_port = silent.get_extra_info("sockname")[1]
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    tcp_port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    udp, tcp = f"turn:127.0.0.1:{udp_port}", f"turn:127.0.0.1:{tcp_port}?transport=tcp"
    stun = f"stun:127.0.0.1:{udp_port}"
    try:
        code, out, _ = await run_cli_async(
            capsys, "--json", "--timeout", "0.5", config(turn(udp, tcp), {"urls": stun})
        )
    finally:
        silent.close()
    assert code == 3
    entries = {e["url"]: e for e in json.loads(out)["urls"]}
    for url in (udp, tcp, stun):
        assert entries[url]["ok"] is False
        assert entries[url]["candidates"] == []
        assert entries[url]["errors"]
        assert {e["errorCode"] for e in entries[url]["errors"]} == {701}, entries[url]


async def test_json_has_one_entry_per_url_and_hides_credentials(
    capsys: pytest.CaptureFixture[str], server: TurnServer
) -> None:
    urls = [url_of(server, "udp"), url_of(server, "tcp")]
    stun = "stun:" + url_of(server, "udp").split(":", 1)[1]
    code, out, _ = await run_cli_async(
        capsys, "--json", config({"urls": stun}, turn(*urls), turn(urls[0]))
    )
    assert code == 0, out
    report = json.loads(out)
    assert report["valid"] is True and report["ok"] is True
    assert [(e["url"], e["where"]) for e in report["urls"]] == [
        (stun, "iceServers[0].urls[0]"),
        (urls[0], "iceServers[1].urls[0]"),
        (urls[1], "iceServers[1].urls[1]"),
        (urls[0], "iceServers[2].urls[0]"),
    ]
    # A stun: server on loopback maps us to our own address: no srflx, but an answer.
    assert report["urls"][0]["candidates"] == []
    assert re.fullmatch(r"127\.0\.0\.1:\d+", report["urls"][0]["bindingAnswer"])
    for entry in report["urls"][1:]:
        assert entry["firstCandidateMs"] > 0
        assert entry["gatheringMs"] >= entry["firstCandidateMs"]
        assert [c["type"] for c in entry["candidates"]] == ["relay"]
    assert PASSWORD not in out
    assert report["configuration"]["iceServers"][1]["credential"] == "(redacted)"


async def test_connect_proves_relaying_with_a_round_trip(
    capsys: pytest.CaptureFixture[str], server: TurnServer, certificates: CertificateFiles
) -> None:
    urls = [url_of(server, t) for t in ("udp", "tcp", "tls")]
    code, out, _ = await run_cli_async(
        capsys, "--connect", "--cafile", str(certificates.ca), config(turn(*urls))
    )
    assert code == 0, out
    connects = re.findall(
        r"connect: relayed (127\.0\.0\.1:\d+) <-> (127\.0\.0\.1:\d+), "
        r"connected in [\d.]+ ms, round trip ([\d.]+) ms",
        out,
    )
    assert len(connects) == 3, out
    for local, remote, _rtt in connects:
        assert local != remote  # two allocations: A's relay and B's relay
    await wait_for_no_allocations(server)


async def test_connect_json_and_failed_gathering_is_not_connected(
    capsys: pytest.CaptureFixture[str], server: TurnServer
) -> None:
    good, bad = url_of(server, "udp"), url_of(server, "tcp")
    code, out, _ = await run_cli_async(
        capsys, "--json", "--connect", config(turn(good), turn(bad, password="nope"))
    )
    assert code == 3
    good_entry, bad_entry = json.loads(out)["urls"]
    assert good_entry["ok"] is True
    assert good_entry["connect"]["ok"] is True and good_entry["connect"]["roundTripMs"] > 0
    assert bad_entry["connect"] is None
    assert "--connect skipped: gathering gave no relay candidate" in bad_entry["notes"]


async def test_real_command_in_a_subprocess(server: TurnServer, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    udp = url_of(server, "udp")
    path.write_text(config(turn(udp), turn(udp, password="wrong")))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rtcpeer",
        "ice-check",
        "--connect",
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), RUN_LIMIT)
    finally:
        if process.returncode is None:
            process.kill()  # only the process this test started, by its handle (PID)
            await process.wait()
    out = stdout.decode()
    assert process.returncode == 3, (out, stderr.decode())
    lines = out.splitlines()
    assert re.match(rf"{re.escape(udp)} +ok +first candidate", lines[0])
    assert "round trip" in out and "error 401:" in out
    assert "\x1b[" not in out  # a pipe gets plain text
    assert stderr == b""  # no progress line and no warnings when not on a terminal
    assert lines[-1] == "2 URL(s) checked: 1 ok, 1 failed"


def test_example_config_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "--json", str(EXAMPLES / "ice-check-local.json"), "--timeout", "0.2"
    )
    report = json.loads(out)
    assert report["valid"] is True
    assert [e["url"] for e in report["urls"]] == [
        "stun:127.0.0.1:3478",
        "turn:127.0.0.1:3478",
        "turn:127.0.0.1:3478?transport=tcp",
    ]
    assert code in (0, 3)  # 0 only if a TURN server happens to run on port 3478
