"""The order in which a relay pool tries the ports of its range."""

from __future__ import annotations

from collections.abc import Iterator

from rtcpeer.turn.server.relay_sockets import _RANGE_TRIES, range_ports


def test_tries_from_the_start_and_wraps_around() -> None:
    assert list(range_ports(range(100, 104), 2, False)) == [102, 103, 100, 101]


def test_even_port_rounds_up_and_steps_by_two() -> None:
    assert list(range_ports(range(100, 108), 3, True)) == [104, 106, 100, 102]
    assert list(range_ports(range(101, 104), 0, True)) == [102]


def test_tries_at_most_the_cap_and_lazily() -> None:
    """A wide range (coturn's default) tries at most ``_RANGE_TRIES`` ports,
    produced one at a time: an Allocate whose first port is free builds no list."""
    tries = range_ports(range(49152, 65536), 16383, False)
    assert isinstance(tries, Iterator)
    assert next(tries) == 65535 and next(tries) == 49152
    assert len(list(tries)) == _RANGE_TRIES - 2
