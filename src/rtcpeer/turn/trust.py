"""Which TURN servers' certificates to trust: :class:`TurnTls`.

``turns:`` URLs (TURN over TLS, and over DTLS with ``?transport=udp``) verify
the server's certificate against the system trust store by default. A
:class:`TurnTls` given to ``RTCPeerConnection(..., turn_tls=...)`` (or to
``rtcpeer ice-check --cafile/--spki-pin``) trusts a private CA instead, uses
a ready :class:`ssl.SSLContext` for TLS, and/or pins servers by the SHA-256
hash of their certificate's SubjectPublicKeyInfo -- as Chromium's
``--ignore-certificate-errors-spki-list``: a pinned key is accepted whoever
signed its certificate and whatever names it carries.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ssl
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL

from rtcpeer.turn.dtls import client_context
from rtcpeer.turn.errors import TurnValueError

#: The HPKP-style prefix a pin may carry ("sha256/<base64>").
_PIN_PREFIX = "sha256/"


def spki_pin(certificate: x509.Certificate | bytes) -> str:
    """The pin of ``certificate`` (an x509 object or DER bytes): base64 of the
    SHA-256 of its DER SubjectPublicKeyInfo (what ``openssl x509 -pubkey |
    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64``
    prints)."""
    cert = (
        x509.load_der_x509_certificate(certificate)
        if isinstance(certificate, bytes)
        else certificate
    )
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def _normalise_pin(pin: str) -> str:
    text = pin.strip()
    if text.lower().startswith(_PIN_PREFIX):
        text = text[len(_PIN_PREFIX) :]
    try:
        digest = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise TurnValueError(f"SPKI pin {pin!r} is not base64") from None
    if len(digest) != hashlib.sha256().digest_size:
        raise TurnValueError(f"SPKI pin {pin!r} is not a base64 SHA-256 hash (32 bytes)")
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class TurnTls:
    """How ``turns:`` servers are authenticated (an rtcpeer option, not W3C).

    ``cafile``: a PEM bundle of CAs trusted instead of the system store, for
    TLS and DTLS. ``context``: an :class:`ssl.SSLContext` used as is for TURN
    over TLS (DTLS runs on pyOpenSSL and uses ``cafile`` or the system store).
    ``spki_pins``: base64 SHA-256 hashes of SubjectPublicKeyInfo (see
    :func:`spki_pin`; an ``sha256/`` prefix is allowed); a server whose
    certificate carries a pinned key is accepted even when no CA trusts it.
    A certificate that neither verifies nor is pinned is refused.

    With pins, the first handshake to a server does not verify; when its key
    is not pinned a second, verifying handshake follows.
    """

    cafile: str | Path | None = None
    context: ssl.SSLContext | None = None
    spki_pins: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if isinstance(self.spki_pins, str):
            raise TypeError("spki_pins must be a sequence of pins, not one string")
        if self.context is not None and not isinstance(self.context, ssl.SSLContext):
            raise TypeError("context must be an ssl.SSLContext")
        pins = tuple(_normalise_pin(pin) for pin in self.spki_pins)
        object.__setattr__(self, "spki_pins", pins)

    def pinned(self, certificate: x509.Certificate | bytes | None) -> bool:
        """Whether ``certificate``'s public key is one of :attr:`spki_pins`."""
        return certificate is not None and spki_pin(certificate) in self.spki_pins

    @property
    def ca(self) -> str | None:
        return None if self.cafile is None else str(self.cafile)

    @cached_property
    def unverified_tls(self) -> ssl.SSLContext:
        """The TLS context of the pin-checking handshake (verifies nothing itself)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context

    @cached_property
    def unverified_dtls(self) -> SSL.Context:
        """The DTLS context of the pin-checking handshake."""
        return client_context(verify=False)


__all__ = ["TurnTls", "spki_pin"]
