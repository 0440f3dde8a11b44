"""TURN over DTLS (``turns:…?transport=udp``): one UDP socket, one DTLS
session per client address, on top of :mod:`rtcpeer.turn.dtls`.

A client gets session state only after it echoed a valid cookie
(RFC 6347 §4.2.1): until then each ClientHello is answered by a throw-away
endpoint, so spoofed or garbage datagrams cost no memory.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from OpenSSL import SSL

from rtcpeer.sansio import Address
from rtcpeer.turn.dtls import DtlsEndpoint, DtlsError
from rtcpeer.turn.server.events import ClientKey
from rtcpeer.turn.server.listeners import ClientSink

#: Most DTLS sessions one listener keeps. When full, sessions idle this long
#: that hold no allocation are evicted; if none are, new handshakes are dropped.
MAX_SESSIONS = 10_000
IDLE_EVICTION = 60.0


class DtlsListener(asyncio.DatagramProtocol):
    """Demultiplexes datagrams by client address into DTLS sessions."""

    def __init__(self, sink: ClientSink, context: SSL.Context) -> None:
        self._sink = sink
        self._context = context
        self._sessions: dict[Address, DtlsEndpoint] = {}
        self._timers: dict[Address, asyncio.TimerHandle] = {}
        self._last_seen: dict[Address, float] = {}
        self.transport: asyncio.DatagramTransport | None = None
        self.local: Address = ("", 0)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Not a DatagramTransport subclass before Python 3.12, though it is one.
        self.transport = cast(asyncio.DatagramTransport, transport)
        sockname = transport.get_extra_info("sockname")
        self.local = (str(sockname[0]), int(sockname[1]))

    def error_received(self, exc: Exception) -> None:
        """ICMP errors concern one client only: ignore."""

    def datagram_received(self, data: bytes, addr: Any) -> None:
        remote: Address = (str(addr[0]), int(addr[1]))
        endpoint = self._sessions.get(remote)
        loop = asyncio.get_running_loop()
        if endpoint is None:
            if len(self._sessions) >= MAX_SESSIONS and not self._evict_idle(loop.time()):
                return
            endpoint = DtlsEndpoint(self._context, server=True, peer=remote)
        try:
            records = endpoint.feed(data, loop.time())
        except DtlsError:
            self._flush(endpoint, remote)
            self._drop(remote)
            return
        self._flush(endpoint, remote)
        if endpoint.listening:
            return  # cookie exchange only: keep nothing
        client = ClientKey("dtls", remote, self.local)
        self._last_seen[remote] = loop.time()
        if remote not in self._sessions:
            self._sessions[remote] = endpoint
            self._sink.connected(client, lambda payload: self._send(remote, payload))
        self._arm_timer(remote, endpoint)
        for record in records:
            self._sink.from_client(client, record)
        if endpoint.closed:
            self._drop(remote)

    def _send(self, remote: Address, payload: bytes) -> None:
        endpoint = self._sessions.get(remote)
        if endpoint is None or not endpoint.handshake_complete or endpoint.closed:
            return
        try:
            endpoint.send(payload)
        except DtlsError:
            self._drop(remote)
            return
        self._flush(endpoint, remote)

    def _flush(self, endpoint: DtlsEndpoint, remote: Address) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        for datagram in endpoint.datagrams_to_send():
            self.transport.sendto(datagram, remote)

    def _arm_timer(self, remote: Address, endpoint: DtlsEndpoint) -> None:
        old = self._timers.pop(remote, None)
        if old is not None:
            old.cancel()
        when = endpoint.get_timer()
        if when is not None:
            self._timers[remote] = asyncio.get_running_loop().call_at(when, self._on_timer, remote)

    def _on_timer(self, remote: Address) -> None:
        self._timers.pop(remote, None)
        endpoint = self._sessions.get(remote)
        if endpoint is None:
            return
        try:
            endpoint.handle_timer(asyncio.get_running_loop().time())
        except DtlsError:
            self._drop(remote)
            return
        self._flush(endpoint, remote)
        self._arm_timer(remote, endpoint)

    def _evict_idle(self, now: float) -> bool:
        """Drop sessions idle for IDLE_EVICTION s without an allocation."""
        idle = [
            remote
            for remote, seen in self._last_seen.items()
            if now - seen > IDLE_EVICTION
            and not self._sink.has_allocation(ClientKey("dtls", remote, self.local))
        ]
        for remote in idle:
            self._drop(remote)
        return bool(idle)

    def _drop(self, remote: Address) -> None:
        self._last_seen.pop(remote, None)
        timer = self._timers.pop(remote, None)
        if timer is not None:
            timer.cancel()
        if self._sessions.pop(remote, None) is not None:
            self._sink.disconnected(ClientKey("dtls", remote, self.local))

    def close_sessions(self) -> None:
        """Send close_notify to every client and forget them."""
        for remote, endpoint in list(self._sessions.items()):
            endpoint.close()
            self._flush(endpoint, remote)
            self._drop(remote)
