"""Nodes driving sans-IO endpoints: timers, retransmissions, dying servers."""

from __future__ import annotations

import pytest
from tests.support.simnet import stun_server

from rtcpeer.simnet import (
    BindingSucceeded,
    BindingTimedOut,
    EchoEndpoint,
    Network,
    Node,
    SimulationStalled,
    StunBindingClient,
    Transmit,
)
from rtcpeer.stun import Address

STUN = ("203.0.113.1", 3478)


def _client(net: Network, *, loss: float = 0.0) -> tuple[Node[str], StunBindingClient]:
    client = StunBindingClient(net.rng("client"))
    node = Node(net.add_host("client", "192.0.2.10", latency=0.01, loss=loss), client)
    node.bind_udp("s", 5000)
    return node, client


def test_retransmissions_follow_the_endpoint_timer_exactly_then_time_out() -> None:
    net = Network()
    node, client = _client(net)  # nobody at STUN's address: every request is lost
    client.request("s", STUN, net.now)
    node.service()
    net.run_until(lambda: bool(node.events), timeout=60)
    sent = [r.time for r in net.capture.select(src="192.0.2.10", outcome="sent")]
    assert sent == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert node.events == [BindingTimedOut("s", STUN)]
    assert net.now == 39.5


def test_a_request_gets_through_a_lossy_link_by_retransmission() -> None:
    net = Network(seed=9)
    stun_server(net, "stun", STUN[0])
    node, client = _client(net, loss=0.5)
    client.request("s", STUN, net.now)
    node.service()
    net.run_until(lambda: bool(node.events), timeout=60)
    event = node.events[0]
    assert isinstance(event, BindingSucceeded) and event.mapped == ("192.0.2.10", 5000)
    assert net.link("client").stats.lost >= 1  # this seed loses the first try


def test_a_server_killed_mid_session_answers_nothing_more() -> None:
    net = Network()
    server = stun_server(net, "stun", STUN[0])
    node, client = _client(net)

    def ask() -> None:
        client.request("s", STUN, net.now)
        node.service()

    for t in range(10):
        net.at(float(t), ask)
    net.at(4.5, net.host("stun").kill)
    net.run_for(60)
    ok = [e for e in node.events if isinstance(e, BindingSucceeded)]
    lost = [e for e in node.events if isinstance(e, BindingTimedOut)]
    assert (len(ok), len(lost)) == (5, 5)
    assert server.stopped
    assert all(r.time > 4.5 for r in net.capture.select(outcome="host-down"))
    # Nothing ever left the dead server after it died.
    assert not [r for r in net.capture.select(src=STUN[0]) if r.time > 4.5]


def test_a_killed_client_stops_its_timers_and_sends_nothing_more() -> None:
    net = Network()
    node, client = _client(net)
    client.request("s", STUN, net.now)
    node.service()
    net.at(2.0, net.host("client").kill)
    net.run_for(60)
    assert [r.time for r in net.capture.select(outcome="sent")] == [0.0, 0.5, 1.5]
    assert node.events == [] and node.stopped


def test_an_echo_node_answers_every_datagram_from_where_it_came() -> None:
    net = Network()
    echo = EchoEndpoint()
    Node(net.add_host("echo", "192.0.2.1", latency=0.005), echo).bind_udp("u", 7)
    peer = net.add_host("peer", "192.0.2.2").udp_socket()
    for i in range(3):
        peer.sendto(b"%d" % i, ("192.0.2.1", 7))
    net.run_for(1)
    assert [(t, d) for t, _, d in peer.received] == [(0.01, b"0"), (0.01, b"1"), (0.01, b"2")]
    assert [src for _, _, src, _ in echo.log] == [peer.local_address] * 3


class _Spinner:
    """A broken endpoint whose timer is always due and never moves."""

    def receive(self, socket_id: object, source: Address, data: bytes, now: float) -> None:
        pass

    def datagrams_to_send(self) -> list[Transmit]:
        return []

    def next_event(self) -> object | None:
        return None

    def socket_opened(self, socket_id: object, local_address: Address, now: float) -> None:
        pass

    def socket_failed(self, socket_id: object, reason: str, now: float) -> None:
        pass

    def socket_closed(self, socket_id: object, reason: str, now: float) -> None:
        pass

    def get_timer(self) -> float | None:
        return 0.0

    def handle_timer(self, now: float) -> None:
        pass


def test_a_livelocked_endpoint_is_reported_instead_of_hanging() -> None:
    net = Network()
    net.max_events = 1000
    Node(net.add_host("spin", "192.0.2.1"), _Spinner()).service()
    with pytest.raises(SimulationStalled):
        net.run_for(1)
    assert net.now == 0.0
