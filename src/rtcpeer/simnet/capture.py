"""A record of every packet observation, so tests can assert on the wire.

Each traversal of a network segment gives one ``"sent"`` record and then one
terminal record: ``"delivered"`` or the reason it was dropped. A packet that
crosses a NAT shows up once on each side, so tests see addresses before and
after translation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rtcpeer.stun import Address

SENT = "sent"
DELIVERED = "delivered"
#: Every drop reason the network records.
DROP_REASONS = (
    "lost",  # the link's random loss
    "link-down",  # a cut link
    "host-down",  # the destination host was killed
    "no-route",  # no interface has that address and no gateway leads on
    "no-socket",  # nothing bound to that port (or no stream for the segment)
    "nat-no-mapping",  # inbound to a NAT port with no live mapping
    "nat-filtered",  # the NAT's filtering behaviour refused it
    "nat-hairpin",  # to the NAT's own public side with hairpinning off
    "family-mismatch",  # IPv4 socket to an IPv6 address or the reverse
)


@dataclass(frozen=True, slots=True)
class CaptureRecord:
    """One observation of a packet on one network segment."""

    #: Virtual time of the observation.
    time: float
    #: Name of the segment (realm) the packet is crossing.
    realm: str
    #: "udp" or "tcp".
    transport: str
    #: Source address on this segment (after any NAT before it).
    src: Address
    #: Destination address on this segment.
    dst: Address
    #: Payload bytes (stream control segments carry b"").
    data: bytes
    #: "sent", "delivered", or one of :data:`DROP_REASONS`.
    outcome: str


class Capture:
    """The network's packet log; switch off with ``enabled = False`` for speed."""

    def __init__(self) -> None:
        self.enabled = True
        self.records: list[CaptureRecord] = []

    def __iter__(self) -> Iterator[CaptureRecord]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def clear(self) -> None:
        self.records.clear()

    def select(
        self,
        *,
        src: Address | str | None = None,
        dst: Address | str | None = None,
        outcome: str | None = None,
        realm: str | None = None,
        transport: str | None = None,
    ) -> list[CaptureRecord]:
        """Records matching every given filter; an address filter that is a
        bare IP string matches any port."""
        return [
            r
            for r in self.records
            if _match(r.src, src)
            and _match(r.dst, dst)
            and (outcome is None or r.outcome == outcome)
            and (realm is None or r.realm == realm)
            and (transport is None or r.transport == transport)
        ]

    def trace(self) -> list[tuple[float, str, str, Address, Address, bytes, str]]:
        """Plain tuples of every record, for comparing whole runs."""
        return [
            (r.time, r.realm, r.transport, r.src, r.dst, r.data, r.outcome) for r in self.records
        ]


def _match(address: Address, wanted: Address | str | None) -> bool:
    if wanted is None:
        return True
    if isinstance(wanted, str):
        return address[0] == wanted
    return address == wanted
