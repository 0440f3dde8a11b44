"""rtcpeer <-> Chromium over IPv6 (issue 21): host candidates on IPv6 only,
and relay-only through coturn reached over IPv6 and relaying IPv6 only
(Chromium then asks for REQUESTED-ADDRESS-FAMILY IPv6, as do we).

Chromium gathers nothing on ``::1`` (its network list has no IPv6 loopback:
host candidates on ``lo`` are 127.0.0.1 only, and its TURN ports bind per
network, so a TURN server at ``[::1]`` gets no Allocate from it either). The
module's namespace therefore has a "LAN" veth carrying ``fd00:21::1`` (an
address inside the namespace we made) and everything IPv6 runs on that.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.chromium import BrowserPage
from tests.support.chromium_session import connect
from tests.support.coturn import Coturn, start_coturn
from tests.support.interop import PASSWORD, USER, in_range, selected_local
from tests.support.netns import private_network
from tests.support.signalling import candidate_fields

from rtcpeer.testing.pki import CertificateFiles

pytestmark = [pytest.mark.interop, pytest.mark.asyncio(loop_scope="module")]
OFFERING = ["rtcpeer", "chromium"]
RELAY_PORTS = (57700, 57739)
CHROMIUM_RELAY_PORTS = (57740, 57779)
V6 = "fd00:21::1"


@pytest.fixture(scope="module")
def network() -> Iterator[None]:
    """A private namespace with ``lo`` and a veth carrying 198.18.0.1 and fd00:21::1."""
    with private_network(lan=True):
        subprocess.run(
            ["ip", "-6", "addr", "add", f"{V6}/64", "dev", "rtcpeer0", "nodad"],
            check=True,
            capture_output=True,
        )
        # Like the IPv4 default route private_network(lan=True) sets: the
        # veth peer end is in this namespace too, so nothing leaves it.
        subprocess.run(
            ["ip", "-6", "route", "add", "default", "via", "fd00:21::2", "dev", "rtcpeer0"],
            check=True,
            capture_output=True,
        )
        yield


def _ipv6_only(candidate: dict[str, Any] | None) -> bool:
    """End-of-candidates, or a candidate on fd00:21::1: no IPv4 reaches the other side."""
    if candidate is None or not candidate.get("candidate"):
        return True
    parts = candidate["candidate"].split()
    return len(parts) > 5 and parts[4] == V6


def _coturn(
    tmp: pytest.TempPathFactory,
    certs: CertificateFiles,
    name: str,
    ports: tuple[int, int],
    *extra: str,
) -> Coturn:
    return start_coturn(
        Path(tmp.mktemp(name)),
        relay_ports=ports,
        certs=certs,
        listen=(V6,),
        relay_ips=(V6,),
        extra_args=extra,
    )


@pytest.fixture(scope="module")
def coturns_v6(
    network: None, tmp_path_factory: pytest.TempPathFactory, interop_certificates: CertificateFiles
) -> Iterator[tuple[Coturn, Coturn]]:
    """Two coturns reached over IPv6 relaying from IPv6 only: ours with the
    defaults (an Allocate without REQUESTED-ADDRESS-FAMILY gets 440), and
    one for Chromium with ``--allocation-default-address-family=keep``:
    Chromium 156 sends no REQUESTED-ADDRESS-FAMILY over IPv6 and does not
    retry after 440, so that is the only way it gets an IPv6 relay here."""
    ours = _coturn(tmp_path_factory, interop_certificates, "coturn-v6", RELAY_PORTS)
    try:
        theirs = _coturn(
            tmp_path_factory,
            interop_certificates,
            "coturn-v6-keep",
            CHROMIUM_RELAY_PORTS,
            "--allocation-default-address-family=keep",
        )
    except BaseException:
        ours.stop()
        raise
    try:
        yield ours, theirs
    finally:
        ours.stop()
        theirs.stop()


@pytest.mark.parametrize("offering", OFFERING)
async def test_host_candidates_over_ipv6(browser: BrowserPage, offering: str) -> None:
    pair = await connect(browser, offering, allow=_ipv6_only)
    try:
        await pair.exchange()
        chromium = await pair.chromium_selected()
        # Chromium checks from each of its interfaces (here ::1 may win as
        # peer-reflexive); whichever, both ends are IPv6.
        assert chromium["local"]["address"] in (V6, "::1")
        remote = chromium["remote"]
        # Chromium hides a peer-reflexive remote address in its stats.
        assert remote["address"] in (V6, "::1") or remote["candidateType"] == "prflx"
        ours = await selected_local(pair.pc)
        # Our side gathers ::1 too; Chromium's check from ::1 may make that pair win.
        assert ours["candidateType"] == "host" and ours["address"] in (V6, "::1")
    finally:
        await pair.close()


@pytest.mark.parametrize("offering", OFFERING)
async def test_relay_only_over_ipv6(
    browser: BrowserPage, coturns_v6: tuple[Coturn, Coturn], offering: str
) -> None:
    def config(server: Coturn) -> dict[str, Any]:
        return {
            "iceServers": [
                {
                    "urls": f"turn:[{V6}]:{server.port}?transport=udp",
                    "username": USER,
                    "credential": PASSWORD,
                }
            ],
            "iceTransportPolicy": "relay",
        }

    ours, theirs = coturns_v6
    pair = await connect(browser, offering, config(ours), config(theirs), allow=_ipv6_only)
    try:
        await pair.exchange()
        for side in ("a", "b"):  # a: rtcpeer, b: Chromium
            relays = [c for c in map(candidate_fields, pair.bridge.produced[side]) if c]
            assert relays and all(c["type"] == "relay" and c["address"] == V6 for c in relays), (
                relays
            )
        chromium = await pair.chromium_selected()
        assert chromium["local"]["candidateType"] == "relay"
        assert chromium["local"]["address"] == V6
        assert in_range(chromium["local"]["port"], CHROMIUM_RELAY_PORTS)
        assert chromium["remote"]["candidateType"] == "relay"
        assert in_range(chromium["remote"]["port"], RELAY_PORTS)
        mine = await selected_local(pair.pc)
        assert mine["candidateType"] == "relay" and mine["address"] == V6
        assert in_range(mine["port"], RELAY_PORTS)
    finally:
        await pair.close()
