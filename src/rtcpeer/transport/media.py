"""Audio and video over rtcpeer's DTLS transport: aiortc's RTP senders and receivers.

The peer connection negotiates codecs, header extensions, SSRCs and MIDs
(JSEP) and owns the W3C transceiver objects; the packets are aiortc's:
``RTCRtpSender`` encodes a track and sends SRTP, ``RTCRtpReceiver`` routes,
reorders (jitter buffer) and decodes, each over the one DTLS transport the
data channels use (:func:`rtcpeer.transport.create_dtls_transport`). This
module is that seam, in values the peer connection already has: plain frozen
dataclasses in, aiortc's parameter objects built here, statistics out as
plain dictionaries with W3C member names. Creating a :class:`MediaSender` or
:class:`MediaReceiver` turns SRTP on for its DTLS transport
(:meth:`rtcpeer.transport.srtp.SrtpDtlsTransport.enable_media`).

Because the DTLS transport outlives every ICE restart, so do these: RTP keeps
its SSRCs, sequence numbers and SRTP session across any number of them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging
import queue
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiortc.codecs import CODECS, HEADER_EXTENSIONS, get_encoder, is_rtx
from aiortc.mediastreams import (
    AudioStreamTrack,
    MediaStreamError,
    MediaStreamTrack,
    VideoStreamTrack,
)
from aiortc.rtcrtpparameters import (
    RTCRtcpFeedback,
    RTCRtcpParameters,
    RTCRtpCodecParameters,
    RTCRtpDecodingParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpReceiveParameters,
    RTCRtpRtxParameters,
    RTCRtpSendParameters,
)
from aiortc.rtcrtpreceiver import RemoteStreamTrack, RTCRtpReceiver
from aiortc.rtcrtpsender import RTCEncodedFrame, RTCRtpSender
from aiortc.rtp import (
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    AnyRtcpPacket,
    RtcpPsfbPacket,
    RtcpRtpfbPacket,
    RtpPacket,
    compute_audio_level_dbov,
)
from aiortc.sdp import FMTP_INT_PARAMETERS
from aiortc.utils import random32
from av import AudioFrame, Packet, VideoFrame

from rtcpeer.errors import InvalidStateError
from rtcpeer.transport.eager import run_now
from rtcpeer.transport.jitter import CompleteFrameJitterBuffer, KeyFrameCounter

logger = logging.getLogger(__name__)

FmtpValue = str | int | None

# -- what the peer connection hands in -------------------------------------------


@dataclass(frozen=True)
class RtcpFeedback:
    """One ``a=rtcp-fb`` entry of a codec."""

    #: "nack", "ccm", "goog-remb", "transport-cc", ...
    type: str
    #: "pli" for ``nack pli``, "fir" for ``ccm fir``; None when there is none.
    parameter: str | None = None


@dataclass(frozen=True)
class RtpCodec:
    """A negotiated codec: ``a=rtpmap``, ``a=fmtp`` and ``a=rtcp-fb`` of one payload type."""

    #: The RTP payload type (0-127).
    payload_type: int
    #: "audio/opus", "video/VP8", "video/rtx", ... (case as negotiated).
    mime_type: str
    #: The RTP clock rate in Hz.
    clock_rate: int
    #: Audio channels (2 for Opus); None for video.
    channels: int | None = None
    #: The ``a=fmtp`` parameters; a bare flag maps to None. ``apt`` and the other
    #: numeric parameters aiortc compares as numbers may be given as strings.
    parameters: Mapping[str, FmtpValue] = field(default_factory=dict)
    rtcp_feedback: tuple[RtcpFeedback, ...] = ()

    @property
    def is_rtx(self) -> bool:
        """True for a retransmission (RFC 4588) payload type."""
        return self.mime_type.lower().endswith("/rtx")


@dataclass(frozen=True)
class RtpHeaderExtension:
    """One negotiated ``a=extmap``."""

    #: The extension's id in packets (1-14 one-byte, up to 255 two-byte).
    id: int
    uri: str


@dataclass(frozen=True)
class RtpSendSettings:
    """What a sender sends: the negotiated codecs (first one sent), extensions and ids."""

    #: Codecs in preference order; the first non-RTX one is sent, and an RTX
    #: codec whose ``apt`` names it turns on retransmission with the RTX SSRC.
    codecs: tuple[RtpCodec, ...]
    header_extensions: tuple[RtpHeaderExtension, ...] = ()
    #: The m-section's MID (the muxId), sent in the MID header extension if negotiated.
    mid: str | None = None
    #: Our RTCP CNAME (sent in SDES).
    cname: str | None = None


@dataclass(frozen=True)
class RtpReceiveSettings:
    """What a receiver accepts: the negotiated codecs, extensions and the remote's ids."""

    codecs: tuple[RtpCodec, ...]
    header_extensions: tuple[RtpHeaderExtension, ...] = ()
    #: The m-section's MID: RTP carrying it in the MID header extension is ours.
    mid: str | None = None
    #: The remote's ``a=ssrc`` for this section; None: learned from MID or payload type.
    ssrc: int | None = None
    #: The remote's RTX SSRC (``a=ssrc-group:FID``), if any.
    rtx_ssrc: int | None = None
    #: The remote's CNAME, if signalled.
    cname: str | None = None


# -- aiortc's capabilities, as plain values -------------------------------------


def supported_codecs(kind: str) -> tuple[RtpCodec, ...]:
    """The codecs aiortc encodes and decodes for ``kind``, with its default payload types."""
    if kind not in CODECS:
        raise ValueError(f"kind must be 'audio' or 'video', not {kind!r}")
    return tuple(_from_aiortc_codec(codec) for codec in CODECS[kind])


def supported_header_extensions(kind: str) -> tuple[RtpHeaderExtension, ...]:
    """The RTP header extensions aiortc writes and reads for ``kind``, with its default ids."""
    if kind not in HEADER_EXTENSIONS:
        raise ValueError(f"kind must be 'audio' or 'video', not {kind!r}")
    return tuple(RtpHeaderExtension(id=ext.id, uri=ext.uri) for ext in HEADER_EXTENSIONS[kind])


def _from_aiortc_codec(codec: RTCRtpCodecParameters) -> RtpCodec:
    assert codec.payloadType is not None
    return RtpCodec(
        payload_type=codec.payloadType,
        mime_type=codec.mimeType,
        clock_rate=codec.clockRate,
        channels=codec.channels,
        parameters=dict(codec.parameters),
        rtcp_feedback=tuple(RtcpFeedback(fb.type, fb.parameter) for fb in codec.rtcpFeedback),
    )


def _to_aiortc_codec(codec: RtpCodec) -> RTCRtpCodecParameters:
    parameters: dict[str, FmtpValue] = {}
    for name, value in codec.parameters.items():
        if name in FMTP_INT_PARAMETERS and isinstance(value, str) and value.isdigit():
            parameters[name] = int(value)  # aiortc compares these as numbers (apt!)
        else:
            parameters[name] = value
    return RTCRtpCodecParameters(
        mimeType=codec.mime_type,
        clockRate=codec.clock_rate,
        channels=codec.channels,
        payloadType=codec.payload_type,
        rtcpFeedback=[
            RTCRtcpFeedback(type=fb.type, parameter=fb.parameter) for fb in codec.rtcp_feedback
        ],
        parameters=parameters,
    )


def _sent_codec(codecs: tuple[RtpCodec, ...]) -> RtpCodec:
    for codec in codecs:
        if not codec.is_rtx:
            return codec
    raise ValueError("no media codec to send (only RTX, or none)")


def send_parameters(settings: RtpSendSettings, ssrc: int) -> RTCRtpSendParameters:
    """aiortc's send parameters for ``settings`` (the sent codec first, as aiortc expects)."""
    first = _sent_codec(settings.codecs)
    ordered = [first, *(codec for codec in settings.codecs if codec is not first)]
    return RTCRtpSendParameters(
        codecs=[_to_aiortc_codec(codec) for codec in ordered],
        headerExtensions=_to_aiortc_extensions(settings.header_extensions),
        muxId=settings.mid or "",
        rtcp=RTCRtcpParameters(cname=settings.cname, mux=True, ssrc=ssrc),
    )


def receive_parameters(settings: RtpReceiveSettings) -> RTCRtpReceiveParameters:
    """aiortc's receive parameters for ``settings``: one decoding per media codec
    when the remote signalled its SSRC (with the RTX SSRC where an RTX codec
    names that codec), none when the SSRC is to be learned."""
    if not settings.codecs:
        raise ValueError("a receiver needs at least one codec")
    codecs = [_to_aiortc_codec(codec) for codec in settings.codecs]
    encodings: list[RTCRtpDecodingParameters] = []
    if settings.ssrc is not None:
        retransmitted = {codec.parameters.get("apt") for codec in codecs if is_rtx(codec)}
        for codec in codecs:
            if is_rtx(codec):
                continue
            assert codec.payloadType is not None
            encoding = RTCRtpDecodingParameters(ssrc=settings.ssrc, payloadType=codec.payloadType)
            if settings.rtx_ssrc is not None and codec.payloadType in retransmitted:
                encoding.rtx = RTCRtpRtxParameters(ssrc=settings.rtx_ssrc)
            encodings.append(encoding)
    return RTCRtpReceiveParameters(
        codecs=codecs,
        headerExtensions=_to_aiortc_extensions(settings.header_extensions),
        muxId=settings.mid or "",
        rtcp=RTCRtcpParameters(cname=settings.cname, mux=True, ssrc=settings.ssrc),
        encodings=encodings,
    )


def _to_aiortc_extensions(
    extensions: tuple[RtpHeaderExtension, ...],
) -> list[RTCRtpHeaderExtensionParameters]:
    return [RTCRtpHeaderExtensionParameters(id=ext.id, uri=ext.uri) for ext in extensions]


# -- feedback counters -------------------------------------------------------------


@dataclass
class FeedbackCounts:
    """RTCP feedback messages seen: received by a sender, sent by a receiver."""

    nack: int = 0
    pli: int = 0
    fir: int = 0

    def count(self, packet: AnyRtcpPacket) -> None:
        if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            self.nack += 1
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_PLI:
            self.pli += 1
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_FIR:
            self.fir += 1


class _CountingRtpSender(RTCRtpSender):
    """aiortc's sender, counting encoded frames and the feedback it is sent."""

    #: The codec (and its RTX payload type) to send from the next frame on.
    next_codec: tuple[RTCRtpCodecParameters, int | None] | None = None

    def __init__(self, track_or_kind: MediaStreamTrack | str, transport: Any) -> None:
        super().__init__(track_or_kind, transport)
        self.frames_encoded = 0
        self.feedback = FeedbackCounts()

    def _switch_codec(self, codec: RTCRtpCodecParameters) -> None:
        """Between two frames, ``codec`` (the object aiortc's RTP loop stamps packets
        from) becomes ``next_codec`` in place, with a new encoder and RTX type."""
        switch, self.next_codec = self.next_codec, None
        if switch is not None:
            new, rtx = switch
            codec.mimeType, codec.clockRate = new.mimeType, new.clockRate
            codec.channels, codec.payloadType = new.channels, new.payloadType
            codec.parameters, codec.rtcpFeedback = new.parameters, new.rtcpFeedback
            setattr(self, "_RTCRtpSender__encoder", None)  # noqa: B010 (name-mangled)
            setattr(self, "_RTCRtpSender__rtx_payload_type", rtx)  # noqa: B010

    async def _next_encoded_frame(self, codec: RTCRtpCodecParameters) -> RTCEncodedFrame | None:
        self._switch_codec(codec)  # no frame is being encoded now
        if self.kind == "audio":
            frame = await self._next_audio_frame(codec)
        else:
            frame = await super()._next_encoded_frame(codec)
        if frame is not None:
            self.frames_encoded += 1
        return frame

    async def _next_audio_frame(self, codec: RTCRtpCodecParameters) -> RTCEncodedFrame | None:
        """aiortc's ``_next_encoded_frame`` for audio, encoding on the event loop.

        aiortc encodes every frame in the default thread pool. A 20 ms Opus
        frame encodes in ~0.15 ms, less than the round trip costs: a pool
        thread must be woken and get the GIL (shared with the video encoder
        and decoder threads), then the event loop must be woken again for the
        result. With two peers' video in one process that left audio frames
        late and uneven (90th percentile ~5 ms after their due time against
        ~1.5 ms inline). Video frames still go to the pool.
        """
        track = self.track
        if track is None:
            return None
        data = await track.recv()
        if not self._enabled:
            return None  # still read, so frames do not pile up (as aiortc)
        encoder = getattr(self, "_RTCRtpSender__encoder", None)
        if encoder is None:
            encoder = get_encoder(codec)
            setattr(self, "_RTCRtpSender__encoder", encoder)  # noqa: B010 (name-mangled)
        if isinstance(data, AudioFrame):
            payloads, timestamp = encoder.encode(data, False)
            if not payloads:
                return None  # e.g. the resampler still buffering
            return RTCEncodedFrame(payloads, timestamp, compute_audio_level_dbov(data))
        if not isinstance(data, Packet):
            raise TypeError(f"an audio track gave {type(data).__name__}, not a frame or packet")
        payloads, timestamp = encoder.pack(data)
        if not payloads:
            return None
        # No level for an encoded packet: aiortc passes None here too.
        return RTCEncodedFrame(payloads, timestamp, None)  # type: ignore[arg-type]

    async def _handle_rtcp_packet(self, packet: AnyRtcpPacket) -> None:
        self.feedback.count(packet)
        await super()._handle_rtcp_packet(packet)


class _DecodedFrames(asyncio.Queue[Any]):
    """The remote track's frame queue, counting what aiortc's decoder thread puts in.

    Bounded: when nobody reads the track (an application that only uses data
    channels, answering a peer's audio/video ``recvonly``), the oldest frames
    are dropped and counted instead of piling up without limit.
    """

    #: Decoded frames kept for a reader (about 4 s of video, 2.4 s of audio).
    LIMIT = 120

    def __init__(self) -> None:
        super().__init__()
        self.frames = 0
        self.samples = 0
        self.dropped = 0
        #: Matches decoded video frames to the key frames handed to the decoder.
        self.key_frames = KeyFrameCounter()

    async def put(self, item: Any) -> None:
        if isinstance(item, VideoFrame):
            self.frames += 1
            self.key_frames.decoded_frame(item.pts)
        elif isinstance(item, AudioFrame):
            self.frames += 1
            self.samples += item.samples
        if item is not None:
            while self.qsize() >= self.LIMIT:
                self.get_nowait()
                self.dropped += 1
        await super().put(item)


class _DecoderQueue(queue.Queue[Any]):
    """aiortc's queue to its decoder thread, noting each key frame put in (the
    receiver maps its timestamp first, as the decoder stamps its output)."""

    def __init__(self, key_frames: KeyFrameCounter) -> None:
        super().__init__()
        self._key_frames = key_frames

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is not None:
            self._key_frames.submitted(item[1])
        super().put(item, block, timeout)


class _CountingRtpReceiver(RTCRtpReceiver):
    """aiortc's receiver, counting the feedback it sends and noting each SSRC's payload type."""

    def __init__(self, kind: str, transport: Any) -> None:
        super().__init__(kind, transport)
        self.feedback = FeedbackCounts()
        self.payload_types: dict[int, int] = {}
        self.rtx_payload_types: frozenset[int] = frozenset()
        #: The remote's media SSRC as signalled (``a=ssrc``), if it was.
        self.signalled_ssrc: int | None = None
        #: RTX SSRCs learned from their packets (none signalled in ``ssrc-group:FID``).
        self.learned_rtx: dict[int, int] = {}

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        if packet.payload_type not in self.rtx_payload_types:
            self.payload_types[packet.ssrc] = packet.payload_type
        else:
            self._learn_rtx_ssrc(packet.ssrc)
        await super()._handle_rtp_packet(packet, arrival_time_ms)

    def _learn_rtx_ssrc(self, ssrc: int) -> None:
        """Take an RTX stream nobody signalled (no ``ssrc-group:FID``) as the
        retransmissions of this section's media stream: the signalled SSRC,
        else the one media SSRC seen. With several media SSRCs it stays unknown
        (aiortc drops its packets, as before)."""
        known: dict[int, int] = getattr(self, "_RTCRtpReceiver__rtx_ssrc")  # noqa: B009
        if ssrc in known or ssrc in self.payload_types:
            return
        media = self.signalled_ssrc
        if media is None and len(self.payload_types) == 1:
            (media,) = self.payload_types
        if media is not None and media not in known.values():
            known[ssrc] = self.learned_rtx[ssrc] = media

    async def _send_rtcp(self, packet: AnyRtcpPacket) -> None:
        self.feedback.count(packet)
        await super()._send_rtcp(packet)


# -- the sender and the receiver -------------------------------------------------


class MediaSender:
    """aiortc's RTP sender for one track (or none yet) over a DTLS transport of ours.

    ``ssrc`` and ``rtx_ssrc`` are fixed at creation (random unless given), so
    the peer connection can put them in SDP before anything is sent.
    """

    def __init__(
        self,
        dtls: Any,
        track_or_kind: MediaStreamTrack | str,
        *,
        ssrc: int | None = None,
        rtx_ssrc: int | None = None,
    ) -> None:
        kind = track_or_kind if isinstance(track_or_kind, str) else track_or_kind.kind
        if kind not in ("audio", "video"):
            raise ValueError(f"kind must be 'audio' or 'video', not {kind!r}")
        if dtls.state in ("closed", "failed"):
            raise InvalidStateError(f"the DTLS transport is {dtls.state}")
        dtls.enable_media()
        self._dtls = dtls
        self._sender = _CountingRtpSender(track_or_kind, dtls)
        if ssrc is not None:
            self._sender._ssrc = ssrc
        if rtx_ssrc is not None:
            self._sender._rtx_ssrc = rtx_ssrc
        self._settings: RtpSendSettings | None = None
        self._started = False
        self._stopped = False
        #: The DTLS listener that starts RTP once connected (while one waits).
        self._waiting: Callable[[], None] | None = None
        #: ``send()`` if it ever suspends in a later aiortc (it does not in 1.16).
        self._pending: asyncio.Task[None] | None = None

    @property
    def kind(self) -> str:
        """The media kind: audio or video."""
        return self._sender.kind

    @property
    def track(self) -> MediaStreamTrack | None:
        """The track being sent (None before one is set, and after the sender stopped)."""
        track: MediaStreamTrack | None = self._sender.track
        return track

    @property
    def ssrc(self) -> int:
        return self._sender._ssrc

    @property
    def rtx_ssrc(self) -> int:
        return self._sender._rtx_ssrc

    @property
    def settings(self) -> RtpSendSettings | None:
        """What :meth:`start` was given."""
        return self._settings

    @property
    def codec(self) -> RtpCodec | None:
        """The codec being sent (None before :meth:`start`)."""
        return None if self._settings is None else _sent_codec(self._settings.codecs)

    @property
    def sending(self) -> bool:
        """True once RTP is running (DTLS connected and :meth:`start` called)."""
        return self._started

    @property
    def frames_encoded(self) -> int:
        return self._sender.frames_encoded

    @property
    def feedback_received(self) -> FeedbackCounts:
        """NACK, PLI and FIR messages the remote receiver sent us."""
        return self._sender.feedback

    @property
    def active(self) -> bool:
        """Frames are encoded and sent (RTCRtpEncodingParameters.active); False drops them
        unencoded, still reading the track so nothing piles up."""
        enabled: bool = self._sender._enabled
        return enabled

    @active.setter
    def active(self, value: bool) -> None:
        self._sender._enabled = bool(value)

    def replace_track(self, track: MediaStreamTrack | None) -> None:
        """Send ``track`` from its next frame on, without renegotiation (same SSRC)."""
        if track is not None and track.kind != self.kind:
            raise TypeError(f"a {self.kind} sender cannot send a {track.kind} track")
        self._sender.replaceTrack(track)

    async def start(self, settings: RtpSendSettings) -> None:
        """Start sending with the negotiated ``settings``, once DTLS is connected.

        If DTLS is still connecting, RTP starts the moment it connects. Only
        the first call counts (aiortc cannot change a running sender's codec).
        """
        if self._stopped:
            raise InvalidStateError("the sender is stopped")
        if self._settings is not None:
            return
        parameters = send_parameters(settings, self.ssrc)
        self._settings = settings
        state = self._dtls.state
        if state == "connected":
            await self._begin(parameters)
        elif state in ("new", "connecting"):

            def on_statechange() -> None:
                state = self._dtls.state
                if state in ("connected", "closed", "failed"):
                    self._dtls.remove_listener("statechange", on_statechange)
                    self._waiting = None
                if state == "connected":
                    try:  # inside aiortc's DTLS start(): never raise into it
                        self._pending = run_now(self._begin(parameters))
                    except Exception:
                        logger.exception("the %s sender failed to start", self.kind)

            self._waiting = on_statechange
            self._dtls.on("statechange", on_statechange)
        else:
            raise InvalidStateError(f"the DTLS transport is {state}")

    async def renegotiate(self, settings: RtpSendSettings) -> None:
        """Send with what a later negotiation agreed: another first codec takes over at
        the next frame (same SSRC, sequence numbers go on, same SRTP session). Only
        the codec changes on a running sender; before RTP runs, ``settings`` replace
        what :meth:`start` was given."""
        old = self._settings
        if old is None or not self._started:
            if self._waiting is not None:
                self._dtls.remove_listener("statechange", self._waiting)
                self._waiting = None
            self._settings = None
            await self.start(settings)
        elif _sent_codec(settings.codecs) != _sent_codec(old.codecs):
            codecs = send_parameters(settings, self.ssrc).codecs
            apt = codecs[0].payloadType
            rtx = next(
                (c.payloadType for c in codecs if is_rtx(c) and c.parameters["apt"] == apt), None
            )
            self._sender.next_codec = (codecs[0], rtx)
            self._settings = settings

    async def _begin(self, parameters: RTCRtpSendParameters) -> None:
        if not self._started and not self._stopped:
            self._started = True
            await self._sender.send(parameters)

    async def stop(self) -> None:
        """Stop sending for good (an RTCP BYE goes out; the track is stopped, as in aiortc)."""
        self._stopped = True
        if self._waiting is not None:
            self._dtls.remove_listener("statechange", self._waiting)
            self._waiting = None
        await self._sender.stop()

    async def stats(self, *, transport_id: str | None = None) -> list[dict[str, Any]]:
        """``outbound-rtp`` (and, once the remote reported, ``remote-inbound-rtp``)
        as W3C dictionaries; ``transport_id`` replaces aiortc's transport id."""
        report = await self._sender.getStats()
        codec = self.codec
        entries = _plain(report.values(), transport_id, codec.clock_rate if codec else None)
        for entry in entries:
            if entry["type"] == "outbound-rtp":
                if self._settings is not None and self._settings.mid is not None:
                    entry["mid"] = self._settings.mid
                feedback = self._sender.feedback
                entry.update(nackCount=feedback.nack, pliCount=feedback.pli, firCount=feedback.fir)
                if self.kind == "video":
                    entry["framesEncoded"] = self._sender.frames_encoded
            elif entry["type"] == "remote-inbound-rtp":
                # aiortc puts the reporting receiver's SSRC here; W3C: the stream's.
                entry["ssrc"] = self.ssrc
        return entries


class MediaReceiver:
    """aiortc's RTP receiver and the remote track it decodes into, over a DTLS transport of ours.

    ``rtcp_ssrc`` is the SSRC our receiver reports and requests retransmissions
    as (in a browser, the same transceiver's sender SSRC); random unless given.
    """

    def __init__(
        self,
        dtls: Any,
        kind: str,
        *,
        track_id: str | None = None,
        rtcp_ssrc: int | None = None,
    ) -> None:
        if kind not in ("audio", "video"):
            raise ValueError(f"kind must be 'audio' or 'video', not {kind!r}")
        if dtls.state in ("closed", "failed"):
            raise InvalidStateError(f"the DTLS transport is {dtls.state}")
        dtls.enable_media()
        self._dtls = dtls
        self._receiver = _CountingRtpReceiver(kind, dtls)
        self._kind = kind
        track = RemoteStreamTrack(kind=kind, id=track_id)
        self._decoded = track._queue = _DecodedFrames()
        self._receiver._track = track
        #: The video jitter buffer releasing complete frames (None for audio: aiortc's).
        self._jitter: CompleteFrameJitterBuffer | None = None
        if kind == "video":
            self._jitter = CompleteFrameJitterBuffer()
            setattr(self._receiver, "_RTCRtpReceiver__jitter_buffer", self._jitter)  # noqa: B010
            decoder_queue = _DecoderQueue(self._decoded.key_frames)
            setattr(self._receiver, "_RTCRtpReceiver__decoder_queue", decoder_queue)  # noqa: B010
        self._receiver._set_rtcp_ssrc(rtcp_ssrc if rtcp_ssrc is not None else random32())
        self._settings: RtpReceiveSettings | None = None
        self._stopped = False

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def track(self) -> MediaStreamTrack:
        """The remote track: ``await track.recv()`` gives decoded ``av`` frames."""
        track: MediaStreamTrack = self._receiver.track
        return track

    @property
    def settings(self) -> RtpReceiveSettings | None:
        return self._settings

    @property
    def payload_types(self) -> Mapping[int, int]:
        """The media payload type each remote SSRC last sent (RTX not counted)."""
        return self._receiver.payload_types

    @property
    def frames_dropped(self) -> int:
        """Decoded frames dropped because the track was not read (see ``_DecodedFrames``)."""
        return self._decoded.dropped

    @property
    def frames_decoded(self) -> int:
        """Decoded video frames (or audio frames) handed to the track."""
        return self._decoded.frames

    @property
    def learned_rtx_ssrcs(self) -> Mapping[int, int]:
        """RTX SSRCs learned from their packets, each to the media SSRC it repairs."""
        return self._receiver.learned_rtx

    @property
    def key_frames_decoded(self) -> int:
        """Decoded video frames that were key frames (by their payload; 0 for audio)."""
        return self._decoded.key_frames.decoded

    @property
    def feedback_sent(self) -> FeedbackCounts:
        """NACK, PLI and FIR messages we sent the remote sender."""
        return self._receiver.feedback

    async def start(self, settings: RtpReceiveSettings) -> None:
        """Accept RTP with the negotiated ``settings`` (before or after DTLS connects).

        Only the first call counts (aiortc's receiver is configured once).
        """
        if self._stopped:
            raise InvalidStateError("the receiver is stopped")
        if self._settings is not None:
            return
        parameters = receive_parameters(settings)
        self._settings = settings
        self._receiver.rtx_payload_types = frozenset(
            codec.payload_type for codec in settings.codecs if codec.is_rtx
        )
        self._receiver.signalled_ssrc = settings.ssrc
        if self._jitter is not None:
            self._jitter.codecs = {
                codec.payload_type: codec.mime_type.split("/")[-1].lower()
                for codec in settings.codecs
                if not codec.is_rtx
            }
        await self._receiver.receive(parameters)

    async def stop(self) -> None:
        """Stop receiving for good; the track ends once its queued frames are read."""
        self._stopped = True
        await self._receiver.stop()

    async def stats(self, *, transport_id: str | None = None) -> list[dict[str, Any]]:
        """``inbound-rtp`` per remote SSRC (and ``remote-outbound-rtp`` once the
        remote sent a report) as W3C dictionaries; jitter in seconds."""
        report = await self._receiver.getStats()
        entries = _one_inbound_rtp_per_stream(
            _plain(report.values(), transport_id, None), self._receiver
        )
        feedback = self._receiver.feedback
        for entry in entries:
            codec = self._codec_of(entry["ssrc"])
            if codec is not None and "jitter" in entry:
                entry["jitter"] = entry["jitter"] / codec.clock_rate
            if entry["type"] == "inbound-rtp":
                if self._settings is not None and self._settings.mid is not None:
                    entry["mid"] = self._settings.mid
                entry.update(nackCount=feedback.nack, pliCount=feedback.pli, firCount=feedback.fir)
                if self._kind == "video":
                    entry["framesDecoded"] = self._decoded.frames
                    # From the payload: FFmpeg's libvpx decoder flags no key frame.
                    entry["keyFramesDecoded"] = self._decoded.key_frames.decoded
                else:
                    entry["totalSamplesReceived"] = self._decoded.samples
        return entries

    def _codec_of(self, ssrc: int) -> RtpCodec | None:
        payload_type = self._receiver.payload_types.get(ssrc)
        if self._settings is None or payload_type is None:
            return None
        for codec in self._settings.codecs:
            if codec.payload_type == payload_type:
                return codec
        return None


def _one_inbound_rtp_per_stream(
    entries: list[dict[str, Any]], receiver: _CountingRtpReceiver
) -> list[dict[str, Any]]:
    """One inbound-rtp entry per media SSRC, with its retransmissions counted in it.

    aiortc gives every SSRC's entry the same id, so its report keeps only the
    SSRC seen last -- once an RTX packet has arrived, the RTX stream's (whose
    packetsReceived then stands still while media flows). Browsers report the
    media stream, RTX folded into ``retransmittedPacketsReceived``.
    """
    template = next((e for e in entries if e["type"] == "inbound-rtp"), None)
    if template is None:
        return entries
    streams: dict[int, Any] = getattr(receiver, "_RTCRtpReceiver__remote_streams", {})
    media = [ssrc for ssrc in streams if ssrc in receiver.payload_types]
    retransmitted = sum(
        stream.packets_received
        for ssrc, stream in streams.items()
        if ssrc not in receiver.payload_types
    )
    inbound: list[dict[str, Any]] = []
    for ssrc in media:
        stream = streams[ssrc]
        inbound.append(
            {
                **template,
                "id": f"{template['id']}_{ssrc}",
                "ssrc": ssrc,
                "packetsReceived": stream.packets_received,
                "packetsLost": stream.packets_lost,
                "jitter": stream.jitter,
                "retransmittedPacketsReceived": retransmitted,
            }
        )
    others = [e for e in entries if e["type"] != "inbound-rtp"]
    return (inbound or [template]) + others


def _plain(stats: Any, transport_id: str | None, clock_rate: int | None) -> list[dict[str, Any]]:
    """aiortc's stats dataclasses as W3C dictionaries, without aiortc's transport entry.

    Timestamps become milliseconds since the epoch (DOMHighResTimeStamp);
    jitter, which aiortc keeps in RTP timestamp units, becomes seconds.
    """
    entries = []
    for stat in stats:
        if stat.type == "transport":
            continue  # the peer connection reports its own transport
        entry = dataclasses.asdict(stat)
        for name, value in entry.items():
            if isinstance(value, datetime.datetime):
                entry[name] = value.timestamp() * 1000.0
        if transport_id is not None and "transportId" in entry:
            entry["transportId"] = transport_id
        if "jitter" in entry and clock_rate:
            entry["jitter"] = entry["jitter"] / clock_rate
        entries.append(entry)
    return entries


__all__ = [
    "AudioStreamTrack",
    "FeedbackCounts",
    "MediaReceiver",
    "MediaSender",
    "MediaStreamError",
    "MediaStreamTrack",
    "RtcpFeedback",
    "RtpCodec",
    "RtpHeaderExtension",
    "RtpReceiveSettings",
    "RtpSendSettings",
    "VideoStreamTrack",
    "receive_parameters",
    "send_parameters",
    "supported_codecs",
    "supported_header_extensions",
]
