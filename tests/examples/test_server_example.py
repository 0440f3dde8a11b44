"""examples/server: Chromium's fake camera goes to the Python rtcpeer peer and comes back
through an FFmpeg filter, its audio echoed; driven headless with Playwright."""

from __future__ import annotations

import pytest
from tests.support.chromium import chromium_page
from tests.support.examples import ARTIFACTS, FAKE_MEDIA, load_example, wait_page

pytestmark = pytest.mark.interop
SCREENSHOT = ARTIFACTS / "server-example.png"


async def test_camera_comes_back_with_edges_and_audio_echoed() -> None:
    example = load_example("server/server.py", "rtcpeer_server_example")
    server = example.ExampleServer("127.0.0.1", 0)
    url = await server.start()
    try:
        async with chromium_page(FAKE_MEDIA) as browser:
            page = browser.page
            await page.context.grant_permissions(["camera", "microphone"], origin=url.rstrip("/"))
            await page.goto(url)
            await page.select_option("#video-transform", "edges")
            await page.click("#start")

            first = await wait_page(
                page, "example", "s.connectionState === 'connected' && s.framesDecoded >= 30"
            )
            # Frames keep being decoded (the transform keeps up), audio comes back.
            later = await wait_page(
                page,
                "example",
                f"s.framesDecoded >= {first['framesDecoded'] + 30} && s.audioPackets >= 50"
                " && s.pongs >= 2 && s.remoteWidth > 0",
            )
            assert later["transform"] == "edges"
            (session,) = server.sessions
            assert session.transform == "edges"
            assert session.video is not None and session.video.frames >= later["framesDecoded"]
            assert session.audio_tracks == 1
            # Edge detection returns grey pictures: the fake camera is colourful, the echo not.
            colour = await page.evaluate("() => window.example.colourfulness()")
            assert colour["local"] > 20, colour
            assert colour["remote"] < 5, colour
            assert (later["remoteWidth"], later["remoteHeight"]) == (640, 480)
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(SCREENSHOT), full_page=True)
            assert SCREENSHOT.stat().st_size > 10_000
    finally:
        await server.close()


async def test_unknown_transform_is_refused() -> None:
    example = load_example("server/server.py", "rtcpeer_server_example")
    server = example.ExampleServer("127.0.0.1", 0, turn=False)
    url = await server.start()
    try:
        import aiohttp

        async with (
            aiohttp.ClientSession() as client,
            client.post(
                url + "offer", json={"type": "offer", "sdp": "", "video_transform": "sepia"}
            ) as response,
        ):
            assert response.status == 400
            assert "sepia" in await response.text()
        assert server.sessions == []
    finally:
        await server.close()
