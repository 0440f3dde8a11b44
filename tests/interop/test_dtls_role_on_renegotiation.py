"""A re-offer from the side that first answered must be answered with the
DTLS role already in force (RFC 8842 §5.5; JSEP §5.3.1): Chromium rejects
an answer that flips it ("Failed to set SSL role for the transport"). Found
by the Chromium restart test when Chromium restarts a connection we offered.

Run against Chromium, the peer whose rule this is: rtcpeer offers, Chromium
answers "active" (so rtcpeer is the DTLS server), then Chromium re-offers
with "actpass" -- plainly and with an ICE restart. rtcpeer's answer must say
"passive"; Chromium must accept it; and the data channel must still carry a
message each way after that last setRemoteDescription."""

from __future__ import annotations

import pytest
from tests.support.chromium import BrowserPage
from tests.support.chromium_session import connect

from rtcpeer import RTCSessionDescription

pytestmark = [pytest.mark.interop, pytest.mark.asyncio(loop_scope="module")]


def _attribute(description: RTCSessionDescription | None, name: str) -> str:
    assert description is not None
    return description.sdp.split(f"a={name}:")[1].split()[0]


@pytest.mark.parametrize("restart", [False, True], ids=["re-offer", "ice-restart"])
async def test_answer_to_chromiums_re_offer_keeps_the_established_dtls_role(
    browser: BrowserPage, restart: bool
) -> None:
    pair = await connect(browser, "rtcpeer")
    pc = pair.pc
    try:
        # rtcpeer offered actpass; Chromium answered active: rtcpeer is the DTLS server.
        assert _attribute(pc.localDescription, "setup") == "actpass"
        assert _attribute(pc.remoteDescription, "setup") == "active"
        ufrag = _attribute(pc.remoteDescription, "ice-ufrag")

        if restart:
            await pair.theirs.restart_ice()
        # Chromium offers now; its setRemoteDescription of our answer raises
        # (and so does negotiate) if the answer flips the role.
        await pair.bridge.negotiate(pair.theirs, pair.ours)
        assert _attribute(pc.remoteDescription, "setup") == "actpass"
        assert _attribute(pc.localDescription, "setup") == "passive"
        assert (_attribute(pc.remoteDescription, "ice-ufrag") != ufrag) is restart
        assert (await browser.call("state", pair.name))["signalingState"] == "stable"
        await pair.bridge.settle()  # every trickled candidate was added, none failed

        # The connection still works after the last setRemoteDescription.
        await pair.exchange()
        assert pc.connectionState == "connected"
        assert (await browser.call("state", pair.name))["connectionState"] == "connected"
    finally:
        await pair.close()
