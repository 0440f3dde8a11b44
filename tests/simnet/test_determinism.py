"""The same seed gives the same packet trace; different seeds differ under loss."""

from __future__ import annotations

from rtcpeer.simnet import (
    EchoEndpoint,
    MappingBehavior,
    Network,
    Node,
    PortAllocation,
    StunBindingClient,
    StunBindingServer,
)
from rtcpeer.stun import Address


def _ask(net: Network, client: StunBindingClient, node: Node[str]) -> None:
    client.request("s", ("203.0.113.8", 3478), net.now)
    node.service()


def _run(seed: int) -> list[tuple[float, str, str, Address, Address, bytes, str]]:
    """Two NATed clients with lossy, jittery links hammer an echo server and
    a STUN server (random port allocation, random transaction ids)."""
    net = Network(seed=seed)
    echo = net.add_host("echo", "203.0.113.7", latency=0.01, jitter=0.01, loss=0.1)
    Node(echo, EchoEndpoint()).bind_udp("u", 7)
    stun = net.add_host("stun", "203.0.113.8", latency=0.02)
    Node(stun, StunBindingServer()).bind_udp("u", 3478)
    for i in range(2):
        nat = net.add_nat(
            f"nat{i}",
            external=f"198.51.100.{i + 1}",
            internal="10.0.0.1",
            mapping=MappingBehavior.ADDRESS_AND_PORT_DEPENDENT,
            port_allocation=PortAllocation.RANDOM,
            loss=0.05,
        )
        host = net.add_host(
            f"c{i}", "10.0.0.2", realm=nat.inside, latency=0.03, jitter=0.02, loss=0.1
        )
        client = StunBindingClient(net.rng(f"client{i}"))
        node = Node(host, client)
        node.bind_udp("s")
        sock = host.udp_socket()
        for k in range(100):
            net.at(k * 0.01, sock.sendto, b"ping %d" % k, ("203.0.113.7", 7))
        for k in range(5):
            net.at(k * 0.3, _ask, net, client, node)
    net.run_for(30)
    return net.capture.trace()


def test_the_same_seed_gives_the_same_trace() -> None:
    first = _run(1)
    assert len(first) > 1000
    assert _run(1) == first


def test_different_seeds_give_different_traces_under_loss() -> None:
    one, two = _run(1), _run(2)
    assert one != two
    lost_one = [r for r in one if r[-1] == "lost"]
    lost_two = [r for r in two if r[-1] == "lost"]
    assert lost_one and lost_two and lost_one != lost_two


def _turn_run() -> list[tuple[object, ...]]:
    from rtcpeer.turn.client import PermissionCreated

    from .test_turn_server_node import BOB_PUBLIC, _world

    net, _, node, connection, bob = _world("udp")
    net.run_until(lambda: connection.relayed_address is not None, 5)
    connection.create_permission(BOB_PUBLIC, net.now)
    node.service()
    net.run_until(lambda: any(isinstance(e, PermissionCreated) for e in node.events), 5)
    assert connection.relayed_address is not None
    bob.sendto(b"x", connection.relayed_address)
    net.run_for(700)
    return [r[:5] + r[6:] for r in net.capture.trace()]


def test_real_protocol_code_gives_the_same_timing_trace_on_every_run() -> None:
    # The STUN codec draws transaction ids from os.urandom, so payload bytes
    # differ between runs; when and where every packet went must not.
    first = _turn_run()
    assert len(first) > 50
    assert _turn_run() == first
