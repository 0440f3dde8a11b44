"""Candidate model: RFC 8839 parse/serialise, priority, local preference, foundation."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtcpeer.ice import (
    Candidate,
    CandidateParseError,
    candidate_priority,
    compute_foundation,
    local_preference,
)

CHROME_SRFLX = (
    "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 192.0.2.5 "
    "rport 61665 generation 0 ufrag EsAw network-id 1 network-cost 10"
)


def test_parse_browser_candidate_with_all_extensions() -> None:
    c = Candidate.from_sdp("a=" + CHROME_SRFLX)
    assert (c.foundation, c.component, c.transport, c.priority) == (
        "842163049",
        1,
        "udp",
        1677729535,
    )
    assert c.address == ("203.0.113.7", 61665)
    assert c.type == "srflx"
    assert (c.related_address, c.related_port) == ("192.0.2.5", 61665)
    assert (c.generation, c.ufrag, c.network_id) == (0, "EsAw", 1)
    assert c.extensions == (("network-cost", "10"),)  # unknown extension kept
    assert c.to_sdp() == CHROME_SRFLX


def test_tcp_candidate_and_mdns_host() -> None:
    line = (
        "candidate:1 1 TCP 2105524479 4f3a8c1e-7f0b-4a47-9a53-1a2b3c4d5e6f.local 9 "
        "typ host tcptype active"
    )
    c = Candidate.from_sdp(line)
    assert c.transport == "tcp" and c.tcptype == "active" and c.is_mdns
    assert Candidate.from_sdp(c.to_sdp()) == c


@pytest.mark.parametrize(
    "line",
    [
        "candidate:1 1 udp 100 192.0.2.1 5000 host",  # no "typ"
        "candidate:1 1 udp 100 192.0.2.1",  # too short
        "candidate:1 x udp 100 192.0.2.1 5000 typ host",  # component not a number
        "candidate:1 1 udp 100 192.0.2.1 70000 typ host",  # port out of range
        "candidate:1 1 udp 100 192.0.2.1 5000 typ host generation",  # extension without value
        "candidate:1 1 udp 100 192.0.2.1 5000 typ host generation x",  # bad generation
        "candidate:" + "f" * 33 + " 1 udp 100 192.0.2.1 5000 typ host",  # foundation too long
        "candidate:f-1 1 udp 100 192.0.2.1 5000 typ host",  # '-' is not an ice-char
    ],
)
def test_malformed_candidates_raise(line: str) -> None:
    with pytest.raises(CandidateParseError):
        Candidate.from_sdp(line)


@given(
    foundation=st.text("abcdefXYZ0123456789+/", min_size=1, max_size=32),
    priority=st.integers(1, 2**32 - 1),
    port=st.integers(0, 65535),
    kind=st.sampled_from(["host", "srflx", "prflx", "relay"]),
    generation=st.none() | st.integers(0, 1000),
    ext=st.lists(
        st.tuples(st.sampled_from(["x-a", "x-b"]), st.text("abc123", min_size=1)), max_size=3
    ),
)
def test_round_trip(
    foundation: str,
    priority: int,
    port: int,
    kind: str,
    generation: int | None,
    ext: list[tuple[str, str]],
) -> None:
    c = Candidate(
        foundation,
        1,
        "udp",
        priority,
        "2001:db8::1",
        port,
        kind,
        generation=generation,
        extensions=tuple(ext),
    )
    assert Candidate.from_sdp(c.to_sdp()) == c


def test_priority_formula_and_type_preferences() -> None:
    assert candidate_priority(126, 65535, 1) == (126 << 24) + (65535 << 8) + 255
    prios = {
        kind: candidate_priority(pref, local_preference("192.0.2.1"))
        for kind, pref in (("host", 126), ("prflx", 110), ("srflx", 100), ("relay", 0))
    }
    assert prios["host"] > prios["prflx"] > prios["srflx"] > prios["relay"]
    with pytest.raises(ValueError):
        candidate_priority(127, 0)
    with pytest.raises(ValueError):
        candidate_priority(0, 1 << 16)


def test_local_preference_ranks_relay_protocol_then_ipv6_then_interface() -> None:
    udp = local_preference("192.0.2.1", relay_protocol="udp")
    tcp = local_preference("192.0.2.1", relay_protocol="tcp")
    tls = local_preference("192.0.2.1", relay_protocol="tls")
    assert udp > tcp > tls
    # The relay protocol outranks the address family: UDP/IPv4 beats TCP/IPv6.
    assert udp > local_preference("2001:db8::1", relay_protocol="tcp")
    assert local_preference("2001:db8::1") > local_preference("192.0.2.1")  # RFC 8421
    assert local_preference("fe80::1") < local_preference("2001:db8::1")  # link-local not favoured
    assert local_preference("192.0.2.1", interface_index=0) > local_preference(
        "192.0.2.1", interface_index=1
    )
    assert all(0 <= p <= 0xFFFF for p in (udp, tcp, tls, local_preference("::1")))


def test_foundation_groups_by_type_base_transport_and_server() -> None:
    f = compute_foundation("srflx", "192.0.2.1", "udp", "stun:a")
    assert f == compute_foundation("srflx", "192.0.2.1", "UDP", "stun:a")
    assert f != compute_foundation("srflx", "192.0.2.1", "udp", "stun:b")
    assert f != compute_foundation("host", "192.0.2.1", "udp", "stun:a")
    assert f != compute_foundation("srflx", "192.0.2.2", "udp", "stun:a")
    assert 1 <= len(f) <= 32


def test_in_generation_is_replace_of_ufrag_and_generation_keeping_every_other_field() -> None:
    """Every field set to a non-default value: a field added to Candidate and
    forgotten in in_generation() (which lists them, to skip replace()'s
    field walk per local candidate) fails here."""
    candidate = Candidate(
        "f1", 2, "tcp", 1234, "192.0.2.7", 9, "srflx", "10.0.0.1", 4000, "passive",
        1, "old", 5, (("x-ext", "v"),),
    )  # fmt: skip
    assert all(getattr(candidate, f.name) != f.default for f in dataclasses.fields(Candidate)), (
        "give every field a non-default value"
    )
    moved = candidate.in_generation("abcd", 3)
    assert moved == dataclasses.replace(candidate, ufrag="abcd", generation=3)
    assert moved.ufrag == "abcd" and moved.generation == 3
