"""How fast the simulated network runs: 10,000 packets through a NAT and a link.

The simulated network (:mod:`rtcpeer.simnet`) carries the ICE and NAT tests
on a virtual clock; this times, in real time, the scenario of
``tests/simnet/test_bulk_packets.py`` (which checks that every packet arrives
with a fixed amount of simulation work per packet): a host behind a NAT
sends 10,000 100-byte datagrams, 0.1 ms apart in virtual time, with capture
on, to a host with 10 ms of link latency. There is no other simulator to
compare with; the figure is for spotting a slowdown between runs (it was the
unit test's old 2 s limit, ~0.3 s measured, before it moved here).

Run: ``.venv/bin/python benchmarks/simnet_speed.py`` (``--quick``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rtcpeer.simnet import Network

PACKETS = 10_000


def one_round() -> float:
    """Seconds of real time to simulate the 10,000 packets."""
    net = Network(seed=1)
    nat = net.add_nat("nat", external="198.51.100.1", internal="10.0.0.1")
    sender = net.add_host("sender", "10.0.0.2", realm=nat.inside, latency=0.02, jitter=0.005)
    sink = net.add_host("sink", "203.0.113.1", latency=0.01).udp_socket(9)
    sock = sender.udp_socket()
    started = time.perf_counter()
    for i in range(PACKETS):
        net.at(i * 0.0001, sock.sendto, b"x" * 100, sink.local_address)
    net.run_for(2)
    elapsed = time.perf_counter() - started
    assert len(sink.received) == PACKETS
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    args = parser.parse_args()
    rounds = 3 if args.quick else 15
    times = [one_round() * 1000 for _ in range(rounds)]
    command = ".venv/bin/python benchmarks/simnet_speed.py" + (" --quick" if args.quick else "")
    print("### Simulated network: 10,000 packets through a NAT and a link")
    print()
    print(f"Command: `{command}` ({rounds} rounds, median; capture on; no comparison stack).")
    print()
    print("| measure | rtcpeer.simnet |")
    print("|---|---|")
    print(f"| real time to simulate 10,000 packets, ms | {statistics.median(times):.0f} |")
    print(f"| same, range over rounds, ms | {min(times):.0f}-{max(times):.0f} |")
    print()


if __name__ == "__main__":
    main()
