"""One OpenSSL DTLS context per certificate (and thread), shared by every
handshake that presents that certificate.

aiortc builds a fresh ``SSL.Context`` for every RTCDtlsTransport: the
context, a cffi verify callback, the cipher list, the SRTP profiles, and
the certificate and private key, each converted to OpenSSL's form through a
DER round trip -- about 0.25 ms a connection on this machine, most of it the
conversions. None of it differs between connections that present the same
certificate, and every connection configured without ``certificates``
presents the same one, the process's default
(:meth:`rtcpeer.configuration.RTCCertificate.process_default`). So the
context is built once per certificate, SRTP profile list and thread, by
aiortc's own ``_create_ssl_context`` (its settings stay aiortc's) with the
server-side session cache off, so no session outlives its connection or
reaches another peer; it is kept as long as the rtcpeer certificate object
lives (a weak reference), and each connection is then one ``SSL_new`` on it.

Its connections also release their record buffers while idle
(``SSL_MODE_RELEASE_BUFFERS``): a data channel is idle between messages
most of the time, and 2,000 connections in one process then hold about
8 KiB less each (benchmarks/pc_scale.py).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from aiortc.rtcdtlstransport import RTCCertificate as AiortcCertificate
from OpenSSL import SSL

from rtcpeer.configuration import RTCCertificate

_ProfilesKey = tuple[bytes, ...]
_Contexts = weakref.WeakKeyDictionary[RTCCertificate, dict[_ProfilesKey, SSL.Context]]

_per_thread = threading.local()


def _contexts() -> _Contexts:
    """This thread's contexts, by certificate and SRTP profile list."""
    contexts: _Contexts | None = getattr(_per_thread, "contexts", None)
    if contexts is None:
        contexts = _per_thread.contexts = weakref.WeakKeyDictionary()
    return contexts


def certificate_context(
    certificate: RTCCertificate, srtp_profiles: list[Any], build: Callable[[], SSL.Context]
) -> SSL.Context:
    """This thread's DTLS context presenting ``certificate`` with ``srtp_profiles``,
    made by ``build`` (aiortc's settings) the first time it is asked for."""
    key = tuple(profile.openssl_profile for profile in srtp_profiles)
    by_profiles = _contexts().setdefault(certificate, {})
    context = by_profiles.get(key)
    if context is None:
        context = build()
        context.set_session_cache_mode(SSL.SESS_CACHE_OFF)
        context.set_mode(SSL.MODE_RELEASE_BUFFERS)
        by_profiles[key] = context
    return context


def cached_context_count() -> int:
    """How many certificates this thread keeps a context for (for tests)."""
    return len(_contexts())


class SharedContextCertificate(AiortcCertificate):
    """aiortc's RTCCertificate (fingerprints, key) for ``certificate``, whose
    DTLS context is the one shared by every connection presenting it."""

    def __init__(self, certificate: RTCCertificate) -> None:
        # aiortc types the key as EC only; an RSA key builds (see aiortc_certificate).
        super().__init__(key=certificate.private_key, cert=certificate.x509)  # type: ignore[arg-type]
        self._owner = certificate

    def _create_ssl_context(self, srtp_profiles: list[Any]) -> SSL.Context:
        build = super()._create_ssl_context
        return certificate_context(self._owner, srtp_profiles, lambda: build(srtp_profiles))
