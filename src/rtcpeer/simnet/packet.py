"""What travels on the simulated wire."""

from __future__ import annotations

from dataclasses import dataclass

from rtcpeer.stun import Address

UDP = "udp"
TCP = "tcp"


@dataclass(frozen=True, slots=True)
class Packet:
    """One IP packet: a UDP datagram or a segment of a simulated TCP stream."""

    #: "udp" or "tcp"; NATs keep separate mapping tables per transport.
    transport: str
    #: Source transport address as it appears on the current segment.
    src: Address
    #: Destination transport address.
    dst: Address
    #: Payload bytes.
    data: bytes
    #: Stream control: "" for UDP; "syn", "synack", "data", "fin" or "rst".
    flag: str = ""
    #: Stream sequence number (in-order delivery despite jitter).
    seq: int = 0
