"""examples/mdn_set_configuration.py runs and shows the move to region B."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mdn_set_configuration.py"


def test_mdn_example_moves_the_session_to_region_b() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "connected: caller relays through region A" in out
    assert "after the restart: caller relays through region B" in out
    assert "callee relays through region B" in out
    assert "in order: True" in out
    assert "same DTLS session (no new handshake): True; channel open" in out
    assert "region A released its allocations" in out


def test_mdn_example_uses_the_public_api_only() -> None:
    """Issue 18 (7): what an example needs is exported; no private member is read."""
    source = EXAMPLE.read_text()
    imports = re.findall(r"^from (rtcpeer\S*) import", source, flags=re.M)
    assert imports == ["rtcpeer"], imports
    assert not re.search(r"(?<!self)\._[a-z]", source), "reads a private member"
    assert "time.monotonic" not in source  # waits on events, not on a clock
