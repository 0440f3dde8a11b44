"""Remote candidates cost O(1) each and are bounded (issue 16, outcome 5).

``remote_by_address`` used to scan every remote candidate for each one
added: 20,000 candidates blocked the event loop for ~40 s. Now an index keeps
it O(1); a generation keeps at most ``max_remote_candidates`` (more are
dropped, logged and counted); addresses that can never answer a check (port
0, unspecified, multicast, broadcast, malformed) are ignored, never checked.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import re
import time

import pytest

from rtcpeer.ice import Candidate, IceAgent, IceAgentConfig
from rtcpeer.ice.candidate import unusable_remote_address
from rtcpeer.ice.generation import Generation

PWD = "peer-password-0123456789"


def _host(i: int, port: int | None = None) -> Candidate:
    return Candidate(
        f"f{i}",
        1,
        "udp",
        2_000_000_000 - i,
        f"198.51.{(i >> 8) & 255}.{i & 255}",
        port or 1024 + i % 60000,
        "host",
    )


def _agent(config: IceAgentConfig | None = None) -> IceAgent:
    agent = IceAgent(True, rng=random.Random(1), config=config)
    agent.add_socket(1, ("192.0.2.1", 5000), "udp", 0.0)
    agent.set_remote_credentials("peer", PWD, 0.0)
    return agent


def test_20000_remote_candidates_are_added_in_well_under_a_second() -> None:
    agent = _agent()
    candidates = [_host(i) for i in range(20_000)]
    began = time.perf_counter()
    added = [agent.add_remote_candidate(c, 0.0) for c in candidates]
    elapsed = time.perf_counter() - began
    assert all(added) and len(agent.generation.remote) == 20_000
    assert elapsed < 1.0, f"{elapsed:.2f} s"  # was ~40 s: a scan per candidate


def test_index_follows_every_change_of_the_remote_list() -> None:
    gen = Generation(0, "ufrag", "p" * 22, controlling=True, max_pairs=10)
    prflx = gen.add_peer_reflexive_remote(("198.51.100.1", 7000), "udp", 5)
    assert gen.remote_by_address(("198.51.100.1", 7000), "udp") is prflx
    assert gen.remote_by_address(("198.51.100.1", 7000), "tcp") is None
    signalled = Candidate("s", 1, "udp", 9, "198.51.100.1", 7000, "host")
    gen.add_remote(signalled, ("host",))  # RFC 8838 §11: replaces the prflx one
    assert gen.remote == [signalled]
    assert gen.remote_by_address(("198.51.100.1", 7000), "udp") is signalled
    gen.remote = [c for c in gen.remote if c.type != "prflx"] + [_host(2)]  # as a rollback does
    assert gen.remote_by_address(_host(2).address, "udp") == _host(2)
    gen.remote = []
    assert gen.remote_by_address(("198.51.100.1", 7000), "udp") is None


def test_over_the_cap_candidates_are_dropped_counted_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    agent = _agent(IceAgentConfig(max_remote_candidates=50))
    with caplog.at_level(logging.WARNING, logger="rtcpeer.ice.agent"):
        added = [agent.add_remote_candidate(_host(i), 0.0) for i in range(60)]
    assert added == [True] * 50 + [False] * 10
    assert len(agent.generation.remote) == 50
    assert agent.remote_candidates_dropped == 10 == agent.generation.remote_dropped
    assert len([r for r in caplog.records if "dropping" in r.getMessage()]) == 1
    # a duplicate of a kept candidate is not a drop; a restart starts afresh
    assert not agent.add_remote_candidate(_host(0), 0.0)
    assert agent.remote_candidates_dropped == 10
    agent.restart(1.0)
    agent.set_remote_credentials("peer2", PWD, 1.0)
    assert agent.add_remote_candidate(_host(55), 1.0)


UNUSABLE = [
    ("127.0.0.1", 0),  # a check was sent to 127.0.0.1:0
    ("198.51.100.1", 0),
    ("0.0.0.0", 5000),
    ("::", 5000),
    ("224.0.0.1", 5000),
    ("ff02::1", 5000),
    ("255.255.255.255", 5000),
    ("::ffff:0.0.0.0", 5000),
    ("300.1.2.3", 5000),
    ("1.2.3", 5000),
    ("198.51.100.1", 70000),
]


@pytest.mark.parametrize("address", UNUSABLE)
def test_unusable_remote_addresses_are_ignored_never_checked(address: tuple[str, int]) -> None:
    assert unusable_remote_address(*address) is not None
    agent = _agent()
    agent.gather(0.0)
    bad = Candidate("b", 1, "udp", 100, address[0], address[1], "host")
    good = _host(7)
    assert not agent.add_remote_candidate(bad, 0.0)
    assert agent.add_remote_candidate(good, 0.0)
    assert agent.remote_candidates_ignored == 1
    destinations: set[tuple[str, int]] = set()
    for step in range(40):
        agent.handle_timer(step * 0.05)
        destinations.update(t.destination for t in agent.datagrams_to_send())
    assert destinations == {good.address}


@pytest.mark.parametrize(
    "address", [("127.0.0.1", 9), ("198.51.100.1", 65535), ("2001:db8::1", 1), ("fe80::1%eth0", 5)]
)
def test_ordinary_addresses_are_usable(address: tuple[str, int]) -> None:
    assert unusable_remote_address(*address) is None
    assert unusable_remote_address("peer.example.invalid", 5000) is None  # a name: not judged


def _judged_by_ipaddress(host: str) -> str | None:
    """What ``unusable_remote_address`` said for ``host`` before it had a fast
    path for dotted quads: the verdict of :mod:`ipaddress` alone."""
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return (
            "malformed" if re.fullmatch(r"[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.%]*", host) else None
        )
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip == ipaddress.IPv4Address("255.255.255.255"):
        return "broadcast"
    return None


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1", "0.0.0.0", "0.0.0.1", "223.255.255.255", "224.0.0.0", "239.255.255.255",
        "240.0.0.1", "255.255.255.255", "255.255.255.254", "01.2.3.4", "1.02.3.4", "1.2.3.004",
        "256.1.2.3", "1.2.3.-4", "1.2.3.4.5", "1.2..4", "1.2.3.", " 1.2.3.4", "1.2.3.4 ",
        "\u0661.2.3.4", "1.2.3.4%eth0", "+1.2.3.4", "1_0.2.3.4", "1234.1.2.3", "::ffff:224.0.0.1",
    ],
)  # fmt: skip
def test_the_dotted_quad_fast_path_judges_as_ipaddress_does(host: str) -> None:
    verdict = unusable_remote_address(host, 5000)
    expected = _judged_by_ipaddress(host)
    assert (verdict is None) == (expected is None), (host, verdict, expected)
    if expected is not None:
        assert verdict is not None and verdict.split()[0] == expected, (host, verdict)
