"""Audio, video and data under each bundle policy, rtcpeer <-> rtcpeer: one BUNDLE group,
one transport (every sender, receiver and the SCTP transport share the RTCDtlsTransport),
frames decoded both ways; and an offer with a transport per section (no BUNDLE) is
answered on the one transport rtcpeer runs, the other sections declined with port 0."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from tests.support.media import FrameCollector, PatternVideoTrack
from tests.support.peer_connections import TIMEOUT, Link, negotiate, opened, peer

from rtcpeer import RTCPeerConnection
from rtcpeer.peerconnection.rtp import RTCTrackEvent
from rtcpeer.sdp import parse_sdp
from rtcpeer.transport import AudioStreamTrack


def _transports(pc: RTCPeerConnection) -> set[int]:
    objects: list[Any] = [s.transport for s in pc.getSenders()]
    objects += [r.transport for r in pc.getReceivers()]
    assert pc.sctp is not None
    objects.append(pc.sctp.transport)
    assert all(o is not None for o in objects)
    return {id(o) for o in objects}


async def _message(channel: Any, far: Any) -> None:
    got: asyncio.Queue[object] = asyncio.Queue()
    far.on("message", got.put_nowait)
    channel.send("over the one transport")
    assert await asyncio.wait_for(got.get(), TIMEOUT) == "over the one transport"


@pytest.mark.parametrize(
    ("offerer_policy", "answerer_policy"),
    [
        ("balanced", "balanced"),
        ("max-compat", "max-compat"),
        ("max-bundle", "max-bundle"),
        ("max-compat", "max-bundle"),
    ],
)
async def test_audio_video_and_data_share_one_transport(
    offerer_policy: str, answerer_policy: str
) -> None:
    a = peer({"bundlePolicy": offerer_policy})
    b = peer({"bundlePolicy": answerer_policy})
    link = Link()
    link.connect(a, b)
    tracks: dict[int, list[RTCTrackEvent]] = {id(a): [], id(b): []}
    collectors: list[FrameCollector] = []
    try:
        for pc in (a, b):
            pc.addTrack(AudioStreamTrack())
            pc.addTrack(PatternVideoTrack())
            pc.on("track", tracks[id(pc)].append)
        channel = a.createDataChannel("chat")
        far: asyncio.Queue[Any] = asyncio.Queue()
        b.on("datachannel", lambda event: far.put_nowait(event.channel))
        await negotiate(a, b)

        for pc in (a, b):
            description = pc.localDescription
            assert description is not None
            parsed = parse_sdp(description.sdp)
            assert [g.mids for g in parsed.bundle_groups] == [("0", "1", "2")]
            assert len(set(re.findall(r"a=ice-ufrag:(\S+)", description.sdp))) == 1
            assert len(_transports(pc)) == 1
            assert [t.currentDirection for t in pc.getTransceivers()] == ["sendrecv"] * 2
        assert len(tracks[id(a)]) == len(tracks[id(b)]) == 2
        collectors = [FrameCollector(e.track) for pc in (a, b) for e in tracks[id(pc)]]
        for collector in collectors:
            await collector.wait_for(3)
        await opened(channel)
        await _message(channel, await asyncio.wait_for(far.get(), TIMEOUT))
        await link.settle()
    finally:
        for collector in collectors:
            await collector.close()
        await a.close()
        await b.close()


def _unbundled(sdp: str) -> str:
    """``sdp`` as a peer with a transport per section writes it: no BUNDLE group, and
    the audio and video sections with ICE credentials of their own."""
    out: list[str] = []
    section = -1
    for line in sdp.splitlines():
        if line.startswith("a=group:BUNDLE"):
            continue
        if line.startswith("m="):
            section += 1
        if section in (0, 1) and line.startswith("a=ice-ufrag:"):
            line = f"a=ice-ufrag:own{section}"
        elif section in (0, 1) and line.startswith("a=ice-pwd:"):
            line = f"a=ice-pwd:ownPasswordOfSection{section}xxxx"
        out.append(line)
    return "\r\n".join(out) + "\r\n"


async def test_an_offer_with_a_transport_per_section_is_answered_on_one() -> None:
    a, b = peer({"bundlePolicy": "max-compat"}), peer()
    link = Link()
    link._forward(b, a)
    added: list[asyncio.Task[None]] = []

    @a.on("icecandidate")
    def on_candidate(event: Any) -> None:
        # Only the data section's: the others' would carry their own ufrags.
        if event.candidate is not None and event.candidate.sdpMid == "2":
            added.append(asyncio.ensure_future(b.addIceCandidate(event.candidate.toJSON())))

    try:
        a.addTrack(AudioStreamTrack())
        a.addTrack(PatternVideoTrack())
        channel = a.createDataChannel("chat")
        far: asyncio.Queue[Any] = asyncio.Queue()
        b.on("datachannel", lambda event: far.put_nowait(event.channel))
        offer = await a.createOffer()
        await a.setLocalDescription(offer)
        await b.setRemoteDescription({"type": "offer", "sdp": _unbundled(offer.sdp)})
        await b.setLocalDescription()
        answer = b.localDescription
        assert answer is not None
        parsed = parse_sdp(answer.sdp)
        assert [s.port == 0 for s in parsed.media] == [True, True, False]
        assert parsed.bundle_groups == ()
        await a.setRemoteDescription(answer)
        assert [t.currentDirection for t in a.getTransceivers()] == ["stopped"] * 2
        assert [t.currentDirection for t in b.getTransceivers()] == ["stopped"] * 2
        # The data section's transport (the one answered) connects and carries data.
        await opened(channel)
        await _message(channel, await asyncio.wait_for(far.get(), TIMEOUT))
        await link.settle()
        await asyncio.wait_for(asyncio.gather(*added), TIMEOUT)
    finally:
        await a.close()
        await b.close()
