"""MDN's RTCPeerConnection.setConfiguration() example, running for real.

MDN (https://developer.mozilla.org/en-US/docs/Web/API/RTCPeerConnection/setConfiguration)
moves a live connection to a new TURN server:

    const restartConfig = { iceServers: [{ urls: "turn:asia.myturnserver.net",
                                           username: "allie@oopcode.com",
                                           credential: "topsecretpassword" }] };
    myPeerConnection.setConfiguration(restartConfig);
    myPeerConnection.createOffer({ iceRestart: true })
      .then((offer) => myPeerConnection.setLocalDescription(offer))
      .then(() => { /* send the offer to the other peer using the signaling server */ })

This script starts two embedded TURN servers on loopback -- "region A" and
"region B", told apart by their relay port ranges -- connects two peers in
this process through region A, keeps a data channel busy with a message
every 5 ms, and then does exactly what MDN does. Signalling is a direct
function call here (JSON dictionaries, as a signalling server would carry).

Unlike MDN's snippet, both configurations say ``iceTransportPolicy: "relay"``:
the two peers share a host, so without it they would simply talk directly
and no TURN server would be visible. setConfiguration() replaces the whole
configuration, so the restart configuration repeats the policy.

Run: ``python examples/mdn_set_configuration.py``. Exit status 0 means the
session moved to region B with every message delivered once, in order.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from rtcpeer import RTCPeerConnection
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer

USERNAME = "allie@oopcode.com"
CREDENTIAL = "topsecretpassword"
REGIONS = {"A": (56200, 56299), "B": (56300, 56399)}
TIMEOUT = 15.0


async def start_region(name: str) -> TurnServer:
    low, high = REGIONS[name]
    server = TurnServer(
        TurnServerConfig(
            realm="example.test", users={USERNAME: CREDENTIAL}, allow_loopback_peers=True
        ),
        ListenSettings(host="127.0.0.1", port=0, tls_port=None, min_port=low, max_port=high),
    )
    await server.start()
    host, port = server.addresses["udp"]
    print(f"region {name}: TURN server on {host}:{port}, relaying on ports {low}-{high}")
    return server


def config_for(server: TurnServer) -> dict[str, Any]:
    host, port = server.addresses["udp"]
    return {
        "iceServers": [
            {"urls": f"turn:{host}:{port}", "username": USERNAME, "credential": CREDENTIAL}
        ],
        "iceTransportPolicy": "relay",
    }


def region_of(port: int) -> str:
    return next((name for name, (low, high) in REGIONS.items() if low <= port <= high), "?")


async def relay_region(pc: RTCPeerConnection) -> str:
    """Which region the selected pair's local (relay) candidate is on, per getStats()."""
    report = await pc.getStats()
    (transport,) = report.of_type("transport")
    pair = report[transport["selectedCandidatePairId"]]
    local = report[pair["localCandidateId"]]
    return f"region {region_of(local['port'])} ({local['address']}:{local['port']})"


def signal_candidates(source: RTCPeerConnection, target: RTCPeerConnection) -> None:
    """Trickle ICE: each candidate goes to the other peer as JSON."""

    pending: set[asyncio.Future[None]] = set()

    @source.on("icecandidate")
    def on_candidate(event: Any) -> None:
        init = None if event.candidate is None else event.candidate.toJSON()
        task = asyncio.ensure_future(target.addIceCandidate(init))
        pending.add(task)
        task.add_done_callback(pending.discard)


async def exchange(offerer: RTCPeerConnection, answerer: RTCPeerConnection) -> None:
    """The signalling server's job: offer over, answer back."""
    offer = offerer.localDescription
    assert offer is not None
    await answerer.setRemoteDescription(offer.toJSON())
    await answerer.setLocalDescription()
    answer = answerer.localDescription
    assert answer is not None
    await offerer.setRemoteDescription(answer.toJSON())


async def wait_for(predicate: Any, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def main() -> int:
    region_a = await start_region("A")
    region_b = await start_region("B")
    caller = RTCPeerConnection(config_for(region_a))
    callee = RTCPeerConnection(config_for(region_a))
    signal_candidates(caller, callee)
    signal_candidates(callee, caller)
    received: list[str] = []
    try:
        channel = caller.createDataChannel("chat")
        callee.on("datachannel", lambda event: event.channel.on("message", received.append))
        await caller.setLocalDescription(await caller.createOffer())
        await exchange(caller, callee)
        await wait_for(lambda: channel.readyState == "open", "the data channel")
        print(f"connected: caller relays through {await relay_region(caller)}")
        print(f"           callee relays through {await relay_region(callee)}")

        sent = 0
        stop = asyncio.Event()

        async def stream() -> None:
            nonlocal sent
            while not stop.is_set():
                channel.send(f"message {sent}")
                sent += 1
                await asyncio.sleep(0.005)

        streaming = asyncio.ensure_future(stream())
        await wait_for(lambda: sent >= 40, "some traffic")
        ssl_before = caller._transports.dtls._ssl if caller._transports else None

        # --- MDN's example, in Python -------------------------------------------
        restart_config = config_for(region_b)
        print(f"setConfiguration: iceServers -> {restart_config['iceServers'][0]['urls']}")
        for pc in (caller, callee):  # both move: relay-only through region B
            pc.setConfiguration(restart_config)
        offer = await caller.createOffer(iceRestart=True)
        await caller.setLocalDescription(offer)
        print("createOffer(iceRestart=True) + setLocalDescription: offer with new ICE credentials")
        await exchange(caller, callee)  # "send the offer to the other peer"
        # ------------------------------------------------------------------------

        async def on_region_b(pc: RTCPeerConnection) -> bool:
            return (await relay_region(pc)).startswith("region B")

        deadline = time.monotonic() + TIMEOUT
        while not (await on_region_b(caller) and await on_region_b(callee)):
            if time.monotonic() > deadline:
                raise TimeoutError("the restart did not reach region B")
            await asyncio.sleep(0.01)
        print(f"after the restart: caller relays through {await relay_region(caller)}")
        print(f"                   callee relays through {await relay_region(callee)}")
        switched_at = sent
        await wait_for(lambda: sent >= switched_at + 40, "traffic over region B")
        stop.set()
        await streaming
        await wait_for(lambda: len(received) == sent, "every message")
        in_order = received == [f"message {i}" for i in range(sent)]
        same_dtls = caller._transports is not None and caller._transports.dtls._ssl is ssl_before
        print(f"{sent} messages sent every 5 ms, {len(received)} received, in order: {in_order}")
        print(f"same DTLS session (no new handshake): {same_dtls}; channel {channel.readyState}")
        await wait_for(lambda: region_a.relay_count == 0, "region A's allocations to go")
        print("region A released its allocations once the old ICE generation retired")
        return 0 if in_order and same_dtls else 1
    finally:
        await caller.close()
        await callee.close()
        await region_a.close()
        await region_b.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
