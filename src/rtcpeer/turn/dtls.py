"""DTLS over memory BIOs: a sans-IO wrapper around pyOpenSSL for TURN over DTLS.

``turns:host?transport=udp`` runs TURN inside DTLS. The TURN client needs the
client side; the embedded TURN server needs the server side, with the
stateless cookie exchange (RFC 6347 §4.2.1) so that a spoofed ClientHello
costs the server no state. Neither side owns a socket: datagrams go in with
:meth:`DtlsEndpoint.feed` and come out of :meth:`DtlsEndpoint.datagrams_to_send`.

OpenSSL keeps its own retransmission clock (the wall clock); the wrapper
reports its deadline on the caller's clock via :meth:`DtlsEndpoint.get_timer`.
On a virtual clock the handshake still works as long as no datagram is lost.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from OpenSSL import SSL

from rtcpeer.sansio import Address
from rtcpeer.turn.errors import TurnBaseError

_MAX_READ = 65536
_DEFAULT_MTU = 1200


class DtlsError(TurnBaseError):
    """The DTLS handshake or record layer failed (alert, verification, ...)."""


def client_context(
    cafile: str | Path | None = None,
    *,
    verify: bool = True,
) -> SSL.Context:
    """A DTLS client context verifying the server against ``cafile`` (PEM), or
    against the system trust store when ``cafile`` is None."""
    context = SSL.Context(SSL.DTLS_CLIENT_METHOD)
    if verify:
        context.set_verify(SSL.VERIFY_PEER, lambda *args: bool(args[-1]))
        if cafile is None:
            context.set_default_verify_paths()
        else:
            context.load_verify_locations(str(cafile))
    else:
        context.set_verify(SSL.VERIFY_NONE, lambda *args: True)
    return context


def server_context(
    cert: str | Path,
    key: str | Path,
    *,
    cookie_secret: bytes | None = None,
) -> SSL.Context:
    """A DTLS server context with ``cert``/``key`` (PEM) and HMAC cookies.

    The cookie is HMAC-SHA256(secret, peer address), so verifying it needs no
    per-peer state; the peer address comes from :class:`DtlsEndpoint`.
    """
    secret = cookie_secret if cookie_secret is not None else os.urandom(32)
    context = SSL.Context(SSL.DTLS_SERVER_METHOD)
    context.use_certificate_chain_file(str(cert))
    context.use_privatekey_file(str(key))
    context.check_privatekey()

    def generate(conn: SSL.Connection) -> bytes:
        return _cookie(secret, conn.get_app_data())

    def verify(conn: SSL.Connection, cookie: bytes) -> bool:
        return hmac.compare_digest(cookie, _cookie(secret, conn.get_app_data()))

    context.set_cookie_generate_callback(generate)
    context.set_cookie_verify_callback(verify)
    return context


def _cookie(secret: bytes, peer: object) -> bytes:
    return hmac.new(secret, repr(peer).encode(), hashlib.sha256).digest()[:16]


class DtlsEndpoint:
    """One DTLS association (client or server) driven by datagrams.

    Client: ``DtlsEndpoint(client_context(ca), server_hostname="127.0.0.1")``;
    call :meth:`start` to produce the ClientHello. Server:
    ``DtlsEndpoint(server_context(cert, key), server=True, peer=addr)``; the
    first ClientHello is answered with a HelloVerifyRequest (see
    :attr:`listening`) before any handshake state is kept.
    """

    def __init__(
        self,
        context: SSL.Context,
        *,
        server: bool = False,
        peer: Address | None = None,
        server_hostname: str | None = None,
        mtu: int = _DEFAULT_MTU,
    ) -> None:
        self._server = server
        self._conn = SSL.Connection(context, None)
        self._conn.set_app_data(peer)
        self._hostname = server_hostname
        self._listening = server
        self._handshake_complete = False
        self._closed = False
        self._outgoing: list[bytes] = []
        self._now = 0.0
        self._conn.set_ciphertext_mtu(mtu)
        if server:
            self._conn.set_accept_state()
        else:
            if server_hostname is not None and not _is_ip(server_hostname):
                self._conn.set_tlsext_host_name(server_hostname.encode("idna"))
            self._conn.set_connect_state()

    # -- state ---------------------------------------------------------------
    @property
    def handshake_complete(self) -> bool:
        """True once the handshake finished and application data can flow."""
        return self._handshake_complete

    @property
    def listening(self) -> bool:
        """Server only: True until a ClientHello with a valid cookie arrived.
        A server may drop endpoints in this state: they hold no DTLS state."""
        return self._listening

    @property
    def closed(self) -> bool:
        """True after close() or once the peer sent close_notify."""
        return self._closed

    @property
    def peer_certificate(self) -> x509.Certificate | None:
        """The peer's leaf certificate, once the handshake is complete."""
        cert = self._conn.get_peer_certificate(as_cryptography=True)
        return cert if isinstance(cert, x509.Certificate) else None

    # -- driving -------------------------------------------------------------
    def start(self, now: float | None = None) -> None:
        """Client: emit the ClientHello. Servers need not call this."""
        self._tick(now)
        if not self._server:
            self._handshake()

    def feed(self, datagram: bytes, now: float | None = None) -> list[bytes]:
        """Process one received datagram; return the application data in it.

        Raises :class:`DtlsError` when the handshake fails or the certificate
        does not verify; the endpoint is unusable afterwards.
        """
        self._tick(now)
        if self._closed:
            return []
        if self._listening:
            return self._listen(datagram)
        self._conn.bio_write(datagram)
        if not self._handshake_complete:
            self._handshake()
            if not self._handshake_complete:
                return []
        return self._read_application_data()

    def send(self, data: bytes) -> None:
        """Encrypt one application datagram (after the handshake)."""
        if not self._handshake_complete or self._closed:
            raise DtlsError("DTLS handshake not complete")
        try:
            self._conn.send(data)
        except SSL.Error as exc:
            raise DtlsError(f"DTLS send failed: {exc}") from exc
        self._flush()

    def datagrams_to_send(self) -> list[bytes]:
        """Take every datagram waiting to go to the peer."""
        self._flush()
        out, self._outgoing = self._outgoing, []
        return out

    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` is due on the caller's clock (handshake
        retransmission), or None: OpenSSL's remaining time counted from the
        last ``now`` passed in (to :meth:`start`, :meth:`feed` or
        :meth:`handle_timer`, the calls after which a driver re-arms)."""
        if self._handshake_complete or self._listening or self._closed:
            return None
        remaining = self._conn.DTLSv1_get_timeout()
        return None if remaining is None else self._now + remaining

    def handle_timer(self, now: float) -> None:
        """Retransmit the last handshake flight if OpenSSL's timer expired."""
        self._tick(now)
        if self._handshake_complete or self._listening or self._closed:
            return
        try:
            self._conn.DTLSv1_handle_timeout()
        except SSL.Error as exc:
            raise DtlsError(f"DTLS handshake timed out: {exc}") from exc
        self._flush()

    def close(self) -> None:
        """Send close_notify (if the handshake finished) and stop."""
        if self._closed:
            return
        self._closed = True
        if self._handshake_complete:
            with contextlib.suppress(SSL.Error):
                self._conn.shutdown()
            self._flush()

    # -- internals -----------------------------------------------------------
    def _tick(self, now: float | None) -> None:
        if now is not None:
            self._now = now

    def _listen(self, datagram: bytes) -> list[bytes]:
        self._conn.bio_write(datagram)
        try:
            self._conn.DTLSv1_listen()
        except SSL.WantReadError:
            self._flush()  # a HelloVerifyRequest, or nothing for garbage
            return []
        except SSL.Error:
            self._flush()
            return []
        self._listening = False
        # DTLSv1_listen consumed the ClientHello from the memory BIO; hand it
        # to the handshake again (a socket BIO would have peeked instead).
        self._conn.bio_write(datagram)
        self._handshake()
        return self._read_application_data() if self._handshake_complete else []

    def _handshake(self) -> None:
        try:
            self._conn.do_handshake()
        except SSL.WantReadError:
            self._flush()
            return
        except SSL.Error as exc:
            self._flush()  # let the alert reach the peer
            self._closed = True
            raise DtlsError(f"DTLS handshake failed: {exc}") from exc
        self._flush()
        if not self._server and self._hostname is not None:
            cert = self.peer_certificate
            verifying = self._conn.get_context().get_verify_mode() & SSL.VERIFY_PEER
            if verifying and (cert is None or not matches_hostname(cert, self._hostname)):
                self._closed = True
                raise DtlsError(f"certificate does not match {self._hostname!r}")
        self._handshake_complete = True

    def _read_application_data(self) -> list[bytes]:
        received: list[bytes] = []
        while True:
            try:
                received.append(self._conn.recv(_MAX_READ))
            except SSL.WantReadError:
                break
            except SSL.ZeroReturnError:
                self._closed = True
                break
            except SSL.Error as exc:
                self._closed = True
                self._flush()
                raise DtlsError(f"DTLS record error: {exc}") from exc
        self._flush()
        return received

    def _flush(self) -> None:
        while True:
            try:
                data = self._conn.bio_read(_MAX_READ)
            except SSL.WantReadError:
                return
            if not data:
                return
            self._outgoing.append(data)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def matches_hostname(cert: x509.Certificate, hostname: str) -> bool:
    """RFC 6125 check of ``hostname`` (a DNS name or IP literal) against the
    certificate's subjectAltName; a single leftmost ``*`` label is allowed."""
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    host = hostname.strip("[]")
    if _is_ip(host):
        wanted = ipaddress.ip_address(host)
        return any(ip == wanted for ip in names.get_values_for_type(x509.IPAddress))
    host = host.rstrip(".").lower()
    for pattern in names.get_values_for_type(x509.DNSName):
        pattern = pattern.rstrip(".").lower()
        if pattern == host:
            return True
        if pattern.startswith("*.") and "." in host and host.split(".", 1)[1] == pattern[2:]:
            return True
    return False
