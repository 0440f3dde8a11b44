"""An RTX stream nobody signalled is learned from its packets.

A sender may retransmit on an RTX SSRC that its description never named in
an ``a=ssrc-group:FID`` (the MID and payload type route it to the right
receiver): the receiver takes it as the repair stream of the section's media
SSRC -- the signalled one, or the single one it learned -- so the lost
packet is recovered instead of its frame blocking the jitter buffer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiortc.rtp import RtpPacket
from tests.support.aiortc_stack import connected_dtls
from tests.support.media import PatternVideoTrack, video_receive, video_send
from tests.support.memory_path import Wire

from rtcpeer.configuration import RTCCertificate


@pytest.fixture(scope="module")
def certificates() -> tuple[RTCCertificate, RTCCertificate]:
    return RTCCertificate.generate("ECDSA"), RTCCertificate.generate("ECDSA")


@pytest.fixture
async def wire() -> AsyncIterator[Wire]:
    made = Wire()
    try:
        yield made
    finally:
        await made.close()


@pytest.mark.parametrize("media_ssrc_signalled", [False, True])
async def test_an_unsignalled_rtx_ssrc_repairs_the_sections_media_stream(
    wire: Wire,
    certificates: tuple[RTCCertificate, RTCCertificate],
    media_ssrc_signalled: bool,
) -> None:
    wire.dtls = dtls_a, dtls_b = await connected_dtls(
        wire.left, wire.right, certificates, media=True
    )
    sender = wire.sender(dtls_a, PatternVideoTrack())
    receiver, frames = wire.receiver(dtls_b, "video")
    # No ssrc-group:FID: the RTX SSRC is not signalled (the media SSRC may be).
    await receiver.start(video_receive(ssrc=sender.ssrc if media_ssrc_signalled else None))
    await sender.start(video_send())
    await frames.wait_for(3)
    assert receiver.learned_rtx_ssrcs == {}

    # The receiver loses the next media packet (as if the network had).
    aiortc_receiver: Any = receiver._receiver
    lost: list[int] = []

    async def lose_one(packet: RtpPacket, arrival_time_ms: int) -> None:
        del aiortc_receiver._handle_rtp_packet
        lost.append(packet.sequence_number)

    aiortc_receiver._handle_rtp_packet = lose_one
    # The frame behind the hole is decoded only once its retransmission is
    # unwrapped: without the RTX SSRC learned, the buffer stays blocked.
    await frames.more(10)
    assert lost and receiver.feedback_sent.nack >= 1
    assert receiver.learned_rtx_ssrcs == {sender.rtx_ssrc: sender.ssrc}
    (inbound,) = [e for e in await receiver.stats() if e["type"] == "inbound-rtp"]
    assert inbound["ssrc"] == sender.ssrc and inbound["retransmittedPacketsReceived"] >= 1
