"""RTP over two real IceTransports keeps flowing across an ICE restart.

A restart is a new ICE generation inside the same transport, so the DTLS
session above it, its SRTP keys, the sender's SSRC and sequence numbers and
the receiver's jitter buffer all carry on: frames keep arriving once the new
generation's pair is selected, no new handshake happens, and the receiver
asks for no key frame.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from tests.support.aiortc_stack import connected_dtls, open_channel_on
from tests.support.ice_pair import connect, loopback_transport, restart
from tests.support.media import (
    FrameCollector,
    PatternVideoTrack,
    audio_receive,
    audio_send,
    video_receive,
    video_send,
)
from tests.support.waiting import TIMEOUT

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import AudioStreamTrack, MediaReceiver, MediaSender


async def test_video_and_audio_continue_across_an_ice_restart_on_one_srtp_session() -> None:
    a, b = loopback_transport(True), loopback_transport(False)
    certificates = RTCCertificate.generate("ECDSA"), RTCCertificate.generate("ECDSA")
    dtls: list[Any] = []
    senders: list[MediaSender] = []
    receivers: list[MediaReceiver] = []
    collectors: list[FrameCollector] = []
    try:
        await connect(a, b)
        dtls = await connected_dtls(a, b, certificates, media=True)
        handshakes = [d._ssl for d in dtls]
        srtp_sessions = [d._rx_srtp for d in dtls]
        channel, incoming = await open_channel_on(*dtls)
        remote_channel = await asyncio.wait_for(incoming.get(), TIMEOUT)

        video_out = MediaSender(dtls[0], PatternVideoTrack())
        audio_back = MediaSender(dtls[1], AudioStreamTrack())  # and media the other way
        video_in = MediaReceiver(dtls[1], "video", rtcp_ssrc=audio_back.ssrc)
        audio_in = MediaReceiver(dtls[0], "audio", rtcp_ssrc=video_out.ssrc)
        senders += [video_out, audio_back]
        receivers += [video_in, audio_in]
        video_frames, audio_frames = FrameCollector(video_in.track), FrameCollector(audio_in.track)
        collectors += [video_frames, audio_frames]
        await video_in.start(video_receive(ssrc=video_out.ssrc, rtx_ssrc=video_out.rtx_ssrc))
        await audio_in.start(audio_receive())  # SSRC learned from the MID extension
        await video_out.start(video_send())
        await audio_back.start(audio_send())
        await asyncio.gather(video_frames.wait_for(10), audio_frames.wait_for(20))
        plis_before = video_in.feedback_sent.pli

        first_pair = a.selected_pair
        before = len(video_frames.frames)
        await restart(a, b)  # while both streams flow
        await asyncio.gather(video_frames.more(15), audio_frames.more(25))
        arrivals = video_frames.arrivals[before - 1 :]
        longest_gap = max(later - earlier for earlier, later in itertools.pairwise(arrivals))

        assert a.selected_pair is not None and first_pair is not None
        assert a.selected_pair[0].ufrag != first_pair[0].ufrag  # the new generation carries it
        assert a.agent.generation.id == 1
        assert [d._ssl for d in dtls] == handshakes, "DTLS handshook again"
        assert [d._rx_srtp for d in dtls] == srtp_sessions, "SRTP was set up again"
        # One SSRC each way (no change, and no retransmission stream), nothing lost:
        # the old pair carried RTP until the new generation's took over.
        inbound = [e for e in await video_in.stats() if e["type"] == "inbound-rtp"]
        assert [(e["ssrc"], e["packetsLost"]) for e in inbound] == [(video_out.ssrc, 0)]
        audio_inbound = [e for e in await audio_in.stats() if e["type"] == "inbound-rtp"]
        assert [(e["ssrc"], e["packetsLost"]) for e in audio_inbound] == [(audio_back.ssrc, 0)]
        assert video_in.feedback_sent.pli == plis_before, "the restart cost a key frame"
        assert longest_gap < 1.0, f"video stalled for {longest_gap:.3f} s across the restart"
        assert all(d.rtp_drops == type(d.rtp_drops)() for d in dtls)

        echoed = asyncio.get_running_loop().create_future()
        remote_channel.on("message", lambda message: echoed.set_result(message))
        channel.send("after the restart")
        assert await asyncio.wait_for(echoed, TIMEOUT) == "after the restart"
    finally:
        for collector in collectors:
            await collector.close()
        for sender in senders:
            await sender.stop()
        for receiver in receivers:
            await receiver.stop()
        for d in dtls:
            await d.stop()
        await a.close()
        await b.close()
