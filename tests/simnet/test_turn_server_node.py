"""The real TURN server core and TURN client on the simulated network.

Both peers sit behind symmetric NATs, so hole punching cannot work (see
test_hole_punching); the relay is the only way through.
"""

from __future__ import annotations

import pytest

from rtcpeer.simnet import (
    ConnectionEndpoint,
    MappingBehavior,
    Network,
    Node,
    UdpSocket,
)
from rtcpeer.simnet.turn_server import TurnServerNode
from rtcpeer.turn.client import (
    AllocationLost,
    AllocationSucceeded,
    PeerDataReceived,
    PermissionCreated,
    TurnClientConnection,
    TurnServer,
)
from rtcpeer.turn.server import AllocationCreated, TurnServerConfig

TURN_IP = "203.0.113.50"
BOB_PUBLIC = "198.51.100.2"
SYMMETRIC = MappingBehavior.ADDRESS_AND_PORT_DEPENDENT


def _world(
    transport: str,
) -> tuple[Network, TurnServerNode, Node[str], TurnClientConnection, UdpSocket]:
    net = Network(seed=3)
    config = TurnServerConfig(
        realm="example.test", users={"user": "pass"}, nonce_secret=b"fixed for tests"
    )
    turn = TurnServerNode(
        net.add_host("turn", TURN_IP, latency=0.01), config, relay_ports=(50000, 50099)
    )
    nat_a = net.add_nat("nat-a", external="198.51.100.1", internal="10.0.0.1", mapping=SYMMETRIC)
    nat_b = net.add_nat("nat-b", external=BOB_PUBLIC, internal="10.0.0.1", mapping=SYMMETRIC)
    alice = net.add_host("alice", "10.0.0.2", realm=nat_a.inside, latency=0.02)
    bob = net.add_host("bob", "10.0.0.2", realm=nat_b.inside, latency=0.03)
    connection = TurnClientConnection(TurnServer(TURN_IP, 3478, transport), "user", "pass")
    node = Node(alice, ConnectionEndpoint(connection, "turn", (TURN_IP, 3478), lambda: net.now))
    if transport == "udp":
        node.bind_udp("turn")
    else:
        node.connect("turn", (TURN_IP, 3478))
    connection.allocate(net.now)
    node.service()
    return net, turn, node, connection, bob.udp_socket(6000)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_two_peers_behind_symmetric_nats_talk_through_the_relay(transport: str) -> None:
    net, turn, node, connection, bob = _world(transport)
    net.run_until(lambda: any(isinstance(e, AllocationSucceeded) for e in node.events), 5)
    relay = connection.relayed_address
    assert relay is not None and relay[0] == TURN_IP and 50000 <= relay[1] <= 50099
    assert connection.mapped_address is not None
    assert connection.mapped_address[0] == "198.51.100.1"
    assert [type(e) for e in turn.events] == [AllocationCreated]

    connection.create_permission(BOB_PUBLIC, net.now)
    node.service()
    net.run_until(lambda: any(isinstance(e, PermissionCreated) for e in node.events), 5)
    bob.sendto(b"hello alice", relay)
    net.run_until(lambda: any(isinstance(e, PeerDataReceived) for e in node.events), 5)
    data = next(e for e in node.events if isinstance(e, PeerDataReceived))
    assert data.data == b"hello alice" and data.peer[0] == BOB_PUBLIC

    connection.send(b"hello bob", data.peer, net.now)
    node.service()
    net.run_until(lambda: bool(bob.received), 5)
    assert bob.received[0][1:] == (relay, b"hello bob")


def test_a_turn_server_killed_mid_session_relays_nothing_and_the_client_notices() -> None:
    net, turn, node, connection, bob = _world("udp")
    net.run_until(lambda: connection.relayed_address is not None, 5)
    relay = connection.relayed_address
    assert relay is not None
    connection.create_permission(BOB_PUBLIC, net.now)
    node.service()
    net.run_for(1)
    killed_at = net.now
    turn.host.kill()
    for k in range(10):
        net.at(killed_at + k, bob.sendto, b"into the void", relay)
    lost_at = net.run_until(lambda: any(isinstance(e, AllocationLost) for e in node.events), 900)
    lost = next(e for e in node.events if isinstance(e, AllocationLost))
    # The first refresh (or permission refresh) after the death goes unanswered.
    assert lost.error.code == 701 and killed_at < lost_at < 700
    # Nothing left the relay (or the server) after it died; everything sent
    # to it died at its door.
    assert not [r for r in net.capture.select(src=TURN_IP) if r.time >= killed_at]
    assert len([r for r in net.capture.select(dst=relay, outcome="host-down")]) == 10
    assert not any(d for _, _, d in bob.received)
