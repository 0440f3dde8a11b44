"""RTCCertificate and generateCertificate (webrtc-pc §4.9).

A certificate is a private key plus a self-signed X.509 certificate with a
random subject and serial (the spec forbids anything linkable to the user),
and an ``expires`` time in milliseconds since the epoch that the
RTCPeerConnection constructor checks. The key and certificate are kept as
``cryptography`` objects so the DTLS layer can use them (see
:func:`rtcpeer.transport.aiortc_certificate`).

A connection configured without ``certificates`` uses the process's default
certificate (:meth:`RTCCertificate.process_default`): one ECDSA P-256 key and
certificate generated on first use and shared by every such connection, as
a browser keeps one per origin; it is replaced by a fresh one when it nears
its expiry, and a forked child generates its own. An application that wants
a certificate of its own for a connection passes ``certificates`` (from
``generateCertificate``).
"""

from __future__ import annotations

import asyncio
import datetime
import math
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from rtcpeer.errors import NotSupportedError

from .webidl import type_name

#: Lifetime of a generated certificate when none is asked for: 30 days.
DEFAULT_EXPIRES_MS = 2_592_000_000
#: The spec caps a requested lifetime at 365 days.
MAX_EXPIRES_MS = 31_536_000_000
#: The process's default certificate is replaced once less than this much of
#: its lifetime is left (1 day), so a connection that takes it gets at least a day.
DEFAULT_RENEW_MARGIN_MS = 86_400_000

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
AlgorithmIdentifier = str | Mapping[str, Any]
_SigningHash = hashes.SHA256 | hashes.SHA384 | hashes.SHA512

_CURVES: dict[str, type[ec.EllipticCurve]] = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1}
_CURVE_HASH: dict[str, type[_SigningHash]] = {"P-256": hashes.SHA256, "P-384": hashes.SHA384}
_HASHES: dict[str, type[_SigningHash]] = {
    "SHA-256": hashes.SHA256,
    "SHA-384": hashes.SHA384,
    "SHA-512": hashes.SHA512,
}
_RSA_MODULUS_LENGTHS = frozenset({2048, 3072, 4096})
_RSA_PUBLIC_EXPONENT = 65537
_UINT64_MAX = 2**64 - 1


def _now_ms() -> float:
    """The current time in ms since the epoch (a seam for tests)."""
    return time.time() * 1000.0


@dataclass(frozen=True)
class RTCDtlsFingerprint:
    """One certificate fingerprint: hash name and lowercase colon-hex value.

    webrtc-pc: "The value of the certificate fingerprint in lowercase hex
    string". SDP's a=fingerprint uses upper case; see :meth:`sdp_value`.
    """

    algorithm: str
    value: str

    def sdp_value(self) -> str:
        """The value as written in an SDP a=fingerprint line (upper case)."""
        return self.value.upper()

    def to_dict(self) -> dict[str, str]:
        """The W3C RTCDtlsFingerprint dictionary."""
        return {"algorithm": self.algorithm, "value": self.value}


@dataclass(frozen=True)
class _KeygenParams:
    """A normalised keygen algorithm this implementation supports."""

    name: str
    curve: str | None = None
    modulus_length: int = 0
    hash_name: str = "SHA-256"


class RTCCertificate:
    """A DTLS certificate: private key, self-signed X.509 certificate, expiry.

    Create one with :meth:`generateCertificate`. Two RTCCertificate objects
    are the same only if they are the same object (``is``), which is what
    setConfiguration compares.
    """

    def __init__(
        self,
        key: PrivateKey,
        certificate: x509.Certificate,
        expires: float,
        signature_hash: str = "sha-256",
    ) -> None:
        self._key = key
        self._certificate = certificate
        self._expires = float(expires)
        self._signature_hash = signature_hash
        self._fingerprints: tuple[RTCDtlsFingerprint, ...] | None = None

    @property
    def expires(self) -> float:
        """When the certificate expires, in ms since 1970-01-01T00:00:00Z."""
        return self._expires

    @property
    def private_key(self) -> PrivateKey:
        """The private key (for the DTLS layer)."""
        return self._key

    @property
    def x509(self) -> x509.Certificate:
        """The X.509 certificate (for the DTLS layer)."""
        return self._certificate

    def getFingerprints(self) -> list[RTCDtlsFingerprint]:
        """sha-256 first, plus the signature's hash if that differs.

        Worked out once per certificate (each connection describing its
        certificate asks again; the process default is shared by many).
        """
        if self._fingerprints is None:
            self._fingerprints = tuple(self._compute_fingerprints())
        return list(self._fingerprints)

    def _compute_fingerprints(self) -> list[RTCDtlsFingerprint]:
        names = ["sha-256"]
        if self._signature_hash not in names:
            names.append(self._signature_hash)
        algorithms: dict[str, hashes.HashAlgorithm] = {
            "sha-256": hashes.SHA256(),
            "sha-384": hashes.SHA384(),
            "sha-512": hashes.SHA512(),
        }
        return [
            RTCDtlsFingerprint(
                algorithm=name,
                value=self._certificate.fingerprint(algorithms[name]).hex(":"),
            )
            for name in names
        ]

    def is_expired(self, now_ms: float | None = None) -> bool:
        """True when ``expires`` is less than the current time (the spec's test)."""
        return self._expires < (_now_ms() if now_ms is None else now_ms)

    def __repr__(self) -> str:
        fingerprint = self.getFingerprints()[0].value
        return f"<RTCCertificate sha-256 {fingerprint[:23]}… expires={self._expires:.0f}>"

    @classmethod
    async def generateCertificate(cls, keygenAlgorithm: AlgorithmIdentifier) -> RTCCertificate:
        """Generate a key and certificate (webrtc-pc generateCertificate()).

        ``keygenAlgorithm`` is a WebCrypto AlgorithmIdentifier:
        ``{"name": "ECDSA", "namedCurve": "P-256"}`` or
        ``{"name": "RSASSA-PKCS1-v1_5", "modulusLength": 2048,
        "publicExponent": bytes([1, 0, 1]), "hash": "SHA-256"}``, optionally
        with ``"expires"`` (ms). As a Python convenience the bare names
        ``"ECDSA"`` and ``"RSASSA-PKCS1-v1_5"`` mean those defaults.
        Raises TypeError for malformed input and NotSupportedError for an
        algorithm this implementation will not use. Key generation runs in a
        worker thread so RSA does not stall the event loop.
        """
        params, expires = _normalize(keygenAlgorithm)
        return await asyncio.to_thread(_generate, cls, params, expires)

    @classmethod
    def generate(cls, keygenAlgorithm: AlgorithmIdentifier = "ECDSA") -> RTCCertificate:
        """Synchronous :meth:`generateCertificate` (the default is ECDSA P-256)."""
        params, expires = _normalize(keygenAlgorithm)
        return _generate(cls, params, expires)

    @staticmethod
    def process_default() -> RTCCertificate:
        """This process's default certificate, for connections configured without one.

        One ECDSA P-256 certificate (:data:`DEFAULT_EXPIRES_MS` of lifetime)
        is generated on first use and then returned to every caller, so
        opening many connections costs one key generation, not one each --
        what browsers do per origin. It is replaced by a fresh one when less
        than :data:`DEFAULT_RENEW_MARGIN_MS` of its lifetime is left (a
        connection keeps the one it took), and a child process made by
        ``os.fork()`` generates its own. Connections sharing it show the
        same ``a=fingerprint``; an application that does not want that
        passes ``certificates``. Thread-safe.
        """
        return _process_default.get()


def _convert_expires(value: object) -> int:
    """``[EnforceRange] unsigned long long`` for RTCCertificateExpiration.expires."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expires: expected a number of milliseconds, got {type_name(value)}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError("expires: must be finite")
        value = math.trunc(value)
    if not 0 <= value <= _UINT64_MAX:
        raise TypeError(f"expires: {value} is outside the range 0..2**64-1")
    return int(value)


def _public_exponent(value: object) -> int:
    """A WebCrypto BigInteger (big-endian bytes), or an int, as an int."""
    if isinstance(value, bool):
        raise TypeError("publicExponent: expected bytes or an integer, got bool")
    if isinstance(value, int):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return int.from_bytes(bytes(value), "big")
    if (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= 255 for b in value)
    ):
        return int.from_bytes(bytes(value), "big")
    raise TypeError(f"publicExponent: expected bytes or an integer, got {type_name(value)}")


def _algorithm_name(value: object, member: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{member}: expected an algorithm name, got {type_name(value)}")
    return value


def _normalize(algorithm: object) -> tuple[_KeygenParams, int]:
    """WebCrypto "normalize an algorithm" for certificate generation."""
    expires = DEFAULT_EXPIRES_MS
    if isinstance(algorithm, str):
        name = algorithm.upper()
        if name == "ECDSA":
            return _KeygenParams("ECDSA", curve="P-256"), expires
        if name == "RSASSA-PKCS1-V1_5":
            return _KeygenParams("RSASSA-PKCS1-v1_5", modulus_length=2048), expires
        raise NotSupportedError(f"{algorithm!r} is not a supported certificate algorithm")
    if not isinstance(algorithm, Mapping):
        raise TypeError(
            f"keygenAlgorithm: expected a string or a dictionary, got {type_name(algorithm)}"
        )
    # RTCCertificateExpiration is converted before the algorithm is normalised.
    if "expires" in algorithm:
        expires = min(_convert_expires(algorithm["expires"]), MAX_EXPIRES_MS)
    if "name" not in algorithm:
        raise TypeError("keygenAlgorithm: the required member 'name' is missing")
    name = _algorithm_name(algorithm["name"], "name").upper()
    if name == "ECDSA":
        if "namedCurve" not in algorithm:
            raise TypeError("namedCurve: required for ECDSA")
        curve = _algorithm_name(algorithm["namedCurve"], "namedCurve")
        if curve not in _CURVES:
            raise NotSupportedError(f"ECDSA curve {curve!r} is not supported (use P-256 or P-384)")
        return _KeygenParams("ECDSA", curve=curve), expires
    if name == "RSASSA-PKCS1-V1_5":
        for member in ("hash", "modulusLength", "publicExponent"):
            if member not in algorithm:
                raise TypeError(f"{member}: required for RSASSA-PKCS1-v1_5")
        hash_value = algorithm["hash"]
        if isinstance(hash_value, Mapping):
            if "name" not in hash_value:
                raise TypeError("hash: the required member 'name' is missing")
            hash_value = hash_value["name"]
        hash_name = _algorithm_name(hash_value, "hash").upper()
        modulus = algorithm["modulusLength"]
        if isinstance(modulus, bool) or not isinstance(modulus, int) or not 0 <= modulus < 2**32:
            raise TypeError(f"modulusLength: expected an unsigned integer, got {modulus!r}")
        exponent = _public_exponent(algorithm["publicExponent"])
        if hash_name not in _HASHES:
            raise NotSupportedError(f"hash {hash_name!r} is not supported for certificates")
        if modulus not in _RSA_MODULUS_LENGTHS:
            raise NotSupportedError(f"modulusLength {modulus} is not supported (2048, 3072, 4096)")
        if exponent != _RSA_PUBLIC_EXPONENT:
            raise NotSupportedError(f"publicExponent {exponent} is not supported (65537)")
        params = _KeygenParams("RSASSA-PKCS1-v1_5", modulus_length=modulus, hash_name=hash_name)
        return params, expires
    raise NotSupportedError(f"{algorithm['name']!r} is not a supported certificate algorithm")


def _generate(cls: type[RTCCertificate], params: _KeygenParams, expires: int) -> RTCCertificate:
    key: PrivateKey
    if params.name == "ECDSA":
        assert params.curve is not None
        key = ec.generate_private_key(_CURVES[params.curve]())
        hash_algorithm: _SigningHash = _CURVE_HASH[params.curve]()
    else:
        key = rsa.generate_private_key(
            public_exponent=_RSA_PUBLIC_EXPONENT, key_size=params.modulus_length
        )
        hash_algorithm = _HASHES[params.hash_name]()
    created_ms = _now_ms()
    created = datetime.datetime.fromtimestamp(created_ms / 1000.0, tz=datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, os.urandom(16).hex())])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(created - datetime.timedelta(days=1))
        .not_valid_after(created + datetime.timedelta(milliseconds=expires))
        .sign(key, hash_algorithm)
    )
    signature_hash = hash_algorithm.name.replace("sha", "sha-")  # "sha256" -> "sha-256"
    return cls(key, certificate, created_ms + expires, signature_hash=signature_hash)


class _ProcessDefault:
    """The holder of the process's default certificate (one per process, lazily)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: RTCCertificate | None = None

    def get(self) -> RTCCertificate:
        """The current default, generated first if there is none yet or it nears its expiry."""
        with self._lock:
            current = self._current
            if current is None or current.is_expired(_now_ms() + DEFAULT_RENEW_MARGIN_MS):
                current = self._current = RTCCertificate.generate("ECDSA")
            return current

    def forget(self) -> None:
        """Drop the default (a forked child generates its own; its lock starts free)."""
        self._lock = threading.Lock()
        self._current = None


_process_default = _ProcessDefault()
os.register_at_fork(after_in_child=_process_default.forget)


__all__ = [
    "DEFAULT_EXPIRES_MS",
    "DEFAULT_RENEW_MARGIN_MS",
    "MAX_EXPIRES_MS",
    "AlgorithmIdentifier",
    "RTCCertificate",
    "RTCDtlsFingerprint",
]
