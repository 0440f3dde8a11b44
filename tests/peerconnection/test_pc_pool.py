"""iceCandidatePoolSize: the pool gathers before setLocalDescription, follows
setConfiguration's new servers at once, and feeds the first offer."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.peer_connections import (
    REGION_A,
    REGION_B,
    TIMEOUT,
    peer,
    poll,
    relay_config,
    start_region,
)

from rtcpeer.testing.pki import CertificateFiles


def _pooled(server: Any) -> dict[str, Any]:
    return {**relay_config(server), "iceCandidatePoolSize": 1}


async def test_pool_follows_new_servers_and_feeds_the_first_offer(
    turn_certificates: CertificateFiles,
) -> None:
    region_a = await start_region(turn_certificates, REGION_A)
    region_b = await start_region(turn_certificates, REGION_B)
    pc = peer(_pooled(region_a))
    try:
        await poll(lambda: region_a.relay_count == 1)  # pooled before any offer
        pc.setConfiguration(_pooled(region_b))  # new servers: the pool is gathered again
        await poll(lambda: region_a.relay_count == 0 and region_b.relay_count == 1)
        candidates: asyncio.Queue[Any] = asyncio.Queue()
        pc.on("icecandidate", lambda event: candidates.put_nowait(event.candidate))
        pc.createDataChannel("x")
        await pc.setLocalDescription()
        first = await asyncio.wait_for(candidates.get(), TIMEOUT)
        assert first is not None and first.type == "relay"
        assert REGION_B[0] <= first.port <= REGION_B[1]
        assert region_b.relay_count == 1  # the pooled allocation, not a new one
    finally:
        await pc.close()
        await poll(lambda: region_a.relay_count == 0 and region_b.relay_count == 0)
        await region_a.close()
        await region_b.close()
