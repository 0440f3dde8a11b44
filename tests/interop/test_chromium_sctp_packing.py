"""rtcpeer -> Chromium: a backlog of small data-channel messages leaves rtcpeer
packed several DATA chunks to an SCTP packet (RFC 9260 §6.10), and Chromium's
SCTP (dcSCTP) takes every one, in order."""

from __future__ import annotations

from typing import Any

import pytest
from aiortc.rtcsctptransport import DataChunk, parse_packet
from tests.support.chromium import BrowserPage
from tests.support.chromium_session import connect
from tests.support.interop import apoll

pytestmark = [pytest.mark.interop, pytest.mark.asyncio(loop_scope="module")]
MESSAGES = 1000


async def test_chromium_takes_packed_data_chunks(browser: BrowserPage) -> None:
    pair = await connect(browser, "rtcpeer")
    try:
        stack = pair.pc._transports
        assert stack is not None
        per_packet: list[int] = []
        original = stack.dtls.send_burst  # every SCTP packet goes to DTLS through it

        def recording(packets: list[bytes]) -> None:
            for data in packets:
                chunks = parse_packet(data)[3]
                per_packet.append(sum(type(chunk) is DataChunk for chunk in chunks))
            original(packets)

        stack.dtls.send_burst = recording  # type: ignore[method-assign]
        messages = [f"{index:04d}" + "x" * 96 for index in range(MESSAGES)]
        for message in messages:  # faster than the window lets them out
            pair.channel.send(message)

        async def all_in() -> Any:
            got = await browser.call("received", pair.name)
            return got if len(got) >= MESSAGES else None

        assert await apoll(all_in) == messages
        with_data = [count for count in per_packet if count]
        assert sum(with_data) == MESSAGES  # nothing was retransmitted
        assert len(with_data) <= MESSAGES // 2, with_data  # aiortc alone: one per message
    finally:
        await pair.close()
