"""Every configured certificate in the description (WPT RTCCertificate.html)."""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import Encoding
from tests.support.peer_connections import Link, open_channels, peer, until

from rtcpeer import RTCCertificate, RTCPeerConnection
from rtcpeer.sdp import parse_sdp


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


def _der(certificate: RTCCertificate) -> bytes:
    return certificate.x509.public_bytes(Encoding.DER)


async def test_connections_without_certificates_share_the_process_default() -> None:
    """Like a browser per origin: both ends, configured without certificates,
    offer the same a=fingerprint -- the process default's, still valid -- and
    DTLS presents that certificate to each."""
    caller, callee = peer(), peer()
    link = Link()
    link.connect(caller, callee)
    try:
        await open_channels(caller, callee, link)
        assert caller.localDescription is not None and callee.localDescription is not None
        default = RTCCertificate.process_default()
        assert not default.is_expired()
        assert _fingerprints(caller.localDescription.sdp) == [_sha256(default)]
        assert _fingerprints(callee.localDescription.sdp) == [_sha256(default)]
        for pc in (caller, callee):
            assert pc.sctp is not None
            assert pc.sctp.transport.getRemoteCertificates()[0] == _der(default)
    finally:
        await caller.close()
        await callee.close()


async def test_explicit_certificates_are_not_shared() -> None:
    """A connection given ``certificates`` presents its own, not the default."""
    first = await RTCPeerConnection.generateCertificate("ECDSA")
    second = await RTCPeerConnection.generateCertificate("ECDSA")
    caller, callee = peer({"certificates": [first]}), peer({"certificates": [second]})
    link = Link()
    link.connect(caller, callee)
    try:
        await open_channels(caller, callee, link)
        assert caller.localDescription is not None and callee.localDescription is not None
        assert _fingerprints(caller.localDescription.sdp) == [_sha256(first)]
        assert _fingerprints(callee.localDescription.sdp) == [_sha256(second)]
        assert _sha256(RTCCertificate.process_default()) not in (_sha256(first), _sha256(second))
        assert caller.sctp is not None and callee.sctp is not None
        assert caller.sctp.transport.getRemoteCertificates()[0] == _der(second)
        assert callee.sctp.transport.getRemoteCertificates()[0] == _der(first)
    finally:
        await caller.close()
        await callee.close()
