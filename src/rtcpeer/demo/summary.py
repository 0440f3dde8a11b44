"""The demo's verdict: timings, message accounting and the relays before and after.

Success means the session moved -- both peers' selected pairs were relayed
through region A before the restart and through region B after it, as
each side's RTCIceTransport reports them -- and the data channel delivered
every message exactly once, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rtcpeer.demo.media import MediaFlow
from rtcpeer.demo.paths import SelectedPath

SIDES = ("caller", "callee")


@dataclass
class DemoSummary:
    """What ``rtcpeer demo`` prints at the end (and as JSON with ``--json``)."""

    #: "embedded" or "coturn".
    turn: str
    #: Region name -> {"url": ..., "relay_ports": [low, high]}.
    regions: dict[str, dict[str, Any]]
    #: The regions the session should start on and move to.
    origin: str = "A"
    destination: str = "B"
    #: createOffer -> the data channel is open (ms).
    connect_ms: float | None = None
    #: setConfiguration + ICE restart offer -> both selected pairs on the destination (ms).
    restart_ms: float | None = None
    #: Longest time between two messages arriving, and when (seconds into the demo).
    longest_gap_ms: float = 0.0
    longest_gap_at: float | None = None
    sent: int = 0
    received: int = 0
    lost: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    #: Selected pair of each side just before the restart, and at the end.
    before: dict[str, SelectedPath | None] = field(default_factory=dict)
    after: dict[str, SelectedPath | None] = field(default_factory=dict)
    #: The origin region's relayed sockets were all released (None: cannot tell).
    origin_released: bool | None = None
    #: Problems that make the run a failure, in words.
    problems: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    #: With ``--media``: each direction's video frames and audio packets (None: no media).
    media: list[MediaFlow] | None = None

    @property
    def media_ok(self) -> bool:
        """No media asked for, or every direction delivered every frame and packet
        and kept playing after the move."""
        return self.media is None or (bool(self.media) and all(f.ok for f in self.media))

    def on(self, paths: dict[str, SelectedPath | None], region: str) -> bool:
        """Both sides' selected local candidates are relays in ``region``."""
        return all(
            (path := paths.get(side)) is not None
            and path.local.candidate_type == "relay"
            and path.local.region == region
            for side in SIDES
        )

    @property
    def moved(self) -> bool:
        return self.on(self.before, self.origin) and self.on(self.after, self.destination)

    @property
    def ok(self) -> bool:
        return (
            self.moved
            and self.sent > 0
            and self.lost == 0
            and self.duplicates == 0
            and self.out_of_order == 0
            and self.media_ok
            and not self.problems
        )

    def to_json(self) -> dict[str, Any]:
        def paths(values: dict[str, SelectedPath | None]) -> dict[str, Any]:
            return {
                side: (None if (p := values.get(side)) is None else p.to_json()) for side in SIDES
            }

        return {
            "ok": self.ok,
            "moved": self.moved,
            "turn": self.turn,
            "regions": self.regions,
            "from_region": self.origin,
            "to_region": self.destination,
            "connect_ms": _round(self.connect_ms),
            "restart_ms": _round(self.restart_ms),
            "longest_gap_ms": _round(self.longest_gap_ms),
            "longest_gap_at_s": _round(self.longest_gap_at, 3),
            "messages": {
                "sent": self.sent,
                "received": self.received,
                "lost": self.lost,
                "duplicates": self.duplicates,
                "out_of_order": self.out_of_order,
            },
            "relays_before": paths(self.before),
            "relays_after": paths(self.after),
            "origin_released": self.origin_released,
            "problems": list(self.problems),
            "elapsed_s": _round(self.elapsed_s, 3),
            **({} if self.media is None else {"media": [f.to_json() for f in self.media]}),
        }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def _relay(path: SelectedPath | None) -> str:
    if path is None:
        return "none"
    local = path.local
    region = f"region {local.region}" if local.region else "no region"
    via = f", {local.relay_protocol} to TURN" if local.relay_protocol else ""
    return f"{local.candidate_type} {local.where} ({region}{via})"


def render_summary(summary: DemoSummary) -> str:
    """The human-readable summary block."""
    gap_at = "" if summary.longest_gap_at is None else f" (ending at {summary.longest_gap_at:.2f}s)"
    lines = [
        f"Summary ({summary.turn} TURN, {summary.elapsed_s:.1f} s)",
        f"  connect (offer -> data channel open): {_ms(summary.connect_ms)}",
        f"  restart (setConfiguration -> both peers on region {summary.destination}): "
        f"{_ms(summary.restart_ms)}",
        f"  longest message gap: {_ms(summary.longest_gap_ms)}{gap_at}",
        f"  messages: {summary.sent} sent, {summary.received} received, {summary.lost} lost, "
        f"{summary.duplicates} duplicates, {summary.out_of_order} out of order",
    ]
    for flow in summary.media or ():
        gap_at = (
            ""
            if flow.video_longest_gap_at is None
            else f" (ending at {flow.video_longest_gap_at:.2f}s)"
        )
        lines.append(
            f"  video {flow.direction}: {flow.video_sent} frames sent, "
            f"{flow.video_received} received, {flow.video_lost} lost; "
            f"longest frame gap {flow.video_longest_gap_ms:.0f} ms{gap_at}"
        )
        lines.append(
            f"  audio {flow.direction}: {flow.audio_packets_sent} RTP packets sent, "
            f"{flow.audio_packets_received} received, {flow.audio_packets_lost} lost; "
            f"longest gap {flow.audio_longest_gap_ms:.0f} ms"
        )
    for side in SIDES:
        lines.append(
            f"  {side} relay: {_relay(summary.before.get(side))} -> "
            f"{_relay(summary.after.get(side))}"
        )
    if summary.origin_released is not None:
        released = (
            "all released"
            if summary.origin_released
            else "still open at exit (the retired ICE generation keeps them a few seconds)"
        )
        lines.append(f"  region {summary.origin} allocations: {released}")
    lines.extend(f"  problem: {problem}" for problem in summary.problems)
    if summary.ok:
        lost = "message" if summary.media is None else "message, video frame or audio packet"
        lines.append(
            f"  OK: the session moved from region {summary.origin} to region "
            f"{summary.destination} with no {lost} lost"
        )
    else:
        reasons = []
        if not summary.moved:
            reasons.append(
                f"the relays did not move from region {summary.origin} to {summary.destination}"
            )
        if summary.lost or summary.duplicates or summary.out_of_order or not summary.sent:
            reasons.append("messages were lost, duplicated or reordered")
        if not summary.media_ok:
            reasons.append("media frames or packets were lost, or media stopped at the move")
        lines.append("  FAILED: " + ("; ".join(reasons) or "see the problems above"))
    return "\n".join(lines)


__all__ = ["SIDES", "DemoSummary", "render_summary"]
