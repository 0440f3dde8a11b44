"""Grammars and a typed view for the attributes of RTP (audio/video) sections.

The value parsers (``parse_rtpmap``, ``parse_fmtp``, ``parse_rtcp_fb``,
``parse_extmap``, ``parse_ssrc``, ``parse_ssrc_group``, ``parse_msid``,
``parse_rid``, ``parse_simulcast``) take the text after ``a=name:`` and
return a frozen value or raise :class:`SdpValueError`, like those in
:mod:`rtcpeer.sdp.grammar`. :func:`read_rtp_attributes` reads every such
attribute of one section into :class:`RtpAttributes`, checking what spans
lines (one rtpmap per payload type, an fmtp that contradicts another) and
raising :class:`SdpAttributeError`, which names the offending attribute.
:func:`check_rtp_sections` / :func:`parse_media_sdp` turn that into an
:class:`SdpParseError` with the line number webrtc-pc's "sdp-syntax-error"
needs.

Cost is bounded: every check is linear in the line it reads, value lengths
and counts are capped (``MAX_*`` below), and a section is read in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from rtcpeer.sdp.errors import SdpParseError, SdpValueError
from rtcpeer.sdp.grammar import DIRECTIONS, is_token, uint
from rtcpeer.sdp.model import Attribute, MediaSection, SessionDescription
from rtcpeer.sdp.parser import parse_sdp

#: RTP payload types are 7 bits (RFC 3550 §5.1).
MAX_PAYLOAD_TYPE = 127
#: Clock rates above this are not a real codec (and keep ints small).
MAX_CLOCK_RATE = 10_000_000
MAX_CHANNELS = 255
#: Caps on what one line may hold; far above anything a browser writes.
MAX_FMTP_PARAMETERS = 64
MAX_SSRC_GROUP_SIZE = 32
MAX_VALUE_LENGTH = 1024
MAX_SSRC = 2**32 - 1
#: RFC 8285 §5: 1-14 (one-byte), 1-255 (two-byte), and 4096-4351 in offers.
_EXTMAP_IDS = (range(1, 256), range(4096, 4352))
_EXTMAP_DIRECTIONS = frozenset(DIRECTIONS)
_RID_DIRECTIONS = frozenset({"send", "recv"})

#: Attribute names :func:`read_rtp_attributes` reads (their values are checked).
RTP_ATTRIBUTE_NAMES = frozenset(
    {
        "rtpmap",
        "fmtp",
        "rtcp-fb",
        "extmap",
        "ssrc",
        "ssrc-group",
        "msid",
        "rid",
        "simulcast",
    }
)


class SdpAttributeError(SdpValueError):
    """A malformed or contradictory attribute of one media section.

    ``index`` is the attribute's position in ``MediaSection.attributes``
    (which keeps the order of the ``a=`` lines in the text), ``attribute``
    the attribute itself.
    """

    def __init__(self, index: int, attribute: Attribute, reason: str) -> None:
        super().__init__(f"a={attribute.name}: {reason}")
        self.index = index
        self.attribute = attribute
        self.reason = reason


def _bounded(text: str, what: str) -> str:
    if len(text) > MAX_VALUE_LENGTH:
        raise SdpValueError(f"{what} is longer than {MAX_VALUE_LENGTH} characters")
    return text


def payload_type(text: str) -> int:
    """An RTP payload type: a decimal 0..127."""
    return uint(text, "payload type", max_digits=3, maximum=MAX_PAYLOAD_TYPE)


def _split_format(text: str, what: str) -> tuple[str, str]:
    """``<fmt> <rest>``: the first word and the rest (which must not be empty)."""
    _bounded(text, what)
    head, _, rest = text.partition(" ")
    rest = rest.strip()
    if not head or not rest:
        raise SdpValueError(f"{what} needs a payload type and a value")
    return head, rest


@dataclass(frozen=True, slots=True)
class Rtpmap:
    """``a=rtpmap:<pt> <encoding name>/<clock rate>[/<channels>]`` (RFC 8866 §6.6)."""

    payload_type: int
    encoding_name: str
    clock_rate: int
    channels: int | None = None

    def __str__(self) -> str:
        text = f"{self.payload_type} {self.encoding_name}/{self.clock_rate}"
        return text if self.channels is None else f"{text}/{self.channels}"


def parse_rtpmap(text: str) -> Rtpmap:
    """The value of an ``a=rtpmap`` line."""
    head, rest = _split_format(text, "rtpmap")
    pt = payload_type(head)
    parts = rest.split("/")
    if len(parts) not in (2, 3) or " " in rest:
        raise SdpValueError(f"rtpmap needs <encoding>/<clock rate>[/<channels>], got {rest!r}")
    name = parts[0]
    if not is_token(name):
        raise SdpValueError(f"invalid encoding name {name!r}")
    clock = uint(parts[1], "clock rate", max_digits=8, maximum=MAX_CLOCK_RATE)
    if clock == 0:
        raise SdpValueError("clock rate must not be 0")
    channels = None
    if len(parts) == 3:
        channels = uint(parts[2], "channels", max_digits=3, maximum=MAX_CHANNELS)
        if channels == 0:
            raise SdpValueError("channels must not be 0")
    return Rtpmap(pt, name, clock, channels)


@dataclass(frozen=True, slots=True)
class Fmtp:
    """``a=fmtp:<pt> <k>=<v>;<k>=<v>...`` (RFC 8866 §6.15), parameters in order.

    A parameter without ``=`` (``a=fmtp:63 111/111``, ``a=fmtp:101 0-15``)
    has the value None.
    """

    payload_type: int
    parameters: tuple[tuple[str, str | None], ...]

    def get(self, name: str) -> str | None:
        """The value of parameter ``name`` (case-insensitive name), or None."""
        lowered = name.lower()
        for key, value in self.parameters:
            if key.lower() == lowered:
                return value
        return None

    def __str__(self) -> str:
        return f"{self.payload_type} {format_fmtp_parameters(self.parameters)}"


def format_fmtp_parameters(parameters: tuple[tuple[str, str | None], ...]) -> str:
    """``k=v;k;k=v`` as written after the payload type of an ``a=fmtp`` line."""
    return ";".join([key if value is None else f"{key}={value}" for key, value in parameters])


def parse_fmtp_parameters(text: str) -> tuple[tuple[str, str | None], ...]:
    """The ``;``-separated parameters of an fmtp value (spaces around ``;`` allowed)."""
    pieces = [piece.strip() for piece in text.split(";")]
    if pieces and pieces[-1] == "":
        pieces.pop()  # a trailing ";" (seen in the wild)
    if len(pieces) > MAX_FMTP_PARAMETERS:
        raise SdpValueError(f"fmtp has more than {MAX_FMTP_PARAMETERS} parameters")
    out: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for piece in pieces:
        if not piece or " " in piece or "\t" in piece:
            raise SdpValueError(f"malformed fmtp parameter {piece!r}")
        key, equals, value = piece.partition("=")
        if not key:
            raise SdpValueError(f"fmtp parameter without a name: {piece!r}")
        if key.lower() in seen:
            raise SdpValueError(f"fmtp parameter {key!r} given twice")
        seen.add(key.lower())
        out.append((key, value if equals else None))
    if not out:
        raise SdpValueError("fmtp has no parameters")
    return tuple(out)


def parse_fmtp(text: str) -> Fmtp:
    """The value of an ``a=fmtp`` line."""
    head, rest = _split_format(text, "fmtp")
    return Fmtp(payload_type(head), parse_fmtp_parameters(rest))


@dataclass(frozen=True, slots=True)
class RtcpFb:
    """``a=rtcp-fb:<pt or *> <type> [<parameter>...]`` (RFC 4585 §4.2).

    ``payload_type`` None is the wildcard ``*``; ``parameter`` is the rest
    of the line after the type (``pli``, ``fir``, ``tmmbr smaxpr=120``).
    """

    payload_type: int | None
    type: str
    parameter: str | None = None

    def __str__(self) -> str:
        pt = "*" if self.payload_type is None else str(self.payload_type)
        text = f"{pt} {self.type}"
        return text if self.parameter is None else f"{text} {self.parameter}"


def parse_rtcp_fb(text: str) -> RtcpFb:
    """The value of an ``a=rtcp-fb`` line."""
    head, rest = _split_format(text, "rtcp-fb")
    pt = None if head == "*" else payload_type(head)
    words = rest.split()
    if not is_token(words[0]):
        raise SdpValueError(f"invalid rtcp-fb type {words[0]!r}")
    for word in words[1:]:
        if not word.isprintable():
            raise SdpValueError("rtcp-fb parameter has control characters")
    parameter = " ".join(words[1:]) or None
    return RtcpFb(pt, words[0], parameter)


@dataclass(frozen=True, slots=True)
class Extmap:
    """``a=extmap:<id>[/<direction>] <uri> [<attributes>]`` (RFC 8285 §8)."""

    id: int
    uri: str
    direction: str | None = None
    attributes: str | None = None

    def __str__(self) -> str:
        head = str(self.id) if self.direction is None else f"{self.id}/{self.direction}"
        text = f"{head} {self.uri}"
        return text if self.attributes is None else f"{text} {self.attributes}"


def parse_extmap(text: str) -> Extmap:
    """The value of an ``a=extmap`` line."""
    head, rest = _split_format(text, "extmap")
    id_text, slash, direction = head.partition("/")
    ext_id = uint(id_text, "extmap id", max_digits=4)
    if not any(ext_id in ids for ids in _EXTMAP_IDS):
        raise SdpValueError(f"extmap id must be 1-255 (or 4096-4351), got {ext_id}")
    if slash and direction not in _EXTMAP_DIRECTIONS:
        raise SdpValueError(f"unknown extmap direction {direction!r}")
    uri, _, attributes = rest.partition(" ")
    if ":" not in uri or not uri.isprintable():
        raise SdpValueError(f"extmap needs a URI, got {uri!r}")
    return Extmap(ext_id, uri, direction if slash else None, attributes.strip() or None)


def ssrc_value(text: str) -> int:
    """An SSRC: a decimal 0..2**32-1."""
    return uint(text, "ssrc", max_digits=10, maximum=MAX_SSRC)


@dataclass(frozen=True, slots=True)
class SsrcAttribute:
    """``a=ssrc:<ssrc> <attribute>[:<value>]`` (RFC 5576 §4.1)."""

    ssrc: int
    attribute: str
    value: str | None = None

    def __str__(self) -> str:
        text = f"{self.ssrc} {self.attribute}"
        return text if self.value is None else f"{text}:{self.value}"


def parse_ssrc(text: str) -> SsrcAttribute:
    """The value of an ``a=ssrc`` line."""
    head, rest = _split_format(text, "ssrc")
    name, colon, value = rest.partition(":")
    if not is_token(name):
        raise SdpValueError(f"invalid ssrc attribute name {name!r}")
    return SsrcAttribute(ssrc_value(head), name, value if colon else None)


@dataclass(frozen=True, slots=True)
class SsrcGroup:
    """``a=ssrc-group:<semantics> <ssrc> ...`` (RFC 5576 §4.2), e.g. FID (RTX)."""

    semantics: str
    ssrcs: tuple[int, ...]

    def __str__(self) -> str:
        return " ".join((self.semantics, *[str(s) for s in self.ssrcs]))


def parse_ssrc_group(text: str) -> SsrcGroup:
    """The value of an ``a=ssrc-group`` line."""
    words = _bounded(text, "ssrc-group").split()
    if len(words) < 2:
        raise SdpValueError("ssrc-group needs semantics and at least one ssrc")
    if not is_token(words[0]):
        raise SdpValueError(f"invalid ssrc-group semantics {words[0]!r}")
    if len(words) - 1 > MAX_SSRC_GROUP_SIZE:
        raise SdpValueError(f"ssrc-group has more than {MAX_SSRC_GROUP_SIZE} ssrcs")
    return SsrcGroup(words[0], tuple([ssrc_value(w) for w in words[1:]]))


@dataclass(frozen=True, slots=True)
class Msid:
    """``a=msid:<stream id> [<track id>]`` (RFC 8830); stream ``-`` means none."""

    stream_id: str
    track_id: str | None = None

    def __str__(self) -> str:
        return self.stream_id if self.track_id is None else f"{self.stream_id} {self.track_id}"


def _msid_id(word: str, what: str) -> str:
    if len(word) > 64 or not word.isprintable():
        raise SdpValueError(f"invalid msid {what} {word!r} (1-64 visible characters)")
    return word


def parse_msid(text: str) -> Msid:
    """The value of an ``a=msid`` line (or of the ``msid:`` of an ``a=ssrc``)."""
    words = _bounded(text, "msid").split()
    if len(words) not in (1, 2):
        raise SdpValueError("msid needs a stream id and at most one track id")
    stream = _msid_id(words[0], "stream id")
    track = _msid_id(words[1], "track id") if len(words) == 2 else None
    return Msid(stream, track)


@dataclass(frozen=True, slots=True)
class Rid:
    """``a=rid:<id> <send|recv> [<restrictions>]`` (RFC 8851); recognised, not used."""

    id: str
    direction: str
    restrictions: str | None = None


def parse_rid(text: str) -> Rid:
    """The value of an ``a=rid`` line."""
    words = _bounded(text, "rid").split(" ", 2)
    if len(words) < 2:
        raise SdpValueError("rid needs an id and a direction")
    rid_id, direction = words[0], words[1]
    if not rid_id or not all(c.isascii() and (c.isalnum() or c in "-_") for c in rid_id):
        raise SdpValueError(f"invalid rid id {rid_id!r}")
    if direction not in _RID_DIRECTIONS:
        raise SdpValueError(f"rid direction must be send or recv, got {direction!r}")
    restrictions = (words[2].strip() or None) if len(words) == 3 else None
    return Rid(rid_id, direction, restrictions)


@dataclass(frozen=True, slots=True)
class Simulcast:
    """``a=simulcast:<send|recv> <rid list> [<send|recv> <rid list>]`` (RFC 8853)."""

    send: str | None
    recv: str | None


def parse_simulcast(text: str) -> Simulcast:
    """The value of an ``a=simulcast`` line (the rid lists are kept as text)."""
    words = _bounded(text, "simulcast").split()
    if len(words) not in (2, 4):
        raise SdpValueError("simulcast needs 'send|recv <rids>' once or twice")
    lists: dict[str, str] = {}
    for direction, rids in zip(words[::2], words[1::2], strict=True):
        if direction not in _RID_DIRECTIONS or direction in lists:
            raise SdpValueError(f"invalid simulcast direction {direction!r}")
        lists[direction] = rids
    return Simulcast(lists.get("send"), lists.get("recv"))


@dataclass(frozen=True)
class RtpAttributes:
    """Everything an RTP section's attributes say, read and checked once."""

    #: ``a=rtpmap`` by payload type.
    rtpmaps: dict[int, Rtpmap]
    #: ``a=fmtp`` by payload type.
    fmtps: dict[int, Fmtp]
    rtcp_fbs: tuple[RtcpFb, ...]
    extmaps: tuple[Extmap, ...]
    ssrcs: tuple[SsrcAttribute, ...]
    ssrc_groups: tuple[SsrcGroup, ...]
    msids: tuple[Msid, ...]
    rids: tuple[Rid, ...]
    simulcast: Simulcast | None
    rtcp_mux: bool
    rtcp_rsize: bool
    #: The direction attribute (sendrecv when none is present, RFC 3264 §5.1).
    direction: str

    def rtcp_feedback_for(self, pt: int) -> tuple[RtcpFb, ...]:
        """The rtcp-fb lines for payload type ``pt``, wildcard ones included."""
        return tuple([fb for fb in self.rtcp_fbs if fb.payload_type in (pt, None)])


_VALUE_PARSERS = {
    "rtpmap": parse_rtpmap,
    "fmtp": parse_fmtp,
    "rtcp-fb": parse_rtcp_fb,
    "extmap": parse_extmap,
    "ssrc": parse_ssrc,
    "ssrc-group": parse_ssrc_group,
    "msid": parse_msid,
    "rid": parse_rid,
    "simulcast": parse_simulcast,
}


def read_rtp_attributes(section: MediaSection) -> RtpAttributes:
    """Read and check the RTP attributes of ``section`` in one pass.

    Raises :class:`SdpAttributeError` for a malformed value, a second
    rtpmap or fmtp for one payload type, two extmaps with one id or one
    URI, a second a=simulcast, or an ``a=ssrc`` ``msid:`` that is not an
    msid. Lines about payload types the m= line does not list are kept
    (callers ignore them, RFC 9429 §5.8).
    """
    rtpmaps: dict[int, Rtpmap] = {}
    fmtps: dict[int, Fmtp] = {}
    rtcp_fbs: list[RtcpFb] = []
    extmaps: list[Extmap] = []
    extmap_ids: set[int] = set()
    ssrcs: list[SsrcAttribute] = []
    groups: list[SsrcGroup] = []
    msids: list[Msid] = []
    rids: list[Rid] = []
    simulcast: Simulcast | None = None
    rtcp_mux = rtcp_rsize = False
    direction = "sendrecv"
    for index, attribute in enumerate(section.attributes):
        name = attribute.name
        if name in DIRECTIONS:
            direction = name
            continue
        if name == "rtcp-mux":
            rtcp_mux = True
            continue
        if name == "rtcp-rsize":
            rtcp_rsize = True
            continue
        parser = _VALUE_PARSERS.get(name)
        if parser is None:
            continue
        if attribute.value is None:
            raise SdpAttributeError(index, attribute, "needs a value")
        try:
            value = parser(attribute.value)
        except SdpValueError as error:
            raise SdpAttributeError(index, attribute, str(error)) from None
        if isinstance(value, Rtpmap):
            if value.payload_type in rtpmaps:
                raise SdpAttributeError(
                    index, attribute, f"a second rtpmap for payload type {value.payload_type}"
                )
            rtpmaps[value.payload_type] = value
        elif isinstance(value, Fmtp):
            if value.payload_type in fmtps:
                raise SdpAttributeError(
                    index, attribute, f"a second fmtp for payload type {value.payload_type}"
                )
            fmtps[value.payload_type] = value
        elif isinstance(value, RtcpFb):
            rtcp_fbs.append(value)
        elif isinstance(value, Extmap):
            if value.id in extmap_ids:
                raise SdpAttributeError(index, attribute, f"extmap id {value.id} used twice")
            extmap_ids.add(value.id)
            extmaps.append(value)
        elif isinstance(value, SsrcAttribute):
            if value.attribute == "msid" and value.value is not None:
                try:
                    parse_msid(value.value)
                except SdpValueError as error:
                    raise SdpAttributeError(index, attribute, str(error)) from None
            ssrcs.append(value)
        elif isinstance(value, SsrcGroup):
            groups.append(value)
        elif isinstance(value, Msid):
            msids.append(value)
        elif isinstance(value, Rid):
            rids.append(value)
        elif isinstance(value, Simulcast):
            if simulcast is not None:
                raise SdpAttributeError(index, attribute, "a second a=simulcast")
            simulcast = value
    return RtpAttributes(
        rtpmaps=rtpmaps,
        fmtps=fmtps,
        rtcp_fbs=tuple(rtcp_fbs),
        extmaps=tuple(extmaps),
        ssrcs=tuple(ssrcs),
        ssrc_groups=tuple(groups),
        msids=tuple(msids),
        rids=tuple(rids),
        simulcast=simulcast,
        rtcp_mux=rtcp_mux,
        rtcp_rsize=rtcp_rsize,
        direction=direction,
    )


def _attribute_line_numbers(text: str) -> list[list[int]]:
    """For each media section of ``text``, the line numbers of its ``a=`` lines.

    Numbers as :func:`parse_sdp` counts them (1-based, CRLF or LF, blank
    lines counted but skipped).
    """
    stripped = text.replace("\r\n", "\n")
    sections: list[list[int]] = []
    for number, line in enumerate(stripped.split("\n"), start=1):
        if line.startswith("m="):
            sections.append([])
        elif line.startswith("a=") and sections:
            sections[-1].append(number)
    return sections


def _description_line_numbers(description: SessionDescription) -> list[list[int]]:
    sections: list[list[int]] = []
    number = 3 + len(description.fields) + len(description.attributes)
    for section in description.media:
        number += 1 + len(section.fields)
        sections.append(list(range(number + 1, number + 1 + len(section.attributes))))
        number += len(section.attributes)
    return sections


def check_rtp_sections(description: SessionDescription, text: str | None = None) -> None:
    """Check the RTP attributes of every RTP section, or raise :class:`SdpParseError`.

    ``text`` is the SDP ``description`` was parsed from, for exact line
    numbers; without it they count the lines of ``description.to_sdp()``
    (the same for any SDP whose ``c=``/``b=`` lines precede its ``a=``
    lines, as every browser writes them).
    """
    numbers: list[list[int]] | None = None
    for position, section in enumerate(description.media):
        if not section.is_rtp:
            continue
        try:
            read_rtp_attributes(section)
        except SdpAttributeError as error:
            if numbers is None:
                numbers = (
                    _attribute_line_numbers(text)
                    if text is not None
                    else _description_line_numbers(description)
                )
            line = str(error.attribute)
            raise SdpParseError(numbers[position][error.index], str(error), line) from None


def parse_media_sdp(text: str) -> SessionDescription:
    """:func:`parse_sdp`, then :func:`check_rtp_sections` with exact line numbers."""
    description = parse_sdp(text)
    check_rtp_sections(description, text)
    return description


__all__ = [
    "MAX_FMTP_PARAMETERS",
    "MAX_PAYLOAD_TYPE",
    "MAX_SSRC",
    "MAX_SSRC_GROUP_SIZE",
    "MAX_VALUE_LENGTH",
    "RTP_ATTRIBUTE_NAMES",
    "Extmap",
    "Fmtp",
    "Msid",
    "Rid",
    "RtcpFb",
    "RtpAttributes",
    "Rtpmap",
    "SdpAttributeError",
    "Simulcast",
    "SsrcAttribute",
    "SsrcGroup",
    "check_rtp_sections",
    "format_fmtp_parameters",
    "parse_extmap",
    "parse_fmtp",
    "parse_fmtp_parameters",
    "parse_media_sdp",
    "parse_msid",
    "parse_rid",
    "parse_rtcp_fb",
    "parse_rtpmap",
    "parse_simulcast",
    "parse_ssrc",
    "parse_ssrc_group",
    "payload_type",
    "ssrc_value",
]
