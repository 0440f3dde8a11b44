"""A tiny in-test driver: agents wired together through a lossy wire on a virtual clock.

Every address belongs to one (agent, socket id). Datagrams the agents emit are
delivered after ``latency`` seconds unless the seeded RNG drops them (``loss``)
or the wire is cut. The clock jumps to the earliest agent timer or delivery.
Signalling (credentials, trickled candidates, end-of-candidates) can be
automatic, with its own delay, or left to the test.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from rtcpeer.ice import (
    Candidate,
    DataReceived,
    GatheringStateChanged,
    GenerationRetired,
    IceAgent,
    IceAgentConfig,
    IceEvent,
    IceGatheringState,
    IceTransportState,
    LocalCandidate,
    SelectedPairChanged,
    StateChanged,
)

Address = tuple[str, int]
#: An event class, for ``Peer.of_type``.
E = TypeVar("E")


@dataclass
class Peer:
    """One agent plus what the test wants to look at afterwards."""

    name: str
    agent: IceAgent
    events: list[tuple[float, IceEvent]] = field(default_factory=list)
    states: list[IceTransportState] = field(default_factory=list)
    received: list[bytes] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    other: Peer | None = None
    #: Forward LocalCandidate / end-of-candidates to ``other`` automatically.
    auto_trickle: bool = True

    def of_type(self, kind: type[E]) -> list[E]:
        return [e for _, e in self.events if isinstance(e, kind)]

    @property
    def selected(self) -> tuple[Address, Address] | None:
        pair = self.agent.selected_pair
        return None if pair is None else (pair.local.address, pair.remote.address)


@dataclass
class Packet:
    time: float
    source: Address
    destination: Address
    data: bytes


class FakeRelay:
    """Stands in for a TURN allocation: sends leave from the relayed address."""

    def __init__(self, net: Net, relayed: Address) -> None:
        self.net = net
        self.relayed = relayed

    def send(self, data: bytes, destination: Address, now: float) -> None:
        self.net.post(self.relayed, destination, data)


class Net:
    """The wire and the clock."""

    def __init__(
        self, seed: int = 1, *, loss: float = 0.0, latency: float = 0.001, signal_delay: float = 0.0
    ) -> None:
        self.now = 0.0
        self.rng = random.Random(seed)
        self.loss = loss
        self.latency = latency
        self.signal_delay = signal_delay
        self.cut = False
        #: Addresses whose packets are lost both ways (one path dies, others live).
        self.blocked: set[Address] = set()
        #: NAT bindings: inside address -> the outside address peers see.
        self.nat: dict[Address, Address] = {}
        self.peers: list[Peer] = []
        self.endpoints: dict[Address, tuple[Peer, int]] = {}
        self.sent: list[Packet] = []
        self._queue: list[tuple[float, int, str, object]] = []
        self._seq = 0

    # -- topology ---------------------------------------------------------
    def peer(
        self,
        name: str,
        controlling: bool,
        seed: int | None = None,
        agent_class: type[IceAgent] = IceAgent,
        **kwargs: object,
    ) -> Peer:
        rng = random.Random(seed if seed is not None else self.rng.getrandbits(32))
        config = kwargs.pop("config", None) or IceAgentConfig()
        agent = agent_class(controlling, rng=rng, config=config, **kwargs)  # type: ignore[arg-type]
        peer = Peer(name, agent)
        self.peers.append(peer)
        return peer

    def host(self, peer: Peer, socket_id: int, address: Address) -> None:
        self.endpoints[address] = (peer, socket_id)
        peer.agent.add_socket(socket_id, address)

    def relay(self, peer: Peer, socket_id: int, relayed: Address, base: Address) -> Candidate:
        """Give ``peer`` a relay candidate at ``relayed`` carried by a FakeRelay."""
        from rtcpeer.ice import candidate_priority, compute_foundation, local_preference

        self.endpoints[relayed] = (peer, socket_id)
        candidate = Candidate(
            foundation=compute_foundation("relay", base[0], "udp", "turn:fake"),
            component=1,
            transport="udp",
            priority=candidate_priority(0, local_preference(relayed[0], relay_protocol="udp")),
            host=relayed[0],
            port=relayed[1],
            type="relay",
            related_address=base[0],
            related_port=base[1],
        )
        added = peer.agent._add_local_candidate(
            candidate, socket_id, sink=FakeRelay(self, relayed), now=self.now
        )
        assert added is not None
        return added

    def pair(self, a: Peer, b: Peer, *, exchange_credentials: bool = True) -> None:
        a.other, b.other = b, a
        if exchange_credentials:
            self.credentials(a, b)

    def credentials(self, a: Peer, b: Peer) -> None:
        a.agent.set_remote_credentials(b.agent.local_ufrag, b.agent.local_pwd, self.now)
        b.agent.set_remote_credentials(a.agent.local_ufrag, a.agent.local_pwd, self.now)

    # -- the wire ---------------------------------------------------------
    def post(self, source: Address, destination: Address, data: bytes) -> None:
        self.sent.append(Packet(self.now, source, destination, data))
        if source in self.nat:
            source = self.nat[source]  # leaves through the NAT
        if destination in self.nat:
            return  # an inside address is not reachable from outside
        if source in self.blocked or destination in self.blocked:
            return
        if self.cut or (self.loss and self.rng.random() < self.loss):
            return
        self._push(self.now + self.latency, "packet", (source, destination, data))

    def later(self, delay: float, action: Callable[[], object]) -> None:
        self._push(self.now + delay, "call", action)

    def _push(self, when: float, kind: str, item: object) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (when, self._seq, kind, item))

    def pump(self) -> None:
        """Move transmits onto the wire and events into each peer's record."""
        progress = True
        while progress:
            progress = False
            for peer in self.peers:
                for t in peer.agent.datagrams_to_send():
                    progress = True
                    source = next(
                        a for a, (p, s) in self.endpoints.items() if p is peer and s == t.socket_id
                    )
                    self.post(source, t.destination, t.data)
                while (event := peer.agent.next_event()) is not None:
                    progress = True
                    self._on_event(peer, event)

    def _on_event(self, peer: Peer, event: IceEvent) -> None:
        peer.events.append((self.now, event))
        if isinstance(event, StateChanged):
            peer.states.append(event.state)
        elif isinstance(event, DataReceived):
            peer.received.append(event.data)
        elif isinstance(event, LocalCandidate):
            peer.candidates.append(event.candidate)
            if peer.auto_trickle and peer.other is not None:
                self._signal(peer.other, event.candidate)
        elif (
            isinstance(event, GatheringStateChanged)
            and event.state == IceGatheringState.COMPLETE
            and peer.auto_trickle
            and peer.other is not None
        ):
            self._signal(peer.other, None)

    def _signal(self, to: Peer, candidate: Candidate | None) -> None:
        def deliver() -> None:
            to.agent.add_remote_candidate(candidate, self.now)

        if self.signal_delay:
            self.later(self.signal_delay, deliver)
        else:
            deliver()

    # -- the clock --------------------------------------------------------
    def step(self) -> bool:
        """Advance to the next timer or delivery; False when nothing is left."""
        self.pump()
        timers = [t for t in (p.agent.get_timer() for p in self.peers) if t is not None]
        if self._queue:
            timers.append(self._queue[0][0])
        if not timers:
            return False
        self.now = max(self.now, min(timers))
        while self._queue and self._queue[0][0] <= self.now:
            _, _, kind, item = heapq.heappop(self._queue)
            if kind == "packet":
                source, destination, data = cast("tuple[Address, Address, bytes]", item)
                inside = {v: k for k, v in self.nat.items()}
                target = self.endpoints.get(inside.get(destination, destination))
                if target is not None:
                    peer, socket_id = target
                    peer.agent.receive(socket_id, source, data, self.now)
            else:
                cast("Callable[[], object]", item)()
            self.pump()
        for peer in self.peers:
            timer = peer.agent.get_timer()
            if timer is not None and timer <= self.now:
                peer.agent.handle_timer(self.now)
        self.pump()
        return True

    def run_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Run virtual time until ``predicate`` holds (True) or ``timeout`` passes (False)."""
        deadline = self.now + timeout
        stuck, last = 0, self.now
        while True:
            self.pump()
            if predicate():
                return True
            if not self.step() or self.now > deadline:
                return predicate()
            stuck = stuck + 1 if self.now == last else 0
            last = self.now
            if stuck > 10_000:  # an agent keeps asking for a timer in the past
                raise AssertionError(f"virtual clock stuck at {self.now}")

    def run_for(self, duration: float) -> None:
        end = self.now + duration
        self.later(duration, lambda: None)
        self.run_until(lambda: self.now >= end, duration + 1.0)


def connected(*peers: Peer) -> Callable[[], bool]:
    ok = (IceTransportState.CONNECTED, IceTransportState.COMPLETED)
    return lambda: all(p.agent.state in ok and p.agent.selected_pair is not None for p in peers)


def state_is(peer: Peer, *states: IceTransportState) -> Callable[[], bool]:
    return lambda: peer.agent.state in states


def host_pair(seed: int = 1, **net_kwargs: object) -> tuple[Net, Peer, Peer]:
    """Two agents, one host socket each, credentials exchanged, gathering started."""
    net = Net(seed, **net_kwargs)  # type: ignore[arg-type]
    a = net.peer("a", controlling=True)
    b = net.peer("b", controlling=False)
    net.host(a, 1, ("192.0.2.1", 5000))
    net.host(b, 1, ("198.51.100.2", 6000))
    net.pair(a, b)
    a.agent.gather(net.now)
    b.agent.gather(net.now)
    return net, a, b


__all__ = [
    "FakeRelay",
    "GenerationRetired",
    "Net",
    "Packet",
    "Peer",
    "SelectedPairChanged",
    "connected",
    "host_pair",
    "state_is",
]
