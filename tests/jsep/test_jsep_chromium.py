"""The codec and the JSEP pieces against real Chromium SDP (no media flows:
only descriptions and candidates are exchanged, so nothing leaves the page)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.chromium import BrowserPage, chromium_page
from tests.support.jsep import LOCAL_CREDENTIALS, local_parameters

from rtcpeer.jsep import (
    RTCIceCandidate,
    RTCSessionDescription,
    create_answer,
    create_offer,
    detect_ice_restart,
    generate_ice_credentials,
    parse_remote_description,
)
from rtcpeer.sdp import parse_sdp

pytestmark = pytest.mark.interop


async def signaling_state(browser: BrowserPage, name: str) -> Any:
    return await browser.page.evaluate("(n) => window.pcs[n].signalingState", name)


async def test_chromium_descriptions_round_trip_and_accept_our_sdp() -> None:
    async with chromium_page() as browser:
        # 1. Chromium offers a data channel; we answer; Chromium accepts the answer.
        await browser.call("create", "dc", {})
        await browser.call("createDataChannel", "dc", "chat")
        offer_json = await browser.call("setLocalDescription", "dc", None)
        offer = RTCSessionDescription(offer_json)
        parsed = parse_sdp(offer.sdp)
        assert parsed.to_sdp() == offer.sdp  # Chromium's text survives byte for byte
        remote = parse_remote_description(offer)
        assert remote.data_channel is not None and remote.supports_trickle
        answer = create_answer(parsed, local_parameters())
        await browser.call("setRemoteDescription", "dc", {"type": "answer", "sdp": answer.to_sdp()})
        assert await signaling_state(browser, "dc") == "stable"
        candidate = await browser.wait_for("icecandidate", "dc")
        if candidate is not None:
            w3c = RTCIceCandidate(candidate)
            assert w3c.type is not None and w3c.port is not None and w3c.toJSON() == candidate

        # 2. Audio + video + data: we reject the media with port 0, Chromium accepts.
        await browser.call("create", "av", {})
        await browser.page.evaluate(
            "() => { const pc = window.pcs.av; pc.addTransceiver('audio');"
            " pc.addTransceiver('video'); }"
        )
        await browser.call("createDataChannel", "av", "data")
        av_json = await browser.call("setLocalDescription", "av", None)
        av_offer = parse_sdp(av_json["sdp"])
        assert av_offer.to_sdp() == av_json["sdp"]
        assert [s.kind for s in av_offer.media] == ["audio", "video", "application"]
        assert av_offer.bundle_groups[0].mids == ("0", "1", "2")
        av_answer = create_answer(av_offer, local_parameters())
        assert [s.is_rejected for s in av_answer.media] == [True, True, False]
        await browser.call("setRemoteDescription", "av", {"type": "answer", "sdp": str(av_answer)})
        assert await signaling_state(browser, "av") == "stable"
        # webrtc-pc: rejected sections stop their transceivers, which are then removed
        left = await browser.page.evaluate("() => window.pcs.av.getTransceivers().length")
        assert left == 0

        # 3. We offer; Chromium answers; its answer validates against our offer.
        ours = create_offer(local_parameters())
        await browser.call("create", "ans", {})
        await browser.call("setRemoteDescription", "ans", {"type": "offer", "sdp": ours.sdp})
        their_answer = await browser.call("setLocalDescription", "ans", None)
        checked = parse_remote_description(their_answer, offer=ours.description)
        assert checked.transports[0].setup == "active"
        assert checked.data_channel is not None and checked.data_channel.sctp_port == 5000

        # 4. Chromium's restartIce(): detected as a restart of its transport.
        await browser.call("restartIce", "dc")
        restarted = parse_sdp((await browser.call("setLocalDescription", "dc", None))["sdp"])
        (change,) = detect_ice_restart(parsed, restarted)
        assert change.mid == "0" and change.previous != change.current
        # and our answer with fresh credentials is accepted mid-session
        fresh = generate_ice_credentials()
        assert fresh != LOCAL_CREDENTIALS
        reanswer = create_answer(
            restarted, local_parameters(credentials=fresh, version=2), existing_setup="active"
        )
        await browser.call("setRemoteDescription", "dc", {"type": "answer", "sdp": str(reanswer)})
        assert await signaling_state(browser, "dc") == "stable"
