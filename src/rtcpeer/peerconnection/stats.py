"""getStats(): the W3C RTCStatsReport of a peer connection (webrtc-stats).

The ICE transport reports its own candidate-pair, local-candidate,
remote-candidate and transport entries; this module adds what only the
peer connection knows: the DTLS state and application byte counts on the
``transport`` entry, one ``data-channel`` entry per channel, and the
``peer-connection`` entry.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from aiortc.mediastreams import MediaStreamTrack

from rtcpeer.errors import InvalidAccessError
from rtcpeer.peerconnection.datachannels import CountingSctpTransport, DataChannelRegistry


class RTCStatsReport(dict[str, dict[str, Any]]):
    """A maplike of stats id → stats dictionary, as browsers return it."""

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


def check_selector(selector: object) -> None:
    """webrtc-pc getStats() steps 3-4 for a connection with no RTP senders or receivers.

    ``null`` selects the whole report. A MediaStreamTrack must be the track
    of exactly one of our senders or receivers, and a data-channel-only
    connection has none: InvalidAccessError. Anything else fails WebIDL's
    conversion to ``MediaStreamTrack?`` before the steps run: TypeError.
    """
    if selector is None:
        return
    if isinstance(selector, MediaStreamTrack):
        raise InvalidAccessError("no RTCRtpSender or RTCRtpReceiver has this track")
    raise TypeError(f"getStats() selector must be a MediaStreamTrack or None, not {selector!r}")


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


__all__ = ["RTCStatsReport", "build_report", "check_selector"]
