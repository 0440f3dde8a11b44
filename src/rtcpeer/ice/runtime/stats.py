"""W3C-shaped statistics (RTCStatsReport entries) for the IceTransport.

The agent counts nothing; the runtime sees every datagram, so it keeps the
counters here: application bytes per path (a path is the local socket plus
the remote address, which is what a candidate pair sends over), round-trip
times of connectivity and consent checks (matched by STUN transaction id,
whether they travel raw, as ChannelData or inside TURN Send/Data
indications), and how often the selected pair changed. :func:`build_stats`
turns them, with the agent's candidates and pairs, into ``candidate-pair``,
``local-candidate``, ``remote-candidate`` and ``transport`` dictionaries.
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
#: TURN Send and Data indications (RFC 8656 §11): a relayed check travels in one
#: of these until the selected pair's ChannelBind succeeds.
_INDICATIONS = (b"\x00\x16", b"\x00\x17")
_DATA_ATTRIBUTE = 0x0013


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
class PairRoundTrips:
    """Check round trips on one pair (webrtc-stats RTCIceCandidatePairStats members)."""

    #: Latest unambiguous sample (Karn: retransmitted requests give none).
    current: float | None = None
    #: Sum over every response; a retransmitted request is timed from its last
    #: transmission (as libwebrtc does), so total / responses is the average.
    total: float = 0.0
    responses: int = 0
    #: Requests sent, retransmissions not counted.
    requests: int = 0


@dataclass(slots=True)
class _Pending:
    round_trips: PairRoundTrips
    sent_at: float
    retransmitted: bool = False


@dataclass(slots=True)
class TransportStats:
    """Counters the runtime updates as data goes by."""

    paths: dict[PathKey, PathCounters] = field(default_factory=dict)
    #: Round trips per pair key (socket, local address, remote address).
    round_trips: dict[tuple[int, Address, Address], PairRoundTrips] = field(
        default_factory=dict
    )
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
        """Note a Binding request leaving (raw, in ChannelData or in a Send indication)."""
        header = _stun_header(data)
        if header is None or header[:2] != _BINDING_REQUEST:
            return
        tid = header[8:20]
        pending = self._pending.get(tid)
        if pending is not None:
            pending.retransmitted = True
            pending.sent_at = now
            return
        check = getattr(agent, "_checks", {}).get(tid)
        if check is not None:
            key = check.pair.key
            round_trips = self.round_trips.get(key)
            if round_trips is None:
                round_trips = self.round_trips[key] = PairRoundTrips()
            round_trips.requests += 1
            self._pending[tid] = _Pending(round_trips, now)
            if len(self._pending) > 1000:  # unanswered checks: forget the oldest
                self._pending.pop(next(iter(self._pending)))

    def response_received(self, data: bytes, now: float) -> None:
        """A Binding success response arrived: one RTT sample if it matches."""
        header = _stun_header(data)
        if header is None or header[:2] != _BINDING_SUCCESS:
            return
        pending = self._pending.pop(header[8:20], None)
        if pending is None:
            return
        rtt = now - pending.sent_at
        round_trips = pending.round_trips
        round_trips.total += rtt
        round_trips.responses += 1
        if not pending.retransmitted:
            round_trips.current = rtt


def _stun_header(data: bytes) -> bytes | None:
    """The 20-byte header of the STUN message in a datagram, wherever it sits.

    Itself, the payload of ChannelData, or the DATA attribute of a TURN Send
    or Data indication: before the selected pair's channel is bound, every
    relayed check and its response travel in indications.
    """
    if len(data) >= 20 and data[0] < 2:
        if data[:2] in _INDICATIONS:
            return _indication_payload_header(data)
        return data[:20]
    if len(data) >= 24 and 0x40 <= data[0] <= 0x4F and data[4] < 2:
        return data[4:24]
    return None


def _indication_payload_header(data: bytes) -> bytes | None:
    """The STUN header inside an indication's DATA attribute (None for other payloads)."""
    end = min(len(data), 20 + int.from_bytes(data[2:4], "big"))
    offset = 20
    while offset + 4 <= end:
        kind = int.from_bytes(data[offset : offset + 2], "big")
        length = int.from_bytes(data[offset + 2 : offset + 4], "big")
        start = offset + 4
        if kind == _DATA_ATTRIBUTE:
            if length < 20 or start + 20 > end or data[start] >= 2:
                return None  # application data (DTLS, SRTP), not a check
            return data[start : start + 20]
        offset = start + ((length + 3) & ~3)
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
            round_trips = counters.round_trips.get(pair.key)
            if round_trips is not None:
                entry["requestsSent"] = round_trips.requests
                entry["responsesReceived"] = round_trips.responses
                entry["totalRoundTripTime"] = round_trips.total
                if round_trips.current is not None and pair.state == PairState.SUCCEEDED:
                    entry["currentRoundTripTime"] = round_trips.current
            else:
                entry["requestsSent"] = entry["responsesReceived"] = 0
                entry["totalRoundTripTime"] = 0.0
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
