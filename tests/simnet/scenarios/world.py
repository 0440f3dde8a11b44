"""A small world for ICE scenarios: peers behind NATs, STUN and TURN servers, signalling.

Each peer is a real :class:`IceAgent` driven by a simnet :class:`Node` (which
also opens the sockets the agent requests); signalling is instant and
trickles candidates of the current generation only.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from rtcpeer.configuration.urls import IceServerUrl
from rtcpeer.ice import (
    GatheringStateChanged,
    IceAgent,
    IceAgentConfig,
    IceGatheringState,
    IceTransportState,
    LocalCandidate,
    StateChanged,
)
from rtcpeer.ice.servers import ResolvedServer
from rtcpeer.simnet import FilteringBehavior, MappingBehavior, Network, Node, StunBindingServer
from rtcpeer.simnet.host import Host
from rtcpeer.simnet.turn_server import TurnServerNode
from rtcpeer.turn.server import TurnServerConfig

EIM = MappingBehavior.ENDPOINT_INDEPENDENT
APDM = MappingBehavior.ADDRESS_AND_PORT_DEPENDENT
EIF = FilteringBehavior.ENDPOINT_INDEPENDENT
ADF = FilteringBehavior.ADDRESS_DEPENDENT
APDF = FilteringBehavior.ADDRESS_AND_PORT_DEPENDENT

#: name -> (mapping, filtering); None is no NAT at all.
NAT_KINDS: dict[str, tuple[MappingBehavior, FilteringBehavior] | None] = {
    "open": None,
    "full-cone": (EIM, EIF),
    "restricted": (EIM, ADF),
    "port-restricted": (EIM, APDF),
    "symmetric": (APDM, APDF),
}
CONNECTED = (IceTransportState.CONNECTED, IceTransportState.COMPLETED)
STUN_IP = "203.0.113.60"
TURN_IPS = ("203.0.113.50", "203.0.113.51")


def url(text: str, username: str | None = None, credential: str | None = None) -> IceServerUrl:
    """A parsed URL for an IP-literal server (``turn:1.2.3.4:3478?transport=tcp``)."""
    scheme, rest = text.split(":", 1)
    rest, _, query = rest.partition("?")
    host, _, port = rest.rpartition(":")
    transport = (
        "tcp" if query == "transport=tcp" or (scheme in ("stuns", "turns") and not query) else "udp"
    )
    return IceServerUrl(
        text, scheme, host, int(port), transport, scheme.endswith("s"), username, credential
    )


def resolved(*urls: IceServerUrl) -> list[ResolvedServer]:
    return [ResolvedServer(u, (u.host, u.port)) for u in urls]


@dataclass
class Peer:
    """An agent on a node, with what the tests look at."""

    name: str
    agent: IceAgent
    node: Node[int]
    host: Host
    other: Peer | None = None
    received: list[bytes] = field(default_factory=list)
    states: list[tuple[float, IceTransportState]] = field(default_factory=list)
    #: Signal end-of-candidates to the other peer when gathering completes.
    signals_end_of_candidates: bool = True

    def events(self, kind: type) -> list[object]:
        return [e for e in self.node.events if isinstance(e, kind)]

    @property
    def connected(self) -> bool:
        return self.agent.state in CONNECTED and self.agent.selected_pair is not None


class World:
    """The network plus helpers to add servers and peers."""

    def __init__(self, seed: int = 1, *, config: IceAgentConfig | None = None) -> None:
        self.net = Network(seed=seed)
        self.config = config or IceAgentConfig()
        self.turns: dict[str, TurnServerNode] = {}
        self._nat_count = 0

    # -- servers ---------------------------------------------------------------
    def stun(self, ip: str = STUN_IP, latency: float = 0.01) -> Node[int]:
        node = Node(self.net.add_host(f"stun-{ip}", ip, latency=latency), StunBindingServer())
        node.bind_udp(3478, 3478)
        return node

    def turn(
        self,
        ip: str = TURN_IPS[0],
        *,
        latency: float = 0.01,
        user_quota: int = 0,
        ports: tuple[int, int] = (50000, 50999),
    ) -> TurnServerNode:
        config = TurnServerConfig(
            realm="example.test",
            users={"user": "pass"},
            nonce_secret=b"fixed for tests",
            user_quota=user_quota,
        )
        server = TurnServerNode(
            self.net.add_host(f"turn-{ip}", ip, latency=latency), config, relay_ports=ports
        )
        self.turns[ip] = server
        return server

    # -- peers -----------------------------------------------------------------
    def peer(
        self,
        name: str,
        nat: str = "open",
        *,
        controlling: bool,
        public_ip: str,
        latency: float = 0.01,
        loss: float = 0.0,
    ) -> Peer:
        kind = NAT_KINDS[nat]
        realm = None
        ip = public_ip
        if kind is not None:
            self._nat_count += 1
            mapping, filtering = kind
            nat_box = self.net.add_nat(
                f"nat-{name}",
                external=public_ip,
                internal="10.0.0.1",
                mapping=mapping,
                filtering=filtering,
            )
            realm = nat_box.inside
            ip = "10.0.0.2"
        host = self.net.add_host(name, ip, realm=realm, latency=latency, loss=loss)
        seed = sum(name.encode()) + 1000 * controlling
        agent = IceAgent(controlling, rng=random.Random(seed), config=self.config)
        node = Node(host, agent)
        sock = node.bind_udp(1, 5000)
        agent.add_socket(1, sock.local_address)
        peer = Peer(name, agent, node, host)
        node.on_event = self._on_event(peer)
        return peer

    def _on_event(self, peer: Peer) -> Callable[[object], None]:
        def on_event(event: object) -> None:
            now = self.net.now
            if isinstance(event, StateChanged):
                peer.states.append((now, event.state))
                return
            other = peer.other
            if other is None:
                return
            if isinstance(event, LocalCandidate):
                if event.generation_id == peer.agent.generation.id:
                    other.agent.add_remote_candidate(event.candidate, now)
                    self.net.after(0, other.node.service)
            elif (
                isinstance(event, GatheringStateChanged)
                and event.state == IceGatheringState.COMPLETE
                and event.generation_id == peer.agent.generation.id
                and peer.signals_end_of_candidates
            ):
                other.agent.add_remote_candidate(None, now)
                self.net.after(0, other.node.service)

        return on_event

    def connect(self, a: Peer, b: Peer, timeout: float = 10.0) -> float:
        """Exchange credentials, gather on both sides, run until both connected."""
        a.other, b.other = b, a
        now = self.net.now
        a.agent.set_remote_credentials(b.agent.local_ufrag, b.agent.local_pwd, now)
        b.agent.set_remote_credentials(a.agent.local_ufrag, a.agent.local_pwd, now)
        for p in (a, b):
            p.agent.gather(now)
        for p in (a, b):
            p.node.service()
        return self.net.run_until(lambda: a.connected and b.connected, timeout)

    def restart(self, a: Peer, b: Peer) -> None:
        """``a`` restarts; the offer/answer carries new credentials both ways."""
        now = self.net.now
        a.agent.restart(now)
        b.agent.set_remote_credentials(a.agent.local_ufrag, a.agent.local_pwd, now)
        a.agent.set_remote_credentials(b.agent.local_ufrag, b.agent.local_pwd, now)
        a.node.service()
        b.node.service()
