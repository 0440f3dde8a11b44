"""The demo's timeline: what happened when, and the live progress snapshot.

The scenario reports two things: :class:`TimelineEntry` -- one line of
history (a candidate, a state change, the selected pair moving) -- and,
several times a second, a :class:`Progress` snapshot for a display that is
redrawn in place. Renderers implement :class:`Observer`; the timeline keeps
every entry so the summary and tests can read them back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from rtcpeer.demo.paths import SelectedPath


@dataclass(frozen=True)
class TimelineEntry:
    """One event, ``at`` seconds after the demo started."""

    at: float
    #: Who it happened to: "demo", "caller", "callee", "region A", ...
    source: str
    #: What sort of event: "region", "signalling", "gathering", "candidate",
    #: "error", "ice", "connection", "channel", "pair", "restart", "rate", "done".
    kind: str
    text: str


@dataclass(frozen=True)
class Progress:
    """The live state, for a display redrawn in place."""

    at: float
    #: "connecting", "streaming", "restarting", "draining", "done".
    phase: str
    #: Planned streaming time and how much of it has passed (seconds).
    duration: float
    streamed: float
    sent: int
    received: int
    #: Sent but not received yet (in flight until the stream drains).
    missing: int
    #: Messages per second, over the last second.
    sent_rate: int
    received_rate: int
    caller: SelectedPath | None
    callee: SelectedPath | None
    #: With ``--media``: per receiving side, (video frames the other side sent,
    #: frames decoded here).
    video: tuple[tuple[str, int, int], ...] = ()


class Observer(Protocol):
    """Where the scenario's entries and progress go (a renderer, or a test)."""

    def entry(self, entry: TimelineEntry) -> None: ...

    def progress(self, progress: Progress) -> None: ...

    def close(self) -> None: ...


@dataclass
class Timeline:
    """Stamps entries relative to ``start`` and passes them to ``observer``."""

    start: float
    observer: Observer | None = None
    entries: list[TimelineEntry] = field(default_factory=list)

    def add(self, now: float, source: str, kind: str, text: str) -> TimelineEntry:
        entry = TimelineEntry(round(now - self.start, 6), source, kind, text)
        self.entries.append(entry)
        if self.observer is not None:
            self.observer.entry(entry)
        return entry

    def of_kind(self, kind: str) -> list[TimelineEntry]:
        return [entry for entry in self.entries if entry.kind == kind]


@dataclass
class Recorder:
    """An Observer that keeps everything (tests, and a quiet run)."""

    entries: list[TimelineEntry] = field(default_factory=list)
    snapshots: list[Progress] = field(default_factory=list)
    closed: bool = False

    def entry(self, entry: TimelineEntry) -> None:
        self.entries.append(entry)

    def progress(self, progress: Progress) -> None:
        self.snapshots.append(progress)

    def close(self) -> None:
        self.closed = True


__all__ = ["Observer", "Progress", "Recorder", "Timeline", "TimelineEntry"]
