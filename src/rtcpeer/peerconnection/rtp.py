"""The W3C RTP objects: transceivers, senders, receivers, streams and the track event.

webrtc-pc §5: an :class:`RTCRtpTransceiver` pairs an :class:`RTCRtpSender`
and an :class:`RTCRtpReceiver` under one m-section (its ``mid``). They are
views with the W3C names over what the peer connection owns: the media
runtime (:class:`rtcpeer.transport.MediaSender` /
:class:`~rtcpeer.transport.MediaReceiver`, aiortc's RTP underneath) and
the JSEP state of the section (:class:`~rtcpeer.jsep.media.NegotiatedMedia`).
What they need from their connection -- whether it is closed, the
RTCDtlsTransport object, stats, negotiation-needed -- comes through the
small :class:`RtpOwner` interface; :mod:`.transceivers` does the JSEP
bookkeeping and starts the runtime.

Tracks are aiortc ``MediaStreamTrack`` objects (re-exported by
:mod:`rtcpeer.transport`), so ``aiortc.contrib.media`` players, recorders
and relays work unchanged.

aiortc's tracks have no ``muted`` state, so rtcpeer keeps it for the remote
tracks it hands out (webrtc-pc "process the removal/addition of a remote
track"): ``track.muted`` is set on the receiver's track (True until the
peer sends on the section) and the track emits ``mute``/``unmute`` when it
changes. The state follows signalling (the peer's direction), not the
arrival of packets. Remote :class:`MediaStream` objects emit
``addtrack``/``removetrack`` (:class:`MediaStreamTrackEvent`) when a
description changes which streams a remote track belongs to.
"""

from __future__ import annotations

import itertools
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rtcpeer.emitter import EventEmitter
from rtcpeer.errors import InvalidModificationError, InvalidStateError
from rtcpeer.jsep.codecs import (
    Codec,
    HeaderExtension,
    MediaCapabilities,
    check_codec_preferences,
)
from rtcpeer.jsep.media import LocalSender, MediaSectionPlan, NegotiatedMedia
from rtcpeer.sdp.grammar import DIRECTIONS
from rtcpeer.sdp.media import parse_fmtp_parameters
from rtcpeer.transport import MediaReceiver, MediaSender, MediaStreamTrack
from rtcpeer.transport.media_capabilities import local_capabilities

#: RTCRtpTransceiverDirection values an application may set.
TRANSCEIVER_DIRECTIONS = frozenset(DIRECTIONS)
MEDIA_KINDS = ("audio", "video")
_CAPABILITIES: dict[str, MediaCapabilities] = {}


def capabilities_of(kind: str) -> MediaCapabilities:
    """aiortc's codecs and header extensions for ``kind``, read once."""
    caps = _CAPABILITIES.get(kind)
    if caps is None:
        caps = _CAPABILITIES[kind] = local_capabilities(kind)
    return caps


# -- W3C dictionaries -------------------------------------------------------------


@dataclass(frozen=True)
class RTCRtpCodec:
    """A codec as webrtc-pc's RTCRtpCodec (capabilities, codec preferences)."""

    mimeType: str
    clockRate: int
    channels: int | None = None
    sdpFmtpLine: str | None = None

    @classmethod
    def of(cls, codec: Codec) -> RTCRtpCodec:
        return cls(codec.mime_type, codec.clock_rate, codec.channels, codec.fmtp)

    @classmethod
    def from_value(cls, value: object) -> RTCRtpCodec:
        """An RTCRtpCodec from itself or a W3C dictionary (camelCase keys)."""
        if isinstance(value, RTCRtpCodec):
            return value
        if not isinstance(value, Mapping):
            raise TypeError(f"a codec must be an RTCRtpCodec or a dictionary, not {value!r}")
        try:
            mime, clock = value["mimeType"], value["clockRate"]
        except KeyError as missing:
            raise TypeError(f"a codec needs {missing}") from None
        if not isinstance(mime, str) or not isinstance(clock, int):
            raise TypeError("mimeType must be a string and clockRate an integer")
        channels, fmtp = value.get("channels"), value.get("sdpFmtpLine")
        if channels is not None and not isinstance(channels, int):
            raise TypeError("channels must be an integer")
        if fmtp is not None and not isinstance(fmtp, str):
            raise TypeError("sdpFmtpLine must be a string")
        return cls(mime, clock, channels, fmtp)

    def to_codec(self) -> Codec:
        parameters = parse_fmtp_parameters(self.sdpFmtpLine) if self.sdpFmtpLine else ()
        return Codec(self.mimeType, self.clockRate, self.channels, parameters=parameters)


@dataclass(frozen=True)
class RTCRtpHeaderExtensionCapability:
    uri: str


@dataclass(frozen=True)
class RTCRtpCapabilities:
    """What RTCRtpSender/RTCRtpReceiver.getCapabilities(kind) return."""

    codecs: list[RTCRtpCodec]
    headerExtensions: list[RTCRtpHeaderExtensionCapability]


def rtp_capabilities(kind: str) -> RTCRtpCapabilities | None:
    """getCapabilities(kind): aiortc's codecs (RTX once), None for another kind."""
    if kind not in MEDIA_KINDS:
        return None
    caps = capabilities_of(kind)
    codecs: list[RTCRtpCodec] = []
    for codec in caps.codecs:
        w3c = RTCRtpCodec.of(codec)
        if codec.is_rtx:
            w3c = RTCRtpCodec(codec.mime_type, codec.clock_rate)
        if w3c not in codecs:
            codecs.append(w3c)
    extensions = [RTCRtpHeaderExtensionCapability(e.uri) for e in caps.header_extensions]
    return RTCRtpCapabilities(codecs, extensions)


@dataclass
class RTCRtpEncodingParameters:
    """One send encoding: what aiortc's sender honours is ``active``."""

    active: bool = True
    rid: str | None = None
    maxBitrate: int | None = None
    maxFramerate: float | None = None
    scaleResolutionDownBy: float | None = None

    @classmethod
    def from_value(cls, value: object) -> RTCRtpEncodingParameters:
        if isinstance(value, RTCRtpEncodingParameters):
            return RTCRtpEncodingParameters(**vars(value))
        if not isinstance(value, Mapping):
            raise TypeError(f"an encoding must be a dictionary, not {value!r}")
        known = {"active", "rid", "maxBitrate", "maxFramerate", "scaleResolutionDownBy"}
        return cls(**{k: v for k, v in value.items() if k in known})


@dataclass
class RTCRtpCodecParameters:
    payloadType: int
    mimeType: str
    clockRate: int
    channels: int | None = None
    sdpFmtpLine: str | None = None


@dataclass
class RTCRtpHeaderExtensionParameters:
    uri: str
    id: int


@dataclass
class RTCRtcpParameters:
    cname: str | None = None
    reducedSize: bool = False


@dataclass
class RTCRtpSendParameters:
    """RTCRtpSender.getParameters() (webrtc-pc §5.2)."""

    transactionId: str
    encodings: list[RTCRtpEncodingParameters]
    codecs: list[RTCRtpCodecParameters] = field(default_factory=list)
    headerExtensions: list[RTCRtpHeaderExtensionParameters] = field(default_factory=list)
    rtcp: RTCRtcpParameters = field(default_factory=RTCRtcpParameters)


@dataclass(frozen=True)
class RTCRtpTransceiverInit:
    """addTransceiver()'s init dictionary."""

    direction: str = "sendrecv"
    streams: tuple[Any, ...] = ()
    sendEncodings: tuple[RTCRtpEncodingParameters, ...] = ()

    @classmethod
    def from_value(cls, value: object) -> RTCRtpTransceiverInit:
        if value is None:
            return cls()
        if isinstance(value, RTCRtpTransceiverInit):
            return value
        if not isinstance(value, Mapping):
            raise TypeError(f"init must be a dictionary, not {value!r}")
        direction = value.get("direction", "sendrecv")
        if direction not in TRANSCEIVER_DIRECTIONS:
            raise TypeError(f"{direction!r} is not a valid RTCRtpTransceiverDirection")
        streams = tuple(value.get("streams", ()) or ())
        encodings = tuple(
            RTCRtpEncodingParameters.from_value(e) for e in value.get("sendEncodings", ()) or ()
        )
        return cls(str(direction), streams, encodings)


# -- streams and the track event --------------------------------------------------------


@dataclass(frozen=True)
class MediaStreamTrackEvent:
    """``addtrack``/``removetrack`` on a remote :class:`MediaStream` (mediacapture-main)."""

    track: MediaStreamTrack


class MediaStream(EventEmitter):
    """A MediaStream: an id and tracks (a remote one is made per a=msid stream id).

    A remote stream emits ``addtrack``/``removetrack`` with a
    :class:`MediaStreamTrackEvent` when a description adds its track to it or
    takes it away (the application's own addTrack/removeTrack fire nothing).
    """

    def __init__(self, tracks: Iterable[MediaStreamTrack] = (), *, id: str | None = None) -> None:
        super().__init__()
        self.id = id if id is not None else str(uuid.uuid4())
        self._tracks: list[MediaStreamTrack] = list(tracks)

    def getTracks(self) -> list[MediaStreamTrack]:
        return list(self._tracks)

    def getAudioTracks(self) -> list[MediaStreamTrack]:
        return [t for t in self._tracks if t.kind == "audio"]

    def getVideoTracks(self) -> list[MediaStreamTrack]:
        return [t for t in self._tracks if t.kind == "video"]

    def addTrack(self, track: MediaStreamTrack) -> None:
        if track not in self._tracks:
            self._tracks.append(track)

    def removeTrack(self, track: MediaStreamTrack) -> None:
        if track in self._tracks:
            self._tracks.remove(track)

    def _remote_changed(self, track: MediaStreamTrack, *, added: bool) -> None:
        """A description added ``track`` to this remote stream or took it away."""
        if added == (track in self._tracks):
            return
        if added:
            self._tracks.append(track)
        else:
            self._tracks.remove(track)
        self.emit("addtrack" if added else "removetrack", MediaStreamTrackEvent(track))

    def __repr__(self) -> str:
        return f"MediaStream(id={self.id!r}, tracks={len(self._tracks)})"


@dataclass(frozen=True)
class RTCTrackEvent:
    """The ``track`` event: the peer sends on a section we receive (webrtc-pc §5.7)."""

    receiver: RTCRtpReceiver
    #: ``receiver.track``: ``await track.recv()`` gives decoded ``av`` frames.
    track: MediaStreamTrack
    #: The remote streams of the section's a=msid lines.
    streams: tuple[MediaStream, ...]
    transceiver: RTCRtpTransceiver


# -- the owner interface ------------------------------------------------------------------


class RtpOwner(Protocol):
    """What the W3C RTP objects need from their peer connection."""

    def _rtp_closed(self) -> bool: ...

    def _rtp_transport(self) -> Any: ...

    async def _rtp_stats(self, selector: object) -> Any: ...

    def _rtp_negotiation_changed(self) -> None: ...


def _stream_ids(streams: Iterable[Any]) -> tuple[str, ...]:
    ids: list[str] = []
    for stream in streams:
        stream_id = getattr(stream, "id", stream)
        if not isinstance(stream_id, str):
            raise TypeError(f"a stream must be a MediaStream (with an id), not {stream!r}")
        if stream_id not in ids:
            ids.append(stream_id)
    return tuple(ids)


_transactions = itertools.count(1)


class RTCRtpSender:
    """Sends one track (or nothing) on its transceiver's section."""

    def __init__(
        self,
        owner: RtpOwner,
        kind: str,
        media: MediaSender,
        track: MediaStreamTrack | None,
        stream_ids: tuple[str, ...],
        encoding: RTCRtpEncodingParameters,
    ) -> None:
        self._owner = owner
        self._kind = kind
        self._media = media
        self._track = track
        self._stream_ids = stream_ids
        #: The track id a=msid announces (kept when the track is replaced).
        self._msid_track_id = track.id if track is not None else str(uuid.uuid4())
        self._encoding = encoding
        media.active = encoding.active
        self._transceiver: RTCRtpTransceiver | None = None
        self._last_parameters: RTCRtpSendParameters | None = None
        self._stopped = False

    @property
    def track(self) -> MediaStreamTrack | None:
        return self._track

    @property
    def transport(self) -> Any:
        """The RTCDtlsTransport (the same object as ``pc.sctp.transport``) once negotiated."""
        transceiver = self._transceiver
        if transceiver is None or transceiver.mid is None:
            return None
        return self._owner._rtp_transport()

    @property
    def kind(self) -> str:
        """The media kind (not W3C; aiortc has it)."""
        return self._kind

    async def replaceTrack(self, track: MediaStreamTrack | None) -> None:
        """Send ``track`` instead, at once and without renegotiation (same SSRC)."""
        if self._owner._rtp_closed():
            raise InvalidStateError("the RTCPeerConnection is closed")
        transceiver = self._transceiver
        if transceiver is not None and transceiver._stopping:
            raise InvalidStateError("the transceiver is stopped")
        if track is not None and track.kind != self._kind:
            raise TypeError(f"a {self._kind} sender cannot send a {track.kind} track")
        self._track = track
        if transceiver is None or transceiver._sending_negotiated():
            self._media.replace_track(track)

    def getParameters(self) -> RTCRtpSendParameters:
        """The negotiated codecs and extensions, one encoding, a new transactionId."""
        negotiated = self._transceiver._negotiated if self._transceiver else None
        codecs: list[RTCRtpCodecParameters] = []
        extensions: list[RTCRtpHeaderExtensionParameters] = []
        reduced = False
        if negotiated is not None:
            codecs = [
                RTCRtpCodecParameters(
                    c.payload_type or 0, c.mime_type, c.clock_rate, c.channels, c.fmtp
                )
                for c in negotiated.codecs
            ]
            extensions = [
                RTCRtpHeaderExtensionParameters(e.uri, e.id) for e in negotiated.header_extensions
            ]
            reduced = negotiated.rtcp_rsize
        parameters = RTCRtpSendParameters(
            transactionId=str(next(_transactions)),
            encodings=[RTCRtpEncodingParameters(**vars(self._encoding))],
            codecs=codecs,
            headerExtensions=extensions,
            rtcp=RTCRtcpParameters(self._cname(), reduced),
        )
        self._last_parameters = parameters
        return parameters

    async def setParameters(self, parameters: RTCRtpSendParameters | Mapping[str, Any]) -> None:
        """Apply ``encodings[0].active`` (what aiortc's sender honours).

        webrtc-pc: InvalidStateError without a preceding getParameters() or
        when stopped; InvalidModificationError for a changed transactionId,
        encoding count or rid.
        """
        if self._stopped or (self._transceiver is not None and self._transceiver._stopping):
            raise InvalidStateError("the sender is stopped")
        last = self._last_parameters
        if last is None:
            raise InvalidStateError("getParameters() was not called")
        if isinstance(parameters, Mapping):
            transaction = parameters.get("transactionId")
            raw = parameters.get("encodings", [])
        else:
            transaction, raw = parameters.transactionId, parameters.encodings
        if transaction != last.transactionId:
            raise InvalidModificationError("transactionId is not the last getParameters()'s")
        encodings = [RTCRtpEncodingParameters.from_value(e) for e in raw]
        if len(encodings) != len(last.encodings):
            raise InvalidModificationError("the number of encodings cannot change")
        if encodings[0].rid != last.encodings[0].rid:
            raise InvalidModificationError("an encoding's rid cannot change")
        self._last_parameters = None
        self._encoding = encodings[0]
        self._media.active = encodings[0].active

    async def getStats(self) -> Any:
        """The peer connection's report for this sender (outbound-rtp and what it links to)."""
        return await self._owner._rtp_stats(self)

    @staticmethod
    def getCapabilities(kind: str) -> RTCRtpCapabilities | None:
        return rtp_capabilities(kind)

    def _cname(self) -> str | None:
        return self._transceiver._cname if self._transceiver is not None else None

    def _local_sender(self, cname: str) -> LocalSender:
        return LocalSender(
            ssrc=self._media.ssrc,
            cname=cname,
            track_id=self._msid_track_id,
            stream_ids=self._stream_ids,
            rtx_ssrc=self._media.rtx_ssrc,
        )


class RTCRtpReceiver:
    """Receives its transceiver's section into one remote track (there from the start)."""

    def __init__(self, owner: RtpOwner, kind: str, media: MediaReceiver) -> None:
        self._owner = owner
        self._kind = kind
        self._media = media
        self._transceiver: RTCRtpTransceiver | None = None
        #: [[AssociatedRemoteMediaStreams]]: the remote streams of the section's a=msid.
        self._streams: tuple[MediaStream, ...] = ()
        # A remote track starts muted (webrtc-pc); aiortc's track has no such member.
        setattr(media.track, "muted", True)  # noqa: B010

    @property
    def track(self) -> MediaStreamTrack:
        """The remote track; ``track.muted`` and its ``mute``/``unmute`` events are rtcpeer's."""
        return self._media.track

    @property
    def track_muted(self) -> bool:
        """``track.muted``, typed (aiortc's track class does not declare it)."""
        return bool(getattr(self._media.track, "muted", False))

    def _set_muted(self, muted: bool) -> None:
        """webrtc-pc "set the muted state" of the remote track: an event if it changes."""
        track = self._media.track
        if self.track_muted == muted:
            return
        setattr(track, "muted", muted)  # noqa: B010
        track.emit("mute" if muted else "unmute")

    @property
    def transport(self) -> Any:
        transceiver = self._transceiver
        if transceiver is None or transceiver.mid is None:
            return None
        return self._owner._rtp_transport()

    async def getStats(self) -> Any:
        """The peer connection's report for this receiver (inbound-rtp and what it links to)."""
        return await self._owner._rtp_stats(self)

    @staticmethod
    def getCapabilities(kind: str) -> RTCRtpCapabilities | None:
        return rtp_capabilities(kind)


class RTCRtpTransceiver:
    """One m-section's sender and receiver, its direction and its negotiated state."""

    def __init__(
        self,
        owner: RtpOwner,
        kind: str,
        sender: RTCRtpSender,
        receiver: RTCRtpReceiver,
        direction: str,
        *,
        cname: str,
        added_by_track: bool = False,
    ) -> None:
        self._owner = owner
        self._kind = kind
        self.sender = sender
        self.receiver = receiver
        sender._transceiver = receiver._transceiver = self
        self._direction = direction
        self._current_direction: str | None = None
        self._mid: str | None = None
        self._cname = cname
        #: Made by addTrack (an unassociated one may take a remote offer's section).
        self._added_by_track = added_by_track
        #: Made by setRemoteDescription for a new remote section (a rollback removes it).
        self._from_remote_offer = False
        self._stopping = False
        self._stopped = False
        self._codec_preferences: tuple[Codec, ...] = ()
        #: What the last completed negotiation agreed (None: not negotiated, or rejected).
        self._negotiated: NegotiatedMedia | None = None
        #: The direction in our current local description, and whether we wrote it as
        #: the offerer (negotiation-needed compares it with ``direction``).
        self._local_direction: str | None = None
        self._offered_direction: str | None = None
        #: The direction of the remote offer in force for the section (we answered it).
        self._remote_offer_direction: str | None = None
        #: The track event fired and the remote still sends.
        self._receiving = False
        #: The sender ever sent (addTrack does not reuse such a transceiver).
        self._ever_sent = False

    @property
    def kind(self) -> str:
        """The media kind (not W3C; aiortc has it)."""
        return self._kind

    @property
    def mid(self) -> str | None:
        """The m-section's mid, once a description associated one."""
        return self._mid

    @property
    def stopped(self) -> bool:
        return self._stopped

    @property
    def direction(self) -> str:
        """[[Direction]]; ``stopped`` once stop() was called."""
        return "stopped" if self._stopping else self._direction

    @direction.setter
    def direction(self, value: str) -> None:
        if value not in TRANSCEIVER_DIRECTIONS:
            raise TypeError(f"{value!r} is not a valid RTCRtpTransceiverDirection")
        if self._owner._rtp_closed():
            raise InvalidStateError("the RTCPeerConnection is closed")
        if self._stopping:
            raise InvalidStateError("the transceiver is stopped")
        if value == self._direction:
            return
        self._direction = value
        self._owner._rtp_negotiation_changed()

    @property
    def currentDirection(self) -> str | None:
        """The direction last negotiated (None before; ``stopped`` once stopped)."""
        return "stopped" if self._stopped else self._current_direction

    def stop(self) -> None:
        """Stop sending and receiving for good; the next offer rejects the section."""
        if self._owner._rtp_closed():
            raise InvalidStateError("the RTCPeerConnection is closed")
        if self._stopping:
            return
        self._stopping = True
        self._owner._rtp_negotiation_changed()

    def setCodecPreferences(self, codecs: Sequence[object]) -> None:
        """The codecs to offer/answer, in order (empty: aiortc's defaults).

        InvalidModificationError (webrtc-pc) for a codec aiortc does not
        have, or a list of RTX/FEC codecs only.
        """
        preferences = tuple([RTCRtpCodec.from_value(c).to_codec() for c in codecs])
        check_codec_preferences(preferences, capabilities_of(self._kind))
        self._codec_preferences = preferences

    # -- used by the peer connection ---------------------------------------------------------
    def _sending_negotiated(self) -> bool:
        negotiated = self._negotiated
        return negotiated is not None and negotiated.sending and not self._stopping

    def _plan(
        self, mid: str, extensions_in_use: tuple[HeaderExtension, ...] = ()
    ) -> MediaSectionPlan:
        return MediaSectionPlan(
            kind=self._kind,
            mid=mid,
            capabilities=capabilities_of(self._kind),
            direction=self._direction,
            sender=self.sender._local_sender(self._cname),
            codec_preferences=self._codec_preferences,
            stopped=self._stopping,
            codecs_in_use=self._negotiated.codecs if self._negotiated is not None else (),
            extensions_in_use=extensions_in_use,
        )

    def __repr__(self) -> str:
        return (
            f"RTCRtpTransceiver(kind={self._kind!r}, mid={self._mid!r}, "
            f"direction={self.direction!r})"
        )


def new_cname() -> str:
    """An RTCP CNAME for one peer connection (RFC 7022: random, 16 bytes' worth)."""
    return secrets.token_urlsafe(12)


def stream_ids(streams: Iterable[Any]) -> tuple[str, ...]:
    """The ids of addTrack/addTransceiver ``streams`` (MediaStream objects, or ids)."""
    return _stream_ids(streams)


__all__ = [
    "MEDIA_KINDS",
    "TRANSCEIVER_DIRECTIONS",
    "MediaStream",
    "MediaStreamTrackEvent",
    "RTCRtcpParameters",
    "RTCRtpCapabilities",
    "RTCRtpCodec",
    "RTCRtpCodecParameters",
    "RTCRtpEncodingParameters",
    "RTCRtpHeaderExtensionCapability",
    "RTCRtpHeaderExtensionParameters",
    "RTCRtpReceiver",
    "RTCRtpSendParameters",
    "RTCRtpSender",
    "RTCRtpTransceiver",
    "RTCRtpTransceiverInit",
    "RTCTrackEvent",
    "RtpOwner",
    "capabilities_of",
    "new_cname",
    "rtp_capabilities",
    "stream_ids",
]
