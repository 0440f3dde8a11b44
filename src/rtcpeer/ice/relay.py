"""Relayed candidates: one TURN allocation as the send path of a relay candidate.

:class:`RelayAllocation` wraps a :class:`TurnClientConnection` with what ICE
needs on top of the bare allocation:

- a gathering budget: no relayed address within ``budget`` seconds is a 701;
- permissions installed *before* the first check: :meth:`permit` is called as
  soon as a remote candidate is paired with the relay candidate, and a packet
  for a peer whose permission is still in flight waits for it instead of being
  dropped by the server (aiortc loses its first check that way and pays a
  500 ms retransmission);
- a channel bound once a pair on the relay is selected (:meth:`bind`), after
  which data goes as 4-byte-header ChannelData instead of Send indications;
- address families: an IPv6 relay when the server is reached over IPv6, an
  IPv4 and (where the server supports it) an IPv6 relay from one Allocate
  otherwise, the other family after a 440; each relayed address becomes a
  relay candidate of its own;
- events in ICE terms: :class:`RelayReady`, :class:`RelayFailed`,
  :class:`RelayData`, :class:`RelayReleased`.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

from rtcpeer.sansio import Address
from rtcpeer.stun.transaction import RetransmissionPolicy
from rtcpeer.turn.client.connection import AllocationState, TurnClientConnection, normalise_host
from rtcpeer.turn.client.events import (
    AllocationFailed,
    AllocationLost,
    AllocationSucceeded,
    ChannelBindFailed,
    PeerDataReceived,
    PermissionCreated,
    PermissionFailed,
    Released,
)
from rtcpeer.turn.client.target import TurnServerTarget
from rtcpeer.turn.errors import UNREACHABLE

#: Packets held per peer IP while its permission is in flight.
MAX_QUEUED_PER_PEER = 64


@dataclass(frozen=True)
class RelayReady:
    """The allocation exists: a relay candidate can be signalled."""

    #: The relayed transport address on the TURN server.
    relayed: Address
    #: Our address as the TURN server saw it (None if it did not say).
    mapped: Address | None
    #: Every relayed address, ``relayed`` first: two for a dual-stack allocation.
    relayed_all: tuple[Address, ...] = ()


@dataclass(frozen=True)
class RelayFailed:
    """No allocation (or it was lost): an icecandidateerror during gathering."""

    #: The STUN error code (401, 403, 437, 486, 508, ...) or 701.
    code: int
    #: The reason phrase.
    text: str
    #: True when an allocation had existed (lost, not refused).
    lost: bool = False


@dataclass(frozen=True)
class RelayData:
    """A peer's datagram arrived through the allocation."""

    #: The peer's transport address.
    peer: Address
    #: The payload (a STUN check or application data).
    data: bytes


@dataclass(frozen=True)
class RelayReleased:
    """The allocation is gone (released, refused or abandoned); its socket may close."""


RelayEvent = RelayReady | RelayFailed | RelayData | RelayReleased


class RelayAllocation:
    """A TURN allocation seen from ICE: a relay candidate's packet sink."""

    def __init__(
        self,
        target: TurnServerTarget,
        username: str,
        password: str,
        now: float,
        *,
        budget: float,
        policy: RetransmissionPolicy | None = None,
        rng: random.Random | None = None,
        family: int = 4,
        dual_stack: bool = False,
    ) -> None:
        self.connection = TurnClientConnection(
            target,
            username,
            password,
            policy=policy,
            rng=rng,
            family=family,
            dual_stack=dual_stack,
        )
        self.deadline = now + budget
        self._events: deque[RelayEvent] = deque()
        self._queued: dict[str, list[tuple[bytes, Address]]] = {}
        self._permitted: set[str] = set()
        self._released_reported = False
        #: Released while the Allocate was in flight: release once it succeeds,
        #: or the server would keep an allocation nobody uses until it expires.
        self._release_when_allocated = False

    # -- lifecycle ---------------------------------------------------------
    @property
    def allocated(self) -> bool:
        return self.connection.state == AllocationState.ALLOCATED

    @property
    def finished(self) -> bool:
        """Released, failed or closed: nothing more will happen."""
        return self.connection.state in (AllocationState.CLOSED, AllocationState.FAILED)

    def start(self, now: float) -> None:
        """The socket to the server is open: send the Allocate request."""
        if self.connection.state == AllocationState.NEW:
            self.connection.allocate(now)

    def release(self, now: float) -> None:
        """Refresh with LIFETIME 0 (or give up at once without an allocation)."""
        if self.connection.state == AllocationState.FAILED:
            self._report_released()
            return
        if self.connection.state == AllocationState.ALLOCATING:
            self._release_when_allocated = True
            return
        self.connection.release(now)
        self._queued.clear()
        self._drain(now)

    def connection_lost(self, reason: str, now: float) -> None:
        """The stream to the server closed (or the socket could not open)."""
        self.connection.connection_lost(reason)
        self._drain(now)

    # -- ICE's send path -----------------------------------------------------
    def permit(self, peer_host: str, now: float) -> None:
        """Install a permission for ``peer_host`` now, before any check needs it."""
        if not self.allocated:
            return
        try:
            host = normalise_host(peer_host)
        except ValueError:
            return
        if self.connection.relayed_address_for(host) is None:
            return  # no relayed address of this peer's family
        if host not in self._permitted:
            self._permitted.add(host)
            self._queued.setdefault(host, [])
            self.connection.create_permission(host, now)

    def bind(self, peer: Address, now: float) -> None:
        """Bind a channel to ``peer`` (the selected pair's remote)."""
        if self.allocated and self.connection.channel_for(peer) is None:
            self.permit(peer[0], now)
            self.connection.bind_channel(peer, now)

    def send(self, data: bytes, destination: Address, now: float) -> None:
        """PacketSink: relay ``data`` to ``destination`` (queued until its permission)."""
        if not self.allocated:
            return
        try:
            host = normalise_host(destination[0])
        except ValueError:
            return
        if host not in self._permitted:
            self.permit(host, now)
            if host not in self._permitted:
                return  # a family the allocation cannot reach
        queue = self._queued.get(host)
        if queue is not None:  # permission still in flight
            if len(queue) < MAX_QUEUED_PER_PEER:
                queue.append((data, destination))
            return
        self.connection.send(data, destination, now)

    # -- sans-IO plumbing ----------------------------------------------------
    def receive(self, data: bytes, now: float) -> None:
        self.connection.receive(data, now)
        self._drain(now)

    def datagrams_to_send(self) -> list[bytes]:
        return self.connection.datagrams_to_send()

    def get_timer(self) -> float | None:
        timer = self.connection.get_timer()
        if self.connection.state in (AllocationState.NEW, AllocationState.ALLOCATING):
            timer = self.deadline if timer is None else min(timer, self.deadline)
        return timer

    def handle_timer(self, now: float) -> None:
        state = self.connection.state
        if state in (AllocationState.NEW, AllocationState.ALLOCATING) and now >= self.deadline:
            self._events.append(RelayFailed(UNREACHABLE, "TURN server did not answer"))
            self.connection.release(now)
            self._drain(now)
            return
        self.connection.handle_timer(now)
        self._drain(now)

    def next_event(self) -> RelayEvent | None:
        return self._events.popleft() if self._events else None

    def _drain(self, now: float) -> None:
        while (event := self.connection.next_event()) is not None:
            if isinstance(event, AllocationSucceeded):
                if self._release_when_allocated:
                    self.connection.release(now)
                    continue
                self._events.append(
                    RelayReady(
                        event.relayed_address,
                        event.mapped_address,
                        event.relayed_addresses or (event.relayed_address,),
                    )
                )
            elif isinstance(event, AllocationFailed):
                self._events.append(RelayFailed(event.error.code, event.error.reason))
                self._report_released()
            elif isinstance(event, AllocationLost):
                self._events.append(RelayFailed(event.error.code, event.error.reason, lost=True))
                self._report_released()
            elif isinstance(event, PeerDataReceived):
                self._events.append(RelayData(event.peer, event.data))
            elif isinstance(event, PermissionCreated):
                for data, destination in self._queued.pop(event.peer_host, []):
                    self.connection.send(data, destination, now)
            elif isinstance(event, PermissionFailed):
                self._queued.pop(event.peer_host, None)
                self._permitted.discard(event.peer_host)
            elif isinstance(event, ChannelBindFailed):
                pass  # Send indications keep working
            elif isinstance(event, Released):
                self._report_released()

    def _report_released(self) -> None:
        if not self._released_reported:
            self._released_reported = True
            self._events.append(RelayReleased())
