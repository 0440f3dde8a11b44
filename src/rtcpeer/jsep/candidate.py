"""RTCIceCandidate and RTCIceCandidateInit (webrtc-pc §4.8.2).

The read-only fields come from a light parse of the candidate string by the
candidate-attribute grammar (RFC 8839 §5.1), as the spec's "create an
RTCIceCandidate" says: if the string does not parse, or a field cannot be
represented by its IDL type, every field stays None. The ICE agent parses
candidates fully itself; this is only the W3C view.

addIceCandidate() also takes aiortc's RTCIceCandidate, which has no
candidate string but the parsed fields (``ip`` where W3C says ``address``,
an integer ``component``): :class:`RTCIceCandidateInit` writes them back as
the candidate-attribute string, recognising the object by those attribute
names so that this layer never imports aiortc.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from rtcpeer.sdp import SdpValueError, parse_candidate_value

_MISSING = object()
_COMPONENTS = {1: "rtp", 2: "rtcp"}
_PROTOCOLS = frozenset({"udp", "tcp"})
_TYPES = frozenset({"host", "srflx", "prflx", "relay"})
_TCP_TYPES = frozenset({"active", "passive", "so"})
_UNSIGNED_LONG_MAX = 2**32 - 1


def _type_name(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _string(value: object, member: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{member}: expected a string, got {_type_name(value)}")
    return value


def _nullable_string(value: object, member: str) -> str | None:
    return None if value is None else _string(value, member)


def _nullable_unsigned_short(value: object, member: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{member}: expected an integer or None, got {_type_name(value)}")
    if not 0 <= value <= 65535:
        raise TypeError(f"{member}: {value} is outside the range 0..65535")
    return value


class CandidateObject(Protocol):
    """A candidate given as parsed fields: aiortc's ``RTCIceCandidate`` is one.

    Recognised by its ``ip`` attribute (W3C's RTCIceCandidate says
    ``address``); ``relatedAddress``, ``relatedPort`` and ``tcpType`` are
    read when present.
    """

    @property
    def component(self) -> int: ...
    @property
    def foundation(self) -> str: ...
    @property
    def ip(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def priority(self) -> int: ...
    @property
    def protocol(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def sdpMid(self) -> str | None: ...
    @property
    def sdpMLineIndex(self) -> int | None: ...


#: The fields of a :class:`CandidateObject` in candidate-attribute order (RFC 8839 §5.1).
_OBJECT_FIELDS = (
    ("foundation", str),
    ("component", int),
    ("protocol", str),
    ("priority", int),
    ("ip", str),
    ("port", int),
)
#: Optional extension fields and the candidate-attribute names they are written as.
_OBJECT_EXTENSIONS = (("relatedAddress", "raddr"), ("relatedPort", "rport"), ("tcpType", "tcptype"))


def _field(value: object, name: str, kind: type) -> str:
    item = getattr(value, name, _MISSING)
    if item is _MISSING or item is None:
        raise TypeError(
            f"candidate.{name}: required member is missing ({type(value).__name__} has 'ip' "
            f"like aiortc's RTCIceCandidate, which also has {name!r})"
        )
    if not isinstance(item, kind) or isinstance(item, bool):
        expected = "an integer" if kind is int else "a string"
        raise TypeError(f"candidate.{name}: expected {expected}, got {_type_name(item)}")
    return str(item)


def candidate_attribute_of(value: object) -> str:
    """The ``candidate:...`` string of a candidate given as fields (aiortc's).

    Written as aiortc's ``"candidate:" + candidate_to_sdp(...)`` writes it:
    the six fields, ``typ``, then raddr, rport and tcptype when present.
    """
    parts = [_field(value, name, kind) for name, kind in _OBJECT_FIELDS]
    parts += ["typ", _field(value, "type", str)]
    for name, attribute in _OBJECT_EXTENSIONS:
        if getattr(value, name, None) is not None:
            parts += [attribute, _field(value, name, int if name == "relatedPort" else str)]
    return "candidate:" + " ".join(parts)


@dataclass(frozen=True)
class RTCIceCandidateInit:
    """The RTCIceCandidateInit dictionary, as addIceCandidate() receives it.

    Unlike the RTCIceCandidate constructor, this allows sdpMid and
    sdpMLineIndex both None: ``{"candidate": ""}`` with neither is the
    end-of-candidates marker for every media section.
    """

    candidate: str = ""
    sdpMid: str | None = None
    sdpMLineIndex: int | None = None
    usernameFragment: str | None = None

    @classmethod
    def from_value(cls, value: CandidateLike) -> RTCIceCandidateInit:
        """Convert a JSON dictionary, an RTCIceCandidate, an init or aiortc's RTCIceCandidate.

        ``None`` is all defaults (end-of-candidates everywhere). aiortc's
        candidate (see :class:`CandidateObject`) becomes its candidate
        string with its ``sdpMid`` and ``sdpMLineIndex``; anything else that
        is not a dictionary is a TypeError saying what is accepted.
        """
        if value is None:
            return cls()
        if isinstance(value, RTCIceCandidateInit):
            return value
        if isinstance(value, RTCIceCandidate):
            return cls(value.candidate, value.sdpMid, value.sdpMLineIndex, value.usernameFragment)
        if not isinstance(value, Mapping):
            if isinstance(value, (str, bytes, bytearray)) or not hasattr(value, "ip"):
                raise TypeError(
                    f"candidate: expected an RTCIceCandidate or an RTCIceCandidateInit "
                    f"dictionary such as {{'candidate': 'candidate:...', 'sdpMid': '0', "
                    f"'sdpMLineIndex': 0}} (aiortc's RTCIceCandidate is accepted too), "
                    f"got {_type_name(value)}"
                )
            return cls(
                candidate=candidate_attribute_of(value),
                sdpMid=_nullable_string(getattr(value, "sdpMid", None), "sdpMid"),
                sdpMLineIndex=_nullable_unsigned_short(
                    getattr(value, "sdpMLineIndex", None), "sdpMLineIndex"
                ),
            )
        return cls(
            candidate=_string(value.get("candidate", ""), "candidate"),
            sdpMid=_nullable_string(value.get("sdpMid"), "sdpMid"),
            sdpMLineIndex=_nullable_unsigned_short(value.get("sdpMLineIndex"), "sdpMLineIndex"),
            usernameFragment=_nullable_string(value.get("usernameFragment"), "usernameFragment"),
        )

    @property
    def is_end_of_candidates(self) -> bool:
        """An empty candidate string: no more candidates (for one or every section)."""
        return self.candidate == ""

    def toJSON(self) -> dict[str, object]:
        """The dictionary form, every member present (None for null)."""
        return {
            "candidate": self.candidate,
            "sdpMid": self.sdpMid,
            "sdpMLineIndex": self.sdpMLineIndex,
            "usernameFragment": self.usernameFragment,
        }


@dataclass(frozen=True)
class _Fields:
    foundation: str
    component: str
    priority: int
    address: str
    protocol: str
    port: int
    type: str
    tcpType: str | None
    relatedAddress: str | None
    relatedPort: int | None


def parse_candidate_attribute(candidate: str) -> _Fields | None:
    """webrtc-pc's "parse a candidate attribute"; None when it fails.

    The string must match the candidate-attribute grammar, i.e. start with
    ``candidate:``, and each field must fit its IDL type (component 1 or 2,
    udp/tcp, a known candidate type and tcptype, priority < 2**32).
    """
    prefix = "candidate:"
    if not candidate.startswith(prefix):
        return None
    try:
        fields = parse_candidate_value(candidate[len(prefix) :])
    except SdpValueError:
        return None
    component = _COMPONENTS.get(fields.component)
    protocol = fields.transport.lower()
    tcp_type = fields.extension("tcptype")
    if (
        component is None
        or protocol not in _PROTOCOLS
        or fields.type not in _TYPES
        or fields.priority > _UNSIGNED_LONG_MAX
        or (tcp_type is not None and tcp_type not in _TCP_TYPES)
    ):
        return None
    return _Fields(
        foundation=fields.foundation,
        component=component,
        priority=fields.priority,
        address=fields.address,
        protocol=protocol,
        port=fields.port,
        type=fields.type,
        tcpType=tcp_type,
        relatedAddress=fields.related_address,
        relatedPort=fields.related_port,
    )


CandidateInit = Mapping[str, object] | RTCIceCandidateInit | CandidateObject


class RTCIceCandidate:
    """An ICE candidate with its signalling context (W3C RTCIceCandidate).

    ``RTCIceCandidate({"candidate": "candidate:...", "sdpMid": "0",
    "sdpMLineIndex": 0, "usernameFragment": None})`` (the JSON browsers send),
    another RTCIceCandidate, or keyword arguments. sdpMid and sdpMLineIndex
    both None is a TypeError, as the spec requires; an empty candidate
    string (with a mid or index) is the end-of-candidates form.
    ``relayProtocol`` and ``url`` are only set by the ICE agent for local
    relay/server-derived candidates.
    """

    __slots__ = (
        "_candidate",
        "_fields",
        "_relay_protocol",
        "_sdp_m_line_index",
        "_sdp_mid",
        "_url",
        "_username_fragment",
    )

    def __init__(
        self,
        candidateInitDict: CandidateInit | RTCIceCandidate | None = None,
        *,
        candidate: object = _MISSING,
        sdpMid: object = _MISSING,
        sdpMLineIndex: object = _MISSING,
        usernameFragment: object = _MISSING,
        relayProtocol: str | None = None,
        url: str | None = None,
    ) -> None:
        if candidateInitDict is None:
            # Members as keywords (how the peer connection builds its events):
            # each checked as the dictionary's would be, without the dictionary.
            text = "" if candidate is _MISSING else _string(candidate, "candidate")
            mid = None if sdpMid is _MISSING else _nullable_string(sdpMid, "sdpMid")
            index = (
                None
                if sdpMLineIndex is _MISSING
                else _nullable_unsigned_short(sdpMLineIndex, "sdpMLineIndex")
            )
            ufrag = (
                None
                if usernameFragment is _MISSING
                else _nullable_string(usernameFragment, "usernameFragment")
            )
        else:
            init = RTCIceCandidateInit.from_value(candidateInitDict)
            overrides = {
                "candidate": candidate,
                "sdpMid": sdpMid,
                "sdpMLineIndex": sdpMLineIndex,
                "usernameFragment": usernameFragment,
            }
            given = {key: value for key, value in overrides.items() if value is not _MISSING}
            if given:
                init = RTCIceCandidateInit.from_value({**init.toJSON(), **given})
            text, mid = init.candidate, init.sdpMid
            index, ufrag = init.sdpMLineIndex, init.usernameFragment
        if mid is None and index is None:
            raise TypeError("sdpMid and sdpMLineIndex are both null")
        self._candidate = text
        self._sdp_mid = mid
        self._sdp_m_line_index = index
        self._username_fragment = ufrag
        # Parsed when a field is first read: most candidates (every trickled
        # one) are only ever serialised.
        self._fields: _Fields | object | None = _MISSING
        self._relay_protocol = relayProtocol
        self._url = url

    @property
    def _parsed(self) -> _Fields | None:
        """The candidate string's fields (None when it does not parse or is empty)."""
        fields = self._fields
        if fields is _MISSING:
            fields = self._fields = (
                parse_candidate_attribute(self._candidate) if self._candidate else None
            )
        assert fields is None or isinstance(fields, _Fields)
        return fields

    # -- the members of RTCIceCandidateInit ---------------------------------

    @property
    def candidate(self) -> str:
        """The candidate-attribute string (``candidate:...``), or ``""``."""
        return self._candidate

    @property
    def sdpMid(self) -> str | None:
        """The mid of the media section this candidate belongs to."""
        return self._sdp_mid

    @property
    def sdpMLineIndex(self) -> int | None:
        """The 0-based m-line index of that media section."""
        return self._sdp_m_line_index

    @property
    def usernameFragment(self) -> str | None:
        """The ICE ufrag the candidate belongs to (a generation), if given."""
        return self._username_fragment

    # -- parsed fields (None when the string did not parse) ----------------

    @property
    def foundation(self) -> str | None:
        """The candidate's foundation."""
        return self._parsed.foundation if self._parsed else None

    @property
    def component(self) -> str | None:
        """``"rtp"`` (component 1) or ``"rtcp"`` (component 2)."""
        return self._parsed.component if self._parsed else None

    @property
    def priority(self) -> int | None:
        """The candidate's priority."""
        return self._parsed.priority if self._parsed else None

    @property
    def address(self) -> str | None:
        """The IP address or mDNS/host name."""
        return self._parsed.address if self._parsed else None

    @property
    def protocol(self) -> str | None:
        """``"udp"`` or ``"tcp"``."""
        return self._parsed.protocol if self._parsed else None

    @property
    def port(self) -> int | None:
        """The candidate's port."""
        return self._parsed.port if self._parsed else None

    @property
    def type(self) -> str | None:
        """``"host"``, ``"srflx"``, ``"prflx"`` or ``"relay"``."""
        return self._parsed.type if self._parsed else None

    @property
    def tcpType(self) -> str | None:
        """``"active"``, ``"passive"`` or ``"so"`` for TCP candidates."""
        return self._parsed.tcpType if self._parsed else None

    @property
    def relatedAddress(self) -> str | None:
        """``raddr``: the base or server-reflexive address it derives from."""
        return self._parsed.relatedAddress if self._parsed else None

    @property
    def relatedPort(self) -> int | None:
        """``rport``."""
        return self._parsed.relatedPort if self._parsed else None

    @property
    def relayProtocol(self) -> str | None:
        """For a local relay candidate: udp, tcp or tls to the TURN server."""
        return self._relay_protocol

    @property
    def url(self) -> str | None:
        """For a local server-derived candidate: the STUN/TURN server URL."""
        return self._url

    @property
    def is_end_of_candidates(self) -> bool:
        """True for the empty-candidate end-of-candidates form."""
        return self._candidate == ""

    @property
    def sdp_value(self) -> str | None:
        """The value to write after ``a=candidate:`` (None for end-of-candidates)."""
        prefix = "candidate:"
        if self._candidate.startswith(prefix):
            return self._candidate[len(prefix) :]
        return self._candidate or None

    def toJSON(self) -> dict[str, object]:
        """The RTCIceCandidateInit dictionary (all four members; None for null)."""
        return {
            "candidate": self._candidate,
            "sdpMid": self._sdp_mid,
            "sdpMLineIndex": self._sdp_m_line_index,
            "usernameFragment": self._username_fragment,
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RTCIceCandidate):
            return NotImplemented
        return self.toJSON() == other.toJSON()

    def __hash__(self) -> int:
        return hash(tuple(self.toJSON().items()))

    def __repr__(self) -> str:
        return (
            f"RTCIceCandidate(candidate={self._candidate!r}, sdpMid={self._sdp_mid!r}, "
            f"sdpMLineIndex={self._sdp_m_line_index!r}, "
            f"usernameFragment={self._username_fragment!r})"
        )


#: What addIceCandidate() accepts (``None``: end-of-candidates for every section).
CandidateLike = CandidateInit | RTCIceCandidate | None

__all__ = [
    "CandidateLike",
    "CandidateObject",
    "RTCIceCandidate",
    "RTCIceCandidateInit",
    "candidate_attribute_of",
    "parse_candidate_attribute",
]
