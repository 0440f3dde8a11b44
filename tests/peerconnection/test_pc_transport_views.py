"""The W3C transport chain: pc.sctp -> RTCSctpTransport -> RTCDtlsTransport ->
RTCIceTransport. States follow the connection, the selected pair matches
getStats, the objects outlive an ICE restart (which fires
selectedcandidatepairchange), a bad fingerprint is an ``error`` event, and
close() leaves every state "closed" without an event."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from tests.support.peer_connections import (
    REGION_A,
    REGION_B,
    TIMEOUT,
    Link,
    close_settled,
    in_region,
    negotiate,
    opened,
    peer,
    poll,
    relay_config,
    start_region,
    until,
)

from rtcpeer import (
    RTCDtlsTransport,
    RTCErrorEvent,
    RTCIceTransport,
    RTCPeerConnection,
    RTCSctpTransport,
)
from rtcpeer.testing.pki import CertificateFiles


def _attribute(sdp: str, name: str) -> str:
    prefix = f"a={name}:"
    return next(line[len(prefix) :] for line in sdp.splitlines() if line.startswith(prefix))


def _chain(pc: RTCPeerConnection) -> tuple[RTCSctpTransport, RTCDtlsTransport, RTCIceTransport]:
    sctp = pc.sctp
    assert sctp is not None
    return sctp, sctp.transport, sctp.transport.iceTransport


def _record(emitter: Any, events: list[str], *names: str) -> None:
    for name in names:
        emitter.on(name, lambda *_, name=name: events.append(f"{name}:{_state(emitter, name)}"))


def _state(emitter: Any, name: str) -> str:
    if name == "gatheringstatechange":
        return str(emitter.gatheringState)
    if name == "selectedcandidatepairchange":
        return "pair"
    return str(emitter.state)


async def _selected_in_stats(pc: RTCPeerConnection) -> tuple[tuple[str, int], tuple[str, int]]:
    report = await pc.getStats()
    (transport,) = report.of_type("transport")
    pair = report[transport["selectedCandidatePairId"]]
    local, remote = report[pair["localCandidateId"]], report[pair["remoteCandidateId"]]
    return (local["address"], local["port"]), (remote["address"], remote["port"])


async def test_the_chain_describes_the_session_and_its_states() -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    remote: asyncio.Queue[Any] = asyncio.Queue()
    b.on("datachannel", lambda event: remote.put_nowait(event.channel))
    events: list[str] = []
    try:
        channel = a.createDataChannel("chat")
        assert a.sctp is None  # nothing negotiated yet
        offer = await a.createOffer()
        await a.setLocalDescription(offer)
        assert a.sctp is None
        await b.setRemoteDescription(offer.toJSON())
        await b.setLocalDescription()
        assert b.localDescription is not None
        await a.setRemoteDescription(b.localDescription.toJSON())
        sctp, dtls, ice = _chain(a)
        _record(sctp, events, "statechange")
        _record(dtls, events, "statechange", "error")
        _record(ice, events, "statechange", "selectedcandidatepairchange")
        assert a.sctp is sctp and sctp.transport is dtls and dtls.iceTransport is ice
        assert sctp.state == "connecting" and sctp.maxChannels is None
        await opened(channel)
        await asyncio.wait_for(remote.get(), TIMEOUT)
        await link.settle()

        assert (sctp.state, dtls.state) == ("connected", "connected")
        assert "statechange:connected" in [e for e in events if e.startswith("statechange")]
        assert events.count("statechange:connected") >= 2  # DTLS, then SCTP
        assert ice.state in ("connected", "completed") and ice.gatheringState == "complete"
        assert (ice.role, ice.component) == ("controlling", "rtp")
        assert _chain(b)[2].role == "controlled"
        assert sctp.maxMessageSize == 262144  # what b's answer offers (a=max-message-size)
        assert isinstance(sctp.maxChannels, int) and sctp.maxChannels > 0

        assert a.localDescription is not None and b.localDescription is not None
        ours, theirs = a.localDescription.sdp, b.localDescription.sdp
        local = ice.getLocalParameters()
        assert (local.usernameFragment, local.password) == (
            _attribute(ours, "ice-ufrag"),
            _attribute(ours, "ice-pwd"),
        )
        far = ice.getRemoteParameters()
        assert far is not None
        assert far.usernameFragment == _attribute(theirs, "ice-ufrag")
        gathered = ice.getLocalCandidates()
        assert gathered and all(c.candidate in ours for c in gathered)
        assert all(c.sdpMid == "0" for c in gathered)
        assert all(c.usernameFragment == local.usernameFragment for c in gathered)
        signalled = ice.getRemoteCandidates()
        assert signalled and all(c.usernameFragment == far.usernameFragment for c in signalled)
        theirs_gathered = {c.candidate for c in _chain(b)[2].getLocalCandidates()}
        assert {c.candidate for c in signalled} <= theirs_gathered

        pair = ice.getSelectedCandidatePair()
        assert pair is not None and ice.getSelectedCandidatePair() is pair  # [SameObject]
        assert ((pair.local.address, pair.local.port), (pair.remote.address, pair.remote.port)) == (
            await _selected_in_stats(a)
        )

        # The peer's certificate is the one its answer's fingerprint names.
        (certificate,) = dtls.getRemoteCertificates()
        algorithm, value = _attribute(theirs, "fingerprint").split()
        assert algorithm == "sha-256"
        assert hashlib.sha256(certificate).hexdigest() == value.replace(":", "").lower()

        await a.close()
        before = list(events)
        assert (sctp.state, dtls.state, ice.state) == ("closed", "closed", "closed")
        # a's shutdown reached b, b closed too, and every queued callback ran.
        await close_settled(a, b)
        assert events == before  # nothing fires after close()
    finally:
        await a.close()
        await b.close()


async def test_the_objects_outlive_a_restart_that_moves_the_pair(
    turn_certificates: CertificateFiles,
) -> None:
    region_a = await start_region(turn_certificates, REGION_A)
    region_b = await start_region(turn_certificates, REGION_B)
    a, b = peer(relay_config(region_a)), peer(relay_config(region_a))
    link = Link()
    link.connect(a, b)
    try:
        channel = a.createDataChannel("stream")
        await negotiate(a, b)
        await opened(channel)
        sctp, dtls, ice = _chain(a)
        before = ice.getSelectedCandidatePair()
        assert before is not None and in_region(
            {"candidateType": before.local.type, "port": before.local.port}, REGION_A
        )
        old_ufrag = ice.getLocalParameters().usernameFragment
        changes: list[str] = []
        _record(ice, changes, "selectedcandidatepairchange", "gatheringstatechange")

        for pc in (a, b):
            pc.setConfiguration(relay_config(region_b))
        await negotiate(a, b, ice_restart=True)

        def on_b() -> bool:
            pair = ice.getSelectedCandidatePair()
            return pair is not None and REGION_B[0] <= (pair.local.port or 0) <= REGION_B[1]

        await until(ice, "selectedcandidatepairchange", on_b)
        assert changes[-1] == "selectedcandidatepairchange:pair"
        # The restart gathered afresh, from region B: the same transport reports it.
        gathering = [c for c in changes if c.startswith("gathering")]
        assert gathering[:2] == ["gatheringstatechange:gathering", "gatheringstatechange:complete"]
        assert a.sctp is sctp and sctp.transport is dtls and dtls.iceTransport is ice
        assert ice.getLocalParameters().usernameFragment != old_ufrag
        pair = ice.getSelectedCandidatePair()
        assert pair is not None and pair is not before
        assert ((pair.local.address, pair.local.port), (pair.remote.address, pair.remote.port)) == (
            await _selected_in_stats(a)
        )
        assert (sctp.state, dtls.state) == ("connected", "connected")
        await link.settle()
    finally:
        await a.close()
        await b.close()
        await poll(lambda: region_a.relay_count == 0 and region_b.relay_count == 0)
        await region_a.close()
        await region_b.close()


async def test_a_wrong_fingerprint_is_an_error_event_then_failed() -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        a.createDataChannel("x")
        offer = await a.createOffer()
        await a.setLocalDescription(offer)
        await b.setRemoteDescription(offer.toJSON())
        await b.setLocalDescription()
        assert b.localDescription is not None
        answer = b.localDescription.sdp
        value = _attribute(answer, "fingerprint").split()[1]
        wrong = ":".join(["00"] * len(value.split(":")))
        await a.setRemoteDescription({"type": "answer", "sdp": answer.replace(value, wrong)})
        _, dtls, _ = _chain(a)
        seen: list[Any] = []
        dtls.on("error", lambda event: seen.append(event))
        dtls.on("statechange", lambda: seen.append(dtls.state))
        await until(dtls, "statechange", lambda: dtls.state == "failed")
        (error, state) = seen[-2:]
        assert isinstance(error, RTCErrorEvent) and state == "failed"
        assert error.error.errorDetail == "fingerprint-failure"
        assert error.error.name == "OperationError"
        await until(a, "connectionstatechange", lambda: a.connectionState == "failed")
    finally:
        await a.close()
        await b.close()
