"""What the TURN server core asks its runtime to do, and what it reports.

Outputs (returned from every input method, queued by the timer) are orders to move bytes; events
(from :meth:`TurnServerCore.next_event`) say what happened, for logs and tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from rtcpeer.sansio import Address


@dataclass(frozen=True)
class ClientKey:
    """The 5-tuple that identifies one TURN client (RFC 8656 §2)."""

    #: "udp", "tcp", "tls" or "dtls": the transport between client and server.
    transport: str
    #: The client's address as the server sees it.
    remote: Address
    #: The server's listening address the client talks to.
    local: Address

    @property
    def is_stream(self) -> bool:
        """True over TCP and TLS, where ChannelData must be padded."""
        return self.transport in ("tcp", "tls")


@dataclass(frozen=True)
class SendToClient:
    """Send ``data`` to a client over the listener it came in on."""

    #: Which client (and so which listener and connection).
    client: ClientKey
    #: One whole STUN message or ChannelData frame.
    data: bytes


@dataclass(frozen=True)
class SendFromRelay:
    """Send ``data`` from a relayed transport address to a peer."""

    #: The relayed transport address (a socket the provider opened).
    relay: Address
    #: The peer's address.
    peer: Address
    #: The application payload.
    data: bytes


Output = SendToClient | SendFromRelay


@dataclass(frozen=True)
class AllocationCreated:
    """A client got a relayed transport address."""

    #: The client that owns the allocation.
    client: ClientKey
    #: The relayed transport address.
    relay: Address
    #: The authenticated username.
    username: str
    #: Granted lifetime in seconds.
    lifetime: int


@dataclass(frozen=True)
class AllocationDeleted:
    """An allocation ended and its relayed address was closed."""

    #: The client that owned it.
    client: ClientKey
    #: The relayed transport address that was released.
    relay: Address
    #: "refresh" (lifetime 0), "expired" or "client-closed".
    reason: str


Event = AllocationCreated | AllocationDeleted
