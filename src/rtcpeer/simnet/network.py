"""The simulated world: segments joined by NATs, hosts on them, one clock.

The topology is a tree of *realms* (network segments). The root is the public
internet; every NAT owns one private realm and sits with its public side in
its parent realm. Within a realm a packet goes straight to the interface that
holds the destination IP; failing that it goes to the realm's gateway (the
NAT's private side), which translates it and sends it on in the parent realm.
Private address ranges may repeat across realms, as they do in real life.

Each crossing of a realm is one scheduled event: it costs the sender's link
delay plus the receiver's link delay, and either link may lose the packet.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from rtcpeer.simnet.capture import DELIVERED, SENT, Capture, CaptureRecord
from rtcpeer.simnet.clock import Scheduler, TimerHandle
from rtcpeer.simnet.link import Link
from rtcpeer.simnet.packet import UDP, Packet

if TYPE_CHECKING:
    from rtcpeer.simnet.host import Host
    from rtcpeer.simnet.nat import FilteringBehavior, MappingBehavior, Nat, PortAllocation

#: Far enough that no test waits for it; the default for :meth:`Network.run_until`.
DEFAULT_TIMEOUT = 60.0


class SimulationStalled(RuntimeError):
    """More events ran in one call than the livelock guard allows."""


class Attachment(Protocol):
    """Whatever owns an interface: a host, or one side of a NAT."""

    @property
    def alive(self) -> bool: ...

    def packet_arrived(self, interface: Interface, packet: Packet) -> None: ...


class Interface:
    """One IP address of a host or NAT, attached to a realm by a link."""

    __slots__ = ("ip", "link", "owner", "realm")

    def __init__(self, ip: str, realm: Realm, link: Link, owner: Attachment) -> None:
        self.ip = ip
        self.realm = realm
        self.link = link
        self.owner = owner

    @property
    def family(self) -> int:
        return 6 if ":" in self.ip else 4

    def __repr__(self) -> str:
        return f"Interface({self.ip!r} in {self.realm.name!r})"


class Realm:
    """One network segment: addresses reachable directly, plus a way out."""

    def __init__(self, name: str, parent: Realm | None = None) -> None:
        self.name = name
        self.parent = parent
        self.interfaces: dict[str, Interface] = {}
        #: The private side of the NAT that leads to ``parent`` (None at the root).
        self.gateway: Interface | None = None

    def __repr__(self) -> str:
        return f"Realm({self.name!r})"


def canonical_ip(ip: str) -> str:
    """The one spelling of an IP address the network routes by."""
    return ipaddress.ip_address(ip).compressed


class Network:
    """Hosts, NATs, links and captures on one deterministic virtual clock."""

    def __init__(self, seed: int | str = 0, *, capture: bool = True) -> None:
        self.seed = seed
        self.scheduler = Scheduler()
        self.capture = Capture()
        self.capture.enabled = capture
        #: The public internet: the root realm.
        self.internet = Realm("internet")
        self.realms: dict[str, Realm] = {"internet": self.internet}
        self.hosts: dict[str, Host] = {}
        self.nats: dict[str, Nat] = {}
        self.links: dict[str, Link] = {}
        #: Livelock guard: most events one run_* call may execute.
        self.max_events = 2_000_000

    # -- building the world -------------------------------------------------
    def rng(self, name: str) -> random.Random:
        """A random generator derived from the seed and a component name."""
        return random.Random(f"{self.seed}/{name}")

    def add_realm(self, name: str, parent: Realm | None) -> Realm:
        if name in self.realms:
            raise ValueError(f"realm {name!r} already exists")
        realm = Realm(name, parent)
        self.realms[name] = realm
        return realm

    def attach(
        self,
        owner: Attachment,
        ip: str,
        realm: Realm,
        link_name: str,
        *,
        latency: float = 0.0,
        jitter: float = 0.0,
        loss: float = 0.0,
    ) -> Interface:
        """Give ``owner`` the address ``ip`` on ``realm`` through a new link."""
        ip = canonical_ip(ip)
        if ip in realm.interfaces:
            raise ValueError(f"{ip} is already in use in realm {realm.name!r}")
        if link_name in self.links:
            raise ValueError(f"link {link_name!r} already exists")
        link = Link(
            link_name, self.rng("link/" + link_name), latency=latency, jitter=jitter, loss=loss
        )
        self.links[link_name] = link
        interface = Interface(ip, realm, link, owner)
        realm.interfaces[ip] = interface
        return interface

    def add_host(
        self,
        name: str,
        addresses: str | list[str],
        *,
        realm: Realm | None = None,
        latency: float = 0.0,
        jitter: float = 0.0,
        loss: float = 0.0,
    ) -> Host:
        """A host with one or more addresses, each on its own link named
        ``name`` (first address) or ``name/<ip>`` (the others)."""
        from rtcpeer.simnet.host import Host

        if name in self.hosts:
            raise ValueError(f"host {name!r} already exists")
        host = Host(self, name)
        self.hosts[name] = host
        for ip in [addresses] if isinstance(addresses, str) else addresses:
            host.add_address(ip, realm, latency=latency, jitter=jitter, loss=loss)
        return host

    def add_nat(
        self,
        name: str,
        *,
        external: str,
        internal: str,
        realm: Realm | None = None,
        mapping: MappingBehavior | None = None,
        filtering: FilteringBehavior | None = None,
        port_allocation: PortAllocation | None = None,
        mapping_timeout: float = 120.0,
        tcp_mapping_timeout: float = 7440.0,
        hairpinning: bool = False,
        inbound_refresh: bool = False,
        filter_per_endpoint: bool = False,
        port_range: tuple[int, int] = (1024, 65535),
        latency: float = 0.0,
        jitter: float = 0.0,
        loss: float = 0.0,
    ) -> Nat:
        """A NAT with its public side ``external`` in ``realm`` (default: the
        internet) and a new private realm ``nat.inside`` where ``internal`` is
        its gateway address. Defaults: endpoint-independent mapping,
        address-and-port-dependent filtering, port preservation, idle
        timeouts of 120 s (UDP) and 7440 s (TCP) refreshed by outbound
        traffic only, no hairpinning."""
        from rtcpeer.simnet.nat import FilteringBehavior, MappingBehavior, Nat, PortAllocation

        if name in self.nats:
            raise ValueError(f"NAT {name!r} already exists")
        nat = Nat(
            self,
            name,
            external=external,
            internal=internal,
            realm=realm or self.internet,
            mapping=mapping or MappingBehavior.ENDPOINT_INDEPENDENT,
            filtering=filtering or FilteringBehavior.ADDRESS_AND_PORT_DEPENDENT,
            port_allocation=port_allocation or PortAllocation.PRESERVE,
            mapping_timeout=mapping_timeout,
            tcp_mapping_timeout=tcp_mapping_timeout,
            hairpinning=hairpinning,
            inbound_refresh=inbound_refresh,
            filter_per_endpoint=filter_per_endpoint,
            port_range=port_range,
            latency=latency,
            jitter=jitter,
            loss=loss,
        )
        self.nats[name] = nat
        return nat

    def host(self, name: str) -> Host:
        return self.hosts[name]

    def link(self, name: str) -> Link:
        return self.links[name]

    # -- moving packets --------------------------------------------------------
    def send(self, interface: Interface, packet: Packet) -> None:
        """Put ``packet`` on ``interface``'s realm; it arrives after both links' delays."""
        realm = interface.realm
        self._record(realm, packet, SENT)
        link = interface.link
        if not link.up:
            link.stats.dropped_down += 1
            self._record(realm, packet, "link-down")
            return
        link.stats.tx_packets += 1
        link.stats.tx_bytes += len(packet.data)
        if packet.transport == UDP and link.drops():
            link.stats.lost += 1
            self._record(realm, packet, "lost")
            return
        target = realm.interfaces.get(packet.dst[0])
        if target is None and realm.gateway is not interface:
            target = realm.gateway
        if target is None:
            self._record(realm, packet, "no-route")
            return
        when = self.scheduler.now + link.delay() + target.link.delay()
        self.scheduler.call_at(when, self._arrive, target, packet)

    def _arrive(self, target: Interface, packet: Packet) -> None:
        realm = target.realm
        link = target.link
        if not link.up:
            link.stats.dropped_down += 1
            self._record(realm, packet, "link-down")
            return
        if packet.transport == UDP and link.drops():
            link.stats.lost += 1
            self._record(realm, packet, "lost")
            return
        if not target.owner.alive:
            self._record(realm, packet, "host-down")
            return
        link.stats.rx_packets += 1
        link.stats.rx_bytes += len(packet.data)
        self._record(realm, packet, DELIVERED)
        target.owner.packet_arrived(target, packet)

    def drop(self, realm: Realm, packet: Packet, reason: str) -> None:
        """Record that a host or NAT discarded ``packet`` (see DROP_REASONS)."""
        self._record(realm, packet, reason)

    def _record(self, realm: Realm, packet: Packet, outcome: str) -> None:
        if self.capture.enabled:
            self.capture.records.append(
                CaptureRecord(
                    self.scheduler.now,
                    realm.name,
                    packet.transport,
                    packet.src,
                    packet.dst,
                    packet.data,
                    outcome,
                )
            )

    # -- time ----------------------------------------------------------------
    @property
    def now(self) -> float:
        """Current virtual time in seconds."""
        return self.scheduler.now

    def at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Do something at virtual time ``when`` (e.g. ``net.at(5, host.kill)``)."""
        return self.scheduler.call_at(when, callback, *args)

    def after(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Do something ``delay`` virtual seconds from now."""
        return self.scheduler.call_later(delay, callback, *args)

    def run_for(self, seconds: float) -> None:
        """Run every event due in the next ``seconds``; the clock ends exactly there."""
        end = self.scheduler.now + seconds
        scheduler = self.scheduler
        budget = self.max_events
        while True:
            when = scheduler.next_time()
            if when is None or when > end:
                break
            scheduler.step()
            budget -= 1
            if budget <= 0:
                raise SimulationStalled(f"more than {self.max_events} events by t={self.now}")
        scheduler.advance_to(end)

    def run_until(self, predicate: Callable[[], bool], timeout: float = DEFAULT_TIMEOUT) -> float:
        """Run events until ``predicate()`` holds; return the virtual time then.
        Raise TimeoutError (with the clock at the deadline) if ``timeout``
        virtual seconds pass, or the network goes quiet, first."""
        scheduler = self.scheduler
        deadline = scheduler.now + timeout
        budget = self.max_events
        while not predicate():
            when = scheduler.next_time()
            if when is None or when > deadline:
                scheduler.advance_to(deadline)
                quiet = " (nothing left to run)" if when is None else ""
                raise TimeoutError(f"condition not met by t={deadline:g}{quiet}")
            scheduler.step()
            budget -= 1
            if budget <= 0:
                raise SimulationStalled(f"more than {self.max_events} events by t={self.now}")
        return scheduler.now
