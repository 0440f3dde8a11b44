"""What the transport layer needs from a remote description, validated.

webrtc-pc's "set the RTCSessionDescription" rejects SDP that does not parse
with an RTCError ("sdp-syntax-error", sdpLineNumber), content that is
invalid with InvalidAccessError (RFC 9429 §5.8's semantic checks: ICE
credentials within RFC 8839's sizes, a fingerprint, a DTLS setup role,
rtcp-mux under the "require" policy, an answer matching its offer), and
anything else with OperationError (here: a=setup:holdconn, and a
description over the limits below).

Limits, so that a remote party cannot make applying its description cost
unbounded time or memory: at most ``MAX_REMOTE_SDP_BYTES`` of SDP, and at
most ``MAX_REMOTE_CANDIDATES`` ``a=candidate`` lines for one transport (the
ICE agent's per-generation cap, beyond which trickled ones are dropped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rtcpeer.errors import InvalidAccessError, OperationError
from rtcpeer.jsep.credentials import IceCredentials, credentials_problem
from rtcpeer.jsep.description import RTCSdpType, RTCSessionDescription
from rtcpeer.jsep.errors import sdp_syntax_error
from rtcpeer.sdp import (
    Fingerprint,
    Group,
    MediaSection,
    SdpParseError,
    SessionDescription,
    parse_sdp,
)
from rtcpeer.sdp.ice import MAX_REMOTE_CANDIDATES

#: RFC 8841: no a=sctp-port means 5000; no a=max-message-size means 64 KiB.
DEFAULT_REMOTE_SCTP_PORT = 5000
DEFAULT_REMOTE_MAX_MESSAGE_SIZE = 65536
#: Largest remote SDP we parse (characters). A browser's offer is a few KiB;
#: this leaves room for ``MAX_REMOTE_CANDIDATES`` candidate lines.
MAX_REMOTE_SDP_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class RemoteTransport:
    """The remote side of one ICE/DTLS transport (one BUNDLE group or one section)."""

    #: The m-line indexes that share this transport, tag section first.
    indexes: tuple[int, ...]
    #: Their mids (None for a section without a=mid).
    mids: tuple[str | None, ...]
    credentials: IceCredentials
    ice_options: tuple[str, ...]
    fingerprints: tuple[Fingerprint, ...]
    #: The remote a=setup: actpass (offers), active or passive.
    setup: str
    #: Raw ``a=candidate`` values of the tag section.
    candidates: tuple[str, ...]
    end_of_candidates: bool

    @property
    def supports_trickle(self) -> bool:
        """The peer announced ``a=ice-options:trickle`` (RFC 8840)."""
        return "trickle" in self.ice_options


@dataclass(frozen=True)
class RemoteDataChannel:
    """The remote SCTP endpoint of the data-channel section."""

    index: int
    mid: str | None
    sctp_port: int
    #: RFC 8841: 0 means "no limit"; absent means 65536.
    max_message_size: int
    transport: RemoteTransport


@dataclass(frozen=True)
class RemoteDescription:
    """A parsed, validated remote description."""

    type: RTCSdpType
    description: SessionDescription
    transports: tuple[RemoteTransport, ...]
    data_channel: RemoteDataChannel | None
    #: ``a=ice-lite`` at session level (the peer only answers checks).
    ice_lite: bool

    @property
    def supports_trickle(self) -> bool:
        """Every transport announced trickle ICE."""
        return bool(self.transports) and all(t.supports_trickle for t in self.transports)

    def transport_for(self, index: int) -> RemoteTransport | None:
        """The transport media section ``index`` uses (None when rejected)."""
        for transport in self.transports:
            if index in transport.indexes:
                return transport
        return None


def _invalid(index: int | None, reason: str) -> InvalidAccessError:
    where = "" if index is None else f"m-section {index}: "
    return InvalidAccessError(where + reason)


def _check_mids(mids: list[str | None]) -> None:
    seen: set[str] = set()
    for index, mid in enumerate(mids):
        if mid is None:
            continue
        if mid in seen:
            raise _invalid(index, f"duplicate a=mid:{mid}")
        seen.add(mid)


def _check_bundle_groups(mids: list[str | None], bundle_groups: tuple[Group, ...]) -> None:
    known = set(mids)
    grouped: set[str] = set()
    for group in bundle_groups:
        for mid in group.mids:
            if mid not in known:
                raise _invalid(None, f"a=group:BUNDLE names unknown mid {mid!r}")
            if mid in grouped:
                raise _invalid(None, f"mid {mid!r} is in two BUNDLE groups")
            grouped.add(mid)


def _check_against_offer(answer: SessionDescription, offer: SessionDescription) -> None:
    """RFC 3264 §6 / JSEP §5.8: same number of sections, same kind, proto and mid."""
    if len(answer.media) != len(offer.media):
        raise _invalid(
            None, f"the answer has {len(answer.media)} m-sections, the offer {len(offer.media)}"
        )
    for index, (ours, theirs) in enumerate(zip(offer.media, answer.media, strict=True)):
        if (ours.kind, ours.proto) != (theirs.kind, theirs.proto):
            raise _invalid(
                index,
                f"answered as {theirs.kind} {theirs.proto}, offered as {ours.kind} {ours.proto}",
            )
        if ours.mid is not None and theirs.mid is not None and ours.mid != theirs.mid:
            raise _invalid(index, f"answered with mid {theirs.mid!r}, offered {ours.mid!r}")


def _transport(
    description: SessionDescription,
    mids: list[str | None],
    indexes: tuple[int, ...],
    sdp_type: RTCSdpType,
) -> RemoteTransport:
    tag = indexes[0]
    values = description.transport_attributes(tag)
    problem = credentials_problem(values.ice_ufrag, values.ice_pwd)
    if problem is not None:
        raise _invalid(tag, problem)
    assert values.ice_ufrag is not None and values.ice_pwd is not None
    if not values.fingerprints:
        raise _invalid(tag, "no a=fingerprint")
    setup = values.setup
    if setup is None:
        raise _invalid(tag, "no a=setup")
    if setup == "holdconn":
        raise OperationError(f"m-section {tag}: a=setup:holdconn is not supported")
    if sdp_type is not RTCSdpType.OFFER and setup == "actpass":
        raise _invalid(tag, f"an {sdp_type.value} must use a=setup:active or passive")
    section = description.media[tag]
    candidates = section.candidates
    if len(candidates) > MAX_REMOTE_CANDIDATES:
        raise OperationError(
            f"m-section {tag}: {len(candidates)} candidates; "
            f"at most {MAX_REMOTE_CANDIDATES} are accepted"
        )
    return RemoteTransport(
        indexes=indexes,
        mids=tuple([mids[i] for i in indexes]),
        credentials=IceCredentials(values.ice_ufrag, values.ice_pwd),
        ice_options=values.ice_options,
        fingerprints=values.fingerprints,
        setup=setup,
        candidates=candidates,
        end_of_candidates=section.end_of_candidates,
    )


def _live(section: MediaSection) -> bool:
    return not section.is_rejected


def _transport_groups(
    description: SessionDescription, mids: list[str | None], bundle_groups: tuple[Group, ...]
) -> list[tuple[int, ...]]:
    """Indexes per transport: each BUNDLE group's live sections, tag first; then the rest."""
    groups: list[tuple[int, ...]] = []
    bundled: set[int] = set()
    for group in bundle_groups:
        indexes = []
        for mid in group.mids:
            # _check_bundle_groups made sure the mid is there; the first
            # section with it, as SessionDescription.index_of_mid gives.
            index = mids.index(mid)
            if _live(description.media[index]):
                indexes.append(index)
        if indexes:
            groups.append(tuple(indexes))
            bundled.update(indexes)
    for index, section in enumerate(description.media):
        if index not in bundled and _live(section):
            groups.append((index,))
    return groups


def _data_channel(
    description: SessionDescription, mids: list[str | None], transports: list[RemoteTransport]
) -> RemoteDataChannel | None:
    for index, section in enumerate(description.media):
        if not section.is_data_channel or section.is_rejected:
            continue
        transport = next(t for t in transports if index in t.indexes)
        port = section.sctp_port
        size = section.max_message_size
        return RemoteDataChannel(
            index=index,
            mid=mids[index],
            sctp_port=DEFAULT_REMOTE_SCTP_PORT if port is None else port,
            max_message_size=DEFAULT_REMOTE_MAX_MESSAGE_SIZE if size is None else size,
            transport=transport,
        )
    return None


def parse_remote_description(
    description: RTCSessionDescription | Mapping[str, object],
    *,
    offer: SessionDescription | None = None,
) -> RemoteDescription:
    """Parse and validate a remote offer, pranswer or answer.

    ``offer`` is our local offer when ``description`` answers it (checked
    per RFC 3264 §6). Raises RTCError("sdp-syntax-error") for bad syntax,
    InvalidAccessError for invalid content, OperationError for content we
    cannot honour; a rollback has no SDP to parse and is a TypeError here.
    """
    if not isinstance(description, RTCSessionDescription):
        description = RTCSessionDescription(description)
    if description.type is RTCSdpType.ROLLBACK:
        raise TypeError("a rollback has no session description to parse")
    if len(description.sdp) > MAX_REMOTE_SDP_BYTES:
        raise OperationError(
            f"the remote description is {len(description.sdp)} characters long; "
            f"at most {MAX_REMOTE_SDP_BYTES} are accepted"
        )
    try:
        parsed = parse_sdp(description.sdp)
    except SdpParseError as error:
        raise sdp_syntax_error(error) from None
    return validate_remote_description(parsed, description.type, offer=offer)


def validate_remote_description(
    parsed: SessionDescription, sdp_type: RTCSdpType | str, *, offer: SessionDescription | None
) -> RemoteDescription:
    """:func:`parse_remote_description` for an already parsed description."""
    if not isinstance(sdp_type, RTCSdpType):
        sdp_type = RTCSdpType(sdp_type)
    # The views every check below needs, each read once.
    mids = [section.mid for section in parsed.media]
    _check_mids(mids)
    bundle_groups = parsed.bundle_groups
    _check_bundle_groups(mids, bundle_groups)
    if offer is not None and sdp_type is not RTCSdpType.OFFER:
        _check_against_offer(parsed, offer)
    for index, section in enumerate(parsed.media):
        if section.is_rtp and _live(section) and not section.rtcp_mux:
            raise _invalid(index, "RTP without a=rtcp-mux (rtcpMuxPolicy is 'require')")
    transports = [
        _transport(parsed, mids, indexes, sdp_type)
        for indexes in _transport_groups(parsed, mids, bundle_groups)
    ]
    return RemoteDescription(
        type=sdp_type,
        description=parsed,
        transports=tuple(transports),
        data_channel=_data_channel(parsed, mids, transports),
        ice_lite=parsed.ice_lite,
    )


__all__ = [
    "DEFAULT_REMOTE_MAX_MESSAGE_SIZE",
    "DEFAULT_REMOTE_SCTP_PORT",
    "MAX_REMOTE_SDP_BYTES",
    "RemoteDataChannel",
    "RemoteDescription",
    "RemoteTransport",
    "parse_remote_description",
    "validate_remote_description",
]
