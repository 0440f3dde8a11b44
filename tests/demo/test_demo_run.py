"""``rtcpeer demo`` for real: in-process, as a subprocess (piped: plain lines),
with --json, with --turn coturn, and a run that loses a message (it must fail)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest

import rtcpeer.testing.coturn
from rtcpeer import RTCPeerConnection
from rtcpeer.cli import main
from rtcpeer.demo import DemoOptions, Recorder, render_summary, run_demo

# Away from the CLI's default ranges (31000-31199), so runs never meet.
PORTS = {"A": (31600, 31699), "B": (31700, 31799)}
TIMELINE_LINE = re.compile(r"^ +\d+\.\d{3}s  \S")


async def test_in_process_run_moves_from_a_to_b_losing_nothing() -> None:
    recorder = Recorder()
    summary = await run_demo(DemoOptions(duration=1.5, relay_ports=PORTS), recorder)
    assert summary.ok, render_summary(summary)
    assert summary.moved
    assert summary.sent >= 200  # 1.5 s at one message per 5 ms, give or take scheduling
    assert summary.received == summary.sent
    assert (summary.lost, summary.duplicates, summary.out_of_order) == (0, 0, 0)
    assert summary.restart_ms is not None and 0 < summary.restart_ms < 5000
    assert summary.connect_ms is not None and summary.connect_ms > 0
    for side in ("caller", "callee"):
        before, after = summary.before[side], summary.after[side]
        assert before is not None and after is not None
        assert before.local.candidate_type == after.local.candidate_type == "relay"
        assert PORTS["A"][0] <= before.local.port <= PORTS["A"][1]
        assert PORTS["B"][0] <= after.local.port <= PORTS["B"][1]
        assert (before.remote.region, after.remote.region) == ("A", "B")
    kinds = {entry.kind for entry in recorder.entries}
    assert {"region", "signalling", "gathering", "candidate", "check", "ice", "pair"} <= kinds
    assert {"restart", "rate", "channel", "done"} <= kinds
    checks = [entry.text for entry in recorder.entries if entry.kind == "check"]
    assert any("(region B): succeeded (nominated)" in text for text in checks), checks
    # The timeline shows the pairs moving: region A first, region B after the restart.
    pairs = [entry.text for entry in recorder.entries if entry.kind == "pair"]
    assert all("(region A)" in text for text in pairs[:2])
    assert all("(region B)" in text for text in pairs[-2:])
    assert [entry.at for entry in recorder.entries] == sorted(e.at for e in recorder.entries)
    assert recorder.snapshots and recorder.snapshots[-1].phase == "done"
    assert recorder.closed


class LossyPeer(RTCPeerConnection):
    """Drops message "10" before it reaches the data channel."""

    def createDataChannel(self, label: str, *args: Any, **options: Any) -> Any:
        channel: Any = super().createDataChannel(label, *args, **options)
        send = channel.send

        def lossy_send(data: Any) -> None:
            if data != "10":
                send(data)

        channel.send = lossy_send
        return channel


async def test_a_lost_message_fails_the_run() -> None:
    summary = await run_demo(
        DemoOptions(duration=0.8, relay_ports=PORTS, drain_timeout=0.5),
        Recorder(),
        peer_factory=LossyPeer,
    )
    assert summary.moved
    assert summary.lost == 1
    assert not summary.ok
    assert "FAILED: messages were lost" in render_summary(summary)


def run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rtcpeer", "demo", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_piped_command_prints_plain_lines_and_a_summary() -> None:
    done = run_cli("--duration", "1.5")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "\x1b" not in out  # no escape codes on a pipe
    timeline, _, summary = out.partition("\nSummary (embedded TURN")
    lines = timeline.strip("\n").splitlines()
    assert len(lines) > 20
    assert all(TIMELINE_LINE.match(line) for line in lines), lines
    assert re.search(r"messages: (\d+) sent, \1 received, 0 lost, 0 duplicates", summary)
    for side in ("caller", "callee"):
        assert re.search(
            rf"{side} relay: relay 127\.0\.0\.1:310\d\d \(region A, udp to TURN\) -> "
            rf"relay 127\.0\.0\.1:311\d\d \(region B, udp to TURN\)",
            summary,
        ), summary
    assert "OK: the session moved from region A to region B with no message lost" in summary


def test_json_summary_on_stdout_timeline_on_stderr() -> None:
    done = run_cli("--duration", "1", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)
    assert data["ok"] is True and data["moved"] is True and data["turn"] == "embedded"
    assert data["messages"]["lost"] == 0
    assert data["messages"]["received"] == data["messages"]["sent"] > 100
    for side in ("caller", "callee"):
        assert data["relays_before"][side]["local"]["region"] == "A"
        assert data["relays_after"][side]["local"]["region"] == "B"
    assert data["restart_ms"] > 0
    assert "selected pair: relay" in done.stderr


def test_coturn_regions() -> None:
    done = run_cli("--turn", "coturn", "--duration", "1", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)
    assert data["ok"] is True and data["turn"] == "coturn"
    assert data["messages"]["lost"] == 0
    assert data["relays_after"]["caller"]["local"]["region"] == "B"
    assert "coturn TURN server" in done.stderr
    for region in data["regions"].values():  # both coturn processes were stopped
        with pytest.raises(ProcessLookupError):
            os.kill(region["pid"], 0)


def test_coturn_missing_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(rtcpeer.testing.coturn, "TURNSERVER", "/nonexistent/turnserver")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["demo", "--turn", "coturn", "--quiet"]) == 2
    assert "apt-get install coturn" in capsys.readouterr().err
