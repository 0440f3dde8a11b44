"""A deterministic simulated network on a virtual clock.

Hosts with addresses and sockets, links with latency, jitter and loss, NATs
of every RFC 4787 mapping and filtering kind, simulated TCP streams, host
kills and link cuts, and a capture of every packet — all driven by one event
queue, so the real sans-IO protocol code (ICE agent, TURN client and server)
runs against it in milliseconds, the same way for the same seed.

    net = Network(seed=1)
    nat = net.add_nat("home", external="198.51.100.1", internal="192.168.0.1")
    alice = net.add_host("alice", "192.168.0.2", realm=nat.inside, latency=0.01)
    stun = net.add_host("stun", "203.0.113.1")
    server = Node(stun, StunBindingServer()); server.bind_udp("udp", 3478)
    client = StunBindingClient(net.rng("alice"))
    node = Node(alice, client); node.bind_udp("s")
    client.request("s", ("203.0.113.1", 3478), net.now); node.service()
    net.run_until(lambda: bool(client.mapped), timeout=5)
"""

from rtcpeer.simnet.capture import DELIVERED, DROP_REASONS, SENT, Capture, CaptureRecord
from rtcpeer.simnet.clock import Scheduler, TimerHandle
from rtcpeer.simnet.endpoints import (
    BindingSucceeded,
    BindingTimedOut,
    EchoEndpoint,
    StunBindingClient,
    StunBindingServer,
    Transmit,
)
from rtcpeer.simnet.host import Host, SocketClosedError, UdpSocket
from rtcpeer.simnet.link import Link, LinkStats
from rtcpeer.simnet.nat import (
    Contacts,
    FilteringBehavior,
    MappingBehavior,
    Nat,
    NatMapping,
    PortAllocation,
)
from rtcpeer.simnet.network import Interface, Network, Realm, SimulationStalled
from rtcpeer.simnet.node import Connection, ConnectionEndpoint, Endpoint, Node, TransmitLike
from rtcpeer.simnet.packet import TCP, UDP, Packet
from rtcpeer.simnet.stream import StreamListener, StreamSocket

__all__ = [
    "DELIVERED",
    "DROP_REASONS",
    "SENT",
    "TCP",
    "UDP",
    "BindingSucceeded",
    "BindingTimedOut",
    "Capture",
    "CaptureRecord",
    "Connection",
    "ConnectionEndpoint",
    "Contacts",
    "EchoEndpoint",
    "Endpoint",
    "FilteringBehavior",
    "Host",
    "Interface",
    "Link",
    "LinkStats",
    "MappingBehavior",
    "Nat",
    "NatMapping",
    "Network",
    "Node",
    "Packet",
    "PortAllocation",
    "Realm",
    "Scheduler",
    "SimulationStalled",
    "SocketClosedError",
    "StreamListener",
    "StreamSocket",
    "StunBindingClient",
    "StunBindingServer",
    "TimerHandle",
    "Transmit",
    "TransmitLike",
    "UdpSocket",
]
