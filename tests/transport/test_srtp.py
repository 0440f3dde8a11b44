"""rtcpeer.transport.srtp: routing by MID, and SRTP turned on only when it can be."""

from __future__ import annotations

from typing import Any

import pytest
from aiortc.rtcdtlstransport import RtpRouter
from aiortc.rtp import AnyRtcpPacket, HeaderExtensionsMap, RtpPacket
from tests.support.aiortc_stack import connected_dtls
from tests.support.media import video_receive
from tests.support.memory_path import MemoryPath, MemoryTransport

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import SrtpUnavailableError
from rtcpeer.transport.media import receive_parameters
from rtcpeer.transport.srtp import MidRtpRouter


class Receiver:
    """Stands in for an RTP receiver in the router's tables."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _handle_disconnect(self) -> None: ...

    async def _handle_rtcp_packet(self, packet: AnyRtcpPacket) -> None: ...

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None: ...


def _packet(ssrc: int, mid: str | None, payload_type: int = 96) -> RtpPacket:
    """A packet as aiortc parses it, with the MID extension (id 1) when ``mid`` is given."""
    extensions = HeaderExtensionsMap()
    extensions.configure(receive_parameters(video_receive()))
    packet = RtpPacket(payload_type=payload_type, ssrc=ssrc)
    packet.extensions.mid = mid
    return RtpPacket.parse(packet.serialize(extensions), extensions)


def _two_video_sections(router: RtpRouter) -> tuple[Receiver, Receiver]:
    """Two BUNDLEd video sections with the same payload types and no signalled SSRC."""
    first, second = Receiver("first"), Receiver("second")
    router.register_receiver(first, ssrcs=[], payload_types=[96, 97], mid="v1")
    router.register_receiver(second, ssrcs=[], payload_types=[96, 97], mid="v2")
    return first, second


def test_an_unsignalled_ssrc_is_bound_to_the_section_its_mid_names() -> None:
    router = MidRtpRouter()
    first, second = _two_video_sections(router)
    assert router.route_rtp(_packet(1000, "v2")) is second
    assert router.route_rtp(_packet(2000, "v1")) is first
    # Later packets need no MID (senders stop sending it once acknowledged).
    assert router.route_rtp(_packet(1000, None)) is second
    assert router.route_rtp(_packet(2000, None)) is first
    # Neither SSRC, MID nor a payload type unique to one section: nobody's.
    assert router.route_rtp(_packet(3000, None)) is None
    assert router.route_rtp(_packet(3001, "unknown")) is None
    # A MID whose section does not take the payload type is not enough.
    assert router.route_rtp(_packet(4000, "v1", payload_type=111)) is None
    assert 4000 not in router.ssrc_table


def test_aiortc_alone_cannot_tell_those_sections_apart() -> None:
    """Why MidRtpRouter exists: the plain router drops both streams."""
    router = RtpRouter()
    _two_video_sections(router)
    assert router.route_rtp(_packet(1000, "v2")) is None


def test_a_signalled_ssrc_wins_over_the_mid() -> None:
    router = MidRtpRouter()
    first, second = Receiver("first"), Receiver("second")
    router.register_receiver(first, ssrcs=[1000], payload_types=[96], mid="v1")
    router.register_receiver(second, ssrcs=[], payload_types=[96], mid="v2")
    assert router.route_rtp(_packet(1000, "v2")) is first


@pytest.fixture(scope="module")
def certificates() -> tuple[RTCCertificate, RTCCertificate]:
    return RTCCertificate.generate("ECDSA"), RTCCertificate.generate("ECDSA")


async def test_media_on_a_session_without_an_srtp_profile_fails_clearly_and_keeps_dtls(
    certificates: tuple[RTCCertificate, RTCCertificate],
) -> None:
    path = MemoryPath()
    left, right = MemoryTransport("controlling", path), MemoryTransport("controlled", path)
    left.peer, right.peer = right, left
    dtls = await connected_dtls(left, right, certificates)
    try:
        ssl: Any = dtls[0]._ssl
        assert ssl.get_selected_srtp_profile()  # WebRTC peers always negotiate one
        # A peer that did not (e.g. a DTLS-only endpoint):
        ssl.get_selected_srtp_profile = lambda: b""
        with pytest.raises(SrtpUnavailableError):
            dtls[0].enable_media()
        assert dtls[0].state == "connected" and not dtls[0].media
        assert dtls[0]._rx_srtp is None
        dtls[1].enable_media()
        dtls[1].enable_media()  # idempotent: the same sessions
        sessions = dtls[1]._rx_srtp, dtls[1]._tx_srtp
        dtls[1].enable_media()
        assert (dtls[1]._rx_srtp, dtls[1]._tx_srtp) == sessions and None not in sessions
    finally:
        for transport in dtls:
            await transport.stop()
