"""Connectivity-check messages (RFC 8445 §7): build, validate and answer Binding requests.

Pure functions over :class:`~rtcpeer.stun.StunMessage`; the agent decides when
to call them. Checks carry USERNAME ``remote-ufrag:local-ufrag``, PRIORITY (the
peer-reflexive priority this side would have), ICE-CONTROLLING or
ICE-CONTROLLED with the tie-breaker, USE-CANDIDATE when nominating, and are
protected with the short-term key of the *receiver's* password plus FINGERPRINT.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from rtcpeer.ice.candidate import TYPE_PREFERENCES, Candidate, candidate_priority
from rtcpeer.stun.attributes import Address
from rtcpeer.stun.constants import Attr, ErrorCode, MessageClass, Method
from rtcpeer.stun.message import StunMessage, short_term_key


class CheckRejected(Exception):
    """An incoming Binding request to answer with an error (or to drop: code None)."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(reason or str(code))
        self.code = code


@dataclass(frozen=True)
class IncomingCheck:
    """What a validated Binding request asks of us."""

    #: Our ufrag (first half of USERNAME): selects the generation.
    local_ufrag: str
    #: The sender's ufrag.
    remote_ufrag: str
    #: The sender's PRIORITY: the priority of a peer-reflexive candidate for it.
    priority: int
    #: True if the sender claims ICE-CONTROLLING, False for ICE-CONTROLLED, None if neither.
    remote_controlling: bool | None
    #: The sender's tie-breaker (0 if absent).
    tie_breaker: int
    #: USE-CANDIDATE present: the sender nominates this pair.
    use_candidate: bool


class RoleAction(Enum):
    """Outcome of the RFC 8445 §7.3.1.1 role-conflict rule for a request."""

    NONE = "none"
    SWITCH = "switch"
    REJECT_487 = "reject-487"


def peer_reflexive_priority(local: Candidate) -> int:
    """PRIORITY for checks from ``local``: prflx type preference, same local preference."""
    return candidate_priority(
        TYPE_PREFERENCES["prflx"], (local.priority >> 8) & 0xFFFF, local.component
    )


def build_check(
    *,
    transaction_id: bytes,
    local_ufrag: str,
    remote_ufrag: str,
    remote_pwd: str,
    priority: int,
    controlling: bool,
    tie_breaker: int,
    use_candidate: bool = False,
) -> tuple[StunMessage, bytes]:
    """A connectivity check and its bytes."""
    request = StunMessage(Method.BINDING, MessageClass.REQUEST, transaction_id)
    request.add(Attr.USERNAME, f"{remote_ufrag}:{local_ufrag}")
    request.add(Attr.PRIORITY, priority)
    request.add(Attr.ICE_CONTROLLING if controlling else Attr.ICE_CONTROLLED, tie_breaker)
    if use_candidate:
        request.add(Attr.USE_CANDIDATE)
    return request, request.encode(short_term_key(remote_pwd))


def split_username(request: StunMessage) -> tuple[str, str]:
    """USERNAME as (our ufrag, their ufrag); CheckRejected(400) if malformed."""
    username = request.get(Attr.USERNAME)
    if not isinstance(username, str) or username.count(":") != 1:
        raise CheckRejected(ErrorCode.BAD_REQUEST, "USERNAME missing or malformed")
    local_ufrag, remote_ufrag = username.split(":")
    if not local_ufrag or not remote_ufrag:
        raise CheckRejected(ErrorCode.BAD_REQUEST, "USERNAME has an empty ufrag")
    return local_ufrag, remote_ufrag


def validate_check(request: StunMessage, local_pwd: str) -> IncomingCheck:
    """Check integrity and required attributes (RFC 8445 §7.3, RFC 8489 §9.1.3)."""
    if not request.has(Attr.MESSAGE_INTEGRITY) or not request.has(Attr.USERNAME):
        raise CheckRejected(ErrorCode.BAD_REQUEST, "no USERNAME or MESSAGE-INTEGRITY")
    local_ufrag, remote_ufrag = split_username(request)
    if not request.check_integrity(short_term_key(local_pwd)):
        raise CheckRejected(ErrorCode.UNAUTHENTICATED, "MESSAGE-INTEGRITY does not verify")
    if request.unknown_required:
        raise CheckRejected(ErrorCode.UNKNOWN_ATTRIBUTE, "unknown comprehension-required")
    priority = request.get(Attr.PRIORITY)
    if not isinstance(priority, int):
        raise CheckRejected(ErrorCode.BAD_REQUEST, "no PRIORITY")
    remote_controlling: bool | None = None
    tie_breaker = 0
    if request.has(Attr.ICE_CONTROLLING):
        remote_controlling, tie_breaker = True, int(request.get(Attr.ICE_CONTROLLING))
    elif request.has(Attr.ICE_CONTROLLED):
        remote_controlling, tie_breaker = False, int(request.get(Attr.ICE_CONTROLLED))
    return IncomingCheck(
        local_ufrag=local_ufrag,
        remote_ufrag=remote_ufrag,
        priority=priority,
        remote_controlling=remote_controlling,
        tie_breaker=tie_breaker,
        use_candidate=request.has(Attr.USE_CANDIDATE),
    )


def resolve_role_conflict(controlling: bool, tie_breaker: int, check: IncomingCheck) -> RoleAction:
    """RFC 8445 §7.3.1.1: the larger tie-breaker stays (or becomes) controlling."""
    if check.remote_controlling is None or check.remote_controlling != controlling:
        return RoleAction.NONE
    if controlling:
        return RoleAction.REJECT_487 if tie_breaker >= check.tie_breaker else RoleAction.SWITCH
    return RoleAction.SWITCH if tie_breaker >= check.tie_breaker else RoleAction.REJECT_487


def build_success(request: StunMessage, mapped: Address, local_pwd: str) -> bytes:
    """Success response reflecting the source as XOR-MAPPED-ADDRESS."""
    response = request.success()
    response.add(Attr.XOR_MAPPED_ADDRESS, mapped)
    return response.encode(short_term_key(local_pwd))


def build_error(request: StunMessage, code: int, local_pwd: str | None) -> bytes:
    """Error response; integrity-protected when we know the key (487 is)."""
    response = request.error(code)
    return response.encode(None if local_pwd is None else short_term_key(local_pwd))
