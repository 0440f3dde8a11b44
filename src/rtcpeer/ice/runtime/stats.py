"""W3C-shaped statistics (RTCStatsReport entries) for the IceTransport.

The agent records the facts where they happen: check round trips and
request/response counts on each :class:`~rtcpeer.ice.pair.CandidatePair`,
application datagrams per path in :attr:`IceAgent.path_counters` (a path is
the local socket plus the remote address, which is what a candidate pair
sends over). The runtime keeps only what it alone sees: how often the
selected pair changed for the application, and the server URL and relay
protocol of each gathered candidate (from the agent's events).
:func:`build_stats` reads them into ``candidate-pair``, ``local-candidate``,
``remote-candidate`` and ``transport`` dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rtcpeer.ice.agent import IceAgent, PathCounters
from rtcpeer.ice.candidate import RELAY_PROTOCOL_PREFERENCES, Candidate
from rtcpeer.ice.pair import CandidatePair, PairState
from rtcpeer.sansio import Address

CandidateKey = tuple[str, str, Address]
_RELAY_BY_RANK = {rank: name for name, rank in RELAY_PROTOCOL_PREFERENCES.items()}
_NO_TRAFFIC = PathCounters()


@dataclass(slots=True)
class TransportStats:
    """What the runtime notes as the agent's events go by."""

    selected_pair_changes: int = 0
    #: Server URL and relay protocol of srflx/relay candidates, by (type, transport, address).
    candidate_urls: dict[CandidateKey, str] = field(default_factory=dict)
    relay_protocols: dict[CandidateKey, str] = field(default_factory=dict)


def _key(candidate: Candidate) -> CandidateKey:
    return (candidate.type, candidate.transport, candidate.address)


def candidate_id(candidate: Candidate) -> str:
    return f"I{candidate.type}_{candidate.transport}_{candidate.host}_{candidate.port}"


def pair_id(pair: CandidatePair) -> str:
    return f"CP{candidate_id(pair.local)}-{candidate_id(pair.remote)}"


def relay_protocol(candidate: Candidate) -> str | None:
    """The protocol to the TURN server, read back from the local preference bits."""
    if candidate.type != "relay":
        return None
    return _RELAY_BY_RANK.get((candidate.priority >> 22) & 0x3)


def _candidate_stats(
    kind: str, candidate: Candidate, timestamp: float, url: str | None, socket_transport: str | None
) -> dict[str, Any]:
    stats: dict[str, Any] = {
        "id": candidate_id(candidate),
        "type": kind,
        "timestamp": timestamp,
        "transportId": "T01",
        "address": candidate.host,
        "port": candidate.port,
        "protocol": candidate.transport,
        "candidateType": candidate.type,
        "priority": candidate.priority,
        "foundation": candidate.foundation,
        "usernameFragment": candidate.ufrag,
    }
    if kind == "local-candidate":
        if candidate.type == "relay":
            stats["relayProtocol"] = socket_transport or relay_protocol(candidate)
        if url is not None and candidate.type in ("srflx", "relay"):
            stats["url"] = url
    if candidate.related_address is not None:
        stats["relatedAddress"] = candidate.related_address
        stats["relatedPort"] = candidate.related_port
    return stats


def build_stats(
    agent: IceAgent, counters: TransportStats, timestamp: float, state: str
) -> list[dict[str, Any]]:
    """The transport's RTCStats entries; ``timestamp`` in milliseconds."""
    selected = agent.selected_pair
    report: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(entry: dict[str, Any]) -> None:
        if entry["id"] not in seen:
            seen.add(entry["id"])
            report.append(entry)

    for gen in agent.generations:
        pairs = list(gen.checklist.pairs)
        if gen.selected is not None and gen.selected not in pairs:
            pairs.append(gen.selected)
        for local in gen.local:
            add(
                _candidate_stats(
                    "local-candidate",
                    local.candidate,
                    timestamp,
                    counters.candidate_urls.get(_key(local.candidate)),
                    counters.relay_protocols.get(_key(local.candidate)),
                )
            )
        for remote in gen.remote:
            add(_candidate_stats("remote-candidate", remote, timestamp, None, None))
        paths = agent.path_counters
        for pair in pairs:
            path = paths.get((pair.socket_id, pair.remote.address), _NO_TRAFFIC)
            is_selected = pair is selected
            entry: dict[str, Any] = {
                "id": pair_id(pair),
                "type": "candidate-pair",
                "timestamp": timestamp,
                "transportId": "T01",
                "localCandidateId": candidate_id(pair.local),
                "remoteCandidateId": candidate_id(pair.remote),
                "state": pair.state.value,
                "nominated": pair.nominated,
                "selected": is_selected,
                "priority": pair.priority,
                "bytesSent": path.bytes_sent if is_selected or pair.valid else 0,
                "bytesReceived": path.bytes_received if is_selected or pair.valid else 0,
                "packetsSent": path.packets_sent if is_selected or pair.valid else 0,
                "packetsReceived": path.packets_received if is_selected or pair.valid else 0,
            }
            entry["requestsSent"] = pair.requests_sent
            entry["responsesReceived"] = pair.responses_received
            entry["totalRoundTripTime"] = pair.total_round_trip_time
            current = pair.current_round_trip_time
            if current is not None and pair.state == PairState.SUCCEEDED:
                entry["currentRoundTripTime"] = current
            add(entry)
    transport: dict[str, Any] = {
        "id": "T01",
        "type": "transport",
        "timestamp": timestamp,
        "iceState": state,
        "iceRole": "controlling" if agent.controlling else "controlled",
        "iceLocalUsernameFragment": agent.local_ufrag,
        "selectedCandidatePairChanges": counters.selected_pair_changes,
        # Application datagrams ICE could not send (no usable pair in time,
        # failed or closed): the candidate-pair members' names, for the transport.
        "packetsDiscardedOnSend": agent.send_counters.dropped,
        "bytesDiscardedOnSend": agent.send_counters.bytes_dropped,
    }
    if selected is not None:
        transport["selectedCandidatePairId"] = pair_id(selected)
    report.append(transport)
    return report
