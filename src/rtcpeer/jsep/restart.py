"""ICE restarts in SDP: spotting the peer's, and choosing which of ours to replace.

A restart is a change of ICE ufrag or password for a transport (RFC 8839
§4.4.1.1). An answerer that sees one in a remote offer restarts its own
side too. restartIce() records every credential of the current and pending
local descriptions ([[LocalIceCredentialsToReplace]], webrtc-pc §4.4.1.6);
the next offer replaces exactly those (see ``create_offer``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rtcpeer.jsep.credentials import IceCredentials
from rtcpeer.sdp import SessionDescription


@dataclass(frozen=True)
class CredentialChange:
    """One media section whose ICE credentials changed between two descriptions."""

    #: The m-line index (sections keep their order across renegotiation).
    index: int
    mid: str | None
    previous: IceCredentials
    current: IceCredentials


def section_credentials(description: SessionDescription, index: int) -> IceCredentials | None:
    """The ICE credentials media section ``index`` uses (media level wins)."""
    ufrag, pwd = description.ice_credentials_of(index)
    if ufrag is None or pwd is None:
        return None
    return IceCredentials(ufrag, pwd)


def detect_ice_restart(
    previous: SessionDescription | None, current: SessionDescription
) -> tuple[CredentialChange, ...]:
    """The sections of ``current`` whose ufrag or pwd differ from ``previous``.

    Only sections live in both descriptions count: a new or newly rejected
    section is not a restart. Empty when ``previous`` is None.
    """
    if previous is None:
        return ()
    changes: list[CredentialChange] = []
    for index, section in enumerate(current.media):
        if index >= len(previous.media) or section.is_rejected:
            continue
        if previous.media[index].is_rejected:
            continue
        before = section_credentials(previous, index)
        after = section_credentials(current, index)
        if before is not None and after is not None and before != after:
            changes.append(CredentialChange(index, section.mid, before, after))
    return tuple(changes)


def credentials_in(description: SessionDescription | None) -> frozenset[IceCredentials]:
    """Every ICE credential pair a description's live sections use."""
    if description is None:
        return frozenset()
    found = set()
    for index, section in enumerate(description.media):
        if section.is_rejected:
            continue
        credentials = section_credentials(description, index)
        if credentials is not None:
            found.add(credentials)
    return frozenset(found)


def credentials_to_replace(
    current_local: SessionDescription | None, pending_local: SessionDescription | None
) -> frozenset[IceCredentials]:
    """restartIce()'s [[LocalIceCredentialsToReplace]]: all credentials in both."""
    return credentials_in(current_local) | credentials_in(pending_local)


def still_to_replace(
    to_replace: frozenset[IceCredentials], current_local: SessionDescription | None
) -> frozenset[IceCredentials]:
    """What remains to replace once ``current_local`` is in force.

    When an offer/answer exchange carrying new credentials completes, the
    old ones leave the current local description and the set empties: the
    restart is negotiated. Nothing to replace is returned as it came (no new
    empty set for every completed negotiation).
    """
    if not to_replace:
        return to_replace
    return to_replace & credentials_in(current_local)


__all__ = [
    "CredentialChange",
    "credentials_in",
    "credentials_to_replace",
    "detect_ice_restart",
    "section_credentials",
    "still_to_replace",
]
