"""W3C-shaped statistics (RTCStatsReport entries) for the IceTransport.

The agent counts nothing; the runtime sees every datagram, so it keeps the
counters here: application bytes per path (a path is the local socket plus
the remote address, which is what a candidate pair sends over), round-trip
times of connectivity and consent checks (matched by STUN transaction id,
retransmitted transactions excluded as in Karn's algorithm), and how often
the selected pair changed. :func:`build_stats` turns them, with the agent's
candidates and pairs, into ``candidate-pair``, ``local-candidate``,
``remote-candidate`` and ``transport`` dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rtcpeer.ice.agent import IceAgent
from rtcpeer.ice.candidate import RELAY_PROTOCOL_PREFERENCES, Candidate
from rtcpeer.ice.pair import CandidatePair, PairState

Address = tuple[str, int]
PathKey = tuple[int, Address]
CandidateKey = tuple[str, str, Address]
_RELAY_BY_RANK = {rank: name for name, rank in RELAY_PROTOCOL_PREFERENCES.items()}
_BINDING_REQUEST = b"\x00\x01"
_BINDING_SUCCESS = b"\x01\x01"


@dataclass(slots=True)
class PathCounters:
    """Application payload counted on one path (checks excluded, as W3C says)."""

    bytes_sent: int = 0
    bytes_received: int = 0
    packets_sent: int = 0
    packets_received: int = 0
    last_sent: float | None = None
    last_received: float | None = None


@dataclass(slots=True)
class _Pending:
    path: tuple[int, Address, Address]
    sent_at: float
    retransmitted: bool = False


@dataclass(slots=True)
class TransportStats:
    """Counters the runtime updates as data goes by."""

    paths: dict[PathKey, PathCounters] = field(default_factory=dict)
    #: Latest RTT per pair key (socket, local address, remote address).
    rtts: dict[tuple[int, Address, Address], float] = field(default_factory=dict)
    selected_pair_changes: int = 0
    #: Server URL and relay protocol of srflx/relay candidates, by (type, transport, address).
    candidate_urls: dict[CandidateKey, str] = field(default_factory=dict)
    relay_protocols: dict[CandidateKey, str] = field(default_factory=dict)
    _pending: dict[bytes, _Pending] = field(default_factory=dict)

    def path(self, socket_id: int, remote: Address) -> PathCounters:
        key = (socket_id, remote)
        counters = self.paths.get(key)
        if counters is None:
            counters = self.paths[key] = PathCounters()
        return counters

    def data_sent(self, socket_id: int, remote: Address, size: int, now: float) -> None:
        counters = self.path(socket_id, remote)
        counters.bytes_sent += size
        counters.packets_sent += 1
        counters.last_sent = now

    def data_received(self, socket_id: int, remote: Address, size: int, now: float) -> None:
        counters = self.path(socket_id, remote)
        counters.bytes_received += size
        counters.packets_received += 1
        counters.last_received = now

    # -- round-trip times ------------------------------------------------------
    def check_sent(self, agent: IceAgent, data: bytes, now: float) -> None:
        """Note a Binding request leaving (raw, or inside ChannelData)."""
        message = _inner_stun(data)
        if message is None or message[:2] != _BINDING_REQUEST:
            return
        tid = bytes(message[8:20])
        pending = self._pending.get(tid)
        if pending is not None:
            pending.retransmitted = True
            return
        check = getattr(agent, "_checks", {}).get(tid)
        if check is not None:
            self._pending[tid] = _Pending(check.pair.key, now)
            if len(self._pending) > 1000:  # unanswered checks: forget the oldest
                self._pending.pop(next(iter(self._pending)))

    def response_received(self, data: bytes, now: float) -> None:
        """A Binding success response arrived: one RTT sample if it matches."""
        message = _inner_stun(data)
        if message is None or message[:2] != _BINDING_SUCCESS:
            return
        pending = self._pending.pop(bytes(message[8:20]), None)
        if pending is not None and not pending.retransmitted:
            self.rtts[pending.path] = now - pending.sent_at


def _inner_stun(data: bytes) -> bytes | None:
    """The STUN message in a datagram: itself, or the payload of ChannelData."""
    if len(data) >= 20 and data[0] < 2:
        return data
    if len(data) >= 24 and 0x40 <= data[0] <= 0x4F and data[4] < 2:
        return data[4:]
    return None


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
        for pair in pairs:
            path = counters.paths.get((pair.socket_id, pair.remote.address), PathCounters())
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
            rtt = counters.rtts.get(pair.key)
            if rtt is not None and pair.state == PairState.SUCCEEDED:
                entry["currentRoundTripTime"] = rtt
            add(entry)
    transport: dict[str, Any] = {
        "id": "T01",
        "type": "transport",
        "timestamp": timestamp,
        "iceState": state,
        "iceRole": "controlling" if agent.controlling else "controlled",
        "iceLocalUsernameFragment": agent.local_ufrag,
        "selectedCandidatePairChanges": counters.selected_pair_changes,
    }
    if selected is not None:
        transport["selectedCandidatePairId"] = pair_id(selected)
    report.append(transport)
    return report
