"""One ICE generation: what a restart replaces.

A generation is the local ufrag/pwd, the local candidates, the remote
ufrag/pwd, the remote candidates and the checklist they form, plus the pair it
selected and that pair's consent. The agent keeps the current generation and,
during a restart, the previous one until the new one has selected a pair.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rtcpeer.ice.candidate import Candidate
from rtcpeer.ice.checklist import Checklist, can_pair
from rtcpeer.ice.consent import ConsentFreshness
from rtcpeer.ice.pair import CandidatePair
from rtcpeer.ice.states import IceGatheringState
from rtcpeer.sansio import Address

#: One empty frozenset for every generation and agent to share: CPython makes
#: a new object (~200 bytes) for each ``frozenset()`` and each emptied one.
NOTHING: frozenset[Any] = frozenset()

#: Local candidate types that form pairs; srflx pairs would duplicate their
#: host base's (RFC 8445 §6.1.2.4), prflx ones only arise as valid pairs.
PAIRED_LOCAL_TYPES = ("host", "relay")
#: The member itself, for an identity test after every input (an Enum member
#: looked up on its class costs several times a module global).
_COMPLETE = IceGatheringState.COMPLETE


@dataclass(frozen=True, slots=True)
class LocalEntry:
    """A local candidate and the socket (or relay allocation) it sends through."""

    candidate: Candidate
    socket_id: int


class Generation:
    """Credentials, candidates and checklist of one ICE generation."""

    def __init__(
        self,
        generation_id: int,
        local_ufrag: str,
        local_pwd: str,
        *,
        controlling: bool,
        max_pairs: int,
        policy: str = "all",
    ) -> None:
        self.id = generation_id
        self.local_ufrag = local_ufrag
        self.local_pwd = local_pwd
        #: The iceTransportPolicy in force when this generation gathered.
        self.policy = policy
        self.remote_ufrag: str | None = None
        self.remote_pwd: str | None = None
        self.local: list[LocalEntry] = []
        self._remote: list[Candidate] = []
        #: (address, transport) -> the remote candidate there: an O(1)
        #: :meth:`remote_by_address` for every candidate added.
        self._remote_index: dict[tuple[Address, str], Candidate] = {}
        #: Remote candidates dropped for the per-generation cap.
        self.remote_dropped = 0
        self.checklist = Checklist(controlling=controlling, max_pairs=max_pairs)
        self.gathering_state = IceGatheringState.NEW
        # Usually empty for the life of the generation, so frozensets, rebuilt
        # on a change: the shared empty one costs nothing, an empty set 216 bytes.
        self.pending_gatherers: frozenset[object] = NOTHING
        self.remote_end_of_candidates = False
        #: A request from the peer arrived, so it has candidates for us.
        self.heard_from_peer = False
        #: A remote candidate was dropped unread (an mDNS name that did not
        #: resolve): the peer may still reach us from an address we cannot see.
        self.remote_unresolved = False
        self.selected: CandidatePair | None = None
        self.consent: ConsentFreshness | None = None
        self.consent_lost = False
        self.first_valid_at: float | None = None
        #: When checks could first start (remote credentials and gathering):
        #: the RFC 8863 PAC timer runs from here.
        self.checks_started_at: float | None = None
        self.nominating: CandidatePair | None = None
        #: Sockets only this generation uses (relay allocations), released with it.
        self.owned_sockets: frozenset[int] = NOTHING
        #: (socket, remote address) pairs the peer has proven itself on.
        self.authenticated_paths: set[tuple[int, Address]] = set()
        #: The (socket, source) path the peer's latest authenticated check came from.
        self.last_request_path: tuple[int, Address] | None = None
        self._prflx_count = 0

    # -- candidates -------------------------------------------------------
    @property
    def remote(self) -> list[Candidate]:
        """The remote candidates in the order they came (do not mutate: use
        :meth:`add_remote`, or assign a new list)."""
        return self._remote

    @remote.setter
    def remote(self, candidates: list[Candidate]) -> None:
        self._remote = list(candidates)
        self._remote_index = {}
        for candidate in self._remote:
            self._remote_index.setdefault((candidate.address, candidate.transport), candidate)

    def add_local(self, candidate: Candidate, socket_id: int) -> list[CandidatePair]:
        """Record a local candidate; pair it with every remote candidate."""
        if any(
            e.candidate.address == candidate.address
            and e.socket_id == socket_id
            and e.candidate.type == candidate.type
            for e in self.local
        ):
            return []
        self.local.append(LocalEntry(candidate, socket_id))
        if candidate.type not in PAIRED_LOCAL_TYPES:
            return []
        pairs = (self.checklist.add(candidate, remote, socket_id) for remote in self.remote)
        return [p for p in pairs if p is not None]

    def add_remote(
        self, candidate: Candidate, paired_types: tuple[str, ...]
    ) -> list[CandidatePair]:
        """Record a remote candidate (or upgrade a peer-reflexive one); pair it."""
        existing = self.remote_by_address(candidate.address, candidate.transport)
        if existing is not None:
            if existing.type != "prflx" or candidate.type == "prflx":
                return []
            # RFC 8838 §11: the signalled candidate replaces the peer-reflexive one.
            self._remote[self._remote.index(existing)] = candidate
            self._remote_index[(candidate.address, candidate.transport)] = candidate
            for pair in self.checklist.pairs:
                if pair.remote is existing:
                    pair.remote = candidate
            self.checklist.set_role(self.checklist.controlling)
            return []
        self._remote.append(candidate)
        self._remote_index[(candidate.address, candidate.transport)] = candidate
        pairs = (
            self.checklist.add(entry.candidate, candidate, entry.socket_id)
            for entry in self.local
            if entry.candidate.type in paired_types
        )
        return [p for p in pairs if p is not None]

    def add_peer_reflexive_remote(
        self, address: Address, transport: str, priority: int
    ) -> Candidate:
        """A check came from an address we were not told about (RFC 8445 §7.3.1.3)."""
        self._prflx_count += 1
        candidate = Candidate(
            foundation=f"prflx{self._prflx_count}",
            component=1,
            transport=transport,
            priority=priority,
            host=address[0],
            port=address[1],
            type="prflx",
            ufrag=self.remote_ufrag,
        )
        self._remote.append(candidate)
        self._remote_index.setdefault((candidate.address, transport), candidate)
        return candidate

    def remote_by_address(self, address: Address, transport: str) -> Candidate | None:
        """The remote candidate at ``address`` over ``transport`` (first added)."""
        return self._remote_index.get((address, transport))

    def base_for_socket(self, socket_id: int, types: tuple[str, ...]) -> Candidate | None:
        """The host or relay candidate a socket carries in this generation."""
        for entry in self.local:
            if entry.socket_id == socket_id and entry.candidate.type in types:
                return entry.candidate
        return None

    def local_by_address(self, socket_id: int, address: Address) -> Candidate | None:
        for entry in self.local:
            if entry.socket_id == socket_id and entry.candidate.address == address:
                return entry.candidate
        return None

    def add_peer_reflexive_local(
        self, base: Candidate, socket_id: int, mapped: Address, priority: int
    ) -> Candidate:
        """Our check's mapped address is new: a local prflx candidate (RFC 8445 §7.2.5.3.1)."""
        self._prflx_count += 1
        candidate = replace(
            base,
            foundation=f"lprflx{self._prflx_count}",
            priority=priority,
            host=mapped[0],
            port=mapped[1],
            type="prflx",
            related_address=base.host,
            related_port=base.port,
        )
        self.local.append(LocalEntry(candidate, socket_id))
        return candidate

    @property
    def has_remote_candidates(self) -> bool:
        return bool(self._remote) or self.heard_from_peer

    def no_pair_possible(self) -> bool:
        """Both candidate sets are final and no local candidate can pair with
        any remote one (no address family in common, say): nothing can ever
        be checked. With no local candidate at all (every TURN server refused
        us) not even a peer-reflexive one can, so the remote set may be empty.
        Cheap unless the checklist is empty and both sets final."""
        if (
            self.checklist.pairs
            or not self.remote_end_of_candidates
            or self.gathering_state != IceGatheringState.COMPLETE
            or self.heard_from_peer
            or self.remote_unresolved
        ):
            return False
        paired = ("relay",) if self.policy == "relay" else ("host", "relay")
        local = [entry.candidate for entry in self.local if entry.candidate.type in paired]
        if local and not self.remote:
            return False  # the peer may still check us (peer-reflexive)
        return not any(can_pair(ours, remote) for ours in local for remote in self.remote)

    @property
    def gathering_complete(self) -> bool:
        return self.gathering_state is _COMPLETE

    def pairs_on(self, socket_id: int, remote: Address) -> list[CandidatePair]:
        return [
            p
            for p in self.checklist.pairs
            if p.socket_id == socket_id and p.remote.address == remote
        ]
