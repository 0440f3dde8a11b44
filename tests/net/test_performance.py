"""How fast the network simulates: 10,000 packets through a NAT and a link."""

from __future__ import annotations

import time

from rtcpeer.simnet import Network


def test_ten_thousand_packets_through_a_nat_and_a_link_simulate_quickly() -> None:
    net = Network(seed=1)
    nat = net.add_nat("nat", external="198.51.100.1", internal="10.0.0.1")
    sender = net.add_host("sender", "10.0.0.2", realm=nat.inside, latency=0.02, jitter=0.005)
    sink = net.add_host("sink", "203.0.113.1", latency=0.01).udp_socket(9)
    sock = sender.udp_socket()
    started = time.perf_counter()
    for i in range(10_000):
        net.at(i * 0.0001, sock.sendto, b"x" * 100, sink.local_address)
    net.run_for(2)
    elapsed = time.perf_counter() - started
    print(f"\n10,000 packets via NAT with capture on: {elapsed * 1000:.0f} ms real time, "
          f"{net.scheduler.events_run} events, {len(net.capture)} capture records")
    assert len(sink.received) == 10_000
    assert net.link("sink").stats.rx_packets == 10_000
    assert len(nat.mappings()) == 1
    assert elapsed < 2.0  # a generous guard against accidental quadratic slowdowns
