"""The one shape of every protocol machine in rtcpeer (sans-IO).

A protocol machine (the STUN transaction, the TURN client connection, the
TURN server core, the ICE agent and its gatherers) never touches a socket,
a clock or a task. The runtime that drives it feeds it input with the time
of arrival (each machine has its own ``receive...``/``handle...`` method for
that, since what arrives differs), then asks it, with the same four names
everywhere:

- :meth:`ProtocolMachine.datagrams_to_send`: what to send now (bytes, or an
  object saying where to send them), taken out of the machine;
- :meth:`ProtocolMachine.next_event`: the next thing the application should
  hear about, or ``None``;
- :meth:`ProtocolMachine.get_timer`: when to call :meth:`handle_timer` next
  (an absolute time on the caller's clock), or ``None`` for never;
- :meth:`ProtocolMachine.handle_timer`: the time came; the machine queues
  whatever that produces, to be collected as above, and returns nothing.

aioquic's ``QuicConnection`` and h11 use the same shape; keeping one set of
names lets one driver (``rtcpeer.simnet.node``, the asyncio runtimes) serve
every machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

#: A transport address: host (IP literal) and port.
Address = tuple[str, int]

OutputT_co = TypeVar("OutputT_co", covariant=True)
EventT_co = TypeVar("EventT_co", covariant=True)


class ProtocolMachine(Protocol[OutputT_co, EventT_co]):
    """What every sans-IO machine offers its driver (inputs are machine-specific)."""

    def datagrams_to_send(self) -> Sequence[OutputT_co]:
        """Everything queued for sending, removed from the machine (a list in practice)."""
        ...

    def next_event(self) -> EventT_co | None:
        """The oldest event not yet taken, or ``None``."""
        ...

    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` must run next, or ``None``."""
        ...

    def handle_timer(self, now: float) -> None:
        """Run what is due at ``now``; outputs and events are queued, not returned."""
        ...


__all__ = ["Address", "ProtocolMachine"]
