"""10,000 packets through a NAT and a link: all arrive, through one mapping,
with a fixed amount of simulation work per packet. (How fast that runs in real
time is benchmarks/simnet_speed.py's measure, not a test's.)"""

from __future__ import annotations

from rtcpeer.simnet import Network


def test_ten_thousand_packets_through_a_nat_and_a_link_all_arrive() -> None:
    net = Network(seed=1)
    nat = net.add_nat("nat", external="198.51.100.1", internal="10.0.0.1")
    sender = net.add_host("sender", "10.0.0.2", realm=nat.inside, latency=0.02, jitter=0.005)
    sink = net.add_host("sink", "203.0.113.1", latency=0.01).udp_socket(9)
    sock = sender.udp_socket()
    for i in range(10_000):
        net.at(i * 0.0001, sock.sendto, b"x" * 100, sink.local_address)
    net.run_for(2)
    assert len(sink.received) == 10_000
    assert net.link("sink").stats.rx_packets == 10_000
    assert len(nat.mappings()) == 1
    # Simulation work is linear: a fixed three scheduled events and four
    # capture records per packet, whatever else is in flight.
    assert net.scheduler.events_run == 3 * 10_000
    assert len(net.capture) == 4 * 10_000
