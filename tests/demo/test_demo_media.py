"""``rtcpeer demo --media``: synthetic video and audio both ways across the region move.

The numbered video frames, the frame log and the summary lines as units; a
real run in-process (every frame and packet arrives, media keeps arriving
after the move); the CLI with --json; and a run that loses one video frame
per direction, which must fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from rtcpeer import RTCPeerConnection
from rtcpeer.demo import DemoOptions, DemoSummary, Recorder, render_summary, run_demo
from rtcpeer.demo.media import FrameLog, MediaFlow, NumberedVideoTrack, frame_number, numbered_frame

# Away from the CLI's default ranges and from test_demo_run's.
PORTS = {"A": (31800, 31899), "B": (31900, 31999)}


def test_frame_numbers_survive_a_colour_round_trip() -> None:
    for number in (0, 1, 0x5A5A, 0xFFFF, 0x10001):
        frame = numbered_frame(number)
        assert (frame.width, frame.height) == (320, 240)
        # Through RGB and back, as an encoder's colour conversion would.
        again = frame.reformat(format="rgb24").reformat(format="yuv420p")
        assert frame_number(again) == number % 0x10000
    assert frame_number(numbered_frame(7).reformat(width=64, height=48)) is None


def test_frame_log_counts_gaps_duplicates_and_losses() -> None:
    log = FrameLog()
    for number, at in ((0, 1.000), (1, 1.033), (3, 1.250), (3, 1.260), (4, 1.283)):
        log.note(at, number)
    assert (log.received, log.duplicates, log.highest) == (4, 1, 4)
    assert abs(log.longest_gap - 0.217) < 1e-9 and log.longest_gap_end == 1.250
    assert log.received_below(4) == 3  # frame 2 never came
    assert log.frames_since(1.283) and not log.frames_since(1.3)


def test_media_lines_in_the_summary() -> None:
    flow = MediaFlow(
        "caller -> callee",
        video_sent=90,
        video_received=89,
        video_longest_gap_ms=120,
        video_longest_gap_at=1.5,
        audio_packets_sent=150,
        audio_packets_received=150,
        video_after_move=True,
        audio_after_move=True,
    )
    summary = DemoSummary(turn="embedded", regions={}, media=[flow])
    text = render_summary(summary)
    assert "video caller -> callee: 90 frames sent, 89 received, 1 lost; " in text
    assert "longest frame gap 120 ms (ending at 1.50s)" in text
    assert "audio caller -> callee: 150 RTP packets sent, 150 received, 0 lost" in text
    assert "media frames or packets were lost" in text
    assert not summary.media_ok
    assert summary.to_json()["media"][0]["video"]["frames_lost"] == 1


async def test_media_run_loses_no_frame_across_the_move() -> None:
    recorder = Recorder()
    summary = await run_demo(DemoOptions(duration=2.5, relay_ports=PORTS, media=True), recorder)
    assert summary.ok, render_summary(summary)
    assert summary.moved and summary.lost == 0
    assert summary.media is not None
    assert [flow.direction for flow in summary.media] == ["caller -> callee", "callee -> caller"]
    for flow in summary.media:
        assert flow.video_sent >= 50, flow  # 2.5 s at 30 fps, give or take scheduling
        assert flow.video_received == flow.video_sent
        assert flow.audio_packets_sent >= 80, flow  # one packet per 20 ms
        assert flow.audio_packets_received == flow.audio_packets_sent
        assert flow.video_after_move and flow.audio_after_move
        assert 0 < flow.video_longest_gap_ms < 1000, flow
    media = [entry.text for entry in recorder.entries if entry.kind == "media"]
    assert media.count("first video frame decoded (320x240)") == 2, media
    assert media.count("track event: audio from the other peer") == 2, media
    assert any("frames" in snapshot_line for snapshot_line in _video_progress(recorder))


def _video_progress(recorder: Recorder) -> list[str]:
    return [
        f"{side} {got} of {sent} frames"
        for snapshot in recorder.snapshots
        for side, sent, got in snapshot.video
        if got > 0
    ]


class FrameDroppingPeer(RTCPeerConnection):
    """Its numbered video track skips frame 20: counted as sent, never encoded."""

    def addTrack(self, track: Any, *streams: object) -> Any:
        if isinstance(track, NumberedVideoTrack):
            recv = track.recv

            async def dropping_recv() -> Any:
                frame = await recv()
                if track.sent == 21:  # frame 20 was just made: throw it away
                    frame = await recv()
                return frame

            track.recv = dropping_recv  # type: ignore[method-assign]
        return super().addTrack(track, *streams)


async def test_a_lost_video_frame_fails_the_run() -> None:
    summary = await run_demo(
        DemoOptions(duration=1.5, relay_ports=PORTS, media=True, drain_timeout=2.0),
        Recorder(),
        peer_factory=FrameDroppingPeer,
    )
    assert summary.moved and summary.lost == 0
    assert summary.media is not None
    assert [flow.video_lost for flow in summary.media] == [1, 1]
    assert not summary.ok
    assert "media frames or packets were lost" in render_summary(summary)


def test_cli_media_json() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rtcpeer", "demo", "--media", "--duration", "2", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)
    assert data["ok"] is True and data["moved"] is True
    assert [flow["direction"] for flow in data["media"]] == ["caller -> callee", "callee -> caller"]
    for flow in data["media"]:
        assert flow["ok"] is True
        assert flow["video"]["frames_lost"] == 0 and flow["video"]["frames_sent"] >= 40
        assert flow["video"]["longest_gap_ms"] > 0
        assert flow["audio"]["packets_lost"] == 0 and flow["audio"]["packets_sent"] >= 60
    assert "first video frame decoded" in done.stderr


def test_plain_demo_has_no_media() -> None:
    """Without --media the summary has no media entries and needs none to pass."""
    summary = DemoSummary(turn="embedded", regions={})
    assert summary.media is None and summary.media_ok
    assert "media" not in summary.to_json()
    assert "video" not in render_summary(summary)
