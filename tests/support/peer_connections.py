"""Helpers for rtcpeer <-> rtcpeer tests: signalling, waiting, TURN "regions"."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.waiting import TIMEOUT as TIMEOUT
from tests.support.waiting import opened as opened
from tests.support.waiting import poll as poll
from tests.support.waiting import queued_callbacks_ran
from tests.support.waiting import until as until

from rtcpeer import RTCPeerConnection
from rtcpeer.ice import IceAgentConfig
from rtcpeer.testing.pki import CertificateFiles
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer

USER = "user"
PASSWORD = "pass"
#: Relay port ranges: the port of a relay candidate tells which region it is on.
REGION_A = (55200, 55299)
REGION_B = (55300, 55399)
_SCHEMES = {
    "udp": "turn:{}?transport=udp",
    "tcp": "turn:{}?transport=tcp",
    "tls": "turns:{}?transport=tcp",
}


#: A retired ICE generation keeps delivering for this long (5 s by default).
FAST_ICE = IceAgentConfig(retired_grace=0.3)


def peer(configuration: dict[str, Any] | None = None, **kwargs: Any) -> RTCPeerConnection:
    """A peer connection that offers loopback host candidates (this machine has only lo)."""
    kwargs.setdefault("_ice_config", FAST_ICE)
    return RTCPeerConnection(configuration, _include_loopback=True, **kwargs)


@dataclass
class Link:
    """Trickles each side's candidates to the other, in order, and records failures."""

    errors: list[BaseException] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    sent: dict[int, list[dict[str, object] | None]] = field(default_factory=dict)

    def connect(self, a: RTCPeerConnection, b: RTCPeerConnection) -> None:
        self._forward(a, b)
        self._forward(b, a)

    def _forward(self, source: RTCPeerConnection, target: RTCPeerConnection) -> None:
        sent = self.sent.setdefault(id(source), [])

        @source.on("icecandidate")
        def on_candidate(event: Any) -> None:
            init = None if event.candidate is None else event.candidate.toJSON()
            sent.append(init)
            self.tasks.append(asyncio.ensure_future(self._add(target, init)))

    async def _add(self, target: RTCPeerConnection, init: dict[str, object] | None) -> None:
        if target.signalingState == "closed":
            return
        try:
            await target.addIceCandidate(init)
        except Exception as error:  # recorded and asserted on by the tests
            self.errors.append(error)

    async def settle(self) -> None:
        """Every forwarded candidate was added; none failed."""
        if self.tasks:
            await asyncio.wait_for(asyncio.gather(*self.tasks), TIMEOUT)
        assert not self.errors, self.errors


async def negotiate(
    offerer: RTCPeerConnection, answerer: RTCPeerConnection, *, ice_restart: bool = False
) -> None:
    """One offer/answer exchange, signalled as JSON (as a browser app would)."""
    offer = await offerer.createOffer(iceRestart=ice_restart)
    await offerer.setLocalDescription(offer)
    await answerer.setRemoteDescription(offer.toJSON())
    await answerer.setLocalDescription()
    answer = answerer.localDescription
    assert answer is not None
    await offerer.setRemoteDescription(answer.toJSON())


async def open_channels(
    offerer: RTCPeerConnection,
    answerer: RTCPeerConnection,
    link: Link,
    label: str = "chat",
    **options: Any,
) -> tuple[Any, Any]:
    """A data channel from ``offerer``, negotiated and open at both ends; (near, far)."""
    channel = offerer.createDataChannel(label, **options)
    remote: asyncio.Queue[Any] = asyncio.Queue()
    answerer.on("datachannel", lambda event: remote.put_nowait(event.channel))
    await negotiate(offerer, answerer)
    await opened(channel)
    far = await asyncio.wait_for(remote.get(), TIMEOUT)
    await link.settle()
    return channel, far


async def _no_operation() -> None:
    return None


async def negotiation_needed_settled(pc: RTCPeerConnection) -> None:
    """Every negotiationneeded that ``pc``'s present state calls for has fired.

    RTCPeerConnection queues the event with ``loop.call_soon`` from
    ``_update_negotiation_needed``, which runs on each change made while the
    operations chain is empty and again whenever the chain empties; the
    ``_negotiation_needed`` flag keeps it to one event until negotiated. So
    run one operation (a no-op) through the chain: its end re-checks and
    queues the event if needed (an event queued earlier that finds the chain
    busy is dropped and queued again at that end). Then wait for a sentinel
    queued after that check: first in, first out, so the event has been
    emitted by then if it is going to be. Callers assert the flag as well:
    False means nothing is pending and no later check would fire either.
    """
    await pc._chain.run(_no_operation)
    await queued_callbacks_ran()


async def close_settled(closed: RTCPeerConnection, far: RTCPeerConnection) -> None:
    """Everything that could make ``closed`` emit after its close() has happened.

    ``closed`` sends an SCTP ABORT and then a DTLS close_notify while closing,
    before it releases its ICE sockets; ``far``'s DTLS transport goes
    "closed" on that close_notify, so once it has, ``closed``'s shutdown ran
    to its end and the loop has gone round with its traffic. Then ``far``
    closes as well, sending its own ABORT and close_notify towards
    ``closed`` (which would reach it were a socket of it still open); after
    that nothing is left that could send to ``closed``. Last, every callback
    queued so far runs (see ``queued_callbacks_ran``).
    """
    sctp = far.sctp
    assert sctp is not None
    dtls = sctp.transport
    await until(dtls, "statechange", lambda: dtls.state == "closed")
    await far.close()
    await queued_callbacks_ran()


async def start_region(certificates: CertificateFiles, relay_ports: tuple[int, int]) -> TurnServer:
    """Our embedded TURN server on free loopback ports, relaying in ``relay_ports``."""
    server = TurnServer(
        TurnServerConfig(realm="example.test", users={USER: PASSWORD}, allow_loopback_peers=True),
        ListenSettings(
            host="127.0.0.1",
            port=0,
            tls_port=0,
            cert=Path(certificates.cert),
            key=Path(certificates.key),
            min_port=relay_ports[0],
            max_port=relay_ports[1],
            dtls=False,
        ),
    )
    await server.start()
    return server


def relay_config(server: TurnServer, transport: str = "udp") -> dict[str, Any]:
    """A relay-only configuration using one listener of ``server``."""
    listener = "tcp" if transport == "tcp" else transport
    host, port = server.addresses[listener]
    url = _SCHEMES[transport].format(f"{host}:{port}")
    return {
        "iceServers": [{"urls": url, "username": USER, "credential": PASSWORD}],
        "iceTransportPolicy": "relay",
    }


async def selected_local(pc: RTCPeerConnection) -> dict[str, Any]:
    """The local-candidate stats entry of the selected pair (via getStats)."""
    report = await pc.getStats()
    (transport,) = report.of_type("transport")
    pair = report[transport["selectedCandidatePairId"]]
    return report[pair["localCandidateId"]]


def in_region(candidate: dict[str, Any], region: tuple[int, int]) -> bool:
    return bool(
        candidate["candidateType"] == "relay" and region[0] <= candidate["port"] <= region[1]
    )
