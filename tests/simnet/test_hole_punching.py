"""Hole punching between two NATed hosts: the fact ICE relies on.

Both hosts learn their server-reflexive address from a STUN server, swap
them (out of band, as signalling would) and send to each other at the same
moment, repeatedly; each answers what it hears to where it came from.
"""

from __future__ import annotations

import pytest
from tests.support.simnet import Puncher, binding, stun_server

from rtcpeer.simnet import FilteringBehavior, MappingBehavior, Network, Node

EIM = MappingBehavior.ENDPOINT_INDEPENDENT
APDM = MappingBehavior.ADDRESS_AND_PORT_DEPENDENT
EIF = FilteringBehavior.ENDPOINT_INDEPENDENT
APDF = FilteringBehavior.ADDRESS_AND_PORT_DEPENDENT


def _punch(
    a_kind: tuple[MappingBehavior, FilteringBehavior],
    b_kind: tuple[MappingBehavior, FilteringBehavior],
) -> tuple[Network, Puncher, Puncher]:
    net = Network(seed=5)
    stun_server(net, "stun", "203.0.113.1")
    punchers = []
    socks = []
    for name, public, (mapping, filtering) in (
        ("a", "198.51.100.1", a_kind),
        ("b", "198.51.100.2", b_kind),
    ):
        nat = net.add_nat(
            f"nat-{name}",
            external=public,
            internal="192.168.0.1",
            mapping=mapping,
            filtering=filtering,
            latency=0.01,
        )
        host = net.add_host(name, "192.168.0.2", realm=nat.inside, latency=0.02)
        socks.append((host, host.udp_socket(7000)))
    reflexive = [binding(net, sock, ("203.0.113.1", 3478)) for _, sock in socks]
    for (host, sock), target in zip(socks, reversed(reflexive), strict=True):
        puncher = Puncher("s", target)
        node = Node(host, puncher)
        node.adopt_udp("s", sock)
        puncher.start(net.now)
        node.service()
        punchers.append(puncher)
    net.run_for(5.0)
    return net, punchers[0], punchers[1]


@pytest.mark.parametrize(
    ("a_kind", "b_kind", "connects"),
    [
        ((EIM, APDF), (EIM, APDF), True),  # port-restricted cone on both sides
        ((EIM, EIF), (APDM, APDF), True),  # full cone against symmetric
        ((EIM, APDF), (APDM, APDF), False),  # port-restricted cone against symmetric
        ((APDM, APDF), (APDM, APDF), False),  # symmetric on both sides: relay only
    ],
    ids=["cone-cone", "fullcone-symmetric", "portrestricted-symmetric", "symmetric-symmetric"],
)
def test_hole_punching_works_exactly_where_rfc_4787_says(
    a_kind: tuple[MappingBehavior, FilteringBehavior],
    b_kind: tuple[MappingBehavior, FilteringBehavior],
    connects: bool,
) -> None:
    net, a, b = _punch(a_kind, b_kind)
    if connects:
        # Each side heard the other, and at least one side got an answer to
        # its own punch: a two-way path exists.
        assert a.heard and b.heard
        assert any(data == b"ack" for _, _, data in a.heard + b.heard)
    else:
        assert a.heard == [] and b.heard == []
        dropped = net.capture.select(outcome="nat-filtered")
        assert len(dropped) >= 30  # every punch died at a NAT


def test_symmetric_nats_map_each_peer_to_a_new_port() -> None:
    net, _a, _b = _punch((APDM, APDF), (APDM, APDF))
    # A's punches leave NAT A from a port other than the one the STUN server saw.
    stun_seen = {r.src for r in net.capture.select(dst=("203.0.113.1", 3478), realm="internet")}
    punch_src = {
        r.src for r in net.capture.select(realm="internet", outcome="sent") if r.data == b"punch"
    }
    assert len(punch_src) == 2 and not punch_src & stun_seen
