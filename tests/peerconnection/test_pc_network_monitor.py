"""The opt-in network monitor: netlink wake-ups, the polling fallback, what a
trickled address gets (checked pairs, gathering states).

Real sockets in a network namespace each test makes (``tests.support.netns``):
the client's addresses sit on a ``veth`` interface there, and the other peer
listens on 127.0.0.1 of the same namespace.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest
from tests.support.netns import private_network
from tests.support.network_changes import OLD_ADDRESS, OTHER_SUBNET, client_interface, ip
from tests.support.peer_connections import (
    FAST_ICE,
    TIMEOUT,
    Link,
    open_channels,
    poll,
    selected_local,
)

from rtcpeer import RTCPeerConnection
from rtcpeer.peerconnection import network_monitor
from rtcpeer.peerconnection.network_monitor import NetworkChange, NetworkMonitor, open_netlink

#: Longer than any test here runs: a change seen at all was announced, not polled.
LONG_POLL = 60.0


def _monitored_client() -> RTCPeerConnection:
    return RTCPeerConnection(_include_loopback=False, _ice_config=FAST_ICE, network_monitor=True)


def _server() -> RTCPeerConnection:
    return RTCPeerConnection(_host_addresses=("127.0.0.1",), _ice_config=FAST_ICE)


def _trickled(pc: RTCPeerConnection) -> list[str | None]:
    """The address of every ``icecandidate`` event from now on (None: end-of-candidates)."""
    seen: list[str | None] = []
    pc.on("icecandidate", lambda event: seen.append(event.candidate and event.candidate.address))
    return seen


async def test_netlink_announces_a_new_address_long_before_the_poll_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outcome 2: with both poll intervals at a minute, an address added with
    ``ip addr add`` is trickled within half a second -- netlink woke the
    monitor (RTM_NEWADDR on the IPv4 address group)."""
    monkeypatch.setattr(network_monitor, "POLL_INTERVAL", LONG_POLL)
    monkeypatch.setattr(network_monitor, "NETLINK_POLL_INTERVAL", LONG_POLL)
    with private_network():
        client_interface(OLD_ADDRESS)
        client, server = _monitored_client(), _server()
        link = Link()
        link.connect(client, server)
        try:
            await open_channels(client, server, link, "netlink")
            monitor = client._network_monitor
            assert monitor is not None and monitor.uses_netlink
            trickled = _trickled(client)
            added_at = time.monotonic()
            ip("addr", "add", f"{OTHER_SUBNET}/24", "dev", "rtcpeer-d0")
            await poll(lambda: OTHER_SUBNET in trickled, timeout=TIMEOUT)
            took = time.monotonic() - added_at
            assert took < 0.5, f"trickled {took:.2f} s after the address was added"
        finally:
            await client.close()
            await server.close()


def test_open_netlink_is_none_without_netlink(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AF_NETLINK (not Linux), or a socket the sandbox refuses: None, no error."""
    monkeypatch.delattr(socket, "AF_NETLINK")
    assert open_netlink() is None
    monkeypatch.undo()

    def refused(*_: Any, **__: Any) -> socket.socket:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(socket, "socket", refused)
    assert open_netlink() is None


class _FakeIce:
    """Just what the monitor reads of an ICE transport; the second enumeration finds an address."""

    state = "connected"
    selected_pair = None

    def __init__(self) -> None:
        self.enumerations = 0

    async def refresh_host_sockets(self, *, continual: bool = False) -> tuple[list[str], list[str]]:
        assert continual
        self.enumerations += 1
        return (["192.0.2.77"], []) if self.enumerations == 2 else ([], [])


class _Events:
    def __init__(self) -> None:
        self.changes: asyncio.Queue[NetworkChange] = asyncio.Queue()

    def emit(self, event: str, *args: object) -> bool:
        assert event == "networkchange"
        change = args[0]
        assert isinstance(change, NetworkChange)
        self.changes.put_nowait(change)
        return True


async def test_without_netlink_the_monitor_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where netlink cannot be opened the monitor enumerates every POLL_INTERVAL
    and still reports the change."""
    monkeypatch.setattr(network_monitor, "POLL_INTERVAL", 0.02)
    monkeypatch.setattr(network_monitor, "NETLINK_POLL_INTERVAL", LONG_POLL)
    ice, events = _FakeIce(), _Events()
    monitor = NetworkMonitor(events, lambda: ice, netlink=lambda: None)  # type: ignore[arg-type,return-value]
    monitor.start()
    try:
        assert not monitor.uses_netlink
        change = await asyncio.wait_for(events.changes.get(), TIMEOUT)
        assert change == NetworkChange(("192.0.2.77",), (), restart_advisable=False)
        await poll(lambda: ice.enumerations >= 3)  # and it keeps polling
    finally:
        await monitor.stop()


async def _succeeded_pair(pc: RTCPeerConnection, side: str, address: str) -> bool:
    """getStats has a succeeded candidate pair whose ``side`` ("local"/"remote")
    candidate is on ``address``."""
    report = await pc.getStats()
    candidates = {
        entry["id"] for entry in report.of_type(f"{side}-candidate") if entry["address"] == address
    }
    return any(
        pair[f"{side}CandidateId"] in candidates and pair["state"] == "succeeded"
        for pair in report.of_type("candidate-pair")
    )


async def test_a_trickled_address_gets_pairs_that_are_checked_after_selection() -> None:
    """Outcome 2, after selection: the checklist stopped when the first pair was
    nominated, yet the pairs formed on an address the monitor found later are
    checked -- on the client (its local candidate) and on the server (which
    learnt it by trickle, after the client's end-of-candidates) -- and succeed,
    so a later switch or restart can use them. The selected pair stays."""
    with private_network():
        client_interface(OLD_ADDRESS)
        client, server = _monitored_client(), _server()
        link = Link()
        link.connect(client, server)
        try:
            await open_channels(client, server, link, "checked")
            trickled = _trickled(client)
            ip("addr", "add", f"{OTHER_SUBNET}/24", "dev", "rtcpeer-d0")
            await poll(lambda: OTHER_SUBNET in trickled)
            await link.settle()  # the server took the candidate (no error)

            async def both_succeeded() -> bool:
                return await _succeeded_pair(
                    client, "local", OTHER_SUBNET
                ) and await _succeeded_pair(server, "remote", OTHER_SUBNET)

            deadline = asyncio.get_running_loop().time() + TIMEOUT
            while not await both_succeeded():
                assert asyncio.get_running_loop().time() < deadline, "no pair on it succeeded"
                await asyncio.sleep(0.02)
            assert (await selected_local(client))["address"] == OLD_ADDRESS
        finally:
            await client.close()
            await server.close()


async def test_gathering_state_follows_the_monitor() -> None:
    """iceGatheringState goes ``gathering`` when the monitor gathers on a new
    address and ``complete`` once done, each with icegatheringstatechange, and
    the new candidate is followed by an end-of-candidates (null) icecandidate
    -- as after a restart."""
    with private_network():
        client_interface(OLD_ADDRESS)
        client, server = _monitored_client(), _server()
        link = Link()
        link.connect(client, server)
        try:
            await open_channels(client, server, link, "gathering")
            assert client.iceGatheringState == "complete"
            states: list[str] = []
            client.on("icegatheringstatechange", lambda: states.append(client.iceGatheringState))
            events: list[Any] = []
            client.on("icecandidate", lambda event: events.append(event.candidate))
            ip("addr", "add", f"{OTHER_SUBNET}/24", "dev", "rtcpeer-d0")
            await poll(lambda: None in events)
            # The candidate, the section's end-of-candidates (an empty
            # candidate line) and the null candidate.
            assert [c and (c.address or c.candidate) for c in events] == [OTHER_SUBNET, "", None]
            await poll(lambda: len(states) >= 2)
            assert states == ["gathering", "complete"]
            assert client.iceGatheringState == "complete"
            await link.settle()
        finally:
            await client.close()
            await server.close()
