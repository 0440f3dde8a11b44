"""The selected candidate pair, with its TURN region: from an RTCIceTransport's
``getSelectedCandidatePair()`` or from a W3C stats report.

Both the terminal demo and the browser demo show "which relay is this side
using, and in which region": a relay candidate's port falls in the relay
port range of exactly one region, so the port names the region.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

RegionOf = Callable[[int], "str | None"]


@dataclass(frozen=True)
class Endpoint:
    """One end of the selected pair, as getStats describes the candidate."""

    #: "host", "srflx", "prflx" or "relay".
    candidate_type: str
    address: str
    port: int
    #: Transport of the candidate ("udp" or "tcp").
    protocol: str
    #: The region whose relay port range holds ``port`` (relay candidates only).
    region: str | None = None
    #: Protocol to the TURN server, for a local relay candidate.
    relay_protocol: str | None = None

    @property
    def where(self) -> str:
        """``address:port`` (IPv6 bracketed)."""
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"

    def label(self) -> str:
        region = f" (region {self.region})" if self.region else ""
        return f"{self.candidate_type} {self.where}{region}"

    def to_json(self) -> dict[str, Any]:
        return {
            "candidateType": self.candidate_type,
            "address": self.address,
            "port": self.port,
            "protocol": self.protocol,
            "region": self.region,
            "relayProtocol": self.relay_protocol,
        }


@dataclass(frozen=True)
class SelectedPath:
    """The selected candidate pair of one peer."""

    local: Endpoint
    remote: Endpoint

    def label(self) -> str:
        return f"{self.local.label()} <-> {self.remote.label()}"

    def to_json(self) -> dict[str, Any]:
        return {"local": self.local.to_json(), "remote": self.remote.to_json()}


def region_lookup(ranges: Mapping[str, tuple[int, int]]) -> RegionOf:
    """A function from port to the name of the region whose relay range holds it."""

    def region_of(port: int) -> str | None:
        return next((name for name, (low, high) in ranges.items() if low <= port <= high), None)

    return region_of


def _endpoint(stats: Mapping[str, Any], region_of: RegionOf) -> Endpoint:
    kind = str(stats.get("candidateType", "?"))
    port = int(stats.get("port", 0))
    relay_protocol = stats.get("relayProtocol")
    return Endpoint(
        candidate_type=kind,
        address=str(stats.get("address", "?")),
        port=port,
        protocol=str(stats.get("protocol", "?")),
        region=region_of(port) if kind == "relay" else None,
        relay_protocol=None if relay_protocol is None else str(relay_protocol),
    )


def pair_path(pair: Any, region_of: RegionOf) -> SelectedPath | None:
    """The path of an RTCIceCandidatePair (``getSelectedCandidatePair()``), or None."""
    if pair is None:
        return None
    local = _candidate_endpoint(pair.local, region_of)
    return SelectedPath(local, _candidate_endpoint(pair.remote, region_of))


def _candidate_endpoint(candidate: Any, region_of: RegionOf) -> Endpoint:
    kind = str(candidate.type or "?")
    port = int(candidate.port or 0)
    return Endpoint(
        candidate_type=kind,
        address=str(candidate.address or "?"),
        port=port,
        protocol=str(candidate.protocol or "?"),
        region=region_of(port) if kind == "relay" else None,
        relay_protocol=candidate.relayProtocol,
    )


def selected_path(
    report: Mapping[str, Mapping[str, Any]], region_of: RegionOf
) -> SelectedPath | None:
    """The selected pair of a getStats() report (rtcpeer's or a browser's), or None."""
    pair: Mapping[str, Any] | None = None
    for entry in report.values():
        if entry.get("type") == "transport" and entry.get("selectedCandidatePairId"):
            pair = report.get(str(entry["selectedCandidatePairId"]))
            break
    if pair is None:
        return None
    local = report.get(str(pair.get("localCandidateId")))
    remote = report.get(str(pair.get("remoteCandidateId")))
    if local is None or remote is None:
        return None
    return SelectedPath(_endpoint(local, region_of), _endpoint(remote, region_of))


__all__ = [
    "Endpoint",
    "RegionOf",
    "SelectedPath",
    "pair_path",
    "region_lookup",
    "selected_path",
]
