"""RTCCertificate generation, fingerprints, expiry and the aiortc adapter."""

from __future__ import annotations

import os
import re
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes

from rtcpeer import NotSupportedError, RTCCertificate, RTCPeerConnection
from rtcpeer.configuration import RTCDtlsFingerprint
from rtcpeer.configuration.certificate import (
    DEFAULT_EXPIRES_MS,
    DEFAULT_RENEW_MARGIN_MS,
    MAX_EXPIRES_MS,
)

FINGERPRINT = re.compile(r"^([0-9a-f]{2}:)+[0-9a-f]{2}$")


def _check_fingerprints(cert: RTCCertificate) -> None:
    fingerprints = cert.getFingerprints()
    assert fingerprints[0].algorithm == "sha-256"
    for fingerprint in fingerprints:
        assert isinstance(fingerprint, RTCDtlsFingerprint)
        assert FINGERPRINT.match(fingerprint.value)
        assert re.match(r"^([0-9A-F]{2}:)+[0-9A-F]{2}$", fingerprint.sdp_value())
    assert len(fingerprints[0].value) == 32 * 3 - 1


async def test_generate_ecdsa() -> None:
    start = time.time() * 1000
    cert = await RTCCertificate.generateCertificate({"name": "ECDSA", "namedCurve": "P-256"})
    _check_fingerprints(cert)
    assert (
        start + DEFAULT_EXPIRES_MS - 1000 <= cert.expires <= time.time() * 1000 + DEFAULT_EXPIRES_MS
    )
    assert not cert.is_expired()


async def test_generate_via_peer_connection_static() -> None:
    """The static method gives a fresh, usable ECDSA P-256 certificate: its
    key signs the certificate it comes with, and its fingerprint is that
    certificate's."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    start = time.time() * 1000
    cert = await RTCPeerConnection.generateCertificate("ECDSA")
    again = await RTCPeerConnection.generateCertificate("ECDSA")
    key = cert.private_key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == "secp256r1"
    assert cert.x509.public_key() == key.public_key()
    cert.x509.verify_directly_issued_by(cert.x509)  # self-signed, by this key
    der = cert.x509.public_bytes(serialization.Encoding.DER)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    assert cert.getFingerprints()[0].value == digest.finalize().hex(":")
    assert start + DEFAULT_EXPIRES_MS - 1000 <= cert.expires
    assert not cert.is_expired()
    assert again.getFingerprints() != cert.getFingerprints()  # a new key each time


def test_generate_rsa(rsa_cert: RTCCertificate) -> None:
    _check_fingerprints(rsa_cert)
    assert rsa_cert.private_key.key_size == 2048


@pytest.mark.parametrize("exponent", [bytes([1, 0, 1]), bytearray([1, 0, 1]), [1, 0, 1], 65537])
def test_rsa_public_exponent_forms(exponent: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from rtcpeer.configuration import certificate

    params, _ = certificate._normalize(
        {
            "name": "rsassa-pkcs1-v1_5",
            "modulusLength": 2048,
            "publicExponent": exponent,
            "hash": {"name": "sha-256"},
        }
    )
    assert params.name == "RSASSA-PKCS1-v1_5"
    assert params.hash_name == "SHA-256"


async def test_expires_member() -> None:
    start = time.time() * 1000
    cert = await RTCCertificate.generateCertificate(
        {"name": "ECDSA", "namedCurve": "P-256", "expires": 2000}
    )
    assert abs(cert.expires - (start + 2000)) < 1000
    capped = RTCCertificate.generate({"name": "ECDSA", "namedCurve": "P-256", "expires": 10**15})
    assert capped.expires <= time.time() * 1000 + MAX_EXPIRES_MS


def test_expires_zero_is_expired(expired_cert: RTCCertificate) -> None:
    cert = RTCCertificate.generate({"name": "ECDSA", "namedCurve": "P-256", "expires": 0})
    assert cert.expires <= time.time() * 1000
    assert expired_cert.is_expired()


@pytest.mark.parametrize(
    "algorithm",
    [
        "invalid-algo",
        {"name": "invalid-algo"},
        {"name": "ECDSA", "namedCurve": "P-192"},
        {"name": "ECDSA", "namedCurve": "P-521"},
        {"name": "ECDH", "namedCurve": "P-256"},
        {"name": "AES-GCM", "length": 128},
        {
            "name": "RSASSA-PKCS1-v1_5",
            "modulusLength": 1024,
            "publicExponent": b"\x01\x00\x01",
            "hash": "SHA-256",
        },
        {
            "name": "RSASSA-PKCS1-v1_5",
            "modulusLength": 2048,
            "publicExponent": b"\x03",
            "hash": "SHA-256",
        },
        {
            "name": "RSASSA-PKCS1-v1_5",
            "modulusLength": 2048,
            "publicExponent": b"\x01\x00\x01",
            "hash": "SHA-1",
        },
    ],
)
async def test_unsupported_algorithm(algorithm: Any) -> None:
    with pytest.raises(NotSupportedError) as info:
        await RTCCertificate.generateCertificate(algorithm)
    assert info.value.name == "NotSupportedError"


@pytest.mark.parametrize(
    "algorithm",
    [
        None,
        42,
        {},
        {"name": 1},
        {"name": "ECDSA"},
        {"name": "ECDSA", "namedCurve": "P-256", "expires": -1},
        {"name": "ECDSA", "namedCurve": "P-256", "expires": "invalid"},
        {"name": "ECDSA", "namedCurve": "P-256", "expires": True},
        {"name": "ECDSA", "namedCurve": "P-256", "expires": float("nan")},
        {"name": "invalid-algo", "expires": -1},  # expires is converted first
        {"name": "RSASSA-PKCS1-v1_5", "modulusLength": 2048, "hash": "SHA-256"},
        {
            "name": "RSASSA-PKCS1-v1_5",
            "modulusLength": "2048",
            "publicExponent": b"\x01\x00\x01",
            "hash": "SHA-256",
        },
        {
            "name": "RSASSA-PKCS1-v1_5",
            "modulusLength": 2048,
            "publicExponent": "65537",
            "hash": "SHA-256",
        },
    ],
)
async def test_malformed_algorithm_type_error(algorithm: Any) -> None:
    with pytest.raises(TypeError):
        await RTCCertificate.generateCertificate(algorithm)


def test_aiortc_adapter(ecdsa_cert: RTCCertificate) -> None:
    from aiortc.rtcdtlstransport import SRTP_AES128_CM_SHA1_80
    from aiortc.rtcdtlstransport import RTCCertificate as AiortcCertificate

    from rtcpeer.transport import aiortc_certificate

    adapted = aiortc_certificate(ecdsa_cert)
    assert isinstance(adapted, AiortcCertificate)
    ours = ecdsa_cert.getFingerprints()[0]
    theirs = next(f for f in adapted.getFingerprints() if f.algorithm == "sha-256")
    assert theirs.value == ours.sdp_value()
    adapted._create_ssl_context(srtp_profiles=[SRTP_AES128_CM_SHA1_80])


def test_certificates_are_distinct(ecdsa_cert: RTCCertificate, ecdsa_cert2: RTCCertificate) -> None:
    assert ecdsa_cert.getFingerprints() != ecdsa_cert2.getFingerprints()
    assert ecdsa_cert.x509.subject != ecdsa_cert2.x509.subject
    assert ecdsa_cert != ecdsa_cert2
    assert "RTCCertificate" in repr(ecdsa_cert)


def test_process_default_is_generated_once_and_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections without ``certificates`` take one certificate per process:
    50 of them generate at most one key (none if an earlier test made it)."""
    generated: list[RTCCertificate] = []
    generate = RTCCertificate.generate

    def counting(keygenAlgorithm: Any = "ECDSA") -> RTCCertificate:
        generated.append(generate(keygenAlgorithm))
        return generated[-1]

    monkeypatch.setattr(RTCCertificate, "generate", counting)
    pcs = [RTCPeerConnection() for _ in range(50)]
    certificates = {id(cert) for pc in pcs for cert in pc._certificates}
    assert len(generated) <= 1
    assert certificates == {id(RTCCertificate.process_default())}
    default = RTCCertificate.process_default()
    assert not default.is_expired()
    assert default.expires - time.time() * 1000 > DEFAULT_RENEW_MARGIN_MS
    _check_fingerprints(default)


def test_explicit_certificates_replace_the_process_default(ecdsa_cert: RTCCertificate) -> None:
    pc = RTCPeerConnection({"certificates": [ecdsa_cert]})
    assert pc._certificates == (ecdsa_cert,)
    assert ecdsa_cert.getFingerprints() != RTCCertificate.process_default().getFingerprints()


def test_process_default_is_replaced_before_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once less than a day of its lifetime is left, the next caller gets a
    fresh certificate with a full lifetime; until then, the same one."""
    from rtcpeer.configuration import certificate as module

    old = RTCCertificate.process_default()
    clock = [old.expires - DEFAULT_RENEW_MARGIN_MS - 1]
    monkeypatch.setattr(module, "_now_ms", lambda: clock[0])
    assert RTCCertificate.process_default() is old  # a day and a millisecond left
    clock[0] += 2
    fresh = RTCCertificate.process_default()
    assert fresh is not old
    assert fresh.getFingerprints() != old.getFingerprints()
    assert fresh.expires == clock[0] + DEFAULT_EXPIRES_MS
    assert not fresh.is_expired(clock[0] + DEFAULT_RENEW_MARGIN_MS)
    assert RTCCertificate.process_default() is fresh
    assert RTCPeerConnection()._certificates == (fresh,)


def test_forked_child_generates_its_own_default() -> None:
    parent = RTCCertificate.process_default().getFingerprints()[0].value
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its default's fingerprint, then leave at once
        try:
            os.write(
                write_end, RTCCertificate.process_default().getFingerprints()[0].value.encode()
            )
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        child = pipe.read().decode()
    os.waitpid(pid, 0)
    assert FINGERPRINT.match(child)
    assert child != parent
    assert RTCCertificate.process_default().getFingerprints()[0].value == parent


def test_process_default_is_one_across_threads() -> None:
    """Threads asking at once still share one certificate (a lock, not a race)."""
    from concurrent.futures import ThreadPoolExecutor

    from rtcpeer.configuration import certificate as module

    module._process_default.forget()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: RTCCertificate.process_default(), range(32)))
    assert len({id(cert) for cert in results}) == 1


def test_fingerprints_are_worked_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection describing the shared default asks for its fingerprints;
    the certificate hashes itself once, and callers get lists of their own."""
    cert = RTCCertificate.generate("ECDSA")
    calls: list[object] = []
    original = type(cert.x509).fingerprint

    class Counting:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def fingerprint(self, algorithm: Any) -> bytes:
            calls.append(algorithm)
            return original(real, algorithm)

    real = cert.x509
    monkeypatch.setattr(cert, "_certificate", Counting())
    first = cert.getFingerprints()
    first.clear()
    assert cert.getFingerprints() == cert.getFingerprints() != []
    assert len(calls) == 1  # sha-256, the signature's hash too
    assert cert.getFingerprints()[0].value == real.fingerprint(hashes.SHA256()).hex(":")
