"""Audio and video m-sections: write them in offers and answers, read them from the peer.

Pure functions over :mod:`rtcpeer.jsep.codecs` values (no aiortc, no I/O):

* :func:`remote_media_section` reads one remote audio/video section into
  :class:`RemoteMedia` (codecs with payload types, header extension ids,
  SSRCs and the RTX SSRC, msid stream and track ids, direction);
  :func:`remote_media` does it for a whole description and turns a
  malformed ``rtpmap``/``fmtp``/``rtcp-fb``/``extmap``... line into
  RTCError("sdp-syntax-error") with its line number (RFC 9429 §5.8).
* :func:`media_offer_section` writes the section of a transceiver in an
  offer (RFC 9429 §5.2.1).
* :func:`media_answer_section` answers one offered section (RFC 9429
  §5.3.1): the codec and header-extension intersection, the direction,
  simulcast declined; no codec in common (or a section we cannot read)
  is rejected with port 0, never raised.
* :func:`negotiate_from_answer` is the offerer's side: what a remote
  answer to our section agreed.

Both sides end with a :class:`NegotiatedMedia`: what aiortc's RTP sender
and receiver of that transceiver are configured from
(:mod:`rtcpeer.transport.media_capabilities`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

from rtcpeer.jsep.codecs import (
    Codec,
    HeaderExtension,
    MediaCapabilities,
    RtcpFeedback,
    answer_codecs,
    answer_header_extensions,
    negotiated_codecs,
    offer_codecs,
    offer_header_extensions,
)
from rtcpeer.jsep.credentials import IceCredentials
from rtcpeer.jsep.errors import sdp_syntax_error
from rtcpeer.jsep.local import default_candidate
from rtcpeer.sdp import Attribute, Field, Fingerprint, MediaSection, SdpParseError
from rtcpeer.sdp.grammar import DIRECTIONS
from rtcpeer.sdp.media import (
    Extmap,
    Fmtp,
    Rid,
    RtpAttributes,
    Rtpmap,
    SdpAttributeError,
    Simulcast,
    check_rtp_sections,
    format_fmtp_parameters,
    parse_msid,
    read_rtp_attributes,
)
from rtcpeer.sdp.model import SessionDescription

#: The m= line protocol of every RTP section we write (RFC 9429 §5.1.2).
RTP_PROTO = "UDP/TLS/RTP/SAVPF"
MEDIA_KINDS = frozenset({"audio", "video"})
_NO_ADDRESS = Field("c", "IN IP4 0.0.0.0")
_DISCARD_PORT = 9
_REVERSE = {
    "sendrecv": "sendrecv",
    "sendonly": "recvonly",
    "recvonly": "sendonly",
    "inactive": "inactive",
}
#: Payload types with an RFC 3551 static meaning, usable without a=rtpmap.
STATIC_PAYLOAD_TYPES: dict[int, tuple[str, int, int | None]] = {
    0: ("PCMU", 8000, 1),
    3: ("GSM", 8000, 1),
    4: ("G723", 8000, 1),
    8: ("PCMA", 8000, 1),
    9: ("G722", 8000, 1),
    13: ("CN", 8000, 1),
    18: ("G729", 8000, 1),
}


# -- directions (RFC 3264 §6.1, RFC 9429 §5.3.1) -------------------------------


def reverse_direction(direction: str) -> str:
    """The direction as the other side sees it (sendonly <-> recvonly)."""
    return _REVERSE[direction]


def intersect_directions(a: str, b: str) -> str:
    """Send only where both allow sending, receive only where both allow receiving."""
    send = a in ("sendrecv", "sendonly") and b in ("sendrecv", "sendonly")
    recv = a in ("sendrecv", "recvonly") and b in ("sendrecv", "recvonly")
    return direction_from(send=send, recv=recv)


def direction_from(*, send: bool, recv: bool) -> str:
    """sendrecv / sendonly / recvonly / inactive from two flags."""
    if send and recv:
        return "sendrecv"
    if send:
        return "sendonly"
    return "recvonly" if recv else "inactive"


def answer_direction(offered: str, local: str | None) -> str:
    """Our direction in an answer (RFC 9429 §5.3.1, RFC 3264 §6.1).

    ``offered`` is the offer's direction, ``local`` our transceiver's
    [[Direction]], None when no transceiver of ours goes with the section
    (then, as a browser does, a new one is ``recvonly``): sendrecv offered
    and no track of ours is recvonly, sendonly offered is recvonly,
    recvonly offered with a track is sendonly, and so on.
    """
    return intersect_directions(reverse_direction(offered), local or "recvonly")


def _sends(direction: str) -> bool:
    return direction in ("sendrecv", "sendonly")


def _receives(direction: str) -> bool:
    return direction in ("sendrecv", "recvonly")


# -- values ---------------------------------------------------------------------


@dataclass(frozen=True)
class LocalSender:
    """What a sending transceiver writes: its SSRCs, CNAME and msid (RFC 8830)."""

    ssrc: int
    cname: str
    #: The sender's track id (a=msid's second word); "-" is never written here.
    track_id: str
    #: The MediaStream ids of addTrack/addTransceiver ``streams``.
    stream_ids: tuple[str, ...] = ()
    #: The RTX SSRC (aiortc's sender has one); written as ssrc-group:FID when RTX is on.
    rtx_ssrc: int | None = None


@dataclass(frozen=True)
class MediaSectionPlan:
    """One audio/video transceiver as JSEP needs to see it."""

    kind: str
    mid: str
    #: Our capabilities for ``kind`` (payload types and extension ids included).
    capabilities: MediaCapabilities
    #: The transceiver's [[Direction]].
    direction: str = "sendrecv"
    #: The sender's SSRCs and msid (None: nothing to announce).
    sender: LocalSender | None = None
    #: setCodecPreferences (empty: none set).
    codec_preferences: tuple[Codec, ...] = ()
    #: The transceiver is stopped (or stopping): its section is rejected.
    stopped: bool = False
    #: The codecs of the current negotiation, whose payload types a re-offer keeps.
    codecs_in_use: tuple[Codec, ...] = ()
    #: The header extension ids the BUNDLE group negotiated, which a re-offer keeps.
    extensions_in_use: tuple[HeaderExtension, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in MEDIA_KINDS:
            raise ValueError(f"a media section is audio or video, not {self.kind!r}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"unknown direction {self.direction!r}")


@dataclass(frozen=True)
class SectionTransport:
    """The ICE/DTLS lines every section we write carries (one BUNDLEd transport)."""

    credentials: IceCredentials
    fingerprints: tuple[Fingerprint, ...]
    #: a=setup: actpass in offers, active/passive in answers.
    setup: str
    #: ``a=candidate`` values gathered so far (no ``candidate:`` prefix).
    candidates: tuple[str, ...] = ()
    gathering_complete: bool = False


@dataclass(frozen=True)
class RemoteMedia:
    """What one remote audio/video section says."""

    index: int
    mid: str | None
    kind: str
    #: Port 0 without bundle-only.
    rejected: bool
    #: The direction the peer wrote (sendrecv when it wrote none).
    direction: str
    #: Every listed format we could name (rtpmap or static), in m= line order.
    codecs: tuple[Codec, ...]
    header_extensions: tuple[HeaderExtension, ...]
    #: The extmap lines as written (direction and attributes kept).
    extmaps: tuple[Extmap, ...]
    #: The media SSRC the peer sends with (first of ssrc-group:FID, else first a=ssrc).
    ssrc: int | None
    #: The RTX SSRC paired with it by ssrc-group:FID.
    rtx_ssrc: int | None
    cname: str | None
    #: Stream ids of the a=msid lines ("-" means none and is left out).
    stream_ids: tuple[str, ...]
    track_id: str | None
    #: Every SSRC the section names.
    ssrcs: tuple[int, ...]
    #: a=rid lines and a=simulcast: recognised, declined in our answers.
    rids: tuple[Rid, ...]
    simulcast: Simulcast | None
    rtcp_mux: bool
    rtcp_rsize: bool

    @property
    def sends(self) -> bool:
        """The peer says it sends on this section."""
        return _sends(self.direction)

    @property
    def receives(self) -> bool:
        """The peer says it receives on this section."""
        return _receives(self.direction)


@dataclass(frozen=True)
class NegotiatedMedia:
    """What an offer/answer agreed for one audio/video section, from our side."""

    mid: str | None
    kind: str
    #: Our direction as negotiated (the transceiver's currentDirection).
    direction: str
    #: The agreed codecs, payload types as in the answer, preferred first; RTX after its primary.
    codecs: tuple[Codec, ...]
    header_extensions: tuple[HeaderExtension, ...]
    rtcp_rsize: bool
    #: The peer's section (its SSRCs, msid, codecs as it listed them).
    remote: RemoteMedia
    #: Our sender as announced (None when not sending).
    sender: LocalSender | None = None

    @property
    def sending(self) -> bool:
        """We send: start the RTP sender."""
        return _sends(self.direction) and bool(self.codecs)

    @property
    def receiving(self) -> bool:
        """We receive: start the RTP receiver."""
        return _receives(self.direction) and bool(self.codecs)

    @property
    def send_codec(self) -> Codec | None:
        """The codec to send with: the first non-RTX one."""
        return next((c for c in self.codecs if not c.is_rtx), None)

    def rtx_for(self, payload_type: int | None) -> Codec | None:
        """The RTX codec whose apt is ``payload_type``, if negotiated."""
        return next((c for c in self.codecs if c.is_rtx and c.apt == payload_type), None)


@dataclass(frozen=True)
class AnsweredMedia:
    """One answered section and, unless it was rejected, what it agreed."""

    section: MediaSection
    negotiated: NegotiatedMedia | None
    #: Why the section was rejected (None when accepted).
    rejected_because: str | None = None
    #: Lines of the offer that the answer leaves out (rid/simulcast), for logging.
    declined: tuple[str, ...] = field(default=())


# -- reading --------------------------------------------------------------------


def _codec_of(kind: str, pt: int, attrs: RtpAttributes) -> Codec | None:
    rtpmap: Rtpmap | None = attrs.rtpmaps.get(pt)
    if rtpmap is not None:
        name, clock, channels = rtpmap.encoding_name, rtpmap.clock_rate, rtpmap.channels
    elif pt in STATIC_PAYLOAD_TYPES and kind == "audio":
        name, clock, channels = STATIC_PAYLOAD_TYPES[pt]
    else:
        return None
    if kind == "audio" and channels is None:
        channels = 1
    fmtp: Fmtp | None = attrs.fmtps.get(pt)
    feedback: list[RtcpFeedback] = []
    for fb in attrs.rtcp_feedback_for(pt):
        item = RtcpFeedback(fb.type, fb.parameter)
        if item not in feedback:
            feedback.append(item)
    return Codec(
        mime_type=f"{kind}/{name}",
        clock_rate=clock,
        channels=channels,
        payload_type=pt,
        parameters=fmtp.parameters if fmtp is not None else (),
        rtcp_feedback=tuple(feedback),
    )


def _ssrc_info(attrs: RtpAttributes) -> tuple[int | None, int | None, str | None, tuple[int, ...]]:
    ssrcs: list[int] = []
    for item in attrs.ssrcs:
        if item.ssrc not in ssrcs:
            ssrcs.append(item.ssrc)
    primary: int | None = ssrcs[0] if ssrcs else None
    rtx: int | None = None
    for group in attrs.ssrc_groups:
        if group.semantics == "FID" and len(group.ssrcs) == 2:
            primary, rtx = group.ssrcs
            break
    cname = next(
        (s.value for s in attrs.ssrcs if s.ssrc == primary and s.attribute == "cname"), None
    )
    return primary, rtx, cname, tuple(ssrcs)


def _msid_info(attrs: RtpAttributes, primary: int | None) -> tuple[tuple[str, ...], str | None]:
    msids = list(attrs.msids)
    if not msids:  # the pre-RFC 8830 form, a=ssrc:<ssrc> msid:<stream> <track>
        msids = [
            parse_msid(s.value)
            for s in attrs.ssrcs
            if s.ssrc == primary and s.attribute == "msid" and s.value is not None
        ]
    streams: list[str] = []
    for msid in msids:
        if msid.stream_id != "-" and msid.stream_id not in streams:
            streams.append(msid.stream_id)
    track = next((m.track_id for m in msids if m.track_id is not None), None)
    return tuple(streams), track


def remote_media_section(section: MediaSection, index: int = 0) -> RemoteMedia:
    """Read one audio/video section; :class:`SdpAttributeError` when a line is malformed.

    Formats of the m= line without an rtpmap (and not static) are left
    out, as are rtpmap/fmtp lines for payload types the m= line does not
    list (RFC 9429 §5.8 ignores them).
    """
    attrs = read_rtp_attributes(section)
    codecs: list[Codec] = []
    seen: set[int] = set()
    for text in section.formats:
        if not (text.isascii() and text.isdigit()) or len(text) > 3:
            continue
        pt = int(text)
        if pt in seen or pt > 127:
            continue
        seen.add(pt)
        codec = _codec_of(section.kind, pt, attrs)
        if codec is not None:
            codecs.append(codec)
    primary, rtx, cname, ssrcs = _ssrc_info(attrs)
    streams, track = _msid_info(attrs, primary)
    return RemoteMedia(
        index=index,
        mid=section.mid,
        kind=section.kind,
        rejected=section.is_rejected,
        direction=attrs.direction,
        codecs=tuple(codecs),
        header_extensions=tuple([HeaderExtension(e.id, e.uri) for e in attrs.extmaps]),
        extmaps=attrs.extmaps,
        ssrc=primary,
        rtx_ssrc=rtx,
        cname=cname,
        stream_ids=streams,
        track_id=track,
        ssrcs=ssrcs,
        rids=attrs.rids,
        simulcast=attrs.simulcast,
        rtcp_mux=attrs.rtcp_mux,
        rtcp_rsize=attrs.rtcp_rsize,
    )


def remote_media(
    description: SessionDescription, text: str | None = None
) -> tuple[RemoteMedia | None, ...]:
    """Every audio/video section of a remote description (None for the others).

    ``text`` is the SDP it was parsed from, for exact line numbers. A
    malformed RTP attribute anywhere raises RTCError("sdp-syntax-error")
    with ``sdpLineNumber`` set (RFC 9429 §5.8: the whole description is
    rejected, even for a line that would be ignored).
    """
    try:
        check_rtp_sections(description, text)
    except SdpParseError as error:
        raise sdp_syntax_error(error) from None
    out: list[RemoteMedia | None] = []
    for index, section in enumerate(description.media):
        if section.kind in MEDIA_KINDS and section.is_rtp:
            out.append(remote_media_section(section, index))
        else:
            out.append(None)
    return tuple(out)


# -- writing --------------------------------------------------------------------


def _connection_line(address: str) -> Field:
    version = ipaddress.ip_address(address).version
    return Field("c", f"IN IP{version} {address}")


def _transport_lines(transport: SectionTransport) -> tuple[int, Field, list[Attribute]]:
    default = default_candidate(transport.candidates)
    port = default[1] if default else _DISCARD_PORT
    connection = _connection_line(default[0]) if default else _NO_ADDRESS
    attrs = [Attribute("candidate", c) for c in transport.candidates]
    if transport.gathering_complete:
        attrs.append(Attribute("end-of-candidates"))
    attrs += [
        Attribute("ice-ufrag", transport.credentials.ufrag),
        Attribute("ice-pwd", transport.credentials.pwd),
    ]
    attrs += [Attribute("fingerprint", str(fp)) for fp in transport.fingerprints]
    attrs.append(Attribute("setup", transport.setup))
    return port, connection, attrs


def _codec_lines(codecs: Sequence[Codec]) -> list[Attribute]:
    attrs: list[Attribute] = []
    for codec in codecs:
        pt = codec.payload_type
        rtpmap = f"{pt} {codec.name}/{codec.clock_rate}"
        if codec.kind == "audio" and codec.channels is not None and codec.channels > 1:
            rtpmap += f"/{codec.channels}"
        attrs.append(Attribute("rtpmap", rtpmap))
        attrs += [Attribute("rtcp-fb", f"{pt} {fb}") for fb in codec.rtcp_feedback]
        if codec.parameters:
            attrs.append(Attribute("fmtp", f"{pt} {format_fmtp_parameters(codec.parameters)}"))
    return attrs


def _sender_lines(sender: LocalSender, rtx: bool) -> tuple[list[Attribute], list[Attribute]]:
    """(a=msid lines, a=ssrc-group/a=ssrc lines) of a sending section."""
    streams = sender.stream_ids or ("-",)
    msids = [Attribute("msid", f"{stream} {sender.track_id}") for stream in streams]
    ssrcs: list[Attribute] = []
    if rtx and sender.rtx_ssrc is not None:
        ssrcs.append(Attribute("ssrc-group", f"FID {sender.ssrc} {sender.rtx_ssrc}"))
    ssrcs.append(Attribute("ssrc", f"{sender.ssrc} cname:{sender.cname}"))
    if rtx and sender.rtx_ssrc is not None:
        ssrcs.append(Attribute("ssrc", f"{sender.rtx_ssrc} cname:{sender.cname}"))
    return msids, ssrcs


def _rtp_section(
    kind: str,
    mid: str | None,
    transport: SectionTransport,
    *,
    direction: str,
    codecs: Sequence[Codec],
    extmaps: Sequence[Extmap],
    sender: LocalSender | None,
    rtcp_rsize: bool,
    proto: str = RTP_PROTO,
) -> MediaSection:
    """An RTP section in the line order browsers write (RFC 9429 §5.2.1)."""
    port, connection, attrs = _transport_lines(transport)
    if mid is not None:
        attrs.append(Attribute("mid", mid))
    attrs += [Attribute("extmap", str(e)) for e in extmaps]
    attrs.append(Attribute(direction))
    msids: list[Attribute] = []
    ssrcs: list[Attribute] = []
    if sender is not None and _sends(direction):
        msids, ssrcs = _sender_lines(sender, any(c.is_rtx for c in codecs))
    attrs += msids
    attrs.append(Attribute("rtcp-mux"))
    if rtcp_rsize:
        attrs.append(Attribute("rtcp-rsize"))
    attrs += _codec_lines(codecs)
    attrs += ssrcs
    formats = tuple([str(c.payload_type) for c in codecs])
    return MediaSection(kind, port, proto, formats, fields=(connection,), attributes=tuple(attrs))


def rejected_media_section(
    kind: str, proto: str, formats: Sequence[str], mid: str | None
) -> MediaSection:
    """A rejected RTP section: port 0, ``a=inactive``, the mid kept (RFC 9429 §5.2.2, §5.3.1)."""
    attrs = [Attribute("inactive")]
    if mid is not None:
        attrs.append(Attribute("mid", mid))
    return MediaSection(
        kind, 0, proto, tuple(formats) or ("0",), fields=(_NO_ADDRESS,), attributes=tuple(attrs)
    )


def media_offer_section(plan: MediaSectionPlan, transport: SectionTransport) -> MediaSection:
    """The section of ``plan``'s transceiver in an offer (RFC 9429 §5.2.1, §5.2.2).

    m= line with our payload types (codec preferences applied, earlier
    payload types kept), c=, ICE/DTLS lines, mid, extmap, the direction,
    msid and ssrc/ssrc-group:FID when sending, rtcp-mux, rtcp-rsize, then
    rtpmap/rtcp-fb/fmtp per codec (RTX with apt). A stopped transceiver's
    section is rejected (port 0).
    """
    codecs = offer_codecs(plan.capabilities, plan.codec_preferences, plan.codecs_in_use)
    if plan.stopped or not codecs:
        return rejected_media_section(
            plan.kind, RTP_PROTO, [str(c.payload_type) for c in codecs], plan.mid
        )
    extensions = offer_header_extensions(plan.capabilities, plan.extensions_in_use)
    extmaps = [Extmap(e.id, e.uri) for e in extensions]
    return _rtp_section(
        plan.kind,
        plan.mid,
        transport,
        direction=plan.direction,
        codecs=codecs,
        extmaps=extmaps,
        sender=plan.sender,
        rtcp_rsize=True,
    )


def _declined_lines(offered: MediaSection) -> tuple[str, ...]:
    return tuple([str(a) for a in offered.attributes if a.name in ("rid", "simulcast")])


def media_answer_section(
    offered: MediaSection,
    plan: MediaSectionPlan | None,
    capabilities: MediaCapabilities,
    transport: SectionTransport,
    *,
    index: int = 0,
) -> AnsweredMedia:
    """Answer one offered audio/video section (RFC 9429 §5.3.1).

    ``plan`` is our transceiver for the section (None when we have none:
    the answer is then as for a new ``recvonly`` transceiver with
    ``capabilities``). The answer keeps the offerer's payload types and
    extension ids; the direction is :func:`answer_direction`; rid and
    simulcast lines are left out, which declines simulcast (RFC 8853
    §5.3), so the peer sends one stream. A rejected offer, a stopped
    transceiver, a section we cannot read, or no codec in common gives a
    rejected section (port 0) — never an exception.
    """
    mid = offered.mid
    declined = _declined_lines(offered)

    def reject(reason: str) -> AnsweredMedia:
        section = rejected_media_section(offered.kind, offered.proto, offered.formats, mid)
        return AnsweredMedia(section, None, reason, declined)

    if offered.is_rejected:
        return reject("rejected in the offer")
    if offered.kind not in MEDIA_KINDS or not offered.is_rtp:
        return reject(f"not an audio/video RTP section ({offered.kind} {offered.proto})")
    if plan is not None and plan.kind != offered.kind:
        plan = None
    if plan is not None and plan.stopped:
        return reject("the transceiver is stopped")
    try:
        remote = remote_media_section(offered, index)
    except SdpAttributeError as error:
        return reject(f"malformed section: {error}")
    caps = plan.capabilities if plan is not None else capabilities
    preferences = plan.codec_preferences if plan is not None else ()
    codecs = answer_codecs(remote.codecs, caps, preferences)
    if not any(not c.is_rtx for c in codecs):
        return reject("no codec in common")
    extensions = answer_header_extensions(
        [e for e in remote.header_extensions if e.id <= 255], caps
    )
    wanted = {e.id for e in extensions}
    extmaps = [
        Extmap(e.id, e.uri, reverse_direction(e.direction) if e.direction else None)
        for e in remote.extmaps
        if e.id in wanted
    ]
    direction = answer_direction(remote.direction, plan.direction if plan is not None else None)
    sender = plan.sender if plan is not None else None
    section = _rtp_section(
        offered.kind,
        mid,
        transport,
        direction=direction,
        codecs=codecs,
        extmaps=extmaps,
        sender=sender,
        rtcp_rsize=remote.rtcp_rsize,
        proto=offered.proto,
    )
    negotiated = NegotiatedMedia(
        mid=mid,
        kind=offered.kind,
        direction=direction,
        codecs=codecs,
        header_extensions=extensions,
        rtcp_rsize=remote.rtcp_rsize,
        remote=remote,
        sender=sender if _sends(direction) else None,
    )
    return AnsweredMedia(section, negotiated, None, declined)


def negotiate_from_answer(
    offered: MediaSection, answer: MediaSection, plan: MediaSectionPlan, *, index: int = 0
) -> NegotiatedMedia | None:
    """What the peer's answer to our offered section agreed (None when it rejected it).

    ``offered`` is our section from the local offer. The codecs are the
    answer's that we offered (:func:`negotiated_codecs`), the extensions
    the answer's whose URI we offered, our direction the reverse of the
    answer's limited by ours. Raises :class:`SdpAttributeError` for a
    malformed answer line (call :func:`remote_media` first to get the
    RTCError with a line number).
    """
    if answer.is_rejected or offered.is_rejected:
        return None
    ours = remote_media_section(offered, index)
    remote = remote_media_section(answer, index)
    codecs = negotiated_codecs(remote.codecs, ours.codecs)
    if not any(not c.is_rtx for c in codecs):
        return None
    offered_uris = {e.uri for e in ours.header_extensions}
    extensions = tuple([e for e in remote.header_extensions if e.uri in offered_uris])
    direction = intersect_directions(reverse_direction(remote.direction), plan.direction)
    return NegotiatedMedia(
        mid=remote.mid if remote.mid is not None else plan.mid,
        kind=plan.kind,
        direction=direction,
        codecs=codecs,
        header_extensions=extensions,
        rtcp_rsize=remote.rtcp_rsize and ours.rtcp_rsize,
        remote=remote,
        sender=plan.sender if _sends(direction) else None,
    )


__all__ = [
    "MEDIA_KINDS",
    "RTP_PROTO",
    "STATIC_PAYLOAD_TYPES",
    "AnsweredMedia",
    "LocalSender",
    "MediaSectionPlan",
    "NegotiatedMedia",
    "RemoteMedia",
    "SectionTransport",
    "answer_direction",
    "direction_from",
    "intersect_directions",
    "media_answer_section",
    "media_offer_section",
    "negotiate_from_answer",
    "rejected_media_section",
    "remote_media",
    "remote_media_section",
    "reverse_direction",
]
