"""asyncio transports to a TURN server: UDP, TCP, TLS and DTLS.

A link carries whole STUN messages / ChannelData frames both ways and nothing
else: TCP and TLS are cut into frames with :class:`StreamFramer`, DTLS is
decrypted by :class:`DtlsEndpoint`. Opening a link raises :class:`TurnError`
with code 701 when the server cannot be reached or fails verification.
"""

from __future__ import annotations

import asyncio
import functools
import os
import socket
import ssl
from collections.abc import Callable
from typing import Any, cast

from cryptography import x509
from OpenSSL import SSL

from rtcpeer.sansio import Address
from rtcpeer.stun.attributes import StunDecodeError
from rtcpeer.stun.framing import StreamFramer
from rtcpeer.turn.client.target import TurnServerTarget, transport_name
from rtcpeer.turn.client.tls_sessions import ResumingContext, opening, resuming_client_context
from rtcpeer.turn.dtls import DtlsEndpoint, DtlsError, client_context
from rtcpeer.turn.errors import UNREACHABLE, TurnConnectionError, TurnError
from rtcpeer.turn.trust import TurnTls

FrameHandler = Callable[[bytes], None]
LostHandler = Callable[[str], None]


class Link:
    """A connected transport to one TURN server."""

    def __init__(self) -> None:
        self.on_frame: FrameHandler = lambda frame: None
        self.on_lost: LostHandler = lambda reason: None
        self._transport: asyncio.BaseTransport | None = None
        self._closed = False

    @property
    def local_address(self) -> Address:
        assert self._transport is not None
        sockname = self._transport.get_extra_info("sockname")
        return str(sockname[0]), int(sockname[1])

    def send(self, frame: bytes) -> None:
        raise NotImplementedError

    def peer_certificate(self) -> x509.Certificate | bytes | None:
        """The server's certificate (TLS: DER bytes); None without (D)TLS."""
        return None

    def close(self) -> None:
        self._closed = True
        if self._transport is not None:
            self._transport.close()

    def _lost(self, reason: str) -> None:
        if not self._closed:
            self._closed = True
            self.on_lost(reason)


class _DatagramLink(Link, asyncio.DatagramProtocol):
    """Plain UDP: one datagram, one frame."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._deliver(data)

    def error_received(self, exc: Exception) -> None:
        # On a connected UDP socket an ICMP port unreachable surfaces here.
        if isinstance(exc, ConnectionRefusedError):
            self._lost(f"connection refused: {exc}")

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost("socket closed" if exc is None else f"socket error: {exc}")

    def send(self, frame: bytes) -> None:
        if self._transport is not None and not self._closed:
            cast(asyncio.DatagramTransport, self._transport).sendto(frame)

    def _deliver(self, data: bytes) -> None:
        if not self._closed:
            self.on_frame(data)


class _DtlsLink(_DatagramLink):
    """DTLS over UDP: datagrams are records; the handshake comes first."""

    def __init__(self, endpoint: DtlsEndpoint, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._dtls = endpoint
        self._loop = loop
        self._timer: asyncio.TimerHandle | None = None
        self.handshake: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._dtls.start(self._loop.time())
        self._flush()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self._closed:
            return
        try:
            records = self._dtls.feed(data, self._loop.time())
        except DtlsError as exc:
            self._flush()
            self._fail(str(exc))
            return
        self._flush()
        if self._dtls.handshake_complete and not self.handshake.done():
            self.handshake.set_result(None)
        if self._dtls.closed:
            self._fail("DTLS closed by the server")
            return
        for record in records:
            self._deliver(record)

    def send(self, frame: bytes) -> None:
        if self._closed or not self._dtls.handshake_complete:
            return
        self._dtls.send(frame)
        self._flush()

    def peer_certificate(self) -> x509.Certificate | bytes | None:
        return self._dtls.peer_certificate

    def close(self) -> None:
        if not self._closed:
            self._dtls.close()
            self._flush()
        self._cancel_timer()
        super().close()

    def _fail(self, reason: str) -> None:
        self._cancel_timer()
        self._lost(reason)

    def _lost(self, reason: str) -> None:
        if not self.handshake.done():
            self.handshake.set_exception(TurnConnectionError(reason))
        super()._lost(reason)

    def _flush(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            transport = cast(asyncio.DatagramTransport, self._transport)
            for datagram in self._dtls.datagrams_to_send():
                transport.sendto(datagram)
        self._arm_timer()

    def _arm_timer(self) -> None:
        self._cancel_timer()
        when = self._dtls.get_timer()
        if when is not None and not self._closed:
            self._timer = self._loop.call_at(when, self._on_timer)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_timer(self) -> None:
        self._timer = None
        try:
            self._dtls.handle_timer(self._loop.time())
        except DtlsError as exc:
            self._fail(str(exc))
            return
        self._flush()


class _StreamLink(Link, asyncio.Protocol):
    """TCP or TLS: a byte stream cut into frames (RFC 8656 §12.5)."""

    def __init__(self) -> None:
        super().__init__()
        self._framer = StreamFramer()
        #: TLS: hands the session to the context that resumes it (TLS 1.2 has it
        #: after the handshake, TLS 1.3 once the first bytes from the server came).
        self.remember_session: Callable[[object], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        if self.remember_session is not None and self._transport is not None:
            self.remember_session(self._transport.get_extra_info("ssl_object"))
            self.remember_session = None
        try:
            frames = self._framer.feed(data)
        except StunDecodeError as exc:
            self._lost(f"garbage on the stream: {exc}")
            self.close()
            return
        for frame in frames:
            if self._closed:
                return
            self.on_frame(frame)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost("connection closed" if exc is None else f"connection lost: {exc}")

    def peer_certificate(self) -> x509.Certificate | bytes | None:
        tls = None if self._transport is None else self._transport.get_extra_info("ssl_object")
        return None if tls is None else cast(ssl.SSLObject, tls).getpeercert(binary_form=True)

    def send(self, frame: bytes) -> None:
        if self._transport is not None and not self._closed:
            cast(asyncio.WriteTransport, self._transport).write(frame)


def default_tls_context(cafile: str | None = None) -> ssl.SSLContext:
    """A verifying client context trusting ``cafile`` (else the system store),
    resuming TLS sessions with servers it has connected to before.

    Shared by every TLS link with the same trust: building one parses the
    whole CA bundle (about a millisecond per connection for a one-CA file,
    far more for the system store). Keyed on the file's identity and mtime,
    so a rewritten bundle is read again.
    """
    key: tuple[str, int, int] | None = None
    if cafile is not None:
        stat = os.stat(cafile)
        key = (os.path.abspath(cafile), stat.st_mtime_ns, stat.st_size)
    return _tls_context(key)


@functools.lru_cache(maxsize=16)
def _tls_context(key: tuple[str, int, int] | None) -> ssl.SSLContext:
    return resuming_client_context(None if key is None else key[0])


async def open_link(
    target: TurnServerTarget,
    *,
    server_hostname: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    dtls_context: SSL.Context | None = None,
    cafile: str | None = None,
    local_address: Address | None = None,
    timeout: float = 10.0,
    trust: TurnTls | None = None,
) -> Link:
    """Connect to ``target``; TLS and DTLS verify the server certificate
    (against ``cafile``, or the system trust store) unless given a context.

    ``trust`` (when given) replaces ``cafile`` and, for TLS, ``ssl_context``:
    its CA file or context, and its SPKI pins (see :class:`TurnTls`).
    """
    kind = transport_name(target)
    hostname = server_hostname or target.host
    if trust is not None:
        cafile = trust.ca
        ssl_context = trust.context or ssl_context
    try:
        return await asyncio.wait_for(
            _open_trusted(
                target, kind, hostname, ssl_context, dtls_context, cafile, local_address, trust
            ),
            timeout,
        )
    except TimeoutError as exc:
        raise TurnError(UNREACHABLE, target.url, f"{kind} connection timed out") from exc
    except ssl.SSLError as exc:
        raise TurnError(UNREACHABLE, target.url, f"TLS failed: {exc}") from exc
    except (OSError, ConnectionError) as exc:
        raise TurnError(UNREACHABLE, target.url, f"{kind} connection failed: {exc}") from exc


async def _open_trusted(
    target: TurnServerTarget,
    kind: str,
    hostname: str,
    ssl_context: ssl.SSLContext | None,
    dtls_context: SSL.Context | None,
    cafile: str | None,
    local_address: Address | None,
    trust: TurnTls | None,
) -> Link:
    """:func:`_open`, first accepting a server whose key ``trust`` pins."""
    if trust is not None and trust.spki_pins and kind in ("tls", "dtls"):
        pinning = await _open(
            target, kind, hostname, trust.unverified_tls, trust.unverified_dtls, None,
            local_address,
        )  # fmt: skip
        if trust.pinned(pinning.peer_certificate()):
            return pinning
        pinning.close()  # not pinned: the CA must vouch for it
    return await _open(target, kind, hostname, ssl_context, dtls_context, cafile, local_address)


async def _open(
    target: TurnServerTarget,
    kind: str,
    hostname: str,
    ssl_context: ssl.SSLContext | None,
    dtls_context: SSL.Context | None,
    cafile: str | None,
    local_address: Address | None,
) -> Link:
    loop = asyncio.get_running_loop()
    remote = (target.host, target.port)
    family = socket.AF_INET6 if ":" in target.host else 0
    if kind == "udp":
        _, udp = await loop.create_datagram_endpoint(
            _DatagramLink, remote_addr=remote, local_addr=local_address, family=family
        )
        return udp
    if kind == "dtls":
        endpoint = DtlsEndpoint(dtls_context or client_context(cafile), server_hostname=hostname)
        _, dtls = await loop.create_datagram_endpoint(
            lambda: _DtlsLink(endpoint, loop),
            remote_addr=remote,
            local_addr=local_address,
            family=family,
        )
        try:
            await dtls.handshake
        except BaseException:
            dtls.close()
            raise
        return dtls
    tls: ssl.SSLContext | None = None
    if kind == "tls":
        tls = ssl_context or default_tls_context(cafile)
    with opening(remote):  # a ResumingContext offers this server's last session
        _, stream = await loop.create_connection(
            _StreamLink,
            target.host,
            target.port,
            ssl=tls,
            server_hostname=hostname if tls is not None else None,
            local_addr=local_address,
            family=family,
        )
    if isinstance(tls, ResumingContext):
        stream.remember_session = functools.partial(tls.remember, hostname, remote)
    return stream
