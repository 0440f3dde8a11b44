"""aiortc's codec table as :class:`rtcpeer.jsep.codecs.MediaCapabilities`.

JSEP negotiates over plain values and never imports aiortc; this is the one
place that reads aiortc's codec and header-extension tables
(``aiortc.codecs.CODECS`` and ``HEADER_EXTENSIONS``, with their payload
types and ids) and hands them over: Opus, G722, PCMU, PCMA for audio; VP8
and H264 (packetization-mode 1, profile-level-id 42001f and 42e01f), each
with RTX, for video; ``nack``, ``nack pli`` and ``goog-remb`` feedback.

:func:`rtp_codec` and :func:`rtp_header_extension` go the other way: a
negotiated :class:`~rtcpeer.jsep.codecs.Codec` as the
:class:`~rtcpeer.transport.media.RtpCodec` the RTP sender and receiver are
started with (the one place the two representations meet).
"""

from __future__ import annotations

from aiortc.codecs import CODECS, HEADER_EXTENSIONS

from rtcpeer.jsep.codecs import (
    Codec,
    HeaderExtension,
    MediaCapabilities,
    RtcpFeedback,
    make_parameters,
)
from rtcpeer.transport import media

#: The kinds aiortc has codecs for.
MEDIA_KINDS = ("audio", "video")


def local_capabilities(kind: str) -> MediaCapabilities:
    """What aiortc sends and receives for ``kind`` ("audio" or "video"), in its order."""
    if kind not in CODECS or kind not in HEADER_EXTENSIONS:
        raise ValueError(f"kind must be 'audio' or 'video', not {kind!r}")
    codecs = tuple(
        [
            Codec(
                mime_type=codec.mimeType,
                clock_rate=codec.clockRate,
                channels=codec.channels,
                payload_type=codec.payloadType,
                parameters=make_parameters(codec.parameters),
                rtcp_feedback=tuple(
                    [RtcpFeedback(fb.type, fb.parameter) for fb in codec.rtcpFeedback]
                ),
            )
            for codec in CODECS[kind]
        ]
    )
    extensions = tuple([HeaderExtension(e.id, e.uri) for e in HEADER_EXTENSIONS[kind]])
    return MediaCapabilities(kind, codecs, extensions)


def all_local_capabilities() -> dict[str, MediaCapabilities]:
    """:func:`local_capabilities` for audio and video, by kind."""
    return {kind: local_capabilities(kind) for kind in MEDIA_KINDS}


def rtp_codec(codec: Codec) -> media.RtpCodec:
    """A negotiated codec (it has a payload type) as the RTP layer takes it."""
    if codec.payload_type is None:
        raise ValueError(f"{codec.mime_type} has no payload type")
    return media.RtpCodec(
        payload_type=codec.payload_type,
        mime_type=codec.mime_type,
        clock_rate=codec.clock_rate,
        channels=codec.channels,
        parameters=dict(codec.parameters),
        rtcp_feedback=tuple(
            [media.RtcpFeedback(fb.type, fb.parameter) for fb in codec.rtcp_feedback]
        ),
    )


def rtp_header_extension(extension: HeaderExtension) -> media.RtpHeaderExtension:
    """A negotiated header extension as the RTP layer takes it."""
    return media.RtpHeaderExtension(extension.id, extension.uri)


__all__ = [
    "MEDIA_KINDS",
    "all_local_capabilities",
    "local_capabilities",
    "rtp_codec",
    "rtp_header_extension",
]
