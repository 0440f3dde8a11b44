"""Chromium without the camera/microphone grant: it hides its host
addresses behind mDNS ``<uuid>.local`` names and gathers no loopback.

This module runs in a private network namespace with loopback and one
"LAN" interface (198.18.0.1 on a veth pair we made), so Chromium has a
host address to hide. What happens, either side offering: Chromium signals
exactly one UDP host candidate, ``<uuid>.local``, and no loopback. rtcpeer
accepts it and asks mDNS; in this namespace nothing answers the query
within rtcpeer's 1 s mDNS timeout (aioice's resolver returns None here
too), yet the connection comes up at once: Chromium's checks reach our
signalled host candidates and rtcpeer learns Chromium's address as a
peer-reflexive candidate -- the same socket the ``.local`` name stands for.
No relay is needed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from tests.support.chromium import BrowserPage, chromium_page
from tests.support.chromium_session import connect
from tests.support.interop import apoll, selected_local
from tests.support.netns import LAN_ADDRESS, private_network
from tests.support.signalling import CandidateInit, candidate_fields

pytestmark = [pytest.mark.interop, pytest.mark.asyncio(loop_scope="module")]


@pytest.fixture(scope="module")
def network() -> Iterator[None]:
    with private_network(lan=True):
        yield


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(network: None) -> AsyncIterator[BrowserPage]:
    async with chromium_page(grant_media=False) as page:
        yield page


def _ours_or_mdns(candidate: CandidateInit) -> bool:
    """Loopback, our namespace's LAN address, or an mDNS name."""
    fields = candidate_fields(candidate)
    return (
        not fields
        or fields["address"] in ("127.0.0.1", LAN_ADDRESS)
        or fields["address"].endswith(".local")
    )


@pytest.mark.parametrize("offering", ["rtcpeer", "chromium"])
async def test_mdns_host_candidates(browser: BrowserPage, offering: str) -> None:
    pair = await connect(browser, offering, allow=_ours_or_mdns)
    try:
        await pair.exchange()
        # What Chromium signals: one UDP host candidate, named by mDNS; no
        # raw address, no loopback.
        signalled = [candidate_fields(c) for c in pair.bridge.produced["b"] if candidate_fields(c)]
        assert signalled and all(c["address"].endswith(".local") for c in signalled), signalled
        assert {c["type"] for c in signalled} == {"host"}
        (hidden,) = {int(c["port"]) for c in signalled if c["protocol"] == "udp"}
        # rtcpeer took the .local candidate without an error (settled in
        # connect()) and the connection came up on that same Chromium socket:
        # the far end of our selected pair is the port behind the mDNS name,
        # whether we resolved the name or learnt it from Chromium's checks.
        report = await pair.pc.getStats()
        (transport,) = report.of_type("transport")
        selected = report[transport["selectedCandidatePairId"]]
        remote = report[selected["remoteCandidateId"]]
        assert remote["port"] == hidden
        assert remote["address"] in ("127.0.0.1", LAN_ADDRESS)
        assert remote["candidateType"] in ("host", "prflx")
        local = await selected_local(pair.pc)
        assert local["candidateType"] == "host" and local["address"] in ("127.0.0.1", LAN_ADDRESS)
        chromium = await pair.chromium_selected()
        assert chromium["local"]["port"] == hidden

        # Both ends settle on the same pair. Chromium (controlling when it
        # offers) may move to a better pair just after the channel opens and
        # nominate it; we follow its latest nomination, a round trip later.
        async def same_pair() -> bool:
            ours = await selected_local(pair.pc)
            theirs = await pair.chromium_selected()
            return bool(theirs["remote"]["port"] == ours["port"])

        await apoll(same_pair)
        assert pair.pc.connectionState == "connected"
    finally:
        await pair.close()
