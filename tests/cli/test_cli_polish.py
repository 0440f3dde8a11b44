"""CLI polish (issue 18, outcome 6): every problem in one run, no credential
printed, a closed stdout ends quietly, --help as plain text with defaults."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rtcpeer.cli import build_parser, main

SECRET = "s3cret-turn-password"


def _check(capsys: pytest.CaptureFixture[str], config: object, *flags: str) -> tuple[int, str]:
    code = main(["check-config", json.dumps(config), *flags])
    return code, capsys.readouterr().out


def test_every_problem_in_one_run(capsys: pytest.CaptureFixture[str]) -> None:
    config = {
        "iceCandidatePoolSize": 300,
        "iceServers": [
            {"url": "stun:legacy.example"},
            {"urls": "stun:ok.example"},
            {"urls": "stun:bad.example/path"},
            {"urls": "turn:t.example", "username": "u", "credential": 7},
        ],
        "iceTransportPolicy": "none",
    }
    code, out = _check(capsys, config, "--json")
    assert code == 1
    problems = json.loads(out)["problems"]
    assert [(p["error"], p["where"]) for p in problems] == [
        ("TypeError", "iceCandidatePoolSize"),
        ("TypeError", "iceServers[0].urls"),
        ("TypeError", "iceServers[3].credential"),
        ("TypeError", "iceTransportPolicy"),
        ("SyntaxError", "iceServers[2].urls[0]"),
    ]
    assert "the member is 'urls'" in problems[1]["message"]
    # The first problem is the one the constructor raises.
    from rtcpeer import RTCPeerConnection

    with pytest.raises(TypeError) as info:
        RTCPeerConnection(config)
    assert str(info.value) == problems[0]["message"]


def test_no_credential_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    good = {"iceServers": [{"urls": "turn:t.example", "username": "u", "credential": SECRET}]}
    for flags in ((), ("--json",)):
        code, out = _check(capsys, good, *flags)
        assert code == 0 and SECRET not in out and "(redacted)" in out
    bad = {
        "iceServers": [
            {"urls": "turn:t.example/x", "username": "u", "credential": SECRET},
            {"urls": "turn:t.example", "username": "u", "credential": SECRET + "\u0000"},
        ]
    }
    code, out = _check(capsys, bad, "--json")
    assert code == 1 and SECRET not in out


def test_a_closed_stdout_ends_quietly() -> None:
    config = json.dumps({"iceServers": [{"urls": f"stun:s{i}.example"} for i in range(4000)]})
    reader = subprocess.Popen(
        [sys.executable, "-m", "rtcpeer", "check-config", config],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.read(10)
    reader.stdout.close()  # what `| head -c 10` does
    stderr = reader.stderr.read().decode()
    assert reader.wait(timeout=60) in (0, 141)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


@pytest.mark.parametrize("command", ["check-config", "ice-check", "demo"])
def test_help_is_plain_text_with_defaults(capsys: pytest.CaptureFixture[str], command: str) -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args([command, "--help"])
    text = capsys.readouterr().out
    assert "``" not in text and ":func:" not in text and ":meth:" not in text
    if command != "check-config":
        assert "(default:" in text
