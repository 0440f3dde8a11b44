"""The browser demo, driven in Debian's Chromium: connect through region A, click
"Move to region B", see both sides' selected pairs move, lose no message; the
page is saved as test-artifacts/browser-demo.png. With the camera on (Chromium's
fake camera), the Python peer's echo keeps being decoded across the move
(test-artifacts/browser-demo-camera.png)."""

from __future__ import annotations

import importlib.util
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from tests.support.chromium import chromium_page

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "examples" / "browser" / "server.py"
SCREENSHOT = ROOT / "test-artifacts" / "browser-demo.png"
CAMERA_SCREENSHOT = ROOT / "test-artifacts" / "browser-demo-camera.png"
#: Chromium's synthetic camera, allowed without a prompt.
FAKE_MEDIA = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")
TIMEOUT_MS = 15_000

pytestmark = pytest.mark.interop


def load_server() -> ModuleType:
    """examples/ is not a package: load server.py by its path."""
    spec = importlib.util.spec_from_file_location("rtcpeer_browser_demo", SERVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def wait_state(page: Any, condition: str) -> dict[str, Any]:
    """Wait until ``condition`` (JS, over ``s = demo.state()``) holds; return the state."""
    await page.wait_for_function(
        f"() => {{ const s = window.demo && window.demo.state(); return !!s && ({condition}); }}",
        timeout=TIMEOUT_MS,
        polling=20,
    )
    state: dict[str, Any] = await page.evaluate("() => window.demo.state()")
    return state


async def test_browser_moves_to_region_b_without_losing_messages() -> None:
    server = load_server()
    demo = server.BrowserDemo("127.0.0.1", 0)
    url = await demo.start()
    try:
        async with chromium_page() as browser:
            page = browser.page
            # Loopback ICE needs camera/microphone permission for the page's origin.
            await page.context.grant_permissions(["camera", "microphone"], origin=url.rstrip("/"))
            await page.goto(url)

            on_a = await wait_state(
                page,
                "s.pair && s.pair.local.region === 'A' && s.pair.remote.region === 'A'"
                " && s.pythonPair && s.pythonPair.local.region === 'A' && s.echoed >= 25",
            )
            assert on_a["pair"]["local"]["type"] == "relay"
            assert on_a["pair"]["local"]["address"] == "127.0.0.1"
            (session,) = demo.sessions
            assert session.path.local.region == "A"

            # The move is awaited as an event (both sides on region B); only
            # wait_state's generous timeout bounds it.
            await page.click("#move")
            on_b = await wait_state(
                page,
                "s.pair && s.pair.local.region === 'B' && s.pair.remote.region === 'B'"
                " && s.pythonPair && s.pythonPair.local.region === 'B' && s.moving === null",
            )
            assert session.path.local.region == "B"
            assert session.path.remote.region == "B"
            assert on_b["pair"]["local"]["port"] != on_a["pair"]["local"]["port"]
            # Messages keep flowing over region B.
            await wait_state(page, f"s.echoed >= {on_b['echoed'] + 25}")
            assert await page.text_content("#move") == "Move back to region A"

            final = await page.evaluate("() => window.demo.stop()")
            assert final["sent"] > 50
            assert final["echoed"] == final["sent"], final
            assert final["inFlight"] == 0
            assert final["lost"] == 0
            assert final["duplicates"] == 0
            assert final["outOfOrder"] == 0
            assert session.echoed == final["sent"]
            assert await page.text_content("#region-badge") == "Region B"
            assert await page.text_content("#b-local-region") == "region B"
            SCREENSHOT.parent.mkdir(exist_ok=True)
            await page.screenshot(path=str(SCREENSHOT), full_page=True)
            assert SCREENSHOT.stat().st_size > 10_000
    finally:
        await demo.close()


async def test_camera_echo_keeps_playing_across_the_move_to_region_b() -> None:
    server = load_server()
    demo = server.BrowserDemo("127.0.0.1", 0)
    url = await demo.start()
    try:
        async with chromium_page(FAKE_MEDIA) as browser:
            page = browser.page
            await page.context.grant_permissions(["camera", "microphone"], origin=url.rstrip("/"))
            await page.goto(url)
            await wait_state(page, "s.pair && s.pair.local.region === 'A' && s.echoed >= 10")

            await page.click("#camera")
            playing = await wait_state(
                page, "s.framesDecoded >= 30 && s.pythonVideoFrames >= 30 && s.remoteWidth > 0"
            )
            (session,) = demo.sessions
            assert session.video_echo is not None
            assert [t.currentDirection for t in session.pc.getTransceivers()] == ["sendrecv"]
            assert playing["remoteWidth"] == 320

            await page.click("#move")
            on_b = await wait_state(
                page,
                "s.pair && s.pair.local.region === 'B' && s.pair.remote.region === 'B'"
                " && s.pythonPair && s.pythonPair.local.region === 'B' && s.moving === null",
            )
            # Still decoding after the move, and it never stood still for long.
            after = await wait_state(page, f"s.framesDecoded >= {on_b['framesDecoded'] + 30}")
            assert on_b["framesDecoded"] >= playing["framesDecoded"]
            assert on_b["moveFrames"] is not None and on_b["moveFrames"] >= 0
            assert after["longestStallMs"] is not None and after["longestStallMs"] < 1500, after
            assert session.path.local.region == "B" and session.path.remote.region == "B"
            assert session.video_echo.frames >= after["framesDecoded"]
            # The data channel went on losing nothing, camera or not.
            final = await page.evaluate("() => window.demo.stop()")
            assert final["echoed"] == final["sent"] and final["lost"] == 0, final
            assert await page.text_content("#b-local-region") == "region B"
            CAMERA_SCREENSHOT.parent.mkdir(exist_ok=True)
            await page.screenshot(path=str(CAMERA_SCREENSHOT), full_page=True)
            assert CAMERA_SCREENSHOT.stat().st_size > 10_000
    finally:
        await demo.close()


def test_server_command_serves_the_page_and_stops_cleanly() -> None:
    """``python examples/browser/server.py --port 0`` as a user runs it."""
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    output = b""
    try:
        deadline = time.monotonic() + 20
        while (found := re.search(rb"serving the browser demo on (http://\S+)", output)) is None:
            remaining = deadline - time.monotonic()
            assert remaining > 0 and process.poll() is None, output.decode()
            ready, _, _ = select.select([process.stdout], [], [], remaining)
            if ready:
                output += os.read(process.stdout.fileno(), 4096)
        url = found.group(1).decode()
        assert b"region A: TURN turn:127.0.0.1:" in output
        with urllib.request.urlopen(url, timeout=5) as response:
            page = response.read().decode()
        assert "Move to region B" in page and "/static/demo.js" in page
        with urllib.request.urlopen(url + "static/demo.js", timeout=5) as response:
            assert "setConfiguration" in response.read().decode()
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
        code = process.wait(timeout=10)
        process.stdout.close()
    assert code == 0
