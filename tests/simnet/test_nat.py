"""NAT behaviour per RFC 4787: mapping, filtering, timeouts, hairpinning, chains."""

from __future__ import annotations

import itertools

import pytest
from tests.support.simnet import binding, stun_server

from rtcpeer.simnet import (
    FilteringBehavior,
    MappingBehavior,
    Network,
    Node,
    PortAllocation,
    StunBindingServer,
    UdpSocket,
)

EIM = MappingBehavior.ENDPOINT_INDEPENDENT
ADM = MappingBehavior.ADDRESS_DEPENDENT
APDM = MappingBehavior.ADDRESS_AND_PORT_DEPENDENT
EIF = FilteringBehavior.ENDPOINT_INDEPENDENT
ADF = FilteringBehavior.ADDRESS_DEPENDENT
APDF = FilteringBehavior.ADDRESS_AND_PORT_DEPENDENT

S1 = "203.0.113.10"
S2 = "203.0.113.20"
THIRD = "203.0.113.30"
NAT_PUBLIC = "198.51.100.1"


def _world(
    mapping: MappingBehavior, filtering: FilteringBehavior, **nat: object
) -> tuple[Network, UdpSocket]:
    """STUN server S1 on ports 3478 and 3479, S2 on 3478, a third party, and a
    client behind the NAT under test (client link 5 ms, servers 10 ms)."""
    net = Network(seed=7)
    stun_server(net, "s1", S1, (3478, 3479))
    stun_server(net, "s2", S2)
    net.add_host("third", THIRD)
    n = net.add_nat(
        "nat",
        external=NAT_PUBLIC,
        internal="10.0.0.1",
        mapping=mapping,
        filtering=filtering,
        **nat,  # type: ignore[arg-type]
    )
    client = net.add_host("client", "10.0.0.2", realm=n.inside, latency=0.005)
    for name in ("s1", "s2", "third"):
        net.link(name).latency = 0.01
    return net, client.udp_socket(40000)


MATRIX = list(itertools.product([EIM, ADM, APDM], [EIF, ADF, APDF]))


@pytest.mark.parametrize(("mapping", "filtering"), MATRIX, ids=lambda b: b.value)
def test_reflexive_addresses_differ_exactly_as_the_mapping_behaviour_says(
    mapping: MappingBehavior, filtering: FilteringBehavior
) -> None:
    net, sock = _world(mapping, filtering)
    same_port = binding(net, sock, (S1, 3478))
    other_port = binding(net, sock, (S1, 3479))
    other_ip = binding(net, sock, (S2, 3478))
    assert {same_port[0], other_port[0], other_ip[0]} == {NAT_PUBLIC}
    if mapping is EIM:
        assert same_port == other_port == other_ip
    elif mapping is ADM:
        assert same_port == other_port != other_ip
    else:
        assert len({same_port, other_port, other_ip}) == 3
    # Asking the first server again reuses its mapping in every kind.
    assert binding(net, sock, (S1, 3478)) == same_port


@pytest.mark.parametrize(("mapping", "filtering"), MATRIX, ids=lambda b: b.value)
def test_inbound_packets_pass_exactly_as_the_filtering_behaviour_says(
    mapping: MappingBehavior, filtering: FilteringBehavior
) -> None:
    net, sock = _world(mapping, filtering)
    mapped = binding(net, sock, (S1, 3478))
    s1 = net.host("s1")
    s1_main = s1._udp[(S1, 3478)]
    s1_other = s1._udp[(S1, 3479)]
    third = net.host("third").udp_socket(5000)
    s1_main.sendto(b"same server", mapped)
    s1_other.sendto(b"other port of the server", mapped)
    third.sendto(b"third party", mapped)
    net.run_for(1)
    got = {data for _, _, data in sock.received if not data.startswith(b"\x01")}
    expected = {
        EIF: {b"same server", b"other port of the server", b"third party"},
        ADF: {b"same server", b"other port of the server"},
        APDF: {b"same server"},
    }[filtering]
    assert got == expected
    filtered = {r.data for r in net.capture.select(outcome="nat-filtered")}
    assert filtered == {b"same server", b"other port of the server", b"third party"} - expected


def test_a_mapping_times_out_after_the_idle_time_and_a_new_one_is_made() -> None:
    net, sock = _world(EIM, EIF, mapping_timeout=30.0, port_allocation=PortAllocation.RANDOM)
    third = net.host("third").udp_socket(5000)
    first = binding(net, sock, (S1, 3478))
    net.at(29.0, third.sendto, b"still mapped", first)
    net.at(31.0, third.sendto, b"expired", first)
    net.run_for(32.0 - net.now)
    assert [d for _, _, d in sock.received if not d.startswith(b"\x01")] == [b"still mapped"]
    assert [r.data for r in net.capture.select(outcome="nat-no-mapping")] == [b"expired"]
    second = binding(net, sock, (S1, 3478))
    assert second[0] == NAT_PUBLIC and second != first


def test_outbound_keepalives_keep_a_mapping_alive_but_inbound_traffic_does_not() -> None:
    net, sock = _world(EIM, EIF, mapping_timeout=30.0, port_allocation=PortAllocation.RANDOM)
    third = net.host("third").udp_socket(5000)
    first = binding(net, sock, (S1, 3478))
    for t in (20.0, 40.0, 60.0):
        net.at(t, sock.sendto, b"keepalive", (S2, 9))
    net.run_for(70.0 - net.now)
    assert binding(net, sock, (S1, 3478)) == first
    # Now only inbound traffic for 40 s: the mapping still expires.
    start = net.now
    for dt in (10.0, 20.0, 29.0, 35.0):
        net.at(start + dt, third.sendto, b"in %g" % dt, first)
    net.run_for(40.0)
    assert [r.data for r in net.capture.select(outcome="nat-no-mapping")] == [b"in 35"]


def test_inbound_refresh_keeps_a_mapping_alive_when_enabled() -> None:
    net, sock = _world(EIM, EIF, mapping_timeout=30.0, inbound_refresh=True)
    third = net.host("third").udp_socket(5000)
    first = binding(net, sock, (S1, 3478))
    for t in (20.0, 40.0, 60.0):
        net.at(t, third.sendto, b"in", first)
    net.run_for(61.0)
    assert sum(1 for _, _, d in sock.received if d == b"in") == 3


def test_port_preservation_keeps_the_local_port_and_random_allocation_does_not() -> None:
    net, sock = _world(EIM, EIF, port_allocation=PortAllocation.PRESERVE)
    assert binding(net, sock, (S1, 3478)) == (NAT_PUBLIC, 40000)
    net, sock = _world(EIM, EIF, port_allocation=PortAllocation.RANDOM, port_range=(20000, 20099))
    mapped = binding(net, sock, (S1, 3478))
    assert mapped[0] == NAT_PUBLIC and 20000 <= mapped[1] <= 20099


def test_two_hosts_with_one_local_port_get_different_external_ports() -> None:
    net, sock = _world(EIM, EIF)
    other = net.add_host("other", "10.0.0.3", realm=net.nats["nat"].inside).udp_socket(40000)
    a = binding(net, sock, (S1, 3478))
    b = binding(net, other, (S1, 3478))
    assert a == (NAT_PUBLIC, 40000) and b[0] == NAT_PUBLIC and b[1] != 40000


@pytest.mark.parametrize("hairpinning", [False, True])
def test_hairpinning_is_off_by_default_and_keeps_the_external_source_when_on(
    hairpinning: bool,
) -> None:
    net, sock = _world(EIM, EIF, hairpinning=hairpinning)
    neighbour = net.add_host("neighbour", "10.0.0.3", realm=net.nats["nat"].inside)
    nsock = neighbour.udp_socket(41000)
    mine = binding(net, sock, (S1, 3478))
    theirs = binding(net, nsock, (S1, 3478))
    nsock.sendto(b"hairpin", mine)
    net.run_for(1)
    got = [(src, d) for _, src, d in sock.received if d == b"hairpin"]
    if hairpinning:
        assert got == [(theirs, b"hairpin")]
    else:
        assert got == []
        assert [r.data for r in net.capture.select(outcome="nat-hairpin")] == [b"hairpin"]


def test_two_nats_in_a_row_each_server_sees_its_own_side_of_the_chain() -> None:
    net = Network(seed=1)
    stun_server(net, "public-stun", S1)
    cgn = net.add_nat(
        "cgn", external=NAT_PUBLIC, internal="100.64.0.1", port_allocation=PortAllocation.RANDOM
    )
    isp = net.add_host("isp-stun", "100.64.0.50", realm=cgn.inside)
    Node(isp, StunBindingServer()).bind_udp(3478, 3478)
    homes = [
        net.add_nat(
            f"home{i}",
            external=f"100.64.0.{i + 2}",
            internal="192.168.1.1",
            realm=cgn.inside,
            port_allocation=PortAllocation.RANDOM,
        )
        for i in range(2)
    ]
    # The same private address behind two different home NATs.
    socks = [
        net.add_host(f"pc{i}", "192.168.1.2", realm=home.inside).udp_socket(50000)
        for i, home in enumerate(homes)
    ]
    public = [binding(net, s, (S1, 3478)) for s in socks]
    carrier = [binding(net, s, ("100.64.0.50", 3478)) for s in socks]
    assert [a[0] for a in public] == [NAT_PUBLIC, NAT_PUBLIC]
    assert public[0] != public[1]
    assert [a[0] for a in carrier] == ["100.64.0.2", "100.64.0.3"]
    # Each packet crossed three segments on its way out.
    realms = [r.realm for r in net.capture.select(outcome="sent", dst=(S1, 3478))]
    assert realms == ["home0", "cgn", "internet", "home1", "cgn", "internet"]


def test_a_killed_nat_drops_everything_and_a_reset_nat_forgets_its_mappings() -> None:
    net, sock = _world(EIM, EIF)
    mapped = binding(net, sock, (S1, 3478))
    nat = net.nats["nat"]
    nat.reset()
    third = net.host("third").udp_socket(5000)
    third.sendto(b"after reset", mapped)
    net.run_for(1)
    assert [r.data for r in net.capture.select(outcome="nat-no-mapping")] == [b"after reset"]
    nat.kill()
    sock.sendto(b"out", (S1, 3478))
    net.run_for(1)
    assert [r.data for r in net.capture.select(outcome="host-down")] == [b"out"]


@pytest.mark.parametrize("per_endpoint", [False, True])
def test_filtering_is_per_mapping_by_default_and_per_internal_endpoint_on_request(
    per_endpoint: bool,
) -> None:
    net, sock = _world(APDM, APDF, filter_per_endpoint=per_endpoint)
    first = binding(net, sock, (S1, 3478))
    binding(net, sock, (S2, 3478))  # a second mapping of the same internal endpoint
    s2 = net.host("s2")._udp[(S2, 3478)]
    s2.sendto(b"to the first mapping", first)
    net.run_for(1)
    got = [d for _, _, d in sock.received if d == b"to the first mapping"]
    assert got == ([b"to the first mapping"] if per_endpoint else [])


def test_tcp_mappings_outlive_the_udp_timeout() -> None:
    net, sock = _world(EIM, APDF, mapping_timeout=120.0)
    server = net.host("s2").listen(443)
    stream = net.host("client").connect((S2, 443))
    net.run_until(lambda: bool(server.accepted), 5)
    binding(net, sock, (S1, 3478))
    net.run_for(600)  # idle far beyond the UDP timeout
    server.accepted[0].send(b"still there")
    net.run_for(1)
    assert stream.received == [b"still there"]
    assert [m.transport for m in net.nats["nat"].mappings()] == ["tcp"]
