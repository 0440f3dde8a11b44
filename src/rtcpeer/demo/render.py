"""Showing the timeline: plain timestamped lines, or a live display on a terminal.

:class:`PlainRenderer` writes one line per entry -- right for pipes, logs and
CI. :class:`LiveRenderer` writes the same lines, but keeps a small status
block under them (phase, a progress bar coloured by the region the session
is relayed through, message counters and rates, both selected pairs) that it
redraws in place with a few ANSI escape codes; no TUI library is needed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import TextIO

from rtcpeer.demo.paths import SelectedPath
from rtcpeer.demo.timeline import Observer, Progress, TimelineEntry

BAR_WIDTH = 40
_UP_AND_CLEAR = "\x1b[{}F\x1b[J"  # cursor up N lines to column 1, clear to the end
_REGION_COLOURS = {"A": "\x1b[46;30m", "B": "\x1b[45;30m"}
_RESET = "\x1b[0m"
_PHASES = {
    "connecting": "connecting",
    "streaming": "streaming",
    "restarting": "ICE restart",
    "draining": "draining",
    "draining media": "draining",
    "done": "done",
}


def format_entry(entry: TimelineEntry) -> str:
    """``  1.234s  caller   ICE connection: checking``."""
    return f"{entry.at:8.3f}s  {entry.source:<9} {entry.text}"


class PlainRenderer:
    """One timestamped line per timeline entry; progress snapshots are not drawn."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def entry(self, entry: TimelineEntry) -> None:
        self._stream.write(format_entry(entry) + "\n")
        self._stream.flush()

    def progress(self, progress: Progress) -> None:
        pass

    def close(self) -> None:
        self._stream.flush()


def _path_line(name: str, path: SelectedPath | None) -> str:
    return f"{name}: " + (path.label() if path is not None else "(no selected pair yet)")


class LiveRenderer:
    """Timeline lines scrolling above a status block redrawn in place (ANSI)."""

    def __init__(
        self,
        stream: TextIO,
        *,
        colour: bool = True,
        width: Callable[[], int] = lambda: shutil.get_terminal_size().columns,
    ) -> None:
        self._stream = stream
        self._colour = colour
        self._width = width
        self._drawn = 0
        self._last: Progress | None = None
        #: Region of each progress-bar cell, filled as streaming goes on.
        self._cells: list[str] = []

    def entry(self, entry: TimelineEntry) -> None:
        if entry.kind == "rate":  # the status block shows the rate live
            return
        self._erase()
        self._stream.write(format_entry(entry) + "\n")
        self._draw()

    def progress(self, progress: Progress) -> None:
        self._last = progress
        self._fill_bar(progress)
        self._erase()
        self._draw()

    def close(self) -> None:
        self._erase()
        self._stream.flush()

    # -- drawing ----------------------------------------------------------------------
    def _fill_bar(self, progress: Progress) -> None:
        if progress.duration <= 0:
            return
        filled = min(BAR_WIDTH, int(BAR_WIDTH * progress.streamed / progress.duration))
        region = "?"
        if progress.caller is not None and progress.caller.local.region:
            region = progress.caller.local.region
        while len(self._cells) < filled:
            self._cells.append(region)

    def _bar(self) -> str:
        if not self._colour:
            cells = "".join(self._cells)
        else:
            cells = "".join(
                f"{_REGION_COLOURS.get(cell, '')}{cell}{_RESET}" for cell in self._cells
            )
        return "[" + cells + "." * (BAR_WIDTH - len(self._cells)) + "]"

    def _lines(self, progress: Progress) -> list[str]:
        width = max(20, self._width() - 1)
        head = f"{_PHASES.get(progress.phase, progress.phase):<12} {progress.at:6.2f}s  "
        rest = [
            f"messages: {progress.sent} sent, {progress.received} received, "
            f"{progress.missing} in flight; {progress.received_rate} msg/s",
            _path_line("caller", progress.caller),
            _path_line("callee", progress.callee),
        ]
        if progress.video:
            rest.append(
                "video frames decoded: "
                + ", ".join(f"{side} {got} of {sent}" for side, sent, got in progress.video)
            )
        if len(head) + BAR_WIDTH + 2 <= width:
            progress_text = self._bar()
        else:  # too narrow for the bar: a wrapped line would break the redraw
            share = progress.streamed / progress.duration if progress.duration > 0 else 0.0
            progress_text = f"{min(100, int(100 * share))}%"
        return [(head + progress_text) if len(head) < width else head[:width]] + [
            line[:width] for line in rest
        ]

    def _draw(self) -> None:
        if self._last is None:
            self._stream.flush()
            return
        lines = self._lines(self._last)
        self._stream.write("".join(line + "\n" for line in lines))
        self._stream.flush()
        self._drawn = len(lines)

    def _erase(self) -> None:
        if self._drawn:
            self._stream.write(_UP_AND_CLEAR.format(self._drawn))
            self._drawn = 0


def renderer_for(stream: TextIO, *, live: bool | None = None) -> Observer:
    """A live display when ``stream`` is a terminal (or ``live`` says so), else plain lines."""
    if live is None:
        live = stream.isatty()
    return LiveRenderer(stream) if live else PlainRenderer(stream)


__all__ = ["LiveRenderer", "PlainRenderer", "format_entry", "renderer_for"]
