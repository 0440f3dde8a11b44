"""The TCP and TLS accept loop, with limits a remote party cannot talk past.

asyncio's ``create_server`` accepts every connection it can and, when
``accept()`` fails for want of file descriptors (EMFILE), logs a traceback
and retries a second later, forever. This listener owns its accept loop
instead:

- at most ``max_connections`` connections at once, and at most
  ``max_per_source`` from one IP address; beyond that a new connection is
  accepted and closed at once (so the backlog never fills with them);
- an ``accept()`` that fails for want of resources pauses accepting for
  ``ACCEPT_PAUSE`` seconds and is counted, with one log line per pause and no
  traceback; UDP and established clients are served meanwhile;
- each connection gets the timeouts of :class:`StreamLimits` (enforced by
  :class:`~rtcpeer.turn.server.listeners.StreamConnection`).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

#: Makes the protocol of one connection; the argument is to be called once
#: when that connection is gone (it frees its place under the caps).
ProtocolFactory = Callable[[Callable[[], None]], asyncio.Protocol]

logger = logging.getLogger(__name__)

#: Seconds to stop accepting after accept() ran out of file descriptors.
ACCEPT_PAUSE = 0.5
_ACCEPTS_PER_WAKEUP = 32
_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


@dataclass(frozen=True)
class StreamLimits:
    """Bounds on TCP/TLS clients (0 or None: no bound)."""

    #: Connections open at once, all sources together.
    max_connections: int = 512
    #: Connections open at once from one source IP.
    max_per_source: int = 64
    #: Seconds from accept to the first complete frame (TLS handshake included).
    first_request_timeout: float = 10.0
    #: Seconds a connection without an allocation may stay silent between frames.
    idle_timeout: float = 60.0
    #: Seconds a frame may take from its first byte to its last.
    frame_timeout: float = 10.0


class StreamListener:
    """Accepts connections on one listening socket and hands them to asyncio."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        protocol_factory: ProtocolFactory,
        *,
        ssl_context: ssl.SSLContext | None,
        limits: StreamLimits,
    ) -> None:
        self._loop = loop
        self._sock = sock
        self._factory = protocol_factory
        self._tls_context = ssl_context
        self.limits = limits
        self._per_source: dict[str, int] = {}
        self._open = 0
        self._paused: asyncio.TimerHandle | None = None
        self._pending: set[asyncio.Task[object]] = set()
        self._closed = False
        #: Connections closed at once because a cap was reached.
        self.refused = 0
        #: accept() calls that failed for want of resources (EMFILE and the like).
        self.accept_failures = 0
        sock.setblocking(False)
        loop.add_reader(sock.fileno(), self._accept)

    @property
    def connections(self) -> int:
        """Connections accepted and not yet closed."""
        return self._open

    def _accept(self) -> None:
        for _ in range(_ACCEPTS_PER_WAKEUP):
            try:
                conn, addr = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                if error.errno in _EXHAUSTED:
                    self._pause(error)
                    return
                continue  # ECONNABORTED and the like concern one client only
            source = str(addr[0])
            limits = self.limits
            if (limits.max_connections and self._open >= limits.max_connections) or (
                limits.max_per_source and self._per_source.get(source, 0) >= limits.max_per_source
            ):
                self.refused += 1
                conn.close()
                continue
            self._open += 1
            self._per_source[source] = self._per_source.get(source, 0) + 1
            conn.setblocking(False)
            task: asyncio.Task[object] = self._loop.create_task(self._connect(conn, source))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _connect(self, conn: socket.socket, source: str) -> object:
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._release(source)

        timeout = self.limits.first_request_timeout if self._tls_context is not None else None
        try:
            return await self._loop.connect_accepted_socket(
                lambda: self._factory(release),
                conn,
                ssl=self._tls_context,
                ssl_handshake_timeout=timeout or None,
            )
        except (TimeoutError, OSError, ssl.SSLError, ConnectionError) as error:
            logger.debug("TURN stream connection from %s failed: %s", source, error)
            conn.close()
            release()
            return None

    def _release(self, source: str) -> None:
        self._open -= 1
        left = self._per_source.get(source, 1) - 1
        if left > 0:
            self._per_source[source] = left
        else:
            self._per_source.pop(source, None)

    def _pause(self, error: OSError) -> None:
        self.accept_failures += 1
        if self._paused is not None or self._closed:
            return
        logger.warning(
            "TURN %s listener: accept() failed (%s); pausing %.1f s",
            "TLS" if self._tls_context else "TCP",
            error.strerror,
            ACCEPT_PAUSE,
        )
        self._loop.remove_reader(self._sock.fileno())
        self._paused = self._loop.call_later(ACCEPT_PAUSE, self._resume)

    def _resume(self) -> None:
        self._paused = None
        if not self._closed:
            self._loop.add_reader(self._sock.fileno(), self._accept)

    def close(self) -> None:
        """Stop accepting (connections already made are the runtime's to close)."""
        if self._closed:
            return
        self._closed = True
        if self._paused is not None:
            self._paused.cancel()
            self._paused = None
        with contextlib.suppress(OSError, ValueError):
            self._loop.remove_reader(self._sock.fileno())
        for task in self._pending:
            task.cancel()
        self._sock.close()
