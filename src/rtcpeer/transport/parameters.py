"""aiortc's DTLS and SCTP parameter objects, built from rtcpeer's own values.

The layers above start DTLS with the remote's ``a=fingerprint`` lines and
SCTP with its ``a=max-message-size``; these factories build the aiortc
objects those calls take, so that no module outside ``rtcpeer.transport``
has to import aiortc to make them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from aiortc.rtcdtlstransport import RTCCertificate as AiortcCertificate
from aiortc.rtcdtlstransport import RTCDtlsFingerprint, RTCDtlsParameters
from aiortc.rtcsctptransport import RTCSctpCapabilities

from rtcpeer.configuration import RTCCertificate


class FingerprintLike(Protocol):
    """An ``a=fingerprint``: rtcpeer.sdp's Fingerprint, or the W3C RTCDtlsFingerprint."""

    @property
    def algorithm(self) -> str: ...

    @property
    def value(self) -> str: ...


def remote_dtls_parameters(fingerprints: Iterable[FingerprintLike]) -> RTCDtlsParameters:
    """What ``dtls.start()`` takes: the remote's fingerprints (algorithm lower-,
    value upper-case, as aiortc compares them)."""
    return RTCDtlsParameters(
        fingerprints=[
            RTCDtlsFingerprint(algorithm=fp.algorithm.lower(), value=fp.value.upper())
            for fp in fingerprints
        ]
    )


def local_dtls_parameters(certificate: RTCCertificate) -> RTCDtlsParameters:
    """The fingerprints a peer with ``certificate`` announces (its
    ``getFingerprints()``), as the other side's ``dtls.start()`` takes them."""
    return remote_dtls_parameters(certificate.getFingerprints())


def sctp_capabilities(max_message_size: int) -> RTCSctpCapabilities:
    """What ``sctp.start()`` takes: the remote's ``a=max-message-size``."""
    return RTCSctpCapabilities(maxMessageSize=max_message_size)


def aiortc_certificate(certificate: RTCCertificate) -> AiortcCertificate:
    """``certificate`` as aiortc's RTCCertificate (its key and X.509 certificate).

    aiortc 1.16's own DTLS context offers only ECDHE-ECDSA cipher suites, so
    an RSA certificate builds but cannot complete a handshake through it
    (rtcpeer's DTLS transports use :mod:`rtcpeer.transport.dtls_context`).
    """
    # aiortc types the key as EC only; an RSA key builds.
    return AiortcCertificate(key=certificate.private_key, cert=certificate.x509)  # type: ignore[arg-type]


__all__ = [
    "FingerprintLike",
    "aiortc_certificate",
    "local_dtls_parameters",
    "remote_dtls_parameters",
    "sctp_capabilities",
]
