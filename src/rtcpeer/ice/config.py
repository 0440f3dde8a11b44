"""The ICE agent's tunables: timing, limits and the transport policy type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from rtcpeer.ice.consent import ConsentPolicy
from rtcpeer.ice.errors import IceArgumentError
from rtcpeer.sdp.ice import MAX_REMOTE_CANDIDATES
from rtcpeer.stun.transaction import RetransmissionPolicy

TransportPolicy = Literal["all", "relay"]
MdnsResolver = Callable[[str], "str | None"]


def transport_policy(policy: str) -> TransportPolicy:
    """``policy`` as an iceTransportPolicy; :class:`IceArgumentError` (a ValueError) if
    it is none (the one place this is checked: the agent and the runtime use it)."""
    if policy == "all":
        return "all"
    if policy == "relay":
        return "relay"
    raise IceArgumentError(f"policy must be 'all' or 'relay', not {policy!r}")


@dataclass(frozen=True)
class IceAgentConfig:
    """Timing and limits; defaults are close to libwebrtc's, all overridable."""

    #: Ta: pacing between ordinary and triggered checks (RFC 8445 §14.2 allows
    #: any value down to 5 ms). A triggered check that replaces one lost on
    #: the way to the peer's TURN allocation waits for this slot, so it sets
    #: the tail of a relay-only open.
    check_interval: float = 0.005
    #: Retransmission of connectivity checks: 0, .1, .3, .7, 1.5, 3.1, 6.3 s; fail at 6.7 s.
    check_retransmission: RetransmissionPolicy = field(
        default_factory=lambda: RetransmissionPolicy(rto=0.1, rc=7, rm=4)
    )
    #: A check's RTO is MAX(``check_retransmission.rto``, SRTT + 4·RTTVAR) of the
    #: check round trips measured (RFC 6298, Karn; shared by the runtime's
    #: agents), at most this many seconds: on a loaded event loop answers are
    #: read late and a fixed RTO only adds retransmissions. Fast paths keep the
    #: policy's RTO. None: always the policy's RTO.
    check_rto_max: float | None = 3.0
    #: Regular nomination waits at most this long after the first valid pair
    #: for a better pair to succeed.
    nomination_delay: float = 0.1
    #: As controlling agent, put USE-CANDIDATE in every check (RFC 5245 aggressive).
    aggressive_nomination: bool = False
    #: Consent freshness timing.
    consent: ConsentPolicy = field(default_factory=ConsentPolicy)
    #: Largest checklist (RFC 8445 §6.1.2.5).
    max_pairs: int = 100
    #: Remote candidates kept per generation; more are dropped (and counted).
    max_remote_candidates: int = MAX_REMOTE_CANDIDATES
    #: How long a retired generation's selected path still delivers data.
    retired_grace: float = 5.0
    #: Application datagrams sent while no pair is usable yet (no valid pair
    #: at all) are held, at most this many, and sent as soon as a pair is
    #: valid: a DTLS flight then costs nothing instead of its 1 s retransmission.
    hold_limit: int = 16
    #: How long a held datagram waits for a pair before it is dropped (and
    #: counted) -- once ICE is no longer checking: while it is still new or
    #: checking, held datagrams keep waiting (at most ``hold_limit``).
    hold_time: float = 1.0
    #: Our first DTLS flight (handshake records sent before any application
    #: datagram arrived from the peer) is sent once more after this long, or
    #: three check round trips if longer, when the peer has not answered: a
    #: peer whose ICE was not ready yet dropped it (werift does), and waiting
    #: for DTLS's own 1 s retransmission would cost a second. None: never.
    first_flight_resend: float | None = 0.05
    #: Lengths of generated credentials (RFC 8445 §5.3: at least 4 and 22).
    ufrag_length: int = 8
    pwd_length: int = 24
    #: Total time a STUN/TURN server gets to give us a candidate while gathering
    #: (libwebrtc gives up after ~3-5 s); a silent server then costs only this.
    gathering_budget: float = 3.0
    #: Retransmission of gathering Binding requests (cut short by the budget).
    gathering_retransmission: RetransmissionPolicy = field(
        default_factory=lambda: RetransmissionPolicy(rto=0.25, rc=7, rm=16, reliable_timeout=3.0)
    )
    #: Ask a TURN server reached over IPv4 for an IPv6 relayed address as well
    #: (ADDITIONAL-ADDRESS-FAMILY, RFC 8656 §7.1): one Allocate, two relay
    #: candidates where the server supports it, so an IPv4-only host can reach
    #: IPv6-only peers through the relay. A server reached over IPv6 is asked
    #: for an IPv6 relay (REQUESTED-ADDRESS-FAMILY), as libwebrtc does.
    turn_dual_stack: bool = True
    #: Retransmission of TURN requests (Allocate is also bounded by the budget).
    turn_retransmission: RetransmissionPolicy = field(
        default_factory=lambda: RetransmissionPolicy(rto=0.25, rc=7, rm=8, reliable_timeout=10.0)
    )
    #: Ids of sockets the agent requests start here, clear of the driver's host ids.
    first_socket_id: int = 1 << 20
    #: Tr, the RFC 8863 patience (PAC) timer: no ICE failure before this many
    #: seconds since checks started, and failure after it once every pair has
    #: failed even when the peer never signals end-of-candidates.
    pac_timeout: float = 39.5
