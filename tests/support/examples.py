"""Loading the examples (examples/ is not a package) and waiting on their pages."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 20_000
#: Chromium's synthetic camera and microphone, allowed without a prompt.
FAKE_MEDIA = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")


def load_example(relative: str, name: str) -> ModuleType:
    """Load ``examples/<relative>`` by its path as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def wait_page(page: Any, obj: str, condition: str) -> dict[str, Any]:
    """Wait until ``condition`` (JS over ``s = window.<obj>.state()``) holds; return the state."""
    await page.wait_for_function(
        f"() => {{ const s = window.{obj} && window.{obj}.state(); return !!s && ({condition}); }}",
        timeout=TIMEOUT_MS,
        polling=50,
    )
    state: dict[str, Any] = await page.evaluate(f"() => window.{obj}.state()")
    return state
