"""An ICE ``failed`` state does not close DTLS, SCTP or the data channels: after
the TURN server dies, a restart onto another server brings the same session back."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.peer_connections import (
    REGION_A,
    REGION_B,
    TIMEOUT,
    Link,
    in_region,
    negotiate,
    open_channels,
    peer,
    poll,
    relay_config,
    selected_local,
    start_region,
    until,
)

from rtcpeer import RTCPeerConnection
from rtcpeer.ice import ConsentPolicy, IceAgentConfig
from rtcpeer.stun.transaction import RetransmissionPolicy
from rtcpeer.testing.pki import CertificateFiles

#: Consent lost within about a second, so that the test sees "failed" quickly.
QUICK_CONSENT = IceAgentConfig(
    retired_grace=0.3,
    consent=ConsentPolicy(
        interval=0.2,
        disconnected_after=0.3,
        timeout=1.0,
        retransmission=RetransmissionPolicy(rto=0.1, rc=4, rm=2),
    ),
)


async def test_failed_ice_keeps_dtls_and_channels_for_a_restart(
    turn_certificates: CertificateFiles,
) -> None:
    region_a = await start_region(turn_certificates, REGION_A)
    region_b = await start_region(turn_certificates, REGION_B)
    a = peer(relay_config(region_a), _ice_config=QUICK_CONSENT)
    b = peer(relay_config(region_a), _ice_config=QUICK_CONSENT)
    link = Link()
    link.connect(a, b)
    try:
        channel, far = await open_channels(a, b, link, "survivor")
        ssl_sessions = [pc._transports.dtls._ssl for pc in (a, b)]  # type: ignore[union-attr]
        states: list[str] = []
        a.on("connectionstatechange", lambda: states.append(a.connectionState))

        await region_a.close()  # the TURN server dies with both relays
        for pc in (a, b):

            def ice_failed(pc: RTCPeerConnection = pc) -> bool:
                return pc.iceConnectionState == "failed"

            await until(pc, "iceconnectionstatechange", ice_failed)
        assert a.connectionState == "failed"
        assert "disconnected" in states
        for pc in (a, b):
            assert pc._transports.dtls.state == "connected"  # type: ignore[union-attr]
        assert channel.readyState == far.readyState == "open"

        for pc in (a, b):
            pc.setConfiguration(relay_config(region_b))
        b.restartIce()
        await negotiate(b, a)
        for pc in (a, b):

            def connected(pc: RTCPeerConnection = pc) -> bool:
                return pc.connectionState == "connected"

            await until(pc, "connectionstatechange", connected)
        got: asyncio.Queue[Any] = asyncio.Queue()
        far.on("message", got.put_nowait)
        channel.send("still here")
        assert await asyncio.wait_for(got.get(), TIMEOUT) == "still here"
        await link.settle()
        for pc in (a, b):
            assert in_region(await selected_local(pc), REGION_B)
        assert [pc._transports.dtls._ssl for pc in (a, b)] == ssl_sessions  # type: ignore[union-attr]
        assert states[-1] == "connected"
    finally:
        await a.close()
        await b.close()
        await poll(lambda: region_b.relay_count == 0)
        await region_b.close()
