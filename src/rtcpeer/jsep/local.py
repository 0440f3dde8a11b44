"""Writing our own offers and answers for a data-channel-only peer (RFC 9429 §5.2, §5.3).

Pure functions: everything that varies (session id and version, ICE
credentials, fingerprints, gathered candidates) comes in as parameters. The
only m-section we ever accept is one SCTP data-channel section (RFC 8841);
every other offered section is rejected with port 0 (RFC 9429 §5.3.1).
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rtcpeer.configuration import RTCBundlePolicy
from rtcpeer.jsep.credentials import IceCredentials, generate_ice_credentials
from rtcpeer.jsep.dtls_role import answer_setup
from rtcpeer.sdp import (
    LEGACY_DATA_CHANNEL_PROTO,
    Attribute,
    Field,
    Fingerprint,
    MediaSection,
    Origin,
    SdpValueError,
    SessionDescription,
    parse_candidate_value,
    shared_attribute,
    shared_field,
    shared_fields,
)

DATA_CHANNEL_PROTO = "UDP/DTLS/SCTP"
DATA_CHANNEL_FORMAT = "webrtc-datachannel"
DEFAULT_SCTP_PORT = 5000
#: What we advertise: aiortc's SCTP stack takes messages of this size.
DEFAULT_MAX_MESSAGE_SIZE = 262144
_NO_ADDRESS = Field("c", "IN IP4 0.0.0.0")
_DISCARD_PORT = 9
_TYPE_RANK = {"relay": 3, "srflx": 2, "prflx": 1, "host": 0}


@dataclass(frozen=True)
class LocalTransport:
    """Our side of one ICE transport as it goes into a description."""

    credentials: IceCredentials
    #: ``a=candidate`` values gathered so far (no ``candidate:`` prefix).
    candidates: tuple[str, ...] = ()
    #: Gathering finished: write ``a=end-of-candidates``.
    gathering_complete: bool = False


@dataclass(frozen=True)
class LocalParameters:
    """Everything a local description is made from."""

    #: o= session id: random, < 2**63, fixed for the connection's lifetime.
    session_id: int
    #: o= session version: the caller increments it when the description changes.
    session_version: int
    #: Our certificate fingerprints (see :func:`sdp_fingerprints`).
    fingerprints: tuple[Fingerprint, ...]
    transport: LocalTransport
    bundle_policy: RTCBundlePolicy | str = RTCBundlePolicy.BALANCED
    sctp_port: int = DEFAULT_SCTP_PORT
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    #: The mid a new data section gets in an initial offer.
    data_mid: str = "0"
    #: Extra session attributes (e.g. ``msid-semantic``), appended as given.
    extra_session_attributes: tuple[Attribute, ...] = field(default=())


@dataclass(frozen=True)
class GeneratedOffer:
    """An offer and the ICE credentials it carries."""

    description: SessionDescription
    credentials: IceCredentials
    #: True when fresh credentials were minted (an ICE restart).
    restarted: bool

    @property
    def sdp(self) -> str:
        """The offer's SDP text."""
        return self.description.to_sdp()


def sdp_fingerprints(items: Iterable[object]) -> tuple[Fingerprint, ...]:
    """SDP fingerprints from anything with ``algorithm`` and ``value`` (e.g.
    RTCDtlsFingerprint): hash name as given, value upper case (RFC 8122)."""
    out: list[Fingerprint] = []
    for item in items:
        algorithm = getattr(item, "algorithm", None)
        value = getattr(item, "value", None)
        if not isinstance(algorithm, str) or not isinstance(value, str):
            raise TypeError("a fingerprint needs string 'algorithm' and 'value'")
        out.append(Fingerprint(algorithm, value.upper()))
    return tuple(out)


def default_candidate(candidates: Iterable[str]) -> tuple[str, int] | None:
    """The (address, port) for the m= and c= lines (RFC 8445 §5.1.4, JSEP §5.2.1).

    The most likely to work: relay over srflx over prflx over host, UDP
    over TCP, then priority; only component 1 and IP literals (an mDNS
    name cannot go in a c= line).
    """
    best: tuple[tuple[int, int, int], str, int] | None = None
    for value in candidates:
        try:
            fields = parse_candidate_value(value)
            ipaddress.ip_address(fields.address)
        except (SdpValueError, ValueError):
            continue
        if fields.component != 1:
            continue
        rank = (_TYPE_RANK.get(fields.type, -1), fields.transport.lower() == "udp", fields.priority)
        if best is None or rank > best[0]:
            best = (rank, fields.address, fields.port)
    return None if best is None else (best[1], best[2])


def _connection_line(address: str) -> Field:
    version = ipaddress.ip_address(address).version
    return shared_field("c", f"IN IP{version} {address}")


def _session(
    params: LocalParameters, media: tuple[MediaSection, ...], bundle: tuple[str, ...]
) -> SessionDescription:
    attrs: list[Attribute] = []
    if bundle:
        attrs.append(shared_attribute("group", "BUNDLE " + " ".join(bundle)))
    attrs.append(shared_attribute("ice-options", "trickle"))
    attrs.extend(params.extra_session_attributes)
    return SessionDescription(
        origin=Origin("-", params.session_id, params.session_version, "IN", "IP4", "0.0.0.0"),
        name="-",
        fields=shared_fields((shared_field("t", "0 0"),)),
        attributes=tuple(attrs),
        media=media,
    )


def _data_section(
    params: LocalParameters,
    credentials: IceCredentials,
    *,
    mid: str | None,
    setup: str,
    legacy: bool = False,
) -> MediaSection:
    transport = params.transport
    default = default_candidate(transport.candidates)
    port = default[1] if default else _DISCARD_PORT
    connection = _connection_line(default[0]) if default else _NO_ADDRESS
    attrs: list[Attribute] = [Attribute("candidate", c) for c in transport.candidates]
    if transport.gathering_complete:
        attrs.append(shared_attribute("end-of-candidates"))
    attrs += [Attribute("ice-ufrag", credentials.ufrag), Attribute("ice-pwd", credentials.pwd)]
    attrs += [Attribute("fingerprint", str(fp)) for fp in params.fingerprints]
    attrs.append(shared_attribute("setup", setup))
    if mid is not None:
        attrs.append(shared_attribute("mid", mid))
    if legacy:
        sctpmap = f"{params.sctp_port} {DATA_CHANNEL_FORMAT} 65535"
        attrs.append(Attribute("sctpmap", sctpmap))
    else:
        attrs.append(shared_attribute("sctp-port", str(params.sctp_port)))
    attrs.append(shared_attribute("max-message-size", str(params.max_message_size)))
    if legacy:
        return MediaSection(
            "application", port, LEGACY_DATA_CHANNEL_PROTO, (str(params.sctp_port),),
            fields=shared_fields((connection,)), attributes=tuple(attrs),
        )  # fmt: skip
    return MediaSection(
        "application", port, DATA_CHANNEL_PROTO, (DATA_CHANNEL_FORMAT,),
        fields=shared_fields((connection,)), attributes=tuple(attrs),
    )  # fmt: skip


def rejected_section(section: MediaSection) -> MediaSection:
    """``section`` rejected: port 0, same kind/proto/formats, only c= and mid kept."""
    attrs: list[Attribute] = []
    if section.is_rtp:
        attrs.append(shared_attribute("inactive"))
    if section.mid is not None:
        attrs.append(shared_attribute("mid", section.mid))
    return MediaSection(
        section.kind, 0, section.proto, section.formats,
        fields=shared_fields((_NO_ADDRESS,)), attributes=tuple(attrs),
    )  # fmt: skip


def _fresh_mid(taken: Iterable[str | None]) -> str:
    used = {mid for mid in taken if mid is not None}
    number = 0
    while str(number) in used:
        number += 1
    return str(number)


def create_offer(
    params: LocalParameters,
    *,
    previous: SessionDescription | None = None,
    credentials_to_replace: Iterable[IceCredentials] = (),
    ice_restart: bool = False,
    mint: Callable[[], IceCredentials] = generate_ice_credentials,
) -> GeneratedOffer:
    """An offer with one data-channel section (JSEP §5.2.1, §5.2.2).

    ``previous`` is the current local description of an earlier
    negotiation: its m-sections are kept in order (rejected ones stay
    rejected, the data section keeps its mid). The transport's credentials
    are replaced by fresh ones from ``mint`` when ``ice_restart`` is true or
    they are in ``credentials_to_replace`` ([[LocalIceCredentialsToReplace]]).
    The offer is always ``a=setup:actpass``, trickle, never ice-lite, and
    every live section is in one BUNDLE group (with a single live section
    this holds for every bundle policy).
    """
    credentials = params.transport.credentials
    restarted = ice_restart or credentials in set(credentials_to_replace)
    if restarted:
        credentials = mint()
    media: list[MediaSection] = []
    data_mid: str | None = None
    previous_media = previous.media if previous is not None else ()
    for section in previous_media:
        if data_mid is None and section.is_data_channel and not section.is_rejected:
            data_mid = section.mid
            if data_mid is None:
                data_mid = _fresh_mid(s.mid for s in previous_media)
            legacy = section.proto == LEGACY_DATA_CHANNEL_PROTO
            media.append(
                _data_section(params, credentials, mid=data_mid, setup="actpass", legacy=legacy)
            )
        else:
            media.append(rejected_section(section))
    if data_mid is None:
        taken = [s.mid for s in media]
        data_mid = params.data_mid if params.data_mid not in taken else _fresh_mid(taken)
        media.append(_data_section(params, credentials, mid=data_mid, setup="actpass"))
    description = _session(params, tuple(media), (data_mid,))
    return GeneratedOffer(description, credentials, restarted)


def _accept_data_section(offer: SessionDescription, index: int, policy: RTCBundlePolicy) -> bool:
    """JSEP §5.3.1's bundle-policy rules for accepting the data section at ``index``."""
    section = offer.media[index]
    if policy == RTCBundlePolicy.MAX_COMPAT:
        return True
    group = offer.bundle_group_of(section.mid) if section.mid is not None else None
    if policy == RTCBundlePolicy.MAX_BUNDLE:
        first = offer.media[0]
        return index == 0 or (group is not None and first.mid in group.mids)
    # balanced: the first section of its kind, or bundled with that section.
    first_of_kind = next(i for i, s in enumerate(offer.media) if s.kind == section.kind)
    other = offer.media[first_of_kind]
    return index == first_of_kind or (group is not None and other.mid in group.mids)


def create_answer(
    offer: SessionDescription,
    params: LocalParameters,
    *,
    existing_setup: str | None = None,
) -> SessionDescription:
    """Our answer to ``offer`` (JSEP §5.3.1): accept one data section, reject the rest.

    The first data-channel section the offer does not itself reject, and
    that the bundle policy allows, is accepted with our ICE credentials,
    fingerprints, a=setup per :func:`answer_setup`, sctp-port and
    max-message-size; every other section gets port 0. The BUNDLE group of
    the answer lists the accepted mid when the offer bundled it.
    """
    policy = RTCBundlePolicy(params.bundle_policy)
    accepted: int | None = None
    for index, section in enumerate(offer.media):
        if section.is_data_channel and not section.is_rejected:
            if _accept_data_section(offer, index, policy):
                accepted = index
            break
    media: list[MediaSection] = []
    bundle: tuple[str, ...] = ()
    for index, section in enumerate(offer.media):
        if index != accepted:
            media.append(rejected_section(section))
            continue
        setup = answer_setup(offer.setup_of(index), existing_setup)
        legacy = section.proto == LEGACY_DATA_CHANNEL_PROTO
        answer_section = _data_section(
            params, params.transport.credentials, mid=section.mid, setup=setup, legacy=legacy
        )
        if not legacy and section.proto != DATA_CHANNEL_PROTO:
            answer_section = MediaSection(
                answer_section.kind, answer_section.port, section.proto, section.formats,
                fields=answer_section.fields, attributes=answer_section.attributes,
            )  # fmt: skip
        media.append(answer_section)
        if section.mid is not None and offer.bundle_group_of(section.mid) is not None:
            bundle = (section.mid,)
    return _session(params, tuple(media), bundle)


__all__ = [
    "DATA_CHANNEL_FORMAT",
    "DATA_CHANNEL_PROTO",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_SCTP_PORT",
    "GeneratedOffer",
    "LocalParameters",
    "LocalTransport",
    "create_answer",
    "create_offer",
    "default_candidate",
    "new_session_id",
    "rejected_section",
    "sdp_fingerprints",
]


def new_session_id() -> int:
    """A random o= session id below 2**63 (JSEP §5.2.1)."""
    return secrets.randbits(62) + 1
