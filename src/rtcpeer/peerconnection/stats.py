"""getStats(): the W3C RTCStatsReport of a peer connection (webrtc-stats).

The ICE transport reports its own candidate-pair, local-candidate,
remote-candidate and transport entries; this module adds what only the
peer connection knows: the DTLS state and application byte counts on the
``transport`` entry, one ``data-channel`` entry per channel, the
``peer-connection`` entry, and the RTP entries of every sender and
receiver (:func:`add_rtp_entries`); :func:`select` is getStats(selector)'s
"stats selection algorithm" (webrtc-pc §8.5).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rtcpeer.errors import InvalidAccessError
from rtcpeer.peerconnection.datachannels import DataChannelRegistry
from rtcpeer.transport import CountingSctpTransport, MediaStreamTrack

if TYPE_CHECKING:
    from rtcpeer.peerconnection.rtp import RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
    from rtcpeer.peerconnection.transceivers import StatsGroup


class RTCStatsReport(dict[str, dict[str, Any]]):
    """A maplike of stats id → stats dictionary, as browsers return it."""

    #: Which sender/receiver each RTP entry belongs to (for getStats(selector)).
    owners: dict[str, object]

    def of_type(self, stats_type: str) -> list[dict[str, Any]]:
        """Every entry whose ``type`` is ``stats_type`` (a convenience, not W3C)."""
        return [entry for entry in self.values() if entry.get("type") == stats_type]


def _data_channel_entry(
    index: int, channel: Any, sctp: CountingSctpTransport | None, timestamp: float
) -> dict[str, Any]:
    counters = sctp.counters_for(channel) if sctp is not None else None
    return {
        "id": f"D{index}",
        "type": "data-channel",
        "timestamp": timestamp,
        "label": channel.label,
        "protocol": channel.protocol,
        "dataChannelIdentifier": channel.id,
        "state": channel.readyState,
        "messagesSent": counters.messages_sent if counters else 0,
        "bytesSent": counters.bytes_sent if counters else 0,
        "messagesReceived": counters.messages_received if counters else 0,
        "bytesReceived": counters.bytes_received if counters else 0,
    }


def check_selector(
    selector: object, transceivers: Sequence[RTCRtpTransceiver] = ()
) -> RTCRtpSender | RTCRtpReceiver | None:
    """webrtc-pc getStats() steps 3-4: the sender or receiver whose stats to give.

    ``null`` selects the whole report (None). A sender or receiver of ours
    selects itself. A MediaStreamTrack must be the track of exactly one of
    our senders or receivers, else InvalidAccessError (a data-channel-only
    connection has none). Anything else fails WebIDL's conversion to
    ``MediaStreamTrack?`` before the steps run: TypeError.
    """
    if selector is None:
        return None
    for transceiver in transceivers:
        if selector is transceiver.sender or selector is transceiver.receiver:
            return selector
    if isinstance(selector, MediaStreamTrack):
        matches: list[RTCRtpSender | RTCRtpReceiver] = []
        for transceiver in transceivers:
            if transceiver._stopped:
                continue
            if transceiver.sender.track is selector:
                matches.append(transceiver.sender)
            if transceiver.receiver.track is selector:
                matches.append(transceiver.receiver)
        if len(matches) != 1:
            raise InvalidAccessError(
                "no RTCRtpSender or RTCRtpReceiver has this track"
                if not matches
                else "more than one RTCRtpSender or RTCRtpReceiver has this track"
            )
        return matches[0]
    raise TypeError(
        "getStats() selector must be a MediaStreamTrack, an RTCRtpSender or an "
        f"RTCRtpReceiver of this connection, or None, not {selector!r}"
    )


def add_rtp_entries(report: RTCStatsReport, groups: Iterable[StatsGroup]) -> None:
    """Add every sender's and receiver's entries, remembering whose each one is."""
    owners = report.owners = {}
    for group in groups:
        for entry in group.entries:
            report[str(entry["id"])] = entry
            if entry["type"] in ("outbound-rtp", "inbound-rtp"):
                owners[str(entry["id"])] = group.owner


_REFERENCES = (
    "transportId",
    "codecId",
    "mediaSourceId",
    "remoteId",
    "localId",
    "selectedCandidatePairId",
    "localCandidateId",
    "remoteCandidateId",
)


def select(report: RTCStatsReport, target: object) -> RTCStatsReport:
    """The stats selection algorithm: ``target``'s RTP stream entries and, transitively,
    every entry they reference (transport, pair, candidates, codec, source, remote)."""
    owners = getattr(report, "owners", {})
    pending = [entry_id for entry_id, owner in owners.items() if owner is target]
    selected = RTCStatsReport()
    while pending:
        entry_id = pending.pop()
        entry = report.get(entry_id)
        if entry is None or entry_id in selected:
            continue
        selected[entry_id] = entry
        pending += [str(entry[name]) for name in _REFERENCES if entry.get(name) is not None]
    return selected


def build_report(
    *,
    ice_entries: Iterable[dict[str, Any]],
    dtls_state: str | None,
    channels: DataChannelRegistry,
    sctp: CountingSctpTransport | None,
) -> RTCStatsReport:
    """Assemble the report; ``ice_entries`` come from ``IceTransport.get_stats()``."""
    timestamp = time.time() * 1000
    report = RTCStatsReport()
    report["P"] = {
        "id": "P",
        "type": "peer-connection",
        "timestamp": timestamp,
        "dataChannelsOpened": channels.opened,
        "dataChannelsClosed": channels.closed,
    }
    entries = [dict(entry) for entry in ice_entries]
    selected = next(
        (e for e in entries if e.get("type") == "candidate-pair" and e.get("selected")), None
    )
    for entry in entries:
        if entry.get("type") == "transport":
            entry["dtlsState"] = dtls_state or "new"
            if selected is not None:
                entry["selectedCandidatePairId"] = selected["id"]
            pairs = [e for e in entries if e.get("type") == "candidate-pair"]
            entry.setdefault("bytesSent", sum(int(e.get("bytesSent", 0)) for e in pairs))
            entry.setdefault("bytesReceived", sum(int(e.get("bytesReceived", 0)) for e in pairs))
        report[str(entry["id"])] = entry
    for index, channel in enumerate(channels.channels):
        entry = _data_channel_entry(index, channel, sctp, timestamp)
        report[entry["id"]] = entry
    return report


__all__ = ["RTCStatsReport", "add_rtp_entries", "build_report", "check_selector", "select"]
