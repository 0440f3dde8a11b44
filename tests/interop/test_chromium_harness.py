"""The Chromium harness works on this machine: two browser connections open a
data channel over loopback with the signalling done in Python. (In the
private network namespace of ``conftest.network``: on this machine's own
network Chromium checks from, and may select, 192.0.2.2 even when only
loopback candidates are signalled.)"""

from __future__ import annotations

from tests.support.chromium import chromium_page, is_loopback_candidate


async def test_two_chromium_connections_exchange_a_message_over_loopback(network: None) -> None:
    async with chromium_page() as browser:
        await browser.call("create", "a", {})
        await browser.call("create", "b", {})
        await browser.call("createDataChannel", "a", "chat")
        offer = await browser.call("setLocalDescription", "a", None)
        await browser.call("setRemoteDescription", "b", offer)
        answer = await browser.call("setLocalDescription", "b", None)
        await browser.call("setRemoteDescription", "a", answer)
        for source, target in (("a", "b"), ("b", "a")):
            while (candidate := await browser.wait_for("icecandidate", source)) is not None:
                if is_loopback_candidate(candidate):
                    await browser.call("addIceCandidate", target, candidate)
        await browser.wait_for("channelopen", "a")
        await browser.wait_for("channelopen", "b")
        await browser.call("send", "a", "hello from a")
        pair = await browser.call("selectedPair", "a")
        assert pair is not None and pair["local"]["address"] in ("127.0.0.1", "::1")
        await browser.page.wait_for_function("() => window.received.b.length === 1")
        assert await browser.call("received", "b") == ["hello from a"]
