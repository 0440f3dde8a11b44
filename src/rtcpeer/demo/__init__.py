"""``rtcpeer demo``: a live session moves from TURN region A to region B.

:func:`run_demo` runs the scenario (:mod:`.scenario`) against two TURN
regions (:mod:`.regions`); what happens goes to an :class:`Observer`
(:mod:`.timeline`), drawn by :mod:`.render`, and ends in a
:class:`DemoSummary` (:mod:`.summary`). Message accounting is in
:mod:`.ledger`; :mod:`.paths` describes a selected pair (from an
RTCIceTransport, or from getStats()).
"""

from __future__ import annotations

from rtcpeer.demo.paths import Endpoint, SelectedPath, pair_path, region_lookup, selected_path
from rtcpeer.demo.regions import Region, running_regions, start_embedded_region
from rtcpeer.demo.render import LiveRenderer, PlainRenderer, renderer_for
from rtcpeer.demo.scenario import DemoError, DemoOptions, run_demo
from rtcpeer.demo.summary import DemoSummary, render_summary
from rtcpeer.demo.timeline import Observer, Progress, Recorder, TimelineEntry

__all__ = [
    "DemoError",
    "DemoOptions",
    "DemoSummary",
    "Endpoint",
    "LiveRenderer",
    "Observer",
    "PlainRenderer",
    "Progress",
    "Recorder",
    "Region",
    "SelectedPath",
    "TimelineEntry",
    "pair_path",
    "region_lookup",
    "render_summary",
    "renderer_for",
    "run_demo",
    "running_regions",
    "selected_path",
    "start_embedded_region",
]
