"""One OpenSSL DTLS context per thread, shared by every DTLS handshake.

aiortc builds a fresh ``SSL.Context`` for every RTCDtlsTransport — the
context, a cffi verify callback, the cipher list, the SRTP profiles — and
pyOpenSSL forbids changing a context once a connection uses it. The settings
never differ between connections; only the identity (certificate and key)
does, and OpenSSL can set that per connection (``SSL_use_certificate``).
So each thread keeps one template context, built by aiortc's own
``_create_ssl_context`` (its settings stay aiortc's) around a throwaway
identity that no handshake ever presents, with the server-side session
cache off so no session outlives its connection or reaches another peer;
each connection then gets its own certificate and key
(:func:`install_identity`) before its handshake starts. If that step were
ever skipped, the peer would see the throwaway certificate, its fingerprint
check would fail, and the handshake with it.
"""

from __future__ import annotations

import threading
from typing import Any

from aiortc.rtcdtlstransport import RTCCertificate as AiortcCertificate
from cryptography.hazmat.primitives.asymmetric import ec
from OpenSSL import SSL

_templates = threading.local()


def template_context(srtp_profiles: list[Any]) -> SSL.Context:
    """This thread's shared DTLS context for ``srtp_profiles`` (aiortc's settings)."""
    key = tuple(profile.openssl_profile for profile in srtp_profiles)
    cache: dict[tuple[bytes, ...], SSL.Context] | None = getattr(_templates, "cache", None)
    if cache is None:
        cache = _templates.cache = {}
    context = cache.get(key)
    if context is None:
        throwaway = AiortcCertificate.generateCertificate()
        context = throwaway._create_ssl_context(srtp_profiles)
        context.set_session_cache_mode(SSL.SESS_CACHE_OFF)
        cache[key] = context
    return context


class SharedContextCertificate(AiortcCertificate):
    """aiortc's RTCCertificate (fingerprints, key) whose DTLS context is the shared template.

    The connection built from it presents the template's throwaway identity
    until :func:`install_identity` gives it this certificate's. Only ECDSA
    identities share it: OpenSSL keeps one certificate per key type, so an
    RSA identity installed over the template's ECDSA one would leave the
    throwaway certificate in place beside it. An RSA certificate gets
    aiortc's own context, as before (whose ECDSA-only cipher list cannot
    complete that handshake; see rtcpeer.transport.aiortc_certificate).
    """

    @property
    def shares_context(self) -> bool:
        """True when connections come from the template (and need :func:`install_identity`)."""
        return isinstance(self._key, ec.EllipticCurvePrivateKey)

    def _create_ssl_context(self, srtp_profiles: list[Any]) -> SSL.Context:
        if not self.shares_context:
            return super()._create_ssl_context(srtp_profiles)
        return template_context(srtp_profiles)


def install_identity(connection: SSL.Connection, certificate: AiortcCertificate) -> None:
    """Make ``connection`` present ``certificate`` (before its handshake starts)."""
    connection.use_certificate(certificate._cert)
    connection.use_privatekey(certificate._key)
