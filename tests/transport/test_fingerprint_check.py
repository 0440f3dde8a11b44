"""The peer's certificate is checked against a=fingerprint by hashlib over its
DER, once per handshake: the same strings pyOpenSSL's ``X509.digest`` gives,
for every algorithm aiortc accepts, without calling it."""

from __future__ import annotations

from typing import Any

import pytest
from aiortc.rtcdtlstransport import X509_DIGEST_ALGORITHMS, RTCDtlsFingerprint, RTCDtlsParameters
from aiortc.rtcdtlstransport import State as DtlsState
from OpenSSL import crypto

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import aiortc_adapter
from rtcpeer.transport.aiortc_adapter import FINGERPRINT_HASHES, ObservedDtlsTransport


def test_every_algorithm_aiortc_accepts_has_a_hash() -> None:
    assert set(FINGERPRINT_HASHES) == set(X509_DIGEST_ALGORITHMS)


@pytest.mark.parametrize("algorithm", sorted(X509_DIGEST_ALGORITHMS))
def test_the_hash_gives_what_openssl_digest_gives(algorithm: str) -> None:
    x509 = _x509()
    der = crypto.dump_certificate(crypto.FILETYPE_ASN1, x509)
    ours = FINGERPRINT_HASHES[algorithm](der).digest().hex(":").upper()
    assert ours.encode() == x509.digest(algorithm.replace("-", ""))


class _Connection:
    """Just what the identity check reads of aiortc's SSL connection."""

    def __init__(self, x509: crypto.X509) -> None:
        self._x509 = x509

    def get_peer_certificate(self) -> crypto.X509:
        return self._x509


def _x509() -> crypto.X509:
    return crypto.X509.from_cryptography(RTCCertificate.process_default().x509)


def _openssl_fingerprint(algorithm: str) -> str:
    """The certificate's a=fingerprint value as pyOpenSSL's digest gives it."""
    return _x509().digest(algorithm.replace("-", "")).decode()


def _checked(fingerprints: list[tuple[str, str]]) -> Any:
    """The states the identity check set against the process certificate."""
    dtls = ObservedDtlsTransport.__new__(ObservedDtlsTransport)
    dtls._ssl = _Connection(_x509())  # type: ignore[assignment]
    dtls._state = DtlsState.CONNECTING
    failed: list[object] = []
    dtls._set_state = failed.append  # type: ignore[method-assign,assignment]
    listed = [RTCDtlsFingerprint(algorithm=a, value=v) for a, v in fingerprints]
    dtls._validate_peer_identity(RTCDtlsParameters(fingerprints=listed))
    return failed


def test_a_matching_fingerprint_passes_without_x509_digest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sha256, sha512 = _openssl_fingerprint("sha-256"), _openssl_fingerprint("sha-512")

    def digest(self: crypto.X509, name: str) -> bytes:
        raise AssertionError("X509.digest was called")

    monkeypatch.setattr(crypto.X509, "digest", digest)
    assert _checked([("sha-256", sha256)]) == []
    assert _checked([("SHA-256", sha256.lower())]) == []  # as aiortc compares them
    # Any one match of a supported algorithm will do (RFC 8122 §5).
    assert _checked([("sha-256", "AB:CD"), ("sha-256", sha256)]) == []
    assert _checked([("md5", "AB:CD"), ("sha-256", sha256)]) == []
    assert _checked([("sha-512", sha512)]) == []


def test_no_match_fails() -> None:
    assert _checked([("sha-256", "AB:CD")]) == [DtlsState.FAILED]
    assert _checked([("md5", "AB:CD")]) == [DtlsState.FAILED]


def test_an_algorithm_aiortc_does_not_accept_is_not_checked() -> None:
    """A matching sha-1 fingerprint alone does not pass (aiortc accepts none)."""
    assert "sha-1" not in aiortc_adapter.FINGERPRINT_HASHES
    assert _checked([("sha-1", _openssl_fingerprint("sha-1"))]) == [DtlsState.FAILED]
