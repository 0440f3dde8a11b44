"""SRTP on aiortc's DTLS transport: sessions only with media, and a demux that survives bad input.

aiortc's ``RTCDtlsTransport`` exports the DTLS-SRTP keys and builds two
libsrtp sessions at the end of every handshake, then hands each SRTP or
SRTCP datagram to the RTP receiver or sender its router picks. rtcpeer's
:class:`SrtpDtlsTransport` changes three things about that, and nothing
else:

- **Sessions only when media is in use.** A data-channel-only connection
  never builds libsrtp sessions (aiortc then drops SRTP-looking datagrams,
  as it does before a handshake). :meth:`SrtpDtlsTransport.enable_media` turns
  SRTP on: at the handshake if it has not happened yet, at once from the
  exported keying material if it has (a re-offer that adds the first track to
  a connected data-channel session). The DTLS context always offers the SRTP
  profiles, so a WebRTC peer has negotiated one either way.
- **Routing by MID.** aiortc's router learns an unknown SSRC only from a
  payload type that exactly one receiver uses. With BUNDLE, two video
  sections usually share their payload types, so :class:`MidRtpRouter` first
  looks at the RTP MID header extension (RFC 8843 §9.2) and binds the SSRC
  to that section's receiver.
- **Bad input is dropped and counted, never raised.** A datagram that fails
  SRTP authentication, RTP or RTCP that does not parse (aiortc raises
  ``struct.error``, not ``ValueError``, for a mis-sized header extension),
  RTP no receiver claims, and a receiver or sender that raises on a packet
  are each counted in :class:`RtpDrops`; none of them leaves the DTLS task,
  which would end every data channel and stream on the connection.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pylibsrtp
from aiortc.rtcdtlstransport import RTCDtlsTransport, RtpReceiver, RtpRouter, State
from aiortc.rtp import RtcpPacket, RtpPacket

from rtcpeer.emitter import SharedEmitterState

logger = logging.getLogger(__name__)


class SrtpUnavailableError(RuntimeError):
    """Media was asked for on a DTLS session whose peer negotiated no SRTP profile."""


@dataclass
class RtpDrops:
    """Incoming SRTP/SRTCP datagrams dropped, by reason (counted, never raised)."""

    #: SRTP/SRTCP that failed to unprotect: authentication, replay, or garbage.
    srtp_unprotect: int = 0
    #: Authenticated RTP that does not parse.
    malformed_rtp: int = 0
    #: RTP that no receiver claims (unknown SSRC, MID and payload type).
    unrouted_rtp: int = 0
    #: Authenticated RTCP that does not parse.
    malformed_rtcp: int = 0
    #: Packets on which an RTP receiver or sender raised (logged with its traceback).
    handler_errors: int = 0


class CountingSrtpSession:
    """A libsrtp receive session that counts what fails to unprotect (and still raises)."""

    def __init__(self, session: pylibsrtp.Session, drops: RtpDrops) -> None:
        self._session = session
        self._drops = drops

    def unprotect(self, data: bytes) -> bytes:
        try:
            return self._session.unprotect(data)
        except pylibsrtp.Error:
            self._drops.srtp_unprotect += 1
            raise

    def unprotect_rtcp(self, data: bytes) -> bytes:
        try:
            return self._session.unprotect_rtcp(data)
        except pylibsrtp.Error:
            self._drops.srtp_unprotect += 1
            raise


class MidRtpRouter(RtpRouter):
    """aiortc's RTP router, which also learns an unknown SSRC from the MID header extension."""

    def route_rtp(self, packet: RtpPacket) -> RtpReceiver | None:
        if packet.ssrc not in self.ssrc_table:
            mid = packet.extensions.mid
            receiver = self.mid_table.get(mid) if mid else None
            if receiver is not None and receiver in self.payload_type_table.get(
                packet.payload_type, ()
            ):
                self.ssrc_table[packet.ssrc] = receiver
        return super().route_rtp(packet)


class SrtpDtlsTransport(SharedEmitterState, RTCDtlsTransport):
    """aiortc's RTCDtlsTransport with SRTP on demand and a demux that drops, counts, goes on."""

    def __init__(self, transport: Any, certificates: list[Any]) -> None:
        super().__init__(transport, certificates)
        #: True once media is in use: SRTP sessions exist (or will, at the handshake).
        self.media = False
        # The counters and the router are made when first used: a data-only
        # connection never needs them (~0.9 KiB per connection with aiortc's).
        self._drops: RtpDrops | None = None
        self._router: MidRtpRouter | None = None

    @property
    def rtp_drops(self) -> RtpDrops:
        """What the RTP/RTCP demux dropped."""
        drops = self._drops
        if drops is None:
            drops = self._drops = RtpDrops()
        return drops

    @property
    def _rtp_router(self) -> MidRtpRouter:
        """The router aiortc's RTP paths use (ours, made on first use)."""
        router = getattr(self, "_router", None)
        if router is None:
            router = self._router = MidRtpRouter()
        return router

    @_rtp_router.setter
    def _rtp_router(self, router: RtpRouter) -> None:
        # aiortc's __init__ sets a plain router of its own: ours replaces it.
        pass

    def enable_media(self) -> None:
        """Use SRTP on this transport from now on (idempotent).

        Before the handshake has finished, the sessions are built as part of
        it; after, at once. Raises :class:`SrtpUnavailableError` (and leaves
        the transport connected for its data channels) if the peer negotiated
        no SRTP profile.
        """
        if self.media:
            return
        if self._state is State.CONNECTED and not self._srtp_negotiated():
            raise SrtpUnavailableError("the DTLS peer negotiated no SRTP protection profile")
        self.media = True
        if self._state is State.CONNECTED:
            self._start_srtp()

    def _srtp_negotiated(self) -> bool:
        assert self._ssl is not None
        selected = self._ssl.get_selected_srtp_profile()
        return any(profile.openssl_profile == selected for profile in self._srtp_profiles)

    def _setup_srtp(self) -> None:
        """aiortc's step at the end of the handshake: only when media is in use."""
        if self.media:
            self._start_srtp()

    def _start_srtp(self) -> None:
        super()._setup_srtp()  # a handshake without an SRTP profile fails here, as in aiortc
        if self._rx_srtp is not None:
            # aiortc only calls unprotect/unprotect_rtcp on it (pinned by the contract test).
            self._rx_srtp = CountingSrtpSession(self._rx_srtp, self.rtp_drops)  # type: ignore[assignment]

    async def _handle_rtp_data(self, data: bytes, arrival_time_ms: int) -> None:
        try:
            packet = RtpPacket.parse(data, self._rtp_header_extensions_map)
        except Exception:  # ValueError, or struct.error from a header extension
            self.rtp_drops.malformed_rtp += 1
            return
        receiver = self._rtp_router.route_rtp(packet)
        if receiver is None:
            self.rtp_drops.unrouted_rtp += 1
            return
        try:
            await receiver._handle_rtp_packet(packet, arrival_time_ms=arrival_time_ms)
        except Exception:
            self.rtp_drops.handler_errors += 1
            logger.exception("an RTP receiver failed on a packet; dropped")

    async def _handle_rtcp_data(self, data: bytes) -> None:
        try:
            packets = RtcpPacket.parse(data)
        except Exception:
            self.rtp_drops.malformed_rtcp += 1
            return
        for packet in packets:
            for recipient in self._rtp_router.route_rtcp(packet):
                try:
                    await recipient._handle_rtcp_packet(packet)
                except Exception:
                    self.rtp_drops.handler_errors += 1
                    logger.exception("an RTP sender or receiver failed on RTCP; dropped")


__all__ = [
    "CountingSrtpSession",
    "MidRtpRouter",
    "RtpDrops",
    "SrtpDtlsTransport",
    "SrtpUnavailableError",
]
