"""Shared pieces of the ICE benchmarks: aioice on loopback, medians, Markdown."""

from __future__ import annotations

import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

HOST = "127.0.0.1"


@contextmanager
def aioice_on_loopback() -> Iterator[None]:
    """aioice never offers 127.0.0.1 as a host candidate; make it (TESTING-NOTES.md)."""
    import aioice.ice

    original = aioice.ice.get_host_addresses
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [HOST]
    try:
        yield
    finally:
        aioice.ice.get_host_addresses = original


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def table(title: str, command: str, note: str, rows: list[tuple[str, str, str, str]]) -> str:
    lines = [
        f"### {title}",
        "",
        f"Command: `{command}`. {note}",
        "",
        "| measure | rtcpeer | aioice 0.13 | rtcpeer / aioice |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines) + "\n"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a"
