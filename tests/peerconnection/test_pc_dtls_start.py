"""When DTLS starts: the server as soon as the answer fixes the roles, the client
once ICE is connected.

A DTLS server only answers, so it can wait from the start; then the client's
first flight is taken the moment it arrives instead of waiting in the queue
until the server's own ICE side has finished nominating (one round trip more
for the controlling offerer).
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.peer_connections import TIMEOUT, Link, negotiate, opened, peer

from rtcpeer import RTCPeerConnection


def _record_ice_state_at_dtls_states(pc: RTCPeerConnection, log: list[tuple[str, str]]) -> None:
    stack = pc._transports
    assert stack is not None
    stack.dtls.on("statechange", lambda: log.append((stack.dtls_state, pc.iceConnectionState)))


async def test_dtls_server_starts_before_its_ice_connects_client_after() -> None:
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
        await negotiate(offerer, answerer)
        _record_ice_state_at_dtls_states(answerer, client_log)
        assert offerer._transports is not None and answerer._transports is not None
        assert offerer._transports.dtls_role == "server"
        assert answerer._transports.dtls_role == "client"
        await opened(channel)
        await opened(await asyncio.wait_for(far, TIMEOUT))
        # The server was already handshaking while its ICE was still checking.
        assert server_log[0][0] == "connecting"
        assert server_log[0][1] in ("new", "checking"), server_log
        # The client sent its first flight only over a connected ICE transport.
        assert client_log[0][0] == "connecting"
        assert client_log[0][1] in ("connected", "completed"), client_log
        assert offerer.connectionState == answerer.connectionState == "connected"
        await link.settle()
    finally:
        await offerer.close()
        await answerer.close()
