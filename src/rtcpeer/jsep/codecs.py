"""Codecs and header extensions as plain values, and how two sides agree on them.

No aiortc here: :func:`rtcpeer.transport.media_capabilities.local_capabilities`
turns aiortc's codec table into :class:`MediaCapabilities`, and everything
below works on those values only.

* :class:`Codec`, :class:`RtcpFeedback`, :class:`HeaderExtension`,
  :class:`MediaCapabilities`: frozen, hashable values.
* :func:`codecs_match`: the same codec configuration (RFC 9429 §5.3.1,
  "media formats ... supported"), H264 by packetization-mode and profile
  (RFC 6184 §8.1; the level is not part of the match).
* :func:`offer_codecs`: what an offer lists (codec preferences, payload
  types kept from an earlier negotiation).
* :func:`answer_codecs`: the intersection an answer lists (the offerer's
  payload types; the offerer's order, or the codec preferences' order).
* :func:`check_codec_preferences`: webrtc-pc's setCodecPreferences checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum

from rtcpeer.errors import InvalidModificationError

Parameters = tuple[tuple[str, str | None], ...]

#: Dynamic payload types (RFC 3551 §3), in the order new ones are handed out;
#: 35-63 only when 96-127 are used up (as libwebrtc does).
DYNAMIC_PAYLOAD_TYPES: tuple[int, ...] = (*range(96, 128), *range(35, 64))


@dataclass(frozen=True, slots=True)
class RtcpFeedback:
    """One RTCP feedback mechanism (RFC 4585): ``nack``, ``nack pli``, ``goog-remb``..."""

    type: str
    parameter: str | None = None

    def __str__(self) -> str:
        return self.type if self.parameter is None else f"{self.type} {self.parameter}"


@dataclass(frozen=True, slots=True)
class Codec:
    """One RTP payload format, as webrtc-pc's RTCRtpCodecParameters."""

    #: ``kind/name``, e.g. ``audio/opus``, ``video/H264``, ``video/rtx``.
    mime_type: str
    clock_rate: int
    #: Audio channels (None for video, and for audio means 1).
    channels: int | None = None
    #: The RTP payload type (None in a capability or a codec preference).
    payload_type: int | None = None
    #: fmtp parameters in order; a value of None is a bare flag.
    parameters: Parameters = ()
    rtcp_feedback: tuple[RtcpFeedback, ...] = ()

    @property
    def kind(self) -> str:
        """``audio`` or ``video`` (the MIME type's top-level type)."""
        return self.mime_type.partition("/")[0].lower()

    @property
    def name(self) -> str:
        """The encoding name (``opus``, ``VP8``, ``rtx``)."""
        return self.mime_type.partition("/")[2]

    @property
    def is_rtx(self) -> bool:
        """A retransmission format (RFC 4588)."""
        return self.name.lower() == "rtx"

    def parameter(self, name: str) -> str | None:
        """The value of fmtp parameter ``name`` (case-insensitive), or None."""
        lowered = name.lower()
        for key, value in self.parameters:
            if key.lower() == lowered:
                return value
        return None

    def has_parameter(self, name: str) -> bool:
        """True when fmtp parameter ``name`` is present (with or without a value)."""
        lowered = name.lower()
        return any(key.lower() == lowered for key, _ in self.parameters)

    @property
    def apt(self) -> int | None:
        """An RTX codec's associated payload type (``apt``), if it is a number."""
        value = self.parameter("apt")
        if value is None or not (value.isascii() and value.isdigit()) or len(value) > 3:
            return None
        return int(value)

    @property
    def fmtp(self) -> str | None:
        """The fmtp parameters as SDP writes them (webrtc-pc's sdpFmtpLine), or None."""
        if not self.parameters:
            return None
        return ";".join([k if v is None else f"{k}={v}" for k, v in self.parameters])

    def with_payload_type(self, payload_type: int) -> Codec:
        """This codec with another payload type."""
        return replace(self, payload_type=payload_type)

    def with_parameter(self, name: str, value: str | None) -> Codec:
        """This codec with fmtp parameter ``name`` set (replaced in place, or appended)."""
        lowered = name.lower()
        out: list[tuple[str, str | None]] = []
        found = False
        for key, old in self.parameters:
            if key.lower() == lowered:
                out.append((key, value))
                found = True
            else:
                out.append((key, old))
        if not found:
            out.append((name, value))
        return replace(self, parameters=tuple(out))


def make_parameters(parameters: Mapping[str, object] | Iterable[tuple[str, object]]) -> Parameters:
    """fmtp parameters from a dict (aiortc's ``{"apt": 97}``) or pairs; values as text."""
    items = parameters.items() if isinstance(parameters, Mapping) else parameters
    return tuple([(str(k), None if v is None else str(v)) for k, v in items])


@dataclass(frozen=True, slots=True)
class HeaderExtension:
    """An RTP header extension (RFC 8285) and the id it has in a description."""

    id: int
    uri: str


@dataclass(frozen=True)
class MediaCapabilities:
    """What we can send and receive for one kind, payload types and ids included.

    ``codecs`` is in preference order; each RTX entry follows the codec
    its ``apt`` names.
    """

    kind: str
    codecs: tuple[Codec, ...]
    header_extensions: tuple[HeaderExtension, ...] = ()


# -- H264 profile-level-id (RFC 6184 §8.1, H.264 Annex A) --------------------


class H264Profile(Enum):
    """The H264 profiles WebRTC endpoints signal."""

    CONSTRAINED_BASELINE = "constrained-baseline"
    BASELINE = "baseline"
    MAIN = "main"
    HIGH = "high"
    CONSTRAINED_HIGH = "constrained-high"
    PREDICTIVE_HIGH_444 = "predictive-high-444"


def _bits(pattern: str) -> tuple[int, int]:
    """``"x1xx0000"`` as (mask, value) over profile-iop (x = either)."""
    mask = value = 0
    for char in pattern:
        mask <<= 1
        value <<= 1
        if char != "x":
            mask |= 1
            value |= char == "1"
    return mask, value


#: (profile_idc, profile-iop pattern, profile): the first row that fits wins.
_PROFILES = tuple(
    (idc, *_bits(pattern), profile)
    for idc, pattern, profile in (
        (0x42, "x1xx0000", H264Profile.CONSTRAINED_BASELINE),
        (0x4D, "1xxx0000", H264Profile.CONSTRAINED_BASELINE),
        (0x58, "11xx0000", H264Profile.CONSTRAINED_BASELINE),
        (0x42, "x0xx0000", H264Profile.BASELINE),
        (0x58, "10xx0000", H264Profile.BASELINE),
        (0x4D, "0x0x0000", H264Profile.MAIN),
        (0x64, "00000000", H264Profile.HIGH),
        (0x64, "00001100", H264Profile.CONSTRAINED_HIGH),
        (0xF4, "00000000", H264Profile.PREDICTIVE_HIGH_444),
    )
)
#: level_idc values of H.264 Table A-1 (9 and 11+constraint_set3 are level 1b).
_LEVELS = frozenset({9, 10, 11, 12, 13, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51, 52})
#: Our stand-in for level 1b, which sits between level 1 (10) and 1.1 (11).
H264_LEVEL_1B = 0
#: When a codec has no profile-level-id: constrained baseline 3.1, as libwebrtc assumes.
DEFAULT_PROFILE_LEVEL_ID = "42e01f"
_CONSTRAINT_SET3 = 0x10
_BASELINE_FAMILY = frozenset({0x42, 0x4D, 0x58})


@dataclass(frozen=True, slots=True)
class H264ProfileLevel:
    """A parsed profile-level-id: profile and level (``H264_LEVEL_1B`` for 1b)."""

    profile: H264Profile
    level: int


def _level_rank(level: int) -> float:
    return 10.5 if level == H264_LEVEL_1B else float(level)


def parse_profile_level_id(text: str) -> H264ProfileLevel:
    """Parse six hex digits (profile_idc, profile-iop, level_idc); ValueError if not valid."""
    if len(text) != 6 or not all(c in "0123456789abcdefABCDEF" for c in text):
        raise ValueError(f"profile-level-id must be 6 hex digits, got {text!r}")
    idc, iop, level_idc = int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    if level_idc not in _LEVELS:
        raise ValueError(f"unknown H264 level_idc {level_idc}")
    level = level_idc
    if level_idc == 9 or (level_idc == 11 and idc in _BASELINE_FAMILY and iop & _CONSTRAINT_SET3):
        level = H264_LEVEL_1B
    for profile_idc, mask, value, profile in _PROFILES:
        if idc == profile_idc and iop & mask == value:
            return H264ProfileLevel(profile, level)
    raise ValueError(f"unknown H264 profile (profile_idc {idc:#04x}, profile-iop {iop:#04x})")


def with_level(profile_level_id: str, level: int) -> str:
    """``profile_level_id`` (valid) rewritten for another ``level``."""
    idc, iop = int(profile_level_id[0:2], 16), int(profile_level_id[2:4], 16)
    if level == H264_LEVEL_1B:
        if idc in _BASELINE_FAMILY:
            return f"{idc:02x}{iop | _CONSTRAINT_SET3:02x}0b"
        return f"{idc:02x}{iop:02x}09"
    if idc in _BASELINE_FAMILY:
        iop &= ~_CONSTRAINT_SET3
    return f"{idc:02x}{iop:02x}{level:02x}"


def h264_profile_level(codec: Codec) -> H264ProfileLevel:
    """The profile and level of an H264 codec (the default when it names none)."""
    return parse_profile_level_id(codec.parameter("profile-level-id") or DEFAULT_PROFILE_LEVEL_ID)


def _packetization_mode(codec: Codec) -> str:
    return codec.parameter("packetization-mode") or "0"


def _is_h264(codec: Codec) -> bool:
    return codec.mime_type.lower() == "video/h264"


def codecs_match(a: Codec, b: Codec) -> bool:
    """``a`` and ``b`` are the same media format (payload types and feedback aside).

    MIME type (case-insensitive), clock rate and channel count (absent
    meaning 1) must agree; for H264 also packetization-mode and the profile
    of profile-level-id (levels may differ: the answer takes the lower);
    for VP9 the profile-id. RTX codecs match any RTX of the same clock rate
    (their ``apt`` is checked by the caller).
    """
    if a.mime_type.lower() != b.mime_type.lower() or a.clock_rate != b.clock_rate:
        return False
    if (a.channels or 1) != (b.channels or 1):
        return False
    if _is_h264(a):
        if _packetization_mode(a) != _packetization_mode(b):
            return False
        try:
            return h264_profile_level(a).profile == h264_profile_level(b).profile
        except ValueError:
            return False
    if a.mime_type.lower() == "video/vp9":
        return (a.parameter("profile-id") or "0") == (b.parameter("profile-id") or "0")
    return True


def _answer_parameters(offered: Codec, local: Codec) -> Parameters:
    """The fmtp of an accepted codec: ours (H264: the offer's profile at the lower level)."""
    if not _is_h264(local):
        return local.parameters
    ours = h264_profile_level(local)
    theirs = h264_profile_level(offered)
    level = min(ours.level, theirs.level, key=_level_rank)
    # The offerer's profile bytes (same profile as ours), at the lower level.
    base = offered.parameter("profile-level-id") or DEFAULT_PROFILE_LEVEL_ID
    return local.with_parameter("profile-level-id", with_level(base, level)).parameters


def _same_preference(codec: Codec, preference: Codec) -> bool:
    """``codec`` is the one ``preference`` names (webrtc-pc's codec dictionary match)."""
    if preference.is_rtx or codec.is_rtx:
        return codec.is_rtx and preference.is_rtx and codec.clock_rate == preference.clock_rate
    if not codecs_match(codec, preference):
        return False
    if not preference.parameters or _is_h264(codec):
        return True
    return {k.lower(): v for k, v in codec.parameters} == {
        k.lower(): v for k, v in preference.parameters
    }


def check_codec_preferences(preferences: Sequence[Codec], capabilities: MediaCapabilities) -> None:
    """webrtc-pc setCodecPreferences: every entry must be one of ``capabilities``.

    Raises InvalidModificationError for a codec we cannot receive, or for
    a list with nothing but RTX/RED/FEC entries. An empty list is valid
    (it resets the preferences).
    """
    if not preferences:
        return
    for preference in preferences:
        if not any(_same_preference(c, preference) for c in capabilities.codecs):
            raise InvalidModificationError(
                f"{preference.mime_type}/{preference.clock_rate} is not a "
                f"{capabilities.kind} codec this peer can receive"
            )
    if all(p.is_rtx or p.name.lower() in ("red", "ulpfec", "flexfec-03") for p in preferences):
        raise InvalidModificationError("codec preferences need at least one media codec")


def _order_by_preferences(codecs: Sequence[Codec], preferences: Sequence[Codec]) -> list[Codec]:
    """``codecs`` (primaries each followed by their RTX) filtered and ordered by ``preferences``."""
    primaries = [c for c in codecs if not c.is_rtx]
    want_rtx = any(p.is_rtx for p in preferences)
    ordered: list[Codec] = []
    for preference in preferences:
        if preference.is_rtx:
            continue
        for codec in primaries:
            if codec not in ordered and _same_preference(codec, preference):
                ordered.append(codec)
    if not want_rtx:
        return ordered
    out: list[Codec] = []
    for codec in ordered:
        out.append(codec)
        out += [r for r in codecs if r.is_rtx and r.apt == codec.payload_type]
    return out


def _next_free(taken: set[int]) -> int:
    for pt in DYNAMIC_PAYLOAD_TYPES:
        if pt not in taken:
            return pt
    raise ValueError("no free dynamic payload type")


def offer_codecs(
    capabilities: MediaCapabilities,
    preferences: Sequence[Codec] = (),
    in_use: Sequence[Codec] = (),
) -> tuple[Codec, ...]:
    """The codecs an offer lists for one section (RFC 9429 §5.2.1, §5.2.2).

    Our capabilities in order, filtered and ordered by the codec
    ``preferences`` when any are set (RTX only if the preferences list
    one, webrtc-pc §5.4). A codec that ``in_use`` (the codecs of the
    current negotiation) already has keeps that payload type; any other
    keeps its capability payload type unless that is taken, in which case
    it gets a free dynamic one. RTX ``apt`` values follow their primaries.
    """
    codecs = list(capabilities.codecs)
    if preferences:
        codecs = _order_by_preferences(codecs, preferences)
    taken: set[int] = {c.payload_type for c in in_use if c.payload_type is not None}
    reused: set[int] = set()
    #: capability payload type -> the payload type offered for it
    mapping: dict[int, int] = {}
    out: list[Codec] = []
    for codec in codecs:
        if codec.is_rtx:
            continue
        pt: int | None = None
        for previous in in_use:
            if (
                previous.payload_type is not None
                and previous.payload_type not in reused
                and not previous.is_rtx
                and codecs_match(codec, previous)  # the format, whatever fmtp the peer answered
            ):
                pt = previous.payload_type
                reused.add(pt)
                break
        if pt is None:
            if codec.payload_type is not None and codec.payload_type not in taken:
                pt = codec.payload_type
            else:
                pt = _next_free(taken)
        taken.add(pt)
        if codec.payload_type is not None:
            mapping.setdefault(codec.payload_type, pt)
        out.append(codec.with_payload_type(pt))
    for codec in codecs:
        apt = codec.apt
        if not codec.is_rtx or apt is None or apt not in mapping:
            continue
        primary_pt = mapping[apt]
        existing = next((u for u in in_use if u.is_rtx and u.apt == primary_pt), None)
        if existing is not None and existing.payload_type is not None:
            pt = existing.payload_type
        elif codec.payload_type is not None and codec.payload_type not in taken:
            pt = codec.payload_type
        else:
            pt = _next_free(taken)
        taken.add(pt)
        out.append(replace(codec.with_parameter("apt", str(primary_pt)), payload_type=pt))
    # RTX right after its primary, as browsers write them.
    primaries = [c for c in out if not c.is_rtx]
    ordered: list[Codec] = []
    for codec in primaries:
        ordered.append(codec)
        ordered += [r for r in out if r.is_rtx and r.apt == codec.payload_type]
    return tuple(ordered)


def answer_codecs(
    offered: Sequence[Codec],
    capabilities: MediaCapabilities,
    preferences: Sequence[Codec] = (),
) -> tuple[Codec, ...]:
    """The codecs an answer accepts from ``offered`` (RFC 9429 §5.3.1).

    Each offered codec that matches one of ours (:func:`codecs_match`) is
    kept with the offerer's payload type and MIME spelling, our fmtp (an
    H264 profile-level-id at the lower of the two levels) and the RTCP
    feedback both sides list; an RTX codec is kept when its ``apt`` names a
    kept codec and we do RTX. The offerer's order, unless codec
    ``preferences`` are set: then theirs, without any codec they leave out.
    An empty result means no codec in common.
    """
    local_rtx = [c for c in capabilities.codecs if c.is_rtx]
    kept: list[Codec] = []
    kept_pts: set[int | None] = set()
    for codec in offered:
        if codec.is_rtx or codec.payload_type is None:
            continue
        local = next(
            (c for c in capabilities.codecs if not c.is_rtx and codecs_match(codec, c)), None
        )
        if local is None:
            continue
        try:
            parameters = _answer_parameters(codec, local)
        except ValueError:
            continue
        feedback = tuple([fb for fb in codec.rtcp_feedback if fb in local.rtcp_feedback])
        kept.append(replace(codec, parameters=parameters, rtcp_feedback=feedback))
        kept_pts.add(codec.payload_type)
    out: list[Codec] = []
    for codec in kept:
        out.append(codec)
        for rtx in offered:
            if (
                rtx.is_rtx
                and rtx.apt == codec.payload_type
                and rtx.payload_type is not None
                and rtx.payload_type not in kept_pts
                and any(r.clock_rate == rtx.clock_rate for r in local_rtx)
            ):
                out.append(replace(rtx, parameters=(("apt", str(codec.payload_type)),)))
                kept_pts.add(rtx.payload_type)
                break
    if preferences:
        out = _order_by_preferences(out, preferences)
    return tuple(out)


def negotiated_codecs(answered: Sequence[Codec], offered: Sequence[Codec]) -> tuple[Codec, ...]:
    """The codecs of a remote answer that are ones we offered (same payload type, same format).

    The answer's order and fmtp are kept; RTX only for a kept primary. An
    answerer that answers with a codec we did not offer is ignored for it.
    """
    ours: dict[int | None, Codec] = {
        c.payload_type: c for c in offered if c.payload_type is not None
    }
    out: list[Codec] = []
    kept: set[int | None] = set()
    for codec in answered:
        mine = ours.get(codec.payload_type)
        if mine is None or codec.is_rtx or not codecs_match(codec, mine):
            continue
        feedback = tuple([fb for fb in codec.rtcp_feedback if fb in mine.rtcp_feedback])
        out.append(replace(codec, rtcp_feedback=feedback))
        kept.add(codec.payload_type)
    result: list[Codec] = []
    for codec in out:
        result.append(codec)
        for rtx in answered:
            mine = ours.get(rtx.payload_type)
            if rtx.is_rtx and mine is not None and mine.is_rtx and rtx.apt == codec.payload_type:
                result.append(rtx)
                break
    return tuple(result)


#: One-byte header extension ids (RFC 8285 §4.2); 15 is reserved.
ONE_BYTE_EXTENSION_IDS = range(1, 15)


def offer_header_extensions(
    capabilities: MediaCapabilities, in_use: Sequence[HeaderExtension] = ()
) -> tuple[HeaderExtension, ...]:
    """Our extensions with the ids an offer gives them (RFC 9429 §5.2.2, RFC 8843 §9.2).

    ``in_use`` is what the BUNDLE group has negotiated so far (the peer may have
    picked the ids): an extension keeps its negotiated id, and an id bound to
    one URI is never offered for another. Ours that are new take our own id
    if it is free, else the lowest free one-byte id (none free: left out).
    """
    negotiated = {e.uri: e.id for e in in_use}
    taken = set(negotiated.values())
    result: list[HeaderExtension] = []
    for extension in capabilities.header_extensions:
        ext_id = negotiated.get(extension.uri)
        if ext_id is None:
            if extension.id in taken:
                ext_id = next((i for i in ONE_BYTE_EXTENSION_IDS if i not in taken), None)
                if ext_id is None:
                    continue
            else:
                ext_id = extension.id
            taken.add(ext_id)
        result.append(HeaderExtension(ext_id, extension.uri))
    return tuple(result)


def answer_header_extensions(
    offered: Sequence[HeaderExtension], capabilities: MediaCapabilities
) -> tuple[HeaderExtension, ...]:
    """The offered extensions we implement, with the offerer's ids, in the offer's order."""
    ours = {e.uri for e in capabilities.header_extensions}
    return tuple([e for e in offered if e.uri in ours])


__all__ = [
    "DEFAULT_PROFILE_LEVEL_ID",
    "DYNAMIC_PAYLOAD_TYPES",
    "H264_LEVEL_1B",
    "Codec",
    "H264Profile",
    "H264ProfileLevel",
    "HeaderExtension",
    "MediaCapabilities",
    "Parameters",
    "RtcpFeedback",
    "answer_codecs",
    "answer_header_extensions",
    "check_codec_preferences",
    "codecs_match",
    "h264_profile_level",
    "make_parameters",
    "negotiated_codecs",
    "offer_codecs",
    "offer_header_extensions",
    "parse_profile_level_id",
    "with_level",
]
