"""A re-offer keeps the RTP header extension ids the BUNDLE group negotiated.

When the peer offered first (Chromium numbers its extensions its own way),
our later offers -- an ICE restart, a new track -- must give every
negotiated URI its negotiated id and never bind that id to another URI
(RFC 9429 §5.2.2, RFC 8843 §9.2); Chromium rejects such a re-offer with
"RTP extension ID reassignment not supported", which the region-move
interop test met when rtcpeer restarted ICE after a Chromium offer."""

from __future__ import annotations

from pathlib import Path

from tests.support.media import PatternVideoTrack
from tests.support.peer_connections import peer

from rtcpeer import RTCPeerConnection, RTCSessionDescription
from rtcpeer.transport import AudioStreamTrack

SAMPLE = Path(__file__).parents[1] / "sdp" / "samples" / "chrome_av_data_offer.sdp"


def _extmaps(sdp: str) -> dict[str, dict[str, int]]:
    """``a=extmap`` lines by mid: URI -> id."""
    sections: dict[str, dict[str, int]] = {}
    current: dict[str, int] = {}
    for line in sdp.splitlines():
        if line.startswith("m="):
            current = {}
        elif line.startswith("a=mid:"):
            sections[line[6:]] = current
        elif line.startswith("a=extmap:"):
            ext_id, uri = line[9:].split()[:2]
            current[uri] = int(ext_id.split("/")[0])
    return sections


async def _answer_chromium(pc: RTCPeerConnection) -> dict[str, dict[str, int]]:
    offer = SAMPLE.read_text()
    await pc.setRemoteDescription(RTCSessionDescription("offer", offer))
    await pc.setLocalDescription(await pc.createAnswer())
    return _extmaps(offer)


async def test_an_ice_restart_re_offer_keeps_the_peers_extension_ids() -> None:
    pc = peer()
    try:
        offered = await _answer_chromium(pc)
        assert any(offered.values()), "the sample has no extmap lines: pick another"
        pc.restartIce()
        re_offer = await pc.createOffer()
        ours = _extmaps(re_offer.sdp)
        bound: dict[int, str] = {}
        for mid, extensions in ours.items():
            for uri, ext_id in extensions.items():
                if uri in offered.get(mid, {}):
                    assert ext_id == offered[mid][uri], (mid, uri)
                assert bound.setdefault(ext_id, uri) == uri, f"id {ext_id} bound twice"
        assert any(ours.values())
    finally:
        await pc.close()


async def test_a_track_added_later_gets_ids_that_collide_with_nothing() -> None:
    pc = peer()
    try:
        offered = await _answer_chromium(pc)
        pc.addTrack(AudioStreamTrack())
        pc.addTrack(PatternVideoTrack())
        pc.addTransceiver("video")  # a new section, numbered by us
        offer = await pc.createOffer()
        negotiated = {uri: i for extensions in offered.values() for uri, i in extensions.items()}
        bound = {i: uri for uri, i in negotiated.items()}
        sections = _extmaps(offer.sdp)
        assert len(sections) > len(offered)
        for extensions in sections.values():
            for uri, ext_id in extensions.items():
                assert bound.setdefault(ext_id, uri) == uri, f"id {ext_id} bound twice"
                if uri in negotiated:
                    assert ext_id == negotiated[uri]
    finally:
        await pc.close()
