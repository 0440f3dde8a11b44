"""rtcpeer <-> rtcpeer connections on loopback: host candidates with either side
offering, relay-only through our TURN server over UDP, TCP and TLS, the events
and their payloads, getStats, and close() releasing every allocation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.support.peer_connections import (
    REGION_A,
    TIMEOUT,
    Link,
    close_settled,
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

from rtcpeer import OperationError, RTCPeerConnection
from rtcpeer.testing.pki import CertificateFiles


async def _exchange(near: Any, far: Any) -> None:
    got: asyncio.Queue[Any] = asyncio.Queue()
    back: asyncio.Queue[Any] = asyncio.Queue()
    far.on("message", got.put_nowait)
    near.on("message", back.put_nowait)
    near.send("ping")
    assert await asyncio.wait_for(got.get(), TIMEOUT) == "ping"
    far.send(b"pong")
    assert await asyncio.wait_for(back.get(), TIMEOUT) == b"pong"


@pytest.mark.parametrize("offering", ["first", "second"])
async def test_host_candidates_either_side_offers(offering: str) -> None:
    first, second = peer(), peer()
    offerer, answerer = (first, second) if offering == "first" else (second, first)
    link = Link()
    link.connect(first, second)
    events: dict[str, list[str]] = {}
    for name in ("iceconnectionstatechange", "connectionstatechange", "icegatheringstatechange"):
        attribute = {
            "iceconnectionstatechange": "iceConnectionState",
            "connectionstatechange": "connectionState",
            "icegatheringstatechange": "iceGatheringState",
        }[name]
        events[name] = []
        offerer.on(name, lambda n=name, a=attribute: events[n].append(getattr(offerer, a)))
    try:
        channel, far = await open_channels(offerer, answerer, link, protocol="text")
        assert far.label == "chat" and far.protocol == "text"
        await _exchange(channel, far)
        assert offerer.connectionState == answerer.connectionState == "connected"
        assert events["connectionstatechange"] == ["connecting", "connected"]
        assert events["icegatheringstatechange"] == ["gathering", "complete"]
        assert events["iceconnectionstatechange"][:2] == ["checking", "connected"]
        local = await selected_local(offerer)
        assert local["candidateType"] == "host"
        assert local["address"] in ("127.0.0.1", "::1")
        report = await offerer.getStats()
        (transport,) = report.of_type("transport")
        assert 0 <= report[transport["selectedCandidatePairId"]]["currentRoundTripTime"] < 1
        # The DTLS server (the offerer, answered with a=setup:active) uses odd stream ids.
        assert channel.id % 2 == 1
        # Trickled candidates are W3C JSON with mid, index and the ICE ufrag.
        sent: list[dict[str, Any] | None] = link.sent[id(offerer)]
        ufrag = offerer.localDescription.sdp.split("a=ice-ufrag:")[1].split()[0]  # type: ignore[union-attr]
        host = [c for c in sent if c is not None and c["candidate"]]
        assert host and all(c["sdpMid"] == "0" and c["sdpMLineIndex"] == 0 for c in host)
        assert all(c["usernameFragment"] == ufrag for c in host)
        assert sent[-2] == {"candidate": "", "sdpMid": "0", "sdpMLineIndex": 0,
                            "usernameFragment": ufrag}  # fmt: skip
        assert sent[-1] is None
        # localDescription carries the candidates gathered so far.
        assert offerer.localDescription is not None
        assert "a=end-of-candidates" in offerer.localDescription.sdp
        assert all(c["candidate"] in offerer.localDescription.sdp for c in host)
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
async def test_relay_only_through_our_turn_server(
    turn_certificates: CertificateFiles, transport: str
) -> None:
    region = await start_region(turn_certificates, REGION_A)
    config = relay_config(region, transport)
    a = peer(config, _cafile=turn_certificates.ca)
    b = peer(config, _cafile=turn_certificates.ca)
    link = Link()
    link.connect(a, b)
    events: list[Any] = []
    a.on("icecandidate", events.append)
    try:
        channel, far = await open_channels(a, b, link, protocol="text")
        await _exchange(channel, far)
        relayed = [e for e in events if e.candidate is not None and e.candidate.candidate]
        assert relayed and all(e.url == config["iceServers"][0]["urls"] for e in relayed)
        assert all(e.candidate.type == "relay" for e in relayed)
        assert all(e.candidate.relayProtocol == transport for e in relayed)
        for pc in (a, b):
            local = await selected_local(pc)
            assert in_region(local, REGION_A)
            assert local["relayProtocol"] == transport
            assert local["url"] == config["iceServers"][0]["urls"]
        candidates = [c for c in link.sent[id(a)] if c is not None and c["candidate"]]
        assert candidates and all(" typ relay " in str(c["candidate"]) for c in candidates)
        report = await a.getStats()
        (transport_stats,) = report.of_type("transport")
        assert transport_stats["dtlsState"] == "connected"
        assert transport_stats["iceState"] in ("connected", "completed")
        pair = report[transport_stats["selectedCandidatePairId"]]
        assert pair["state"] == "succeeded" and pair["nominated"] and pair["selected"]
        assert pair["bytesSent"] > 0 and pair["bytesReceived"] > 0
        # Measured on the checks, which went through TURN in Send/Data indications
        # (the channel is bound only once the pair is selected), on both sides.
        for pc in (a, b):
            rtt_report = await pc.getStats()
            (rtt_transport,) = rtt_report.of_type("transport")
            rtt_pair = rtt_report[rtt_transport["selectedCandidatePairId"]]
            assert 0 < rtt_pair["currentRoundTripTime"] < 1
            assert rtt_pair["responsesReceived"] >= 1 and rtt_pair["totalRoundTripTime"] > 0
        assert report[pair["remoteCandidateId"]]["type"] == "remote-candidate"
        (channel_stats,) = report.of_type("data-channel")
        assert channel_stats["label"] == "chat" and channel_stats["state"] == "open"
        assert (channel_stats["messagesSent"], channel_stats["messagesReceived"]) == (1, 1)
        assert (channel_stats["bytesSent"], channel_stats["bytesReceived"]) == (4, 4)
        assert region.relay_count == 2
    finally:
        await a.close()
        await b.close()
    # close() released both allocations, and nothing fires any more.
    await poll(lambda: region.relay_count == 0)
    await region.close()


async def test_candidate_error_for_a_wrong_password(turn_certificates: CertificateFiles) -> None:
    region = await start_region(turn_certificates, REGION_A)
    config = relay_config(region)
    config["iceServers"][0]["credential"] = "wrong"
    pc = peer(config)
    errors: asyncio.Queue[Any] = asyncio.Queue()
    pc.on("icecandidateerror", errors.put_nowait)
    try:
        pc.createDataChannel("x")
        await pc.setLocalDescription()
        error = await asyncio.wait_for(errors.get(), TIMEOUT)
        assert error.errorCode == 401
        assert error.url == config["iceServers"][0]["urls"]
        assert error.address == "127.0.0.1" and isinstance(error.port, int)
        assert error.errorText
    finally:
        await pc.close()
        await region.close()


async def test_add_ice_candidate_rules() -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    channel, _ = await open_channels(a, b, link, protocol="text")
    old_ufrag = b.remoteDescription.sdp.split("a=ice-ufrag:")[1].split()[0]  # type: ignore[union-attr]
    sample = next(c for c in link.sent[id(a)] if c is not None and c["candidate"])
    with pytest.raises(OperationError):
        await b.addIceCandidate({**sample, "usernameFragment": "nobody"})
    with pytest.raises(OperationError):
        await b.addIceCandidate({**sample, "sdpMid": "7"})
    with pytest.raises(TypeError):
        await b.addIceCandidate({"candidate": sample["candidate"]})
    await negotiate(a, b, ice_restart=True)
    await link.settle()
    # A late candidate of the previous generation is ignored, not an error.
    await b.addIceCandidate({**sample, "usernameFragment": old_ufrag})
    assert old_ufrag not in b.remoteDescription.sdp  # type: ignore[union-attr]
    await _exchange(channel, await _far_channel(b))
    await a.close()
    await b.close()


async def _far_channel(pc: RTCPeerConnection) -> Any:
    return pc._channels.channels[0]


async def test_close_fires_nothing_and_closes_channels() -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    channel, far = await open_channels(a, b, link, protocol="text")
    after_close: list[str] = []
    for name in ("connectionstatechange", "iceconnectionstatechange", "signalingstatechange",
                 "icecandidate", "negotiationneeded", "datachannel"):  # fmt: skip
        a.on(name, lambda *args, n=name: after_close.append(n))
    channel.on("close", lambda: after_close.append("channel close"))
    await a.close()
    assert a._transports is not None and a._transports.ice.sockets == {}
    assert channel.readyState == "closed"
    assert (a.signalingState, a.connectionState, a.iceConnectionState) == ("closed",) * 3
    # The far side sees the association end (SCTP abort) and its channel close.
    await until(far, "close", lambda: far.readyState == "closed")
    # a's shutdown reached b, b closed too, and every queued callback ran.
    await close_settled(a, b)
    assert after_close == []
    report = await a.getStats()
    (pc_stats,) = report.of_type("peer-connection")
    assert (pc_stats["dataChannelsOpened"], pc_stats["dataChannelsClosed"]) == (1, 1)
