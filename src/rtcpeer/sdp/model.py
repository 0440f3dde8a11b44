"""The SDP model: ordered lines with typed views.

A description keeps every line it was given, in order, as raw text
(:class:`Field` for ``i=``/``c=``/``b=``/``t=``... and :class:`Attribute` for
``a=``), so that a browser's SDP serialises back exactly as it came. The
properties (``mid``, ``ice_ufrag``, ``fingerprints``...) read those raw lines
through :mod:`rtcpeer.sdp.grammar`; changing a description means building a
new one from different lines (all classes are frozen).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rtcpeer.sdp.grammar import (
    DIRECTIONS,
    ConnectionData,
    Fingerprint,
    Group,
    Origin,
    parse_connection,
    parse_fingerprint,
    parse_group,
    parse_ice_options,
    parse_max_message_size,
    parse_sctp_port,
    parse_setup,
)

#: The m= line protocols that carry WebRTC data channels (RFC 8841), plus
#: the pre-RFC form "DTLS/SCTP" with an SCTP port as its format.
DATA_CHANNEL_PROTOS = frozenset({"UDP/DTLS/SCTP", "TCP/DTLS/SCTP"})
LEGACY_DATA_CHANNEL_PROTO = "DTLS/SCTP"


@dataclass(frozen=True, slots=True)
class Attribute:
    """One ``a=`` line: ``a=name`` (value None) or ``a=name:value``."""

    name: str
    value: str | None = None

    def __str__(self) -> str:
        return f"a={self.name}" if self.value is None else f"a={self.name}:{self.value}"


@dataclass(frozen=True, slots=True)
class Field:
    """Any other line, ``<type>=<value>``, kept as written (``c``, ``t``, ``b``...)."""

    type: str
    value: str

    def __str__(self) -> str:
        return f"{self.type}={self.value}"


#: Attribute names whose lines repeat, value and all, across the descriptions
#: of one process (``a=setup:actpass``, ``a=mid:0``, ``a=sctp-port:5000``...):
#: :func:`shared_attribute` gives every description the same object for such
#: a line instead of one per description. Descriptions live as long as their
#: connection, and every full garbage collection walks each object they hold.
SHARED_ATTRIBUTE_NAMES = frozenset(
    {
        "group",
        "ice-options",
        "setup",
        "mid",
        "sctp-port",
        "max-message-size",
        "end-of-candidates",
        "extmap-allow-mixed",
        "msid-semantic",
        "rtcp-mux",
        "rtcp-rsize",
        "bundle-only",
        "sendrecv",
        "sendonly",
        "recvonly",
        "inactive",
        "rtpmap",
        "rtcp-fb",
        "fmtp",
        "extmap",
    }
)
#: Line types whose lines are shared likewise (``c=IN IP4 0.0.0.0``, ``t=0 0``).
SHARED_FIELD_TYPES = frozenset("ct")
#: Bounds of the shared lines: how many, and the longest value shared. A
#: remote party choosing odd values fills the table at most once; lines not
#: in it are simply not shared.
SHARED_LINES_MAX = 1024
SHARED_VALUE_MAX = 128
_shared_attributes: dict[str, Attribute] = {}
_shared_fields: dict[str, Field] = {}


def shared_attribute(name: str, value: str | None = None, *, line: str | None = None) -> Attribute:
    """``Attribute(name, value)``, the process's one object for that line when
    ``name`` is in :data:`SHARED_ATTRIBUTE_NAMES` (attributes are frozen).

    ``line``: the whole line (``a=name`` or ``a=name:value``), when the
    caller has it already (the parser).
    """
    if name not in SHARED_ATTRIBUTE_NAMES or (value is not None and len(value) > SHARED_VALUE_MAX):
        return Attribute(name, value)
    key = line
    if key is None:
        key = f"a={name}" if value is None else f"a={name}:{value}"
    attribute = _shared_attributes.get(key)
    if attribute is None:
        attribute = Attribute(name, value)
        # A valueless line always has room: there are only so many names.
        if value is None or len(_shared_attributes) < SHARED_LINES_MAX:
            _shared_attributes[key] = attribute
    return attribute


# The lines nearly every WebRTC description has, shared even once odd
# values have filled the table.
for _name, _value in (
    ("group", "BUNDLE 0"),
    ("ice-options", "trickle"),
    ("setup", "actpass"),
    ("setup", "active"),
    ("setup", "passive"),
    ("mid", "0"),
    ("mid", "1"),
    ("mid", "2"),
    ("sctp-port", "5000"),
    ("max-message-size", "262144"),
    ("msid-semantic", " WMS"),
    ("msid-semantic", "WMS *"),
):
    shared_attribute(_name, _value)
del _name, _value


def shared_field(type_: str, value: str) -> Field:
    """``Field(type_, value)``, shared like :func:`shared_attribute` for the
    types in :data:`SHARED_FIELD_TYPES`."""
    if type_ not in SHARED_FIELD_TYPES or len(value) > SHARED_VALUE_MAX:
        return Field(type_, value)
    key = f"{type_}={value}"
    line = _shared_fields.get(key)
    if line is None:
        line = Field(type_, value)
        if len(_shared_fields) < SHARED_LINES_MAX:
            _shared_fields[key] = line
    return line


_shared_field_tuples: dict[str, tuple[Field, ...]] = {}


def shared_fields(fields: tuple[Field, ...]) -> tuple[Field, ...]:
    """``fields``, or the process's one equal tuple when it is a single line
    of a shared type (``(c=IN IP4 0.0.0.0,)``, ``(t=0 0,)``: what a WebRTC
    section and session have): such a tuple is otherwise one more object per
    description."""
    if len(fields) != 1:
        return fields
    line = fields[0]
    if line.type not in SHARED_FIELD_TYPES or len(line.value) > SHARED_VALUE_MAX:
        return fields
    key = f"{line.type}={line.value}"
    shared = _shared_field_tuples.get(key)
    if shared is None:
        if len(_shared_field_tuples) >= SHARED_LINES_MAX:
            return fields
        shared = _shared_field_tuples[key] = fields
    return shared


class _Attributes:
    """Attribute look-ups shared by the session and media levels."""

    # No __dict__ here, so the slotted descriptions below have none either.
    __slots__ = ()

    attributes: tuple[Attribute, ...]

    def attribute(self, name: str) -> str | None:
        """The value of the first ``a=name:value`` line (None if absent or valueless)."""
        for attribute in self.attributes:
            if attribute.name == name:
                return attribute.value
        return None

    def attribute_values(self, name: str) -> tuple[str, ...]:
        """The values of every ``a=name:value`` line, in order."""
        # Comprehensions and plain loops here, not generators: JSEP reads
        # these views many times per negotiation.
        return tuple([a.value for a in self.attributes if a.name == name and a.value is not None])

    def has_attribute(self, name: str) -> bool:
        """True when some ``a=name`` or ``a=name:...`` line is present."""
        for attribute in self.attributes:  # noqa: SIM110
            if attribute.name == name:
                return True
        return False

    @property
    def ice_ufrag(self) -> str | None:
        """``a=ice-ufrag`` at this level."""
        return self.attribute("ice-ufrag")

    @property
    def ice_pwd(self) -> str | None:
        """``a=ice-pwd`` at this level."""
        return self.attribute("ice-pwd")

    @property
    def ice_options(self) -> tuple[str, ...]:
        """Every option of every ``a=ice-options`` line at this level."""
        options: list[str] = []
        for value in self.attribute_values("ice-options"):
            options.extend(parse_ice_options(value))
        return tuple(options)

    @property
    def fingerprints(self) -> tuple[Fingerprint, ...]:
        """Every ``a=fingerprint`` at this level, in order."""
        return tuple([parse_fingerprint(v) for v in self.attribute_values("fingerprint")])

    @property
    def setup(self) -> str | None:
        """The ``a=setup`` role at this level (active/passive/actpass/holdconn)."""
        value = self.attribute("setup")
        return None if value is None else parse_setup(value)


def _connection(fields: tuple[Field, ...]) -> ConnectionData | None:
    for line in fields:
        if line.type == "c":
            return parse_connection(line.value)
    return None


@dataclass(frozen=True, slots=True)
class MediaSection(_Attributes):
    """One media section: its ``m=`` line, other lines and attributes in order."""

    kind: str
    port: int
    proto: str
    formats: tuple[str, ...]
    port_count: int | None = None
    #: ``i=``, ``c=``, ``b=``, ``k=`` (and unknown) lines, in order.
    fields: tuple[Field, ...] = ()
    attributes: tuple[Attribute, ...] = ()

    def lines(self) -> list[str]:
        """The section as SDP lines, without line endings."""
        port = self.port if self.port_count is None else f"{self.port}/{self.port_count}"
        out = [f"m={self.kind} {port} {self.proto} {' '.join(self.formats)}"]
        # Inlined Field.__str__ / Attribute.__str__ (same text, fewer calls).
        out += [f"{line.type}={line.value}" for line in self.fields]
        out += [
            f"a={a.name}" if a.value is None else f"a={a.name}:{a.value}" for a in self.attributes
        ]
        return out

    @property
    def connection(self) -> ConnectionData | None:
        """This section's ``c=`` line, if any."""
        return _connection(self.fields)

    @property
    def mid(self) -> str | None:
        """``a=mid`` (RFC 5888)."""
        return self.attribute("mid")

    @property
    def direction(self) -> str | None:
        """The last direction attribute present (sendrecv/sendonly/recvonly/inactive)."""
        found = [a.name for a in self.attributes if a.name in DIRECTIONS]
        return found[-1] if found else None

    @property
    def candidates(self) -> tuple[str, ...]:
        """Raw ``a=candidate`` values (without the ``candidate:`` prefix), in order."""
        return self.attribute_values("candidate")

    @property
    def end_of_candidates(self) -> bool:
        """True when ``a=end-of-candidates`` is present (RFC 8840)."""
        return self.has_attribute("end-of-candidates")

    @property
    def sctp_port(self) -> int | None:
        """``a=sctp-port`` (RFC 8841), or the format of a legacy ``DTLS/SCTP`` line."""
        value = self.attribute("sctp-port")
        if value is not None:
            return parse_sctp_port(value)
        if self.proto == LEGACY_DATA_CHANNEL_PROTO and self.formats[0].isdecimal():
            try:
                return parse_sctp_port(self.formats[0])
            except ValueError:
                return None
        return None

    @property
    def max_message_size(self) -> int | None:
        """``a=max-message-size`` (RFC 8841); None when absent (meaning 65536)."""
        value = self.attribute("max-message-size")
        return None if value is None else parse_max_message_size(value)

    @property
    def rtcp_mux(self) -> bool:
        """``a=rtcp-mux`` present."""
        return self.has_attribute("rtcp-mux")

    @property
    def bundle_only(self) -> bool:
        """``a=bundle-only`` present (RFC 8843)."""
        return self.has_attribute("bundle-only")

    @property
    def is_rejected(self) -> bool:
        """Port 0 without ``a=bundle-only``: rejected or disabled (RFC 3264/8843)."""
        return self.port == 0 and not self.bundle_only

    @property
    def is_data_channel(self) -> bool:
        """An SCTP-over-DTLS application section (RFC 8841 or the legacy form)."""
        if self.kind != "application":
            return False
        if self.proto in DATA_CHANNEL_PROTOS:
            return "webrtc-datachannel" in self.formats
        return self.proto == LEGACY_DATA_CHANNEL_PROTO

    @property
    def is_rtp(self) -> bool:
        """An RTP section (its proto names RTP, e.g. ``UDP/TLS/RTP/SAVPF``)."""
        return "RTP" in self.proto.split("/")

    def _with_attribute_tuple(self, attributes: tuple[Attribute, ...]) -> MediaSection:
        """A copy holding ``attributes`` instead of this section's.

        The constructor, not ``dataclasses.replace``: no field introspection
        on every candidate and every description a getter surfaces.
        """
        return MediaSection(
            self.kind, self.port, self.proto, self.formats, self.port_count, self.fields, attributes
        )

    def with_attributes(self, *attributes: Attribute) -> MediaSection:
        """A copy with ``attributes`` appended."""
        return self._with_attribute_tuple(self.attributes + attributes)

    def without_attributes(self, *names: str) -> MediaSection:
        """A copy without any attribute called one of ``names``."""
        kept = tuple(a for a in self.attributes if a.name not in names)
        return self._with_attribute_tuple(kept)

    def _candidate_insertion_index(self) -> int:
        """Where a new ``a=candidate`` goes: before an end-of-candidates line,
        else after the last candidate, else at the end."""
        attributes = self.attributes
        index = len(attributes)
        for position, attribute in enumerate(attributes):
            if attribute.name == "end-of-candidates":
                return position
            if attribute.name == "candidate":
                index = position + 1
        return index

    def with_candidate(self, candidate: str) -> MediaSection:
        """A copy with one more ``a=candidate`` (before any end-of-candidates)."""
        attributes = self.attributes
        index = self._candidate_insertion_index()
        added = (Attribute("candidate", candidate),)
        return self._with_attribute_tuple(attributes[:index] + added + attributes[index:])

    def with_candidates(
        self, candidates: Iterable[str], *, end_of_candidates: bool
    ) -> MediaSection:
        """A copy with each of ``candidates`` it does not list yet, and marked
        ``a=end-of-candidates`` when ``end_of_candidates``; ``self`` when
        nothing changes.

        The new candidates go, in order, where :meth:`with_candidate` puts one.
        """
        attributes = self.attributes
        listed = [a.value for a in attributes if a.name == "candidate"]
        new = [c for c in dict.fromkeys(candidates) if c not in listed]
        mark = end_of_candidates and not any(a.name == "end-of-candidates" for a in attributes)
        if not new and not mark:
            return self
        if new:
            index = self._candidate_insertion_index()
            added = tuple([Attribute("candidate", c) for c in new])
            attributes = attributes[:index] + added + attributes[index:]
        if mark:  # appended last, as with_end_of_candidates does
            attributes += (shared_attribute("end-of-candidates"),)
        return self._with_attribute_tuple(attributes)

    def with_end_of_candidates(self) -> MediaSection:
        """A copy marked ``a=end-of-candidates`` (unchanged if already marked)."""
        if self.end_of_candidates:
            return self
        return self.with_attributes(Attribute("end-of-candidates"))


@dataclass(frozen=True)
class TransportAttributes:
    """ICE and DTLS values of one media section, media level winning over session."""

    ice_ufrag: str | None
    ice_pwd: str | None
    ice_options: tuple[str, ...]
    fingerprints: tuple[Fingerprint, ...]
    setup: str | None


@dataclass(frozen=True, slots=True)
class SessionDescription(_Attributes):
    """A whole session description (RFC 8866)."""

    origin: Origin
    name: str = "-"
    #: Session-level lines other than v/o/s and a=, in order (``t=`` is required).
    fields: tuple[Field, ...] = (Field("t", "0 0"),)
    attributes: tuple[Attribute, ...] = ()
    media: tuple[MediaSection, ...] = field(default=())

    def lines(self) -> list[str]:
        """The description as SDP lines, without line endings."""
        out = ["v=0", f"o={self.origin}", f"s={self.name}"]
        # Inlined Field.__str__ / Attribute.__str__ (same text, fewer calls).
        out += [f"{line.type}={line.value}" for line in self.fields]
        out += [
            f"a={a.name}" if a.value is None else f"a={a.name}:{a.value}" for a in self.attributes
        ]
        for section in self.media:
            out += section.lines()
        return out

    def to_sdp(self) -> str:
        """The SDP text: CRLF after every line (RFC 8866 §5)."""
        return "\r\n".join(self.lines()) + "\r\n"

    def __str__(self) -> str:
        return self.to_sdp()

    @property
    def connection(self) -> ConnectionData | None:
        """The session-level ``c=`` line, if any."""
        return _connection(self.fields)

    @property
    def ice_lite(self) -> bool:
        """``a=ice-lite`` at session level (RFC 8839 §5.3)."""
        return self.has_attribute("ice-lite")

    @property
    def groups(self) -> tuple[Group, ...]:
        """Every ``a=group`` line (RFC 5888)."""
        return tuple([parse_group(v) for v in self.attribute_values("group")])

    @property
    def bundle_groups(self) -> tuple[Group, ...]:
        """The ``a=group:BUNDLE`` lines (RFC 8843)."""
        return tuple([g for g in self.groups if g.semantics == "BUNDLE"])

    def bundle_group_of(self, mid: str) -> Group | None:
        """The BUNDLE group listing ``mid``, if any."""
        for group in self.bundle_groups:
            if mid in group.mids:
                return group
        return None

    def media_by_mid(self, mid: str) -> MediaSection | None:
        """The first media section whose ``a=mid`` is ``mid``."""
        for section in self.media:
            if section.mid == mid:
                return section
        return None

    def index_of_mid(self, mid: str) -> int | None:
        """The m-line index of the section whose ``a=mid`` is ``mid``."""
        for index, section in enumerate(self.media):
            if section.mid == mid:
                return index
        return None

    def transport_attributes(self, index: int) -> TransportAttributes:
        """ICE/DTLS values for media section ``index``; media level wins.

        ice-options, fingerprints and setup are taken from the media level
        when present there at all, otherwise from the session level.
        """
        # Not cached here: a cache would give every description kept for the
        # life of a connection its own __dict__ (~1 KiB per connection); the
        # hot callers keep what they need (negotiation.Applied).
        # Each view is read once, in the order the rule above names them.
        section = self.media[index]
        ufrag = section.ice_ufrag
        if ufrag is None:
            ufrag = self.ice_ufrag
        pwd = section.ice_pwd
        if pwd is None:
            pwd = self.ice_pwd
        options = section.ice_options or self.ice_options
        fingerprints = section.fingerprints or self.fingerprints
        return TransportAttributes(
            ice_ufrag=ufrag,
            ice_pwd=pwd,
            ice_options=options,
            fingerprints=fingerprints,
            setup=self.setup_of(index),
        )

    def ice_credentials_of(self, index: int) -> tuple[str | None, str | None]:
        """(ice-ufrag, ice-pwd) of media section ``index``; media level wins.

        The same values as ``transport_attributes(index)`` gives, without
        parsing the fingerprints and options (hot in negotiation).
        """
        section = self.media[index]
        ufrag = section.ice_ufrag
        pwd = section.ice_pwd
        return (
            ufrag if ufrag is not None else self.ice_ufrag,
            pwd if pwd is not None else self.ice_pwd,
        )

    def setup_of(self, index: int) -> str | None:
        """The a=setup role of media section ``index``; media level wins.

        What ``transport_attributes(index).setup`` is, without parsing the
        fingerprints and ICE values (read whenever DTLS roles are worked out).
        """
        setup = self.media[index].setup
        return self.setup if setup is None else setup

    def with_media(self, index: int, section: MediaSection) -> SessionDescription:
        """A copy with media section ``index`` replaced by ``section``."""
        media = list(self.media)
        media[index] = section
        return SessionDescription(
            self.origin, self.name, self.fields, self.attributes, tuple(media)
        )


def serialize_sdp(description: SessionDescription) -> str:
    """The SDP text of ``description`` (CRLF line endings)."""
    return description.to_sdp()


__all__ = [
    "DATA_CHANNEL_PROTOS",
    "LEGACY_DATA_CHANNEL_PROTO",
    "Attribute",
    "Field",
    "MediaSection",
    "SessionDescription",
    "TransportAttributes",
    "serialize_sdp",
    "shared_attribute",
    "shared_field",
    "shared_fields",
]
