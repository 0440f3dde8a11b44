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
from collections.abc import Callable
from typing import Any

from pyee import EventEmitter

from rtcpeer import ListenSettings, RTCPeerConnection, TurnServer, TurnServerConfig

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


def relay_region(pc: RTCPeerConnection) -> str:
    """Which region the selected pair's local (relay) candidate is on."""
    sctp = pc.sctp
    pair = None if sctp is None else sctp.transport.iceTransport.getSelectedCandidatePair()
    if pair is None:
        return "no selected pair"
    local = pair.local
    return f"region {region_of(local.port or 0)} ({local.address}:{local.port})"


async def until(emitter: Any, event: str, predicate: Callable[[], bool], what: str) -> None:
    """Wait for ``predicate()`` to hold, checked again on each ``event`` of ``emitter``."""
    done = asyncio.get_running_loop().create_future()

    def check(*_: Any) -> None:
        if not done.done() and predicate():
            done.set_result(None)

    emitter.on(event, check)
    check()
    try:
        await asyncio.wait_for(done, TIMEOUT)
    except TimeoutError:
        raise TimeoutError(f"timed out waiting for {what}") from None
    finally:
        emitter.remove_listener(event, check)


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


class Stream:
    """A message every 5 ms on ``channel``; ``received`` collects the far end's copies."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel
        self.sent = 0
        self.received: list[str] = []
        self.news = EventEmitter()  # "progress" on every message sent or received
        self._stop = asyncio.Event()
        self._task = asyncio.ensure_future(self._run())

    def on_message(self, message: str) -> None:
        self.received.append(message)
        self.news.emit("progress")

    async def _run(self) -> None:
        while not self._stop.is_set():
            self.channel.send(f"message {self.sent}")
            self.sent += 1
            self.news.emit("progress")
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        self._stop.set()
        await self._task


async def main() -> int:
    region_a = await start_region("A")
    region_b = await start_region("B")
    caller = RTCPeerConnection(config_for(region_a))
    callee = RTCPeerConnection(config_for(region_a))
    signal_candidates(caller, callee)
    signal_candidates(callee, caller)
    try:
        channel = caller.createDataChannel("chat")
        remote: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        callee.on("datachannel", lambda event: remote.set_result(event.channel))
        await caller.setLocalDescription(await caller.createOffer())
        await exchange(caller, callee)
        await until(channel, "open", lambda: channel.readyState == "open", "the data channel")
        far = await asyncio.wait_for(remote, TIMEOUT)
        print(f"connected: caller relays through {relay_region(caller)}")
        print(f"           callee relays through {relay_region(callee)}")

        stream = Stream(channel)
        far.on("message", stream.on_message)
        await until(stream.news, "progress", lambda: stream.sent >= 40, "some traffic")
        assert caller.sctp is not None
        dtls = caller.sctp.transport  # the one RTCDtlsTransport, for the connection's life
        certificates = dtls.getRemoteCertificates()
        dtls_changes: list[str] = []
        dtls.on("statechange", lambda: dtls_changes.append(dtls.state))

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

        for pc in (caller, callee):
            assert pc.sctp is not None
            ice = pc.sctp.transport.iceTransport

            def on_region_b(pc: RTCPeerConnection = pc) -> bool:
                return relay_region(pc).startswith("region B")

            await until(ice, "selectedcandidatepairchange", on_region_b, "region B")
        print(f"after the restart: caller relays through {relay_region(caller)}")
        print(f"                   callee relays through {relay_region(callee)}")
        switched_at = stream.sent
        await until(
            stream.news, "progress", lambda: stream.sent >= switched_at + 40, "traffic over B"
        )
        await stream.stop()
        await until(
            stream.news, "progress", lambda: len(stream.received) == stream.sent, "every message"
        )
        in_order = stream.received == [f"message {i}" for i in range(stream.sent)]
        same_dtls = (
            caller.sctp.transport is dtls
            and dtls.state == "connected"
            and dtls_changes == []
            and dtls.getRemoteCertificates() == certificates
        )
        print(
            f"{stream.sent} messages sent every 5 ms, {len(stream.received)} received, "
            f"in order: {in_order}"
        )
        print(f"same DTLS session (no new handshake): {same_dtls}; channel {channel.readyState}")
        # The TURN server has no event for this: look every 10 ms, for a bounded time.
        for _ in range(int(TIMEOUT / 0.01)):
            if region_a.relay_count == 0:
                break
            await asyncio.sleep(0.01)
        if region_a.relay_count == 0:
            print("region A released its allocations once the old ICE generation retired")
        return 0 if in_order and same_dtls and region_a.relay_count == 0 else 1
    finally:
        await caller.close()
        await callee.close()
        await region_a.close()
        await region_b.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
