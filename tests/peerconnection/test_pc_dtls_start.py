"""When DTLS starts: both ends as soon as the answer fixes the roles.

A DTLS server only answers, so it can wait from the start; then the client's
first flight is taken the moment it arrives instead of waiting in the queue
until the server's own ICE side has finished nominating (one round trip more
for the controlling offerer). The client's first flight is held by ICE until
a candidate pair is valid and leaves on that pair at once (RFC 8445 §12.1:
data may go on any valid pair before selection), as libwebrtc starts DTLS
once its ICE transport is writable: the handshake no longer waits for the
nomination round trip.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.peer_connections import TIMEOUT, Link, opened, peer

from rtcpeer import RTCPeerConnection


def _record_ice_state_at_dtls_states(pc: RTCPeerConnection, log: list[tuple[str, str]]) -> None:
    stack = pc._transports
    assert stack is not None
    stack.dtls.on("statechange", lambda: log.append((stack.dtls_state, pc.iceConnectionState)))


async def test_dtls_starts_before_ice_connects_at_both_ends() -> None:
    offerer, answerer = peer(), peer()
    link = Link()
    link.connect(offerer, answerer)
    server_log: list[tuple[str, str]] = []
    client_log: list[tuple[str, str]] = []
    try:
        channel = offerer.createDataChannel("chat")
        far: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def arrived(event: Any) -> None:
            if not far.done():
                far.set_result(event.channel)

        answerer.on("datachannel", arrived)
        _record_ice_state_at_dtls_states(offerer, server_log)
        offer = await offerer.createOffer()
        await offerer.setLocalDescription(offer)
        await answerer.setRemoteDescription(offer.toJSON())
        _record_ice_state_at_dtls_states(answerer, client_log)
        await answerer.setLocalDescription()
        assert answerer.localDescription is not None
        await offerer.setRemoteDescription(answerer.localDescription.toJSON())
        assert offerer._transports is not None and answerer._transports is not None
        assert offerer._transports.dtls_role == "server"
        assert answerer._transports.dtls_role == "client"
        await opened(channel)
        await opened(await asyncio.wait_for(far, TIMEOUT))
        # The server was already handshaking while its ICE was still checking.
        assert server_log[0][0] == "connecting"
        assert server_log[0][1] in ("new", "checking"), server_log
        # The client started before its ICE transport was connected: its
        # first flight waited for a valid pair, not for the nomination.
        assert client_log[0][0] == "connecting"
        assert client_log[0][1] in ("new", "checking"), client_log
        counters = answerer._transports.ice.agent.send_counters
        assert counters.held_then_sent + counters.sent_before_selection >= 1, counters
        assert counters.dropped == 0, counters
        assert offerer.connectionState == answerer.connectionState == "connected"
        await link.settle()
    finally:
        await offerer.close()
        await answerer.close()
