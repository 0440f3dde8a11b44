"""aiortc's codec table as :class:`rtcpeer.jsep.codecs.MediaCapabilities`.

JSEP negotiates over plain values and never imports aiortc; this is the one
place that reads aiortc's codec and header-extension tables
(``aiortc.codecs.CODECS`` and ``HEADER_EXTENSIONS``, with their payload
types and ids) and hands them over: Opus, G722, PCMU, PCMA for audio; VP8
and H264 (packetization-mode 1, profile-level-id 42001f and 42e01f), each
with RTX, for video; ``nack``, ``nack pli`` and ``goog-remb`` feedback.
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


__all__ = ["MEDIA_KINDS", "all_local_capabilities", "local_capabilities"]
