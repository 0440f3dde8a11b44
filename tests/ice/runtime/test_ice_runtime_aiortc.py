"""aiortc's DTLS, SCTP and a data channel over two real IceTransports.

Messages flow every 5 ms while ICE restarts underneath; every message
arrives, in order, and DTLS keeps its first handshake (the same SSL object
and no new handshake), because a restart is a new generation inside the
same transport, not a new transport.
"""

from __future__ import annotations

import asyncio

from aiortc import RTCDataChannel
from aiortc.rtcdtlstransport import RTCDtlsTransport
from tests.support.aiortc_stack import open_channel_over
from tests.support.ice_runtime import TIMEOUT, connect, transport, wait_for_event

from rtcpeer.configuration import RTCCertificate
from rtcpeer.ice.runtime import IceTransport

MESSAGES = 120


async def _channel_over(
    a: IceTransport, b: IceTransport
) -> tuple[list[RTCDtlsTransport], RTCDataChannel, RTCDataChannel]:
    certificates = RTCCertificate.generate("ECDSA"), RTCCertificate.generate("ECDSA")
    dtls, channel, incoming = await open_channel_over(a, b, certificates)
    remote = await asyncio.wait_for(incoming.get(), TIMEOUT)
    return dtls, channel, remote


async def test_data_channel_over_ice_transports_survives_an_ice_restart() -> None:
    a, b = transport(True), transport(False)
    dtls: list[RTCDtlsTransport] = []
    try:
        await connect(a, b)
        dtls, channel, remote = await _channel_over(a, b)
        handshakes = [d._ssl for d in dtls]
        received: list[str] = []
        done = asyncio.get_running_loop().create_future()

        def on_message(message: str | bytes) -> None:
            received.append(str(message))
            if len(received) == MESSAGES and not done.done():
                done.set_result(None)

        remote.on("message", on_message)
        first_pairs = a.selected_pair, b.selected_pair
        switched = [
            asyncio.ensure_future(
                wait_for_event(
                    t, "selectedcandidatepairchange", lambda p, t=t: p[0].ufrag == t.local_ufrag
                )
            )
            for t in (a, b)
        ]
        for index in range(MESSAGES):
            channel.send(f"m{index}")
            if index == MESSAGES // 3:  # restart mid-stream (offer/answer done at once)
                a.restart()
                b.set_remote_parameters(a.local_ufrag, a.local_pwd)
                a.set_remote_parameters(b.local_ufrag, b.local_pwd)
            await asyncio.sleep(0.005)
        await asyncio.wait_for(asyncio.gather(*switched), TIMEOUT)
        await asyncio.wait_for(done, TIMEOUT)

        assert received == [f"m{index}" for index in range(MESSAGES)]
        assert [d._ssl for d in dtls] == handshakes, "DTLS handshook again"
        assert all(d.state == "connected" for d in dtls)
        assert channel.readyState == remote.readyState == "open"
        assert a.selected_pair is not None and first_pairs[0] is not None
        assert a.selected_pair[0].ufrag != first_pairs[0][0].ufrag  # new generation's pair
        assert a.agent.generation.id == 1 and len(a.agent.generations) == 1
    finally:
        for d in dtls:
            await d.stop()
        await a.close()
        await b.close()
