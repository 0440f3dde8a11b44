"""The link that attaches one interface to its network segment.

A packet crossing a segment travels up the sender's link and down the
receiver's link; each adds its latency (plus uniform jitter) and may lose the
packet. Randomness comes from the link's own seeded ``random.Random``, so
adding a host elsewhere does not change which packets this link loses.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass
class LinkStats:
    """Per-link counters; "tx" is from the interface, "rx" is towards it."""

    tx_packets: int = 0
    tx_bytes: int = 0
    rx_packets: int = 0
    rx_bytes: int = 0
    #: Packets the random loss dropped (either direction).
    lost: int = 0
    #: Packets dropped because the link was cut (either direction).
    dropped_down: int = 0


class Link:
    """Latency, jitter and loss for one attachment; can be cut and restored."""

    def __init__(
        self,
        name: str,
        rng: random.Random,
        *,
        latency: float = 0.0,
        jitter: float = 0.0,
        loss: float = 0.0,
    ) -> None:
        if latency < 0 or jitter < 0 or not 0.0 <= loss <= 1.0:
            raise ValueError("latency and jitter must be >= 0 and loss within [0, 1]")
        self.name = name
        self.rng = rng
        #: One-way delay in seconds added by this link.
        self.latency = latency
        #: Extra delay drawn uniformly from [0, jitter) per packet (may reorder).
        self.jitter = jitter
        #: Probability that a packet is lost on this link.
        self.loss = loss
        #: False while the link is cut.
        self.up = True
        self.stats = LinkStats()

    def cut(self) -> None:
        """Drop everything on this link from now on, including packets in flight."""
        self.up = False

    def restore(self) -> None:
        """Carry packets again after :meth:`cut`."""
        self.up = True

    def delay(self) -> float:
        """The delay for one packet (draws from the RNG only when jitter is set)."""
        if self.jitter:
            return self.latency + self.rng.random() * self.jitter
        return self.latency

    def drops(self) -> bool:
        """Whether the random loss takes this packet (no draw when loss is 0)."""
        return bool(self.loss) and self.rng.random() < self.loss

    def __repr__(self) -> str:
        return (
            f"Link({self.name!r}, latency={self.latency}, jitter={self.jitter}, "
            f"loss={self.loss}, up={self.up})"
        )
