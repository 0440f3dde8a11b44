"""JSEP bookkeeping of one peer connection: the four descriptions, what we created
last, session versions, and which local ICE credentials a restart replaces.

Pure state (no I/O): :class:`RTCPeerConnection` decides when to call these,
and the transports act on the results. The rules are webrtc-pc's "set the
session description" (§4.4.1.5) and JSEP's offer/answer generation
(:mod:`rtcpeer.jsep`): one data-channel section, and audio/video sections
(:mod:`rtcpeer.jsep.media_session`) once there are transceivers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rtcpeer.configuration import RTCCertificate
from rtcpeer.errors import InvalidModificationError
from rtcpeer.jsep import (
    IceCredentials,
    LocalParameters,
    LocalTransport,
    RemoteDescription,
    RTCSdpType,
    RTCSessionDescription,
    create_answer,
    create_offer,
    credentials_in,
    credentials_to_replace,
    new_session_id,
    sdp_fingerprints,
    still_to_replace,
)
from rtcpeer.jsep.codecs import MediaCapabilities
from rtcpeer.jsep.dtls_role import setup_in_force
from rtcpeer.jsep.media import AnsweredMedia, MediaSectionPlan
from rtcpeer.jsep.media_session import create_media_answer, create_media_offer
from rtcpeer.jsep.restart import section_credentials
from rtcpeer.sdp import Fingerprint, SdpParseError, SessionDescription, parse_sdp

#: "Not worked out yet" for Applied's memo slots (None is a real answer there).
_UNSET: Any = object()
#: Nothing to replace, one object for every connection (each ``frozenset()`` is a new one).
_NO_CREDENTIALS: frozenset[IceCredentials] = frozenset()


@dataclass(frozen=True, slots=True)
class Applied:
    """A description in force (current or pending)."""

    type: RTCSdpType
    description: SessionDescription
    #: What a remote description gives the transports (None for local ones).
    remote: RemoteDescription | None = None
    # The description never changes, and these are read for every candidate
    # and every description surfaced: worked out once, on first use, into
    # slots (a cached_property would give each Applied a whole __dict__).
    _data_section: Any = field(default=_UNSET, init=False, repr=False, compare=False)
    _transport_section: Any = field(default=_UNSET, init=False, repr=False, compare=False)
    _credentials: Any = field(default=_UNSET, init=False, repr=False, compare=False)
    _ufrags: Any = field(default=_UNSET, init=False, repr=False, compare=False)

    def data_section(self) -> int | None:
        """Index of the live data-channel section, if any."""
        index: int | None = self._data_section
        if index is _UNSET:
            index = None
            for position, section in enumerate(self.description.media):
                if section.is_data_channel and not section.is_rejected:
                    index = position
                    break
            object.__setattr__(self, "_data_section", index)
        return index

    def transport_section(self) -> int | None:
        """Index of the section whose ICE lines and candidates stand for the one
        BUNDLEd transport: the first live section, the BUNDLE tag (RFC 8843 §7;
        aiortc takes trickled candidates only there). None: every section rejected."""
        index: int | None = self._transport_section
        if index is _UNSET:
            index = next(
                (i for i, s in enumerate(self.description.media) if not s.is_rejected), None
            )
            object.__setattr__(self, "_transport_section", index)
        return index

    def credentials(self) -> IceCredentials | None:
        """ICE credentials of the transport section (None when every section is rejected)."""
        credentials: IceCredentials | None = self._credentials
        if credentials is _UNSET:
            index = self.transport_section()
            credentials = None if index is None else section_credentials(self.description, index)
            object.__setattr__(self, "_credentials", credentials)
        return credentials

    @property
    def ufrags(self) -> frozenset[str]:
        """ICE ufrags of every section."""
        ufrags: frozenset[str] = self._ufrags
        if ufrags is _UNSET:
            ufrags = frozenset(c.ufrag for c in credentials_in(self.description))
            object.__setattr__(self, "_ufrags", ufrags)
        return ufrags

    def setup(self) -> str | None:
        """The a=setup of the transport section."""
        index = self.transport_section()
        return None if index is None else self.description.setup_of(index)

    def to_w3c(self) -> RTCSessionDescription:
        return RTCSessionDescription(self.type.value, self.description.to_sdp())


def sha256_fingerprints(*certificates: RTCCertificate) -> tuple[object, ...]:
    """Each certificate's sha-256 fingerprint, in order (what we put in a=fingerprint).

    Every configured certificate is listed, as webrtc-pc's RTCCertificate
    tests expect; DTLS presents the first, and a peer accepts any listed one.
    """
    return tuple(
        fp
        for certificate in certificates
        for fp in certificate.getFingerprints()
        if fp.algorithm == "sha-256"
    )


#: The certificates last described and their a=fingerprint values: one entry
#: for the whole process, as connections mostly share the process's default
#: certificate (a cache per connection kept three objects per connection).
_described_certificates: tuple[tuple[RTCCertificate, ...], tuple[Fingerprint, ...]] | None = None


def _fingerprints_of(certificates: tuple[RTCCertificate, ...]) -> tuple[Fingerprint, ...]:
    """The a=fingerprint values of ``certificates``, hashed and formatted once
    for as long as connections keep describing the same certificates."""
    global _described_certificates
    cached = _described_certificates
    if cached is None or cached[0] != certificates:
        cached = _described_certificates = (
            certificates,
            sdp_fingerprints(sha256_fingerprints(*certificates)),
        )
    return cached[1]


@dataclass(frozen=True, slots=True)
class NegotiationSnapshot:
    """What applying one description may change, to restore if it fails."""

    current_local: Applied | None
    pending_local: Applied | None
    current_remote: Applied | None
    pending_remote: Applied | None
    to_replace: frozenset[IceCredentials]
    remote_ufrags: tuple[str, ...]


class Negotiation:
    """Descriptions, created offers/answers and [[LocalIceCredentialsToReplace]]."""

    # Slots: no __dict__ kept per connection (one object fewer for every
    # full garbage collection to walk).
    __slots__ = (
        "_created",
        "_created_sdp",
        "answered_media",
        "current_local",
        "current_remote",
        "pending_local",
        "pending_remote",
        "remote_ufrags",
        "session_id",
        "session_version",
        "to_replace",
    )

    def __init__(self) -> None:
        self.current_local: Applied | None = None
        self.pending_local: Applied | None = None
        self.current_remote: Applied | None = None
        self.pending_remote: Applied | None = None
        self.session_id = new_session_id()
        self.session_version = 0
        #: The last created offer/answer. Only the description is kept: its
        #: SDP text is serialised again (deterministically) when compared.
        self._created: dict[RTCSdpType, SessionDescription] = {}
        # The SDP text of each created description, so SLD with the returned
        # text is recognised without serializing the description again.
        self._created_sdp: dict[RTCSdpType, str] = {}
        #: restartIce()'s [[LocalIceCredentialsToReplace]].
        self.to_replace: frozenset[IceCredentials] = _NO_CREDENTIALS
        #: Every remote ufrag ever applied (candidates of old ones are ignored);
        #: a tuple: one or two per connection, a set would take ~0.2 KiB.
        self.remote_ufrags: tuple[str, ...] = ()
        #: How the last created answer answered each offered section (audio/video
        #: sections: AnsweredMedia; others None; empty for an offer without any).
        self.answered_media: tuple[AnsweredMedia | None, ...] = ()

    # -- reading -------------------------------------------------------------------
    @property
    def local(self) -> Applied | None:
        """localDescription: the pending one if any, else the current one."""
        return self.pending_local or self.current_local

    @property
    def remote(self) -> Applied | None:
        """remoteDescription: the pending one if any, else the current one."""
        return self.pending_remote or self.current_remote

    def local_ufrags(self) -> frozenset[str]:
        """ICE ufrags of every local description in force (candidates may surface)."""
        found: frozenset[str] = frozenset()
        for applied in (self.current_local, self.pending_local):
            if applied is not None:
                found |= applied.ufrags
        return found

    def has_negotiated_data(self) -> bool:
        """The current local description has a live data section."""
        return self.current_local is not None and self.current_local.data_section() is not None

    # -- creating ------------------------------------------------------------------
    def _parameters(
        self,
        certificates: tuple[RTCCertificate, ...],
        credentials: IceCredentials,
        candidates: Iterable[str],
        gathering_complete: bool,
        bundle_policy: str,
    ) -> LocalParameters:
        self.session_version += 1
        return LocalParameters(
            session_id=self.session_id,
            session_version=self.session_version,
            fingerprints=_fingerprints_of(certificates),
            transport=LocalTransport(credentials, tuple(candidates), gathering_complete),
            bundle_policy=bundle_policy,
        )

    def create_offer(
        self,
        certificates: tuple[RTCCertificate, ...],
        credentials: IceCredentials,
        candidates: Iterable[str],
        gathering_complete: bool,
        *,
        bundle_policy: str,
        fresh: IceCredentials | None,
        plans: Sequence[MediaSectionPlan] = (),
        data: bool = True,
    ) -> RTCSessionDescription:
        """An offer with ``credentials`` and ``candidates``, or with ``fresh`` credentials
        (a restart: no candidates yet); remembered as [[LastCreatedOffer]].

        ``plans`` are the audio/video transceivers to offer (their mids
        chosen); ``data`` says whether a data section is added when none
        was negotiated. Without plans or earlier audio/video sections the
        offer is the data-channel-only one.
        """
        if fresh is not None:
            credentials, candidates, gathering_complete = fresh, (), False
        params = self._parameters(
            certificates, credentials, candidates, gathering_complete, bundle_policy
        )
        previous = self.current_local.description if self.current_local else None
        if plans or (previous is not None and any(s.is_rtp for s in previous.media)):
            offer = create_media_offer(params, plans, data=data, previous=previous).description
        else:
            offer = create_offer(params, previous=previous).description
        return self._remember(RTCSdpType.OFFER, offer)

    def create_answer(
        self,
        certificates: tuple[RTCCertificate, ...],
        credentials: IceCredentials,
        candidates: Iterable[str],
        gathering_complete: bool,
        *,
        bundle_policy: str,
        plans: Mapping[str, MediaSectionPlan] | None = None,
        capabilities: Mapping[str, MediaCapabilities] | None = None,
    ) -> RTCSessionDescription:
        """Our answer to the remote offer in force; remembered as [[LastCreatedAnswer]].

        An offer with audio/video sections is answered by
        :func:`create_media_answer` with our transceivers ``plans`` by mid
        (how each section was answered is kept: :attr:`answered_media`).
        """
        remote = self.remote
        assert remote is not None
        existing = setup_in_force(
            self.current_local.setup() if self.current_local else None,
            self.current_remote.setup() if self.current_remote else None,
        )
        params = self._parameters(
            certificates, credentials, candidates, gathering_complete, bundle_policy
        )
        offer = remote.description
        if any(s.is_rtp for s in offer.media):
            result = create_media_answer(
                offer, params, plans or {}, capabilities or {}, existing_setup=existing
            )
            answer, self.answered_media = result.description, result.media
        else:
            answer = create_answer(offer, params, existing_setup=existing)
            self.answered_media = ()
        return self._remember(RTCSdpType.ANSWER, answer)

    def _remember(
        self, sdp_type: RTCSdpType, description: SessionDescription
    ) -> RTCSessionDescription:
        text = description.to_sdp()
        self._created[sdp_type] = description
        self._created_sdp[sdp_type] = text
        return RTCSessionDescription(sdp_type.value, text)

    def created(self, sdp_type: RTCSdpType, sdp: str) -> SessionDescription | None:
        """The parsed description for SLD(type, sdp): the last created one.

        An empty ``sdp`` means "the last created"; None when there is none.
        Any other text is InvalidModificationError (webrtc-pc forbids SDP munging).
        """
        kind = RTCSdpType.OFFER if sdp_type is RTCSdpType.OFFER else RTCSdpType.ANSWER
        last = self._created.get(kind)
        if not sdp:
            return last
        if last is not None and (self._created_sdp.get(kind) == sdp or _parses_to(sdp, last)):
            return last
        raise InvalidModificationError(
            f"the {sdp_type.value} is not the one createOffer/createAnswer returned last"
        )

    # -- applying ------------------------------------------------------------------
    def apply_local(self, sdp_type: RTCSdpType, description: SessionDescription) -> Applied:
        applied = Applied(sdp_type, description)
        kind = RTCSdpType.OFFER if sdp_type is RTCSdpType.OFFER else RTCSdpType.ANSWER
        if self._created.get(kind) is description:
            # Its text only sped up recognising this SLD; a repeated SLD with
            # it is still recognised (by parsing), so it goes (~0.5 KiB), and
            # an emptied dict is replaced by a new empty one (no table).
            self._created_sdp.pop(kind, None)
            if not self._created_sdp:
                self._created_sdp = {}
        if sdp_type is RTCSdpType.ANSWER:
            self.current_local, self.current_remote = applied, self.pending_remote
            self.pending_local = self.pending_remote = None
            self._negotiation_completed()
        else:
            self.pending_local = applied
        return applied

    def apply_remote(self, remote: RemoteDescription) -> Applied:
        applied = Applied(remote.type, remote.description, remote)
        credentials = applied.credentials()
        if credentials is not None and credentials.ufrag not in self.remote_ufrags:
            self.remote_ufrags += (credentials.ufrag,)
        if remote.type is RTCSdpType.ANSWER:
            self.current_remote, self.current_local = applied, self.pending_local
            self.pending_local = self.pending_remote = None
            self._negotiation_completed()
        else:
            self.pending_remote = applied
        return applied

    def snapshot(self) -> NegotiationSnapshot:
        """The descriptions in force and the restart bookkeeping, as they are now."""
        return NegotiationSnapshot(
            self.current_local,
            self.pending_local,
            self.current_remote,
            self.pending_remote,
            self.to_replace,
            self.remote_ufrags,
        )

    def restore(self, snapshot: NegotiationSnapshot) -> None:
        """Back to ``snapshot``: a description that failed to apply changes nothing."""
        self.current_local, self.pending_local = snapshot.current_local, snapshot.pending_local
        self.current_remote = snapshot.current_remote
        self.pending_remote = snapshot.pending_remote
        self.to_replace = snapshot.to_replace
        self.remote_ufrags = snapshot.remote_ufrags

    def rollback(self) -> None:
        """Drop both pending descriptions (explicit or implicit rollback)."""
        self.pending_local = self.pending_remote = None

    def record_remote_candidate(self, description: SessionDescription) -> None:
        """The remote description in force, with a trickled candidate recorded in it."""
        if self.pending_remote is not None:
            self.pending_remote = _with_candidate_recorded(self.pending_remote, description)
        elif self.current_remote is not None:
            self.current_remote = _with_candidate_recorded(self.current_remote, description)

    def _negotiation_completed(self) -> None:
        self.to_replace = still_to_replace(
            self.to_replace, self.current_local.description if self.current_local else None
        )

    # -- restarts ------------------------------------------------------------------
    def restart_ice(self) -> None:
        """restartIce(): replace every credential of the current and pending local description."""
        self.to_replace = credentials_to_replace(
            self.current_local.description if self.current_local else None,
            self.pending_local.description if self.pending_local else None,
        )


#: Applied's worked-out values that a trickled candidate cannot change.
_CANDIDATE_INVARIANT = ("_data_section", "_transport_section", "_credentials", "_ufrags")


def _with_candidate_recorded(applied: Applied, description: SessionDescription) -> Applied:
    """``applied`` holding ``description``: the same one plus a trickled candidate.

    A candidate changes neither the sections nor their ICE credentials, so
    what was worked out for ``applied`` carries over instead of being parsed
    again for every candidate.
    """
    updated = replace(applied, description=description)
    for name in _CANDIDATE_INVARIANT:
        object.__setattr__(updated, name, getattr(applied, name))
    return updated


def _parses_to(sdp: str, description: SessionDescription) -> bool:
    try:
        return parse_sdp(sdp) == description
    except SdpParseError:
        return False


__all__ = ["Applied", "Negotiation", "NegotiationSnapshot", "sha256_fingerprints"]
