"""A NAT between a private realm and its parent, with RFC 4787 behaviours.

Mapping behaviour (RFC 4787 §4.1) decides when an outbound flow reuses an
external port; filtering behaviour (§5) decides which inbound packets to that
port get through. Filtering asks whether the inside has sent to that
outside address before; by default that is judged per mapping, as real NATs
(Linux conntrack) and pion's vnet do. §5's wording judges it per *internal
endpoint* X:x, through any of its mappings; ``filter_per_endpoint=True``
selects that reading. The two differ only under address-dependent mapping.
Permissions live as long as their mapping (per endpoint: while X:x has any).

UDP mappings expire after ``mapping_timeout`` idle seconds (at least 2 min by
§4.3 REQ-5), TCP ones after ``tcp_mapping_timeout`` (2 h 4 min by RFC 5382
REQ-5); outbound traffic refreshes them, inbound traffic too when
``inbound_refresh`` is set. Hairpinning (§6) is off by default; when on, a
packet from inside to the NAT's own public address comes back in with the
sender's external address as its source, and filtering applies to it.

UDP and the simulated TCP keep separate tables, as NATs do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from rtcpeer.simnet.packet import UDP, Packet
from rtcpeer.stun import Address

if TYPE_CHECKING:
    from rtcpeer.simnet.network import Interface, Network, Realm

PORT_MIN = 1024
PORT_MAX = 65535


class MappingBehavior(Enum):
    """When an internal endpoint gets the same external address (RFC 4787 §4.1)."""

    #: One mapping per internal endpoint, whatever the destination.
    ENDPOINT_INDEPENDENT = "endpoint-independent"
    #: A new mapping per destination IP address.
    ADDRESS_DEPENDENT = "address-dependent"
    #: A new mapping per destination IP address and port ("symmetric NAT").
    ADDRESS_AND_PORT_DEPENDENT = "address-and-port-dependent"


class FilteringBehavior(Enum):
    """Which outside endpoints may send in through a mapping (RFC 4787 §5)."""

    #: Anyone ("full cone").
    ENDPOINT_INDEPENDENT = "endpoint-independent"
    #: Only IP addresses the inside has sent to ("restricted cone").
    ADDRESS_DEPENDENT = "address-dependent"
    #: Only exact (IP, port) pairs the inside has sent to ("port restricted").
    ADDRESS_AND_PORT_DEPENDENT = "address-and-port-dependent"


class PortAllocation(Enum):
    """How an external port is chosen for a new mapping (RFC 4787 §4.2.1)."""

    #: Keep the internal port when it is free; otherwise pick at random.
    PRESERVE = "preserve"
    #: Always pick at random (from the NAT's seeded RNG).
    RANDOM = "random"


@dataclass
class Contacts:
    """Where the inside has sent to, for filtering (RFC 4787 §5)."""

    #: Outside (IP, port) pairs sent to.
    endpoints: set[Address] = field(default_factory=set)
    #: Outside IPs sent to.
    ips: set[str] = field(default_factory=set)
    #: Live mappings sharing this record.
    mappings: int = 0


@dataclass
class NatMapping:
    """One translation: internal endpoint <-> external endpoint."""

    transport: str
    internal: Address
    external: Address
    #: Last virtual time traffic kept this mapping alive.
    last_active: float
    #: What the inside sent to through it (shared per internal endpoint
    #: when the NAT filters per endpoint).
    contacts: Contacts = field(default_factory=Contacts)
    #: The table key this mapping is stored under (depends on the mapping behaviour).
    key: tuple[object, ...] = field(default=(), repr=False)


class Nat:
    """A NAT box: the private side is the gateway of ``inside``; the public
    side is an address in the parent realm."""

    def __init__(
        self,
        network: Network,
        name: str,
        *,
        external: str,
        internal: str,
        realm: Realm,
        mapping: MappingBehavior,
        filtering: FilteringBehavior,
        port_allocation: PortAllocation,
        mapping_timeout: float,
        tcp_mapping_timeout: float,
        hairpinning: bool,
        latency: float,
        jitter: float,
        loss: float,
        inbound_refresh: bool = False,
        filter_per_endpoint: bool = False,
        port_range: tuple[int, int] = (PORT_MIN, PORT_MAX),
    ) -> None:
        self.network = network
        self.name = name
        self.mapping = mapping
        self.filtering = filtering
        self.port_allocation = port_allocation
        self.mapping_timeout = mapping_timeout
        self.tcp_mapping_timeout = tcp_mapping_timeout
        self.hairpinning = hairpinning
        self.inbound_refresh = inbound_refresh
        self.filter_per_endpoint = filter_per_endpoint
        self.port_range = port_range
        self.rng = network.rng("nat/" + name)
        #: The private realm behind this NAT; put hosts here.
        self.inside = network.add_realm(name, realm)
        self.outer: Interface = network.attach(
            self, external, realm, name + "/public", latency=latency, jitter=jitter, loss=loss
        )
        self.inner: Interface = network.attach(self, internal, self.inside, name + "/private")
        self.inside.gateway = self.inner
        self._alive = True
        self._by_key: dict[tuple[object, ...], NatMapping] = {}
        self._by_external: dict[tuple[str, int], NatMapping] = {}
        self._contacts: dict[tuple[str, Address], Contacts] = {}

    @property
    def alive(self) -> bool:
        return self._alive

    @property
    def external_ip(self) -> str:
        return self.outer.ip

    def mappings(self) -> list[NatMapping]:
        """The live mappings (expired ones are purged first)."""
        self._purge()
        return list(self._by_key.values())

    def reset(self) -> None:
        """Forget every mapping (a NAT reboot)."""
        self._by_key.clear()
        self._by_external.clear()
        self._contacts.clear()

    def kill(self) -> None:
        """Power the NAT off: everything through it is dropped from now on."""
        self._alive = False
        self.reset()

    # -- forwarding ----------------------------------------------------------------
    def packet_arrived(self, interface: Interface, packet: Packet) -> None:
        if interface is self.inner:
            self._outbound(packet)
        else:
            self._inbound(packet)

    def _outbound(self, packet: Packet) -> None:
        if packet.dst[0] == self.inner.ip:
            self.network.drop(self.inside, packet, "no-socket")
            return
        now = self.network.now
        mapping = self._mapping_for(packet, now)
        mapping.last_active = now
        mapping.contacts.endpoints.add(packet.dst)
        mapping.contacts.ips.add(packet.dst[0])
        translated = Packet(
            packet.transport, mapping.external, packet.dst, packet.data, packet.flag, packet.seq
        )
        if packet.dst[0] == self.outer.ip:
            if not self.hairpinning:
                self.network.drop(self.outer.realm, translated, "nat-hairpin")
                return
            self._inbound(translated)
            return
        self.network.send(self.outer, translated)

    def _inbound(self, packet: Packet) -> None:
        now = self.network.now
        mapping = self._by_external.get((packet.transport, packet.dst[1]))
        if mapping is not None and self._expired(mapping, now):
            self._remove(mapping)
            mapping = None
        if mapping is None:
            self.network.drop(self.outer.realm, packet, "nat-no-mapping")
            return
        if not self._permits(mapping, packet.src):
            self.network.drop(self.outer.realm, packet, "nat-filtered")
            return
        if self.inbound_refresh:
            mapping.last_active = now
        translated = Packet(
            packet.transport, packet.src, mapping.internal, packet.data, packet.flag, packet.seq
        )
        self.network.send(self.inner, translated)

    def _permits(self, mapping: NatMapping, source: Address) -> bool:
        if self.filtering is FilteringBehavior.ENDPOINT_INDEPENDENT:
            return True
        contacts = mapping.contacts
        if self.filtering is FilteringBehavior.ADDRESS_DEPENDENT:
            return source[0] in contacts.ips
        return source in contacts.endpoints

    # -- mapping table ---------------------------------------------------------------
    def _key(self, packet: Packet) -> tuple[object, ...]:
        if self.mapping is MappingBehavior.ENDPOINT_INDEPENDENT:
            return (packet.transport, packet.src)
        if self.mapping is MappingBehavior.ADDRESS_DEPENDENT:
            return (packet.transport, packet.src, packet.dst[0])
        return (packet.transport, packet.src, packet.dst)

    def _mapping_for(self, packet: Packet, now: float) -> NatMapping:
        key = self._key(packet)
        mapping = self._by_key.get(key)
        if mapping is not None and self._expired(mapping, now):
            self._remove(mapping)
            mapping = None
        if mapping is None:
            port = self._allocate(packet.transport, packet.src[1], now)
            if self.filter_per_endpoint:
                contacts = self._contacts.setdefault((packet.transport, packet.src), Contacts())
            else:
                contacts = Contacts()
            contacts.mappings += 1
            mapping = NatMapping(
                packet.transport, packet.src, (self.outer.ip, port), now, contacts, key=key
            )
            self._by_key[key] = mapping
            self._by_external[(packet.transport, port)] = mapping
        return mapping

    def _allocate(self, transport: str, wanted: int, now: float) -> int:
        low, high = self.port_range
        if self.port_allocation is PortAllocation.PRESERVE and self._free(transport, wanted, now):
            return wanted
        for _ in range(4 * (high - low + 1)):
            port = self.rng.randint(low, high)
            if self._free(transport, port, now):
                return port
        self._purge()
        for port in range(low, high + 1):
            if (transport, port) not in self._by_external:
                return port
        raise OSError(f"NAT {self.name} has no free {transport} port")

    def _free(self, transport: str, port: int, now: float) -> bool:
        existing = self._by_external.get((transport, port))
        if existing is None:
            return True
        if self._expired(existing, now):
            self._remove(existing)
            return True
        return False

    def _expired(self, mapping: NatMapping, now: float) -> bool:
        timeout = self.mapping_timeout if mapping.transport == UDP else self.tcp_mapping_timeout
        return now - mapping.last_active >= timeout

    def _remove(self, mapping: NatMapping) -> None:
        self._by_external.pop((mapping.transport, mapping.external[1]), None)
        if self._by_key.get(mapping.key) is mapping:
            del self._by_key[mapping.key]
            mapping.contacts.mappings -= 1
            if mapping.contacts.mappings <= 0:
                self._contacts.pop((mapping.transport, mapping.internal), None)

    def _purge(self) -> None:
        now = self.network.now
        for mapping in [m for m in self._by_key.values() if self._expired(m, now)]:
            self._remove(mapping)

    def __repr__(self) -> str:
        return (
            f"Nat({self.name!r}, {self.outer.ip}, mapping={self.mapping.value}, "
            f"filtering={self.filtering.value})"
        )
