"""Every configured certificate in the description (WPT RTCCertificate.html)."""

from __future__ import annotations

from rtcpeer import RTCCertificate
from rtcpeer.sdp import parse_sdp

from .support import Link, open_channels, peer, until


def _fingerprints(sdp: str) -> list[str]:
    return [f"{f.algorithm} {f.value}".lower() for f in parse_sdp(sdp).media[0].fingerprints]


def _sha256(certificate: RTCCertificate) -> str:
    (value,) = [f.value for f in certificate.getFingerprints() if f.algorithm == "sha-256"]
    return f"sha-256 {value}".lower()


async def test_offer_and_answer_list_every_certificate() -> None:
    first = RTCCertificate.generate("ECDSA")
    second = RTCCertificate.generate("ECDSA")
    caller = peer({"certificates": [first, second]})
    callee = peer({"certificates": [second]})
    caller.createDataChannel("chat")
    try:
        offer = await caller.createOffer()
        assert _fingerprints(offer.sdp) == [_sha256(first), _sha256(second)]
        await caller.setLocalDescription(offer)
        await callee.setRemoteDescription(offer.toJSON())
        answer = await callee.createAnswer()
        assert _fingerprints(answer.sdp) == [_sha256(second)]
    finally:
        await caller.close()
        await callee.close()


async def test_two_certificates_connect_with_the_first() -> None:
    """DTLS presents the first certificate; the peer finds it among the listed ones."""
    first = RTCCertificate.generate("ECDSA")
    second = RTCCertificate.generate("ECDSA")
    caller, callee = peer({"certificates": [first, second]}), peer()
    link = Link()
    link.connect(caller, callee)
    try:
        near, far = await open_channels(caller, callee, link)
        assert near.readyState == far.readyState == "open"
    finally:
        await caller.close()
        await callee.close()


async def test_a_fingerprint_that_matches_no_certificate_fails_dtls() -> None:
    """Accepting any listed fingerprint still refuses a certificate none matches."""
    caller, callee = peer(), peer()
    caller.createDataChannel("chat")
    states: list[str] = []
    callee.on("connectionstatechange", lambda: states.append(callee.connectionState))
    link = Link()
    link.connect(caller, callee)
    try:
        offer = await caller.createOffer()
        await caller.setLocalDescription(offer)
        stranger = _sha256(RTCCertificate.generate("ECDSA")).split(" ")[1].upper()
        lines = [
            f"a=fingerprint:sha-256 {stranger}" if line.startswith("a=fingerprint:") else line
            for line in offer.sdp.splitlines()
        ]
        await callee.setRemoteDescription({"type": "offer", "sdp": "\r\n".join(lines) + "\r\n"})
        await callee.setLocalDescription()
        answer = callee.localDescription
        assert answer is not None
        await caller.setRemoteDescription(answer.toJSON())
        await until(callee, "connectionstatechange", lambda: callee.connectionState == "failed")
        assert "connected" not in states
    finally:
        await caller.close()
        await callee.close()
