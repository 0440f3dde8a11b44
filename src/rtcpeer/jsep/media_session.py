"""Whole offers and answers with audio, video and data sections on one BUNDLEd transport.

These compose :func:`rtcpeer.jsep.local.create_offer` /
:func:`~rtcpeer.jsep.local.create_answer` (which write the data-channel
section, the ICE credentials and the session lines) with the audio/video
sections of :mod:`rtcpeer.jsep.media`:

* :func:`create_media_offer`: previous sections keep their place (RFC 9429
  §5.2.2), new transceivers' sections follow, then a new data section;
  every live section is in one BUNDLE group.
* :func:`create_media_answer`: each offered audio/video section answered
  by :func:`~rtcpeer.jsep.media.media_answer_section`; the sections
  rtcpeer's single transport can carry are those in the offer's BUNDLE
  group (the data section's, or the first), the rest get port 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from rtcpeer.jsep.codecs import MediaCapabilities
from rtcpeer.jsep.credentials import IceCredentials, generate_ice_credentials
from rtcpeer.jsep.dtls_role import answer_setup
from rtcpeer.jsep.local import (
    GeneratedOffer,
    LocalParameters,
    create_answer,
    create_offer,
)
from rtcpeer.jsep.media import (
    MEDIA_KINDS,
    AnsweredMedia,
    MediaSectionPlan,
    NegotiatedMedia,
    SectionTransport,
    media_answer_section,
    media_offer_section,
    rejected_media_section,
)
from rtcpeer.sdp import Attribute, Group, MediaSection, SessionDescription


@dataclass(frozen=True)
class MediaAnswer:
    """An answer and, per m-section, how each audio/video section was answered."""

    description: SessionDescription
    #: One entry per m-section: the answered audio/video section, None for the others.
    media: tuple[AnsweredMedia | None, ...]

    @property
    def negotiated(self) -> tuple[NegotiatedMedia, ...]:
        """The accepted audio/video sections, in m-line order."""
        return tuple([m.negotiated for m in self.media if m is not None and m.negotiated])

    @property
    def sdp(self) -> str:
        """The answer's SDP text."""
        return self.description.to_sdp()


def _fresh_mid(taken: Iterable[str | None]) -> str:
    used = {mid for mid in taken if mid is not None}
    number = 0
    while str(number) in used:
        number += 1
    return str(number)


def _with_bundle(description: SessionDescription, mids: Sequence[str]) -> SessionDescription:
    """``description`` with its a=group:BUNDLE replaced by one listing ``mids`` (if any)."""
    attrs = [a for a in description.attributes if not (a.name == "group" and _is_bundle(a))]
    if mids:
        attrs.insert(0, Attribute("group", str(Group("BUNDLE", tuple(mids)))))
    return replace(description, attributes=tuple(attrs))


def _is_bundle(attribute: Attribute) -> bool:
    return attribute.value is not None and attribute.value.split(" ", 1)[0] == "BUNDLE"


def _live_mids(media: Sequence[MediaSection]) -> list[str]:
    return [s.mid for s in media if s.mid is not None and (s.port != 0 or s.bundle_only)]


def create_media_offer(
    params: LocalParameters,
    plans: Sequence[MediaSectionPlan],
    *,
    data: bool = True,
    previous: SessionDescription | None = None,
    credentials_to_replace: Iterable[IceCredentials] = (),
    ice_restart: bool = False,
    mint: Callable[[], IceCredentials] = generate_ice_credentials,
) -> GeneratedOffer:
    """An offer with a section per transceiver in ``plans`` and (if ``data``) a data section.

    ``previous`` is the current local description: its sections keep their
    order and mids (an audio/video section without a plan stays rejected);
    sections of plans whose mid it does not have are appended in ``plans``
    order, then a new data section. ICE restart arguments are those of
    :func:`rtcpeer.jsep.local.create_offer`.
    """
    previous_media = previous.media if previous is not None else ()
    taken = [s.mid for s in previous_media] + [p.mid for p in plans]
    data_mid = _fresh_mid(taken)
    base = create_offer(
        replace(params, data_mid=data_mid),
        previous=previous,
        credentials_to_replace=credentials_to_replace,
        ice_restart=ice_restart,
        mint=mint,
    )
    transport = SectionTransport(
        credentials=base.credentials,
        fingerprints=params.fingerprints,
        setup="actpass",
        candidates=params.transport.candidates,
        gathering_complete=params.transport.gathering_complete,
    )
    by_mid = {plan.mid: plan for plan in plans}
    media: list[MediaSection] = []
    new_data: MediaSection | None = None
    for index, section in enumerate(base.description.media):
        if index >= len(previous_media):  # the data section create_offer added
            new_data = section
            continue
        earlier = previous_media[index]
        plan = by_mid.get(earlier.mid) if earlier.mid is not None else None
        if plan is not None and earlier.kind == plan.kind and earlier.is_rtp:
            if earlier.is_rejected:  # a rejected m-section stays rejected (§5.2.2)
                media.append(section)
            else:
                media.append(media_offer_section(plan, transport))
        else:
            media.append(section)
    known = {s.mid for s in previous_media}
    media += [media_offer_section(p, transport) for p in plans if p.mid not in known]
    if new_data is not None and data:
        media.append(new_data)
    description = replace(base.description, media=tuple(media))
    description = _with_bundle(description, _live_mids(media))
    return replace(base, description=description)


def _answer_group(offer: SessionDescription, data_index: int | None) -> Group | None:
    """The offer's BUNDLE group our one transport answers (None: the offer has none)."""
    groups = offer.bundle_groups
    if data_index is not None:
        mid = offer.media[data_index].mid
        group = offer.bundle_group_of(mid) if mid is not None else None
        if group is not None:
            return group
    return groups[0] if groups else None


def create_media_answer(
    offer: SessionDescription,
    params: LocalParameters,
    plans: Mapping[str, MediaSectionPlan],
    capabilities: Mapping[str, MediaCapabilities],
    *,
    existing_setup: str | None = None,
) -> MediaAnswer:
    """Our answer to ``offer`` with its audio, video and data sections (RFC 9429 §5.3.1).

    ``plans`` are our transceivers by mid (those setRemoteDescription
    associated with the offered sections); an offered section without one
    is answered as a new ``recvonly`` transceiver with ``capabilities[kind]``.
    The data section is answered as :func:`rtcpeer.jsep.local.create_answer`
    does. Sections outside the BUNDLE group we answer, with no codec in
    common, or unreadable, get port 0; nothing here raises for the
    offer's media content (``answer_setup`` errors propagate as from
    ``create_answer``).
    """
    base = create_answer(offer, params, existing_setup=existing_setup)
    data_index = next(
        (i for i, s in enumerate(offer.media) if s.is_data_channel and base.media[i].port != 0),
        None,
    )
    group = _answer_group(offer, data_index)
    accepted_any = data_index is not None
    media: list[MediaSection] = list(base.media)
    answered: list[AnsweredMedia | None] = [None] * len(offer.media)
    for index, offered in enumerate(offer.media):
        if offered.kind not in MEDIA_KINDS:
            continue
        mid = offered.mid
        if offered.is_rejected:
            section = rejected_media_section(offered.kind, offered.proto, offered.formats, mid)
            answered[index] = AnsweredMedia(section, None, "rejected in the offer")
            media[index] = section
            continue
        outside = (group is not None and (mid is None or mid not in group.mids)) or (
            group is None and accepted_any
        )
        if outside:
            section = rejected_media_section(offered.kind, offered.proto, offered.formats, mid)
            answered[index] = AnsweredMedia(section, None, "not on the transport we answer")
            media[index] = section
            continue
        setup = answer_setup(offer.setup_of(index), existing_setup)
        transport = SectionTransport(
            credentials=params.transport.credentials,
            fingerprints=params.fingerprints,
            setup=setup,
            candidates=params.transport.candidates,
            gathering_complete=params.transport.gathering_complete,
        )
        plan = plans.get(mid) if mid is not None else None
        caps = capabilities.get(offered.kind, MediaCapabilities(offered.kind, ()))
        result = media_answer_section(offered, plan, caps, transport, index=index)
        answered[index] = result
        media[index] = result.section
        accepted_any = accepted_any or result.negotiated is not None
    bundle: list[str] = []
    if group is not None:
        live = {s.mid for s in media if s.port != 0 and s.mid is not None}
        bundle = [mid for mid in group.mids if mid in live]
    description = replace(base, media=tuple(media))
    description = _with_bundle(description, bundle)
    return MediaAnswer(description, tuple(answered))


__all__ = ["MediaAnswer", "create_media_answer", "create_media_offer"]
