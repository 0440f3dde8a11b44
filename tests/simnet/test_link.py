"""Latency, jitter, loss, cuts and counters on links."""

from __future__ import annotations

import pytest

from rtcpeer.simnet import Network, UdpSocket


def _pair(
    net: Network, *, latency: float = 0.0, jitter: float = 0.0, loss: float = 0.0
) -> tuple[UdpSocket, UdpSocket]:
    alice = net.add_host("alice", "192.0.2.1", latency=latency, jitter=jitter, loss=loss)
    bob = net.add_host("bob", "192.0.2.2")
    return alice.udp_socket(5000), bob.udp_socket(6000)


def test_a_packet_over_a_100ms_link_arrives_exactly_100ms_later() -> None:
    net = Network()
    a, b = _pair(net, latency=0.1)
    a.sendto(b"first", b.local_address)
    net.at(0.25, a.sendto, b"second", b.local_address)
    net.run_for(1.0)
    assert b.received == [
        (0.1, ("192.0.2.1", 5000), b"first"),
        (0.25 + 0.1, a.local_address, b"second"),
    ]


def test_latency_adds_up_along_the_path_through_a_nat() -> None:
    net = Network()
    nat = net.add_nat("nat", external="198.51.100.1", internal="10.0.0.1", latency=0.02)
    alice = net.add_host("alice", "10.0.0.2", realm=nat.inside, latency=0.1)
    server = net.add_host("server", "203.0.113.1", latency=0.03).udp_socket(3478)
    alice.udp_socket(4000).sendto(b"x", server.local_address)
    net.run_for(1)
    assert len(server.received) == 1
    assert server.received[0][0] == pytest.approx(0.15, abs=1e-12)
    assert server.received[0][1][0] == "198.51.100.1"


def test_jitter_stays_within_its_bound() -> None:
    net = Network(seed=3)
    a, b = _pair(net, latency=0.05, jitter=0.02)
    for i in range(200):
        net.at(i * 0.001, a.sendto, i.to_bytes(2, "big"), b.local_address)
    net.run_for(2)
    delays = [t - int.from_bytes(d, "big") * 0.001 for t, _, d in b.received]
    assert len(delays) == 200
    assert all(0.05 - 1e-9 <= d < 0.07 + 1e-9 for d in delays)
    assert max(delays) - min(delays) > 0.015  # it really varies


def test_ten_percent_loss_drops_about_ten_percent() -> None:
    net = Network(seed=11)
    a, b = _pair(net, loss=0.10)
    n = 10_000
    for _ in range(n):
        a.sendto(b"p", b.local_address)
    net.run_for(1)
    received = len(b.received)
    # Binomial(10000, 0.1): sigma = 30, so +-4 sigma.
    assert 8880 <= received <= 9120, received
    stats = net.link("alice").stats
    assert stats.lost == n - received
    assert stats.tx_packets == n
    assert net.link("bob").stats.rx_packets == received
    assert len(net.capture.select(outcome="lost")) == n - received


def test_a_cut_link_drops_everything_including_packets_in_flight_until_restored() -> None:
    net = Network()
    a, b = _pair(net, latency=0.1)
    link = net.link("bob")
    a.sendto(b"before", b.local_address)  # in flight when the link is cut
    net.at(0.05, link.cut)
    net.at(0.5, a.sendto, b"while-cut", b.local_address)
    net.at(1.0, link.restore)
    net.at(1.5, a.sendto, b"after", b.local_address)
    net.run_for(3)
    assert [d for _, _, d in b.received] == [b"after"]
    assert link.stats.dropped_down == 2
    assert [r.data for r in net.capture.select(outcome="link-down")] == [b"before", b"while-cut"]


def test_a_killed_host_receives_nothing_and_its_sockets_close() -> None:
    net = Network()
    a, b = _pair(net, latency=0.01)
    net.at(1.0, net.host("bob").kill)
    for t in (0.5, 1.5):
        net.at(t, a.sendto, b"%g" % t, b.local_address)
    net.run_for(2)
    assert [d for _, _, d in b.received] == [b"0.5"]
    assert b.closed
    assert [r.data for r in net.capture.select(outcome="host-down")] == [b"1.5"]


def test_unknown_destinations_and_unbound_ports_are_captured_drops() -> None:
    net = Network()
    a, _b = _pair(net)
    a.sendto(b"nobody", ("192.0.2.99", 1))
    a.sendto(b"closed-port", ("192.0.2.2", 1))
    a.sendto(b"v6", ("2001:db8::1", 1))
    net.run_for(1)
    outcomes = {r.data: r.outcome for r in net.capture if r.outcome != "sent"}
    assert outcomes == {
        b"nobody": "no-route",
        b"closed-port": "no-socket",
        b"v6": "family-mismatch",
    }


def test_a_dual_stack_host_talks_ipv6_and_ipv4_from_separate_links() -> None:
    net = Network()
    alice = net.add_host("alice", ["192.0.2.1", "2001:DB8::0001"], latency=0.01)
    bob = net.add_host("bob", ["192.0.2.2", "2001:db8::2"])
    assert alice.addresses == ["192.0.2.1", "2001:db8::1"]
    a6 = alice.udp_socket(address="2001:db8::1")
    b6 = bob.udp_socket(5000, address="2001:db8::2")
    b4 = bob.udp_socket(5000)
    a6.sendto(b"six", ("2001:db8::2", 5000))
    alice.udp_socket().sendto(b"four", ("192.0.2.2", 5000))
    net.run_for(1)
    assert [(src, d) for _, src, d in b6.received] == [(a6.local_address, b"six")]
    assert [d for _, _, d in b4.received] == [b"four"]
    assert net.link("alice/2001:db8::1").stats.tx_packets == 1
    assert net.link("alice").stats.tx_packets == 1


def test_ports_are_exclusive_per_address_and_freed_on_close() -> None:
    net = Network()
    host = net.add_host("h", "192.0.2.1")
    sock = host.udp_socket(4000)
    with pytest.raises(OSError):
        host.udp_socket(4000)
    sock.close()
    assert host.udp_socket(4000).local_address == ("192.0.2.1", 4000)
    assert host.udp_socket().local_address[1] == 49152
