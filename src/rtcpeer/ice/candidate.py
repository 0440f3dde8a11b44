"""ICE candidates: the model, RFC 8839 ``candidate:`` lines, priority and foundation.

Priorities follow RFC 8445 §5.1.2: ``2^24·type + 2^8·local + (256 - component)``.
The local preference orders what the type preference cannot: relayed candidates
by the protocol to their TURN server (UDP > TCP > TLS, so the cheapest relay
path wins), then IPv6 over IPv4 (RFC 8421), then the order the sockets were
registered in (an interface index), so every candidate of an agent is distinct.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import zlib
from dataclasses import dataclass, replace
from typing import Literal

from rtcpeer.ice.errors import CandidateParseError, IceArgumentError
from rtcpeer.sansio import Address
from rtcpeer.sdp import CandidateFields, SdpValueError, parse_candidate_value

CandidateType = Literal["host", "prflx", "srflx", "relay"]
RelayProtocol = Literal["udp", "tcp", "tls", "dtls"]

TYPE_PREFERENCES: dict[str, int] = {"host": 126, "prflx": 110, "srflx": 100, "relay": 0}
#: Relay protocol rank inside the local preference: cheaper transports first.
RELAY_PROTOCOL_PREFERENCES: dict[str, int] = {"udp": 3, "dtls": 2, "tcp": 1, "tls": 0}
_CANDIDATE_TYPES = ("host", "prflx", "srflx", "relay")
_MAX_INTERFACE_INDEX = 0x7FF


def local_preference(
    address: str,
    *,
    relay_protocol: str | None = None,
    interface_index: int = 0,
) -> int:
    """A 16-bit local preference: relay protocol, then IPv6, then interface.

    Bits 14-15 carry the relay protocol rank (3 for candidates that are not
    relayed), bit 13 is set for IPv6 other than link-local, and the low bits
    count down from the highest value by ``interface_index``.
    """
    protocol_rank = 3 if relay_protocol is None else RELAY_PROTOCOL_PREFERENCES[relay_protocol]
    index = min(max(interface_index, 0), _MAX_INTERFACE_INDEX)
    return (protocol_rank << 14) | (_family_rank(address) << 13) | (0x1FFF - index)


@functools.lru_cache(maxsize=256)
def _family_rank(address: str) -> int:
    """1 for IPv6 other than link-local; a host has few addresses, parsed once each."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # an mDNS name or a hostname: treat as IPv4-ranked
        return 0
    return 1 if ip.version == 6 and not ip.is_link_local else 0


def candidate_priority(type_preference: int, local_pref: int, component: int = 1) -> int:
    """RFC 8445 §5.1.2.1 priority of a candidate."""
    if not 0 <= type_preference <= 126:
        raise IceArgumentError("type preference must be 0..126")
    if not 0 <= local_pref <= 0xFFFF:
        raise IceArgumentError("local preference must be 0..65535")
    if not 1 <= component <= 256:
        raise IceArgumentError("component must be 1..256")
    return (type_preference << 24) | (local_pref << 8) | (256 - component)


def compute_foundation(
    candidate_type: str, base_address: str, transport: str, server: str | None = None
) -> str:
    """Same type, base IP, transport and server → same foundation (RFC 8445 §5.1.1.3)."""
    key = f"{candidate_type}|{base_address}|{transport.lower()}|{server or ''}"
    return str(zlib.crc32(key.encode()))


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ICE candidate as signalled (RFC 8839 §5.1)."""

    #: Candidates with the same foundation are checked as one group (1-32 ice-chars).
    foundation: str
    #: Component id, 1 for RTP/everything with rtcp-mux and bundle.
    component: int
    #: "udp" or "tcp" (lower case).
    transport: str
    #: RFC 8445 priority.
    priority: int
    #: IP address or an mDNS ``.local`` name.
    host: str
    port: int
    #: "host", "prflx", "srflx" or "relay".
    type: str
    #: For srflx/prflx/relay: the base (or mapped) address the candidate came from.
    related_address: str | None = None
    related_port: int | None = None
    #: RFC 6544 "active", "passive" or "so" for TCP candidates.
    tcptype: str | None = None
    #: The ICE generation (restart count) this candidate belongs to.
    generation: int | None = None
    #: The ufrag of the agent that gathered it (ties the candidate to a generation).
    ufrag: str | None = None
    #: libwebrtc's network id extension.
    network_id: int | None = None
    #: Extension attributes this model does not name, kept in order.
    extensions: tuple[tuple[str, str], ...] = ()

    @property
    def address(self) -> Address:
        return (self.host, self.port)

    @property
    def is_mdns(self) -> bool:
        return self.host.lower().endswith(".local")

    def with_address(self, host: str, port: int) -> Candidate:
        return replace(self, host=host, port=port)

    def in_generation(self, ufrag: str, generation: int) -> Candidate:
        """This candidate as the generation ``generation`` (local ``ufrag``)
        signals it: ``replace(self, ufrag=..., generation=...)`` without
        replace's per-call field walk (every local candidate comes here)."""
        return Candidate(
            self.foundation, self.component, self.transport, self.priority, self.host,
            self.port, self.type, self.related_address, self.related_port, self.tcptype,
            generation, ufrag, self.network_id, self.extensions,
        )  # fmt: skip

    # -- SDP ----------------------------------------------------------------
    @classmethod
    def from_sdp(cls, line: str) -> Candidate:
        """Parse ``candidate:...`` (optionally with ``a=``) per RFC 8839 §5.1."""
        text = line.strip()
        if text.startswith("a="):
            text = text[2:]
        if text.startswith("candidate:"):
            text = text[len("candidate:") :]
        try:
            fields = parse_candidate_value(text)
        except SdpValueError as exc:
            raise CandidateParseError(f"{exc}: {line!r}") from None
        return cls.from_fields(fields, line)

    @classmethod
    def from_fields(cls, fields: CandidateFields, line: str) -> Candidate:
        """The candidate of an already parsed ``a=candidate`` value (``line``, its
        text, names it in errors): what :meth:`from_sdp` gives for that text."""
        # ICE's ranges on top of the grammar (RFC 8445 §5.1.2.1: component 1..256,
        # a priority is a positive 32-bit number).
        if not 1 <= fields.component <= 256 or not 0 < fields.priority < 2**32:
            raise CandidateParseError(f"candidate field out of range: {line!r}")
        related_address, related_port = fields.related_address, fields.related_port
        tcptype: str | None = None
        generation: int | None = None
        ufrag: str | None = None
        network_id: int | None = None
        extensions: list[tuple[str, str]] = []
        for name, value in fields.extensions:
            try:
                if name == "raddr":  # a repeated raddr/rport: the last one wins, as before
                    related_address = value
                elif name == "rport":
                    related_port = int(value)
                elif name == "tcptype":
                    tcptype = value
                elif name == "generation":
                    generation = int(value)
                elif name == "ufrag":
                    ufrag = value
                elif name == "network-id":
                    network_id = int(value)
                else:
                    extensions.append((name, value))
            except ValueError as exc:
                raise CandidateParseError(f"bad {name} value {value!r}") from exc
        return cls(
            foundation=fields.foundation,
            component=fields.component,
            transport=fields.transport.lower(),
            priority=fields.priority,
            host=fields.address,
            port=fields.port,
            type=fields.type,
            related_address=related_address,
            related_port=related_port,
            tcptype=tcptype,
            generation=generation,
            ufrag=ufrag,
            network_id=network_id,
            extensions=tuple(extensions),
        )

    def to_sdp(self) -> str:
        """The attribute value, starting ``candidate:`` (no ``a=``)."""
        parts = [
            f"candidate:{self.foundation}",
            str(self.component),
            self.transport,
            str(self.priority),
            self.host,
            str(self.port),
            "typ",
            self.type,
        ]
        if self.related_address is not None and self.related_port is not None:
            parts += ["raddr", self.related_address, "rport", str(self.related_port)]
        if self.tcptype is not None:
            parts += ["tcptype", self.tcptype]
        if self.generation is not None:
            parts += ["generation", str(self.generation)]
        if self.ufrag is not None:
            parts += ["ufrag", self.ufrag]
        if self.network_id is not None:
            parts += ["network-id", str(self.network_id)]
        for name, value in self.extensions:
            parts += [name, value]
        return " ".join(parts)


_NUMERIC_HOST = re.compile(r"[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.%]*")
_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


def _ipv4_octets(host: str) -> tuple[int, int, int, int] | None:
    """The four octets of ``host`` if it is a dotted-quad IPv4 address as
    :func:`ipaddress.ip_address` accepts it (ASCII decimal, 0-255, no leading
    zero); None for anything else, which the full parser then judges."""
    parts = host.split(".")
    if len(parts) != 4:
        return None
    octets = []
    for part in parts:
        if not (0 < len(part) <= 3 and part.isascii() and part.isdecimal()):
            return None
        if len(part) > 1 and part[0] == "0":
            return None
        value = int(part)
        if value > 255:
            return None
        octets.append(value)
    return octets[0], octets[1], octets[2], octets[3]


def unusable_remote_address(host: str, port: int) -> str | None:
    """Why a remote candidate's address can never answer a check, or None.

    Port 0 or out of range, the unspecified address (0.0.0.0, ::), multicast,
    the IPv4 broadcast address and a numeric address that does not parse
    (``300.1.2.3``). Names (mDNS ``.local``, hostnames) are not judged here.
    """
    if not 0 < port < 65536:
        return f"port {port}"
    octets = _ipv4_octets(host)
    if octets is not None:  # the usual case, judged without building an address object
        if octets == (0, 0, 0, 0):
            return "unspecified address"
        if 224 <= octets[0] <= 239:
            return "multicast address"
        if octets == (255, 255, 255, 255):
            return "broadcast address"
        return None
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return f"malformed address {host!r}" if _NUMERIC_HOST.fullmatch(host) else None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_multicast:
        return "multicast address"
    if ip == _BROADCAST:
        return "broadcast address"
    return None


def is_known_type(candidate_type: str) -> bool:
    return candidate_type in _CANDIDATE_TYPES
