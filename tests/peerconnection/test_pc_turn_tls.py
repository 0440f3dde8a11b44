"""turns: servers trusted through RTCPeerConnection(turn_tls=TurnTls(...)), and
ICE that fails at once when every TURN server refused us (no local candidate)."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import pytest
from cryptography import x509
from tests.support.peer_connections import (
    REGION_A,
    Link,
    in_region,
    negotiate,
    open_channels,
    peer,
    relay_config,
    selected_local,
    start_region,
    until,
)

from rtcpeer import RTCPeerConnection, TurnTls, spki_pin
from rtcpeer.testing.pki import CertificateFiles

#: Far below the 39.5 s that RFC 8863's patience timer would take.
AT_ONCE = 5.0


def _pin(files: CertificateFiles) -> str:
    return spki_pin(x509.load_pem_x509_certificate(files.cert.read_bytes()))


@pytest.mark.parametrize("how", ["pin", "cafile", "context"])
async def test_turns_trusted_through_turn_tls(
    turn_certificates: CertificateFiles, how: str
) -> None:
    trust = {
        "pin": TurnTls(spki_pins=(_pin(turn_certificates),)),
        "cafile": TurnTls(cafile=turn_certificates.ca),
        "context": TurnTls(context=ssl.create_default_context(cafile=str(turn_certificates.ca))),
    }[how]
    region = await start_region(turn_certificates, REGION_A)
    config = relay_config(region, "tls")
    a, b = peer(config, turn_tls=trust), peer(config, turn_tls=trust)
    link = Link()
    link.connect(a, b)
    try:
        channel, far = await open_channels(a, b, link)
        got: asyncio.Queue[Any] = asyncio.Queue()
        far.on("message", got.put_nowait)
        channel.send("over turns")
        assert await asyncio.wait_for(got.get(), 5.0) == "over turns"
        local = await selected_local(a)
        assert in_region(local, REGION_A) and local["relayProtocol"] == "tls"
    finally:
        await a.close()
        await b.close()
        await region.close()


def test_turn_tls_must_be_a_turn_tls() -> None:
    with pytest.raises(TypeError, match="TurnTls"):
        RTCPeerConnection(turn_tls="ca.pem")  # type: ignore[arg-type]


async def _ice_failed(pc: RTCPeerConnection) -> None:
    await until(pc, "iceconnectionstatechange", lambda: pc.iceConnectionState == "failed", AT_ONCE)


@pytest.mark.parametrize("refused", ["untrusted-certificate", "wrong-credentials"])
@pytest.mark.parametrize("both", [False, True], ids=["one-side", "both-sides"])
async def test_no_local_candidate_fails_at_once_after_end_of_candidates(
    turn_certificates: CertificateFiles, refused: str, both: bool
) -> None:
    region = await start_region(turn_certificates, REGION_A)
    good = relay_config(region, "tls")
    bad = relay_config(region, "tls")
    trusted = TurnTls(cafile=turn_certificates.ca)
    if refused == "wrong-credentials":
        bad["iceServers"][0]["credential"] = "wrong"
        a = peer(bad, turn_tls=trusted)
    else:
        a = peer(bad)  # nobody told it to trust the test CA
    b = (
        peer(bad, turn_tls=None if refused == "untrusted-certificate" else trusted)
        if both
        else (peer(good, turn_tls=trusted))
    )
    errors: list[Any] = []
    a.on("icecandidateerror", errors.append)
    link = Link()
    link.connect(a, b)
    try:
        a.createDataChannel("never")
        await negotiate(a, b)
        await _ice_failed(a)  # its own gathering ended empty; b's end-of-candidates came
        assert a.connectionState == "failed"
        assert errors and errors[0].errorCode == (701 if refused != "wrong-credentials" else 401)
        if both:
            await _ice_failed(b)
    finally:
        await a.close()
        await b.close()
        await region.close()
