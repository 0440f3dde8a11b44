"""``rtcpeer check-config``: exit codes, all bad URLs reported, JSON output."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from rtcpeer.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "configs"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check-config", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_valid_inline_prints_normalised(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, '{"iceServers": [{"urls": "stun:stun.example.org"}], "x": 1}')
    assert code == 0
    assert json.loads(out) == {
        "iceServers": [{"urls": "stun:stun.example.org"}],
        "iceTransportPolicy": "all",
        "bundlePolicy": "balanced",
        "rtcpMuxPolicy": "require",
        "certificates": [],
        "iceCandidatePoolSize": 0,
    }


def test_valid_file_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json", str(EXAMPLES / "valid.json"))
    assert code == 0
    report = json.loads(out)
    assert report["valid"] is True
    assert report["configuration"]["iceTransportPolicy"] == "relay"
    assert [
        (u["scheme"], u["port"], u["transport"], u["secure"]) for u in report["iceServerUrls"]
    ] == [
        ("stun", 3478, "udp", False),
        ("turn", 3478, "udp", False),
        ("turns", 443, "tcp", True),
    ]


def test_every_bad_url_reported(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(EXAMPLES / "invalid.json"))
    assert code == 1
    assert "iceServers[0].urls[0] 'stun:stun.example.org?transport=udp': SyntaxError" in out
    assert "iceServers[0].urls[1] 'turn:turn.example.org/path': SyntaxError" in out
    assert "iceServers[0].urls[2] 'turn:turn.example.org:65536': SyntaxError" in out
    assert "iceServers[1].urls[0] 'turn:turn.example.net': InvalidAccessError" in out


def test_json_problems(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json", str(EXAMPLES / "invalid.json"))
    assert code == 1
    report = json.loads(out)
    assert report["valid"] is False
    assert [p["error"] for p in report["problems"]] == [
        "SyntaxError",
        "SyntaxError",
        "SyntaxError",
        "InvalidAccessError",
    ]
    assert report["problems"][3]["url"] == "turn:turn.example.net"
    assert report["problems"][3]["where"] == "iceServers[1].urls[0]"


@pytest.mark.parametrize(
    ("config", "error", "where"),
    [
        ('{"iceTransportPolicy": "none"}', "TypeError", "iceTransportPolicy"),
        ('{"iceCandidatePoolSize": 256}', "TypeError", "iceCandidatePoolSize"),
        ('{"iceServers": [{}]}', "TypeError", "iceServers[0].urls"),
        ('{"certificates": [{"pem": "x"}]}', "TypeError", "certificates[0]"),
        ('{"iceServers": [{"urls": []}]}', "SyntaxError", "iceServers[0].urls"),
    ],
)
def test_single_problems(
    capsys: pytest.CaptureFixture[str], config: str, error: str, where: str
) -> None:
    code, out, _ = run(capsys, "--json", config)
    assert code == 1
    (problem,) = json.loads(out)["problems"]
    assert (problem["error"], problem["where"]) == (error, where)


def test_not_an_object(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    code, out, _ = run(capsys, str(path))
    assert code == 1
    assert "TypeError" in out


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('{"bundlePolicy": "max-bundle"}'))
    code, out, _ = run(capsys, "-")
    assert code == 0
    assert json.loads(out)["bundlePolicy"] == "max-bundle"


@pytest.mark.parametrize("argv", [["missing.json"], ["{not json"], ["--json", "{not json"]])
def test_unreadable(
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 2
    if "--json" in argv:
        assert json.loads(out)["readable"] is False
    else:
        assert "check-config" in err


def test_too_many_servers_noted(capsys: pytest.CaptureFixture[str]) -> None:
    servers = [{"urls": f"stun:s{i}.example"} for i in range(40)]
    code, _, err = run(capsys, json.dumps({"iceServers": servers}))
    assert code == 0
    assert "8 more are ignored" in err
