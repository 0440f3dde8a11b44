"""rtcpeer <-> Chromium (Debian's chromium via Playwright), either side
offering: loopback host candidates, relay-only through coturn over UDP, TCP
and TLS, and an ICE restart from coturn region A to region B while a data
channel carries a message every 5 ms each way; and a bound on the time each
mixed pair takes to open, so that a lost handshake flight (recovered by a
1 s retransmit) fails a test instead of passing unnoticed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.support.chromium import BrowserPage
from tests.support.chromium_session import ChromiumPair, connect
from tests.support.coturn import Coturn
from tests.support.interop import (
    REGION_A,
    REGION_B,
    TIMEOUT,
    Stream,
    apoll,
    in_range,
    on_region,
    poll,
    relay_config,
    selected_local,
    until,
)
from tests.support.signalling import candidate_fields

from rtcpeer.testing.pki import CertificateFiles

pytestmark = [pytest.mark.interop, pytest.mark.asyncio(loop_scope="module")]
OFFERING = ["rtcpeer", "chromium"]


@pytest.mark.parametrize("offering", OFFERING)
async def test_host_candidates_on_loopback(browser: BrowserPage, offering: str) -> None:
    pair = await connect(browser, offering)
    try:
        await pair.exchange()
        chromium = await pair.chromium_selected()
        assert chromium["local"]["candidateType"] == "host"
        assert chromium["local"]["address"] in ("127.0.0.1", "::1")
        assert chromium["remote"]["candidateType"] == "host"
        assert chromium["remote"]["address"] in ("127.0.0.1", "::1")
        ours = await selected_local(pair.pc)
        assert ours["candidateType"] == "host" and ours["address"] in ("127.0.0.1", "::1")
        # With the media permission Chromium offers its loopback address
        # itself, no mDNS name.
        hosts = [candidate_fields(c) for c in pair.bridge.produced["b"] if candidate_fields(c)]
        assert any(h["address"] == "127.0.0.1" for h in hosts)
        assert not any(h["address"].endswith(".local") for h in hosts)
        assert pair.pc.connectionState == "connected"
        state = await browser.call("state", pair.name)
        assert state["connectionState"] == "connected"
    finally:
        await pair.close()


#: Upper bound on createDataChannel + setLocalDescription (offerer) until the
#: channel is open at both ends, for every mixed pair and scenario. Measured
#: here (2 shared cores, loopback, signalled through Playwright): host
#: ~20-60 ms, relay-only ~130-190 ms, either side offering; with two busy
#: loops holding both cores, up to ~220 ms host and ~260 ms relay. A DTLS
#: flight lost and recovered by libwebrtc's 1 s retransmit takes ~1,020 ms
#: host and ~1,120 ms relay. 500 ms is about twice the slowest loaded open and
#: half the retransmit it must catch.
OPEN_BOUND_MS = 500.0
#: Opens per pairing: every one must be within the bound, so a loss that
#: strikes only some opens (werift's was 9 in 10) is caught too.
OPENS = 5


@pytest.mark.parametrize("scenario", ["host", "udp", "tcp", "tls"])
@pytest.mark.parametrize("offering", OFFERING)
async def test_mixed_pair_opens_within_bound(
    browser: BrowserPage,
    regions: tuple[Coturn, Coturn],
    interop_certificates: CertificateFiles,
    offering: str,
    scenario: str,
) -> None:
    """Issue 13: each mixed pair opens in well under a second, either side
    offering. rtcpeer offering (controlling, DTLS server) once dropped its
    reply to Chromium's ClientHello before selecting a pair: ~1,020 ms."""
    config = None if scenario == "host" else relay_config(regions[0], scenario)
    times: list[float] = []
    for _ in range(OPENS):
        pair = await connect(browser, offering, config, config, cafile=str(interop_certificates.ca))
        try:
            times.append(pair.open_ms)
            await pair.exchange()
        finally:
            await pair.close()
    shown = ", ".join(f"{t:.0f}" for t in times)
    assert max(times) <= OPEN_BOUND_MS, (
        f"{offering} offering, {scenario}: opens took {shown} ms (bound {OPEN_BOUND_MS:.0f} ms)"
    )


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
@pytest.mark.parametrize("offering", OFFERING)
async def test_relay_only_through_coturn(
    browser: BrowserPage,
    regions: tuple[Coturn, Coturn],
    interop_certificates: CertificateFiles,
    offering: str,
    transport: str,
) -> None:
    region_a, _ = regions
    config = relay_config(region_a, transport)
    pair = await connect(browser, offering, config, config, cafile=str(interop_certificates.ca))
    try:
        await pair.exchange()
        for side in ("a", "b"):  # a: rtcpeer, b: Chromium
            produced = [candidate_fields(c) for c in pair.bridge.produced[side]]
            relays = [c for c in produced if c]
            assert relays, f"{side} signalled no candidate"
            assert all(c["type"] == "relay" for c in relays), relays
        chromium = await pair.chromium_selected()
        assert chromium["local"]["candidateType"] == "relay"
        assert in_range(chromium["local"]["port"], REGION_A)
        assert chromium["local"]["relayProtocol"] == transport
        assert chromium["remote"]["candidateType"] == "relay"
        assert in_range(chromium["remote"]["port"], REGION_A)
        ours = await selected_local(pair.pc)
        assert ours["candidateType"] == "relay" and in_range(ours["port"], REGION_A)
        assert ours["relayProtocol"] == transport
        assert ours["url"] == config["iceServers"][0]["urls"]
    finally:
        await pair.close()


async def _chromium_on_region_b(pair: ChromiumPair) -> dict[str, Any] | None:
    for change in await pair.browser.call("pairChanges", pair.name):
        local = change["pair"] and change["pair"]["local"]
        if local and local["type"] == "relay" and in_range(local["port"], REGION_B):
            return dict(change)
    return None


async def _chromium_stats_on_region_b(pair: ChromiumPair) -> dict[str, Any] | None:
    selected = await pair.chromium_selected()
    local = selected["local"]
    on_b = local["candidateType"] == "relay" and in_range(local["port"], REGION_B)
    return selected if on_b else None


@pytest.mark.parametrize("initiator", OFFERING)
@pytest.mark.parametrize("offering", OFFERING)
async def test_restart_from_region_a_to_b_with_a_live_stream(
    browser: BrowserPage, regions: tuple[Coturn, Coturn], offering: str, initiator: str
) -> None:
    region_a, region_b = regions
    pair = await connect(browser, offering, relay_config(region_a), relay_config(region_a))
    try:
        assert on_region(pair.pc, REGION_A)
        states: list[str] = []
        pair.pc.on("connectionstatechange", lambda: states.append(pair.pc.connectionState))
        ours = Stream(pair.channel)
        await browser.call("startPump", pair.name, 5)
        await poll(lambda: ours.sent >= 20)

        restarter, other = (
            (pair.ours, pair.theirs) if initiator == "rtcpeer" else (pair.theirs, pair.ours)
        )
        for side in (pair.ours, pair.theirs):
            await side.set_configuration(relay_config(region_b))
        if initiator == "rtcpeer":
            needed = asyncio.get_running_loop().create_future()
            pair.pc.once("negotiationneeded", lambda: needed.set_result(None))
            await restarter.restart_ice()
            await asyncio.wait_for(needed, TIMEOUT)
        else:
            await restarter.restart_ice()
            await browser.wait_for("negotiationneeded", pair.name)
        await pair.bridge.negotiate(restarter, other)

        stack = pair.pc._transports
        assert stack is not None
        await until(stack.ice, "selectedcandidatepairchange", lambda: on_region(pair.pc, REGION_B))
        change = await apoll(lambda: _chromium_on_region_b(pair))
        at_switch = ours.sent
        await poll(lambda: ours.sent >= at_switch + 20)
        sent_by_us = await ours.stop()
        sent_by_chromium = await browser.call("stopPump", pair.name)
        await poll(lambda: len(ours.received) >= sent_by_chromium)
        await apoll(lambda: _count_at_least(pair, sent_by_us))
        await pair.bridge.settle()

        # Every message arrived once, in order, both ways.
        assert ours.received == [str(i) for i in range(sent_by_chromium)]
        assert await browser.call("received", pair.name) == [str(i) for i in range(sent_by_us)]
        # Chromium's own getStats puts its selected pair on region B's relay.
        assert change["pair"]["remote"]["type"] == "relay"
        selected = await apoll(lambda: _chromium_stats_on_region_b(pair))
        assert in_range(selected["remote"]["port"], REGION_B)
        # And so does ours.
        local = await selected_local(pair.pc)
        assert local["candidateType"] == "relay" and in_range(local["port"], REGION_B)
        assert pair.channel.readyState == "open"
        assert pair.pc.connectionState == "connected" and states == []
        assert (await browser.call("state", pair.name))["connectionState"] == "connected"
        assert pair.pc.signalingState == "stable"
    finally:
        await pair.close()


async def _count_at_least(pair: ChromiumPair, count: int) -> bool:
    return len(await pair.browser.call("received", pair.name)) >= count
