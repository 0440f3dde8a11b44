"""The thin asyncio runtime of the TURN client: a link, a timer, futures.

All protocol decisions live in :class:`TurnClientConnection`; this module only
moves frames between it and a :class:`~rtcpeer.turn.client.links.Link`, runs
its timer on the event loop's clock and turns its events into awaitables.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from OpenSSL import SSL

from rtcpeer.sansio import Address
from rtcpeer.stun.transaction import RetransmissionPolicy
from rtcpeer.turn.client.connection import (
    DEFAULT_LIFETIME,
    AllocationState,
    TurnClientConnection,
    normalise_host,
)
from rtcpeer.turn.client.events import (
    AllocationFailed,
    AllocationLost,
    AllocationSucceeded,
    ChannelBindFailed,
    ChannelBound,
    PeerDataReceived,
    PermissionCreated,
    PermissionFailed,
    Released,
)
from rtcpeer.turn.client.links import Link, open_link
from rtcpeer.turn.client.target import TurnServer, TurnServerTarget
from rtcpeer.turn.errors import UNREACHABLE, TurnError
from rtcpeer.turn.trust import TurnTls

DataHandler = Callable[[Address, bytes], None]
ErrorHandler = Callable[[TurnError], None]

MAX_REDIRECTS = 2
_T = TypeVar("_T")


class TurnClient:
    """One live TURN allocation. Create it with :meth:`connect`."""

    def __init__(self, connection: TurnClientConnection, link: Link) -> None:
        self._loop = asyncio.get_running_loop()
        self.connection = connection
        self._link = link
        self._timer: asyncio.TimerHandle | None = None
        self._allocated: asyncio.Future[None] = self._loop.create_future()
        self._released: asyncio.Future[None] = self._loop.create_future()
        self._permission_waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._channel_waiters: dict[Address, list[asyncio.Future[int]]] = {}
        self._queue: asyncio.Queue[tuple[bytes, Address]] = asyncio.Queue()
        #: Called with ``(peer, data)`` for relayed data; when None, data is
        #: queued for :meth:`recv_from`.
        self.on_data: DataHandler | None = None
        #: Called once if a live allocation is lost (refresh failed, link lost).
        self.on_error: ErrorHandler | None = None
        #: The error that ended the allocation, if any.
        self.error: TurnError | None = None
        self._alternate: Address | None = None
        link.on_frame = self._on_frame
        link.on_lost = self._on_link_lost

    # -- construction ----------------------------------------------------------
    @classmethod
    async def connect(
        cls,
        server: TurnServerTarget,
        username: str,
        password: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        dtls_context: SSL.Context | None = None,
        cafile: str | Path | None = None,
        local_address: Address | None = None,
        timeout: float = 10.0,
        lifetime: int = DEFAULT_LIFETIME,
        policy: RetransmissionPolicy | None = None,
        follow_alternate: bool = True,
        on_data: DataHandler | None = None,
        family: int | None = None,
        dual_stack: bool = False,
        family_fallback: bool = True,
        trust: TurnTls | None = None,
    ) -> TurnClient:
        """Open a link to ``server`` and allocate a relayed address.

        TLS (``turns:``) and DTLS (``turns:?transport=udp``) verify the server
        certificate against ``cafile`` or the system trust store, unless an
        explicit context says otherwise. A 300 Try Alternate is followed (up to
        two hops, same transport; the certificate must still match the
        original host; ``trust``, a :class:`TurnTls`, replaces ``cafile`` and
        ``ssl_context``). Raises :class:`TurnError`: the server's error code, or
        701 when it could not be reached within ``timeout`` seconds.

        ``family`` (4 or 6) is the relayed address family to ask for; by
        default the family the server is reached over (as libwebrtc). A 440
        is retried once in the other family (unless ``family_fallback`` is
        False). ``dual_stack`` asks for an IPv4 and an IPv6 relayed address at
        once (ADDITIONAL-ADDRESS-FAMILY; see :attr:`relayed_addresses`).
        """
        target: TurnServerTarget = server
        ca = str(cafile) if cafile is not None else None
        deadline = asyncio.get_running_loop().time() + timeout
        for _ in range(MAX_REDIRECTS + 1):
            remaining = max(deadline - asyncio.get_running_loop().time(), 0.0)
            link = await open_link(
                target,
                server_hostname=server.host,
                ssl_context=ssl_context,
                dtls_context=dtls_context,
                cafile=ca,
                local_address=local_address,
                timeout=remaining,
                trust=trust,
            )
            wanted = family
            if wanted is None:
                wanted = 4 if dual_stack or ":" not in link.local_address[0] else 6
            connection = TurnClientConnection(
                target,
                username,
                password,
                lifetime=lifetime,
                policy=policy,
                family=wanted,
                dual_stack=dual_stack,
                family_fallback=family_fallback,
            )
            client = cls(connection, link)
            client.on_data = on_data
            try:
                alternate = await client._allocate(deadline)
            except BaseException:
                client._shutdown()
                raise
            if alternate is None:
                return client
            client._shutdown()
            if not follow_alternate:
                break
            target = TurnServer(
                alternate[0], alternate[1], server.transport, server.secure, server.url
            )
        raise TurnError(300, server.url, "Try Alternate: too many redirects")

    async def _allocate(self, deadline: float) -> Address | None:
        """Allocate; return the alternate server on a followed 300."""
        self.connection.allocate(self._loop.time())
        self._pump()
        try:
            await asyncio.wait_for(
                asyncio.shield(self._allocated), max(deadline - self._loop.time(), 0.0)
            )
        except TimeoutError as exc:
            raise TurnError(UNREACHABLE, self.url, "allocation timed out") from exc
        except TurnError as exc:
            if exc.code == 300 and self._alternate is not None:
                return self._alternate
            raise
        return None

    # -- public surface --------------------------------------------------------
    @property
    def url(self) -> str:
        return self.connection.url

    @property
    def relayed_address(self) -> Address:
        address = self.connection.relayed_address
        assert address is not None, "not allocated"
        return address

    @property
    def relayed_addresses(self) -> list[Address]:
        """Every relayed address: one, or an IPv4 and an IPv6 one (dual stack)."""
        return list(self.connection.relayed_addresses.values())

    @property
    def mapped_address(self) -> Address | None:
        return self.connection.mapped_address

    @property
    def local_address(self) -> Address:
        return self._link.local_address

    @property
    def allocated(self) -> bool:
        return self.connection.state == AllocationState.ALLOCATED

    async def create_permission(self, peer_host: str) -> None:
        """Install a permission for ``peer_host``; kept fresh until close."""
        self._check_allocated()
        future: asyncio.Future[None] = self._loop.create_future()
        self.connection.create_permission(peer_host, self._loop.time())
        key = normalise_host(peer_host)
        self._permission_waiters.setdefault(key, []).append(future)
        self._pump()
        await future

    async def bind_channel(self, peer: Address) -> int:
        """Bind a channel to ``peer`` (kept fresh until close); returns it."""
        self._check_allocated()
        future: asyncio.Future[int] = self._loop.create_future()
        self.connection.bind_channel(peer, self._loop.time())
        self._channel_waiters.setdefault((normalise_host(peer[0]), peer[1]), []).append(future)
        self._pump()
        return await future

    def send_to(self, data: bytes, peer: Address) -> None:
        """Relay ``data`` to ``peer`` (needs a permission for its IP)."""
        self._check_allocated()
        self.connection.send(data, peer, self._loop.time())
        self._pump()

    async def recv_from(self) -> tuple[bytes, Address]:
        """The next ``(data, peer)`` relayed to us (when ``on_data`` is None)."""
        return await self._queue.get()

    async def close(self, timeout: float = 2.0) -> None:
        """Release the allocation (LIFETIME 0), then close the link."""
        if self.connection.state == AllocationState.ALLOCATED:
            self.connection.release(self._loop.time())
            self._pump()
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._released), timeout)
        self._shutdown()

    # -- plumbing --------------------------------------------------------------
    def _check_allocated(self) -> None:
        """Raise the error that ended the allocation (or 701 once closed)."""
        if self.connection.state != AllocationState.ALLOCATED:
            raise self.error or TurnError(UNREACHABLE, self.url, "allocation is closed")

    def _shutdown(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.connection.state not in (AllocationState.CLOSED, AllocationState.FAILED):
            self.connection.release(self._loop.time())
        self._link.on_lost = lambda reason: None
        self._link.close()
        self._drain_events()
        closed = TurnError(UNREACHABLE, self.url, "TURN client closed")
        self._fail_waiters(closed)
        _reject(self._allocated, closed)

    def _on_frame(self, frame: bytes) -> None:
        self.connection.receive(frame, self._loop.time())
        self._pump()

    def _on_link_lost(self, reason: str) -> None:
        self.connection.connection_lost(reason)
        self._pump()

    def _on_timer(self) -> None:
        self._timer = None
        self.connection.handle_timer(self._loop.time())
        self._pump()

    def _pump(self) -> None:
        for frame in self.connection.datagrams_to_send():
            self._link.send(frame)
        self._drain_events()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        when = self.connection.get_timer()
        if when is not None:
            self._timer = self._loop.call_at(when, self._on_timer)

    def _drain_events(self) -> None:
        while (event := self.connection.next_event()) is not None:
            if isinstance(event, AllocationSucceeded):
                _resolve(self._allocated, None)
            elif isinstance(event, AllocationFailed):
                self._alternate = event.alternate_server
                self.error = event.error
                _reject(self._allocated, event.error)
            elif isinstance(event, AllocationLost):
                self.error = event.error
                self._fail_waiters(event.error)
                if self.on_error is not None:
                    self.on_error(event.error)
            elif isinstance(event, PermissionCreated):
                for future in self._permission_waiters.pop(event.peer_host, []):
                    _resolve(future, None)
            elif isinstance(event, PermissionFailed):
                for future in self._permission_waiters.pop(event.peer_host, []):
                    _reject(future, event.error)
            elif isinstance(event, ChannelBound):
                for waiter in self._channel_waiters.pop(event.peer, []):
                    _resolve(waiter, event.channel)
            elif isinstance(event, ChannelBindFailed):
                for waiter in self._channel_waiters.pop(event.peer, []):
                    _reject(waiter, event.error)
            elif isinstance(event, PeerDataReceived):
                if self.on_data is not None:
                    self.on_data(event.peer, event.data)
                else:
                    self._queue.put_nowait((event.data, event.peer))
            elif isinstance(event, Released):
                _resolve(self._released, None)

    def _fail_waiters(self, error: TurnError) -> None:
        for permission_waiters in self._permission_waiters.values():
            for future in permission_waiters:
                _reject(future, error)
        for channel_waiters in self._channel_waiters.values():
            for waiter in channel_waiters:
                _reject(waiter, error)
        self._permission_waiters.clear()
        self._channel_waiters.clear()


def _resolve(future: asyncio.Future[_T], value: _T) -> None:
    if not future.done():
        future.set_result(value)


def _reject(future: asyncio.Future[_T], error: BaseException) -> None:
    """Fail ``future`` without a "never retrieved" warning if nobody awaits it."""
    if not future.done():
        future.set_exception(error)
        future.exception()
