"""Data channels: createDataChannel's argument rules, and the connection's channels.

The channels themselves are aiortc's ``RTCDataChannel``, built and counted
behind :mod:`rtcpeer.transport.datachannel` (messages and bytes per channel
for ``getStats()``). Here: :func:`data_channel_parameters` checks
createDataChannel's arguments, and :class:`DataChannelRegistry` counts
channels opened and closed for the ``peer-connection`` stats.
"""

from __future__ import annotations

from typing import Any

from rtcpeer.transport import DataChannelOptions, RTCDataChannel, close_data_channel_quietly

_MAX_ID = 65534
_MAX_UNSIGNED_SHORT = 65535


def data_channel_parameters(
    label: str,
    *,
    ordered: bool,
    maxPacketLifeTime: int | None,
    maxRetransmits: int | None,
    protocol: str,
    negotiated: bool,
    id: int | None,
) -> DataChannelOptions:
    """createDataChannel's checks (webrtc-pc §6.1), as TypeErrors where the spec says so.

    Label and protocol longer than 65535 bytes, both maxPacketLifeTime and
    maxRetransmits, negotiated without an id, and an id above 65534 are
    TypeErrors; a non-negotiated channel's id is ignored (the SCTP layer
    assigns one by the DTLS role).
    """
    if not isinstance(label, str) or not isinstance(protocol, str):
        raise TypeError("label and protocol must be strings")
    if len(label.encode("utf8")) > _MAX_UNSIGNED_SHORT:
        raise TypeError("label is longer than 65535 bytes")
    if len(protocol.encode("utf8")) > _MAX_UNSIGNED_SHORT:
        raise TypeError("protocol is longer than 65535 bytes")
    if maxPacketLifeTime is not None and maxRetransmits is not None:
        raise TypeError("maxPacketLifeTime and maxRetransmits are mutually exclusive")
    for name, value in (
        ("maxPacketLifeTime", maxPacketLifeTime),
        ("maxRetransmits", maxRetransmits),
    ):
        if value is not None and not 0 <= value <= _MAX_UNSIGNED_SHORT:
            raise TypeError(f"{name} must be 0..65535")
    if negotiated:
        if id is None:
            raise TypeError("a negotiated data channel needs an id")
        if not 0 <= id <= _MAX_ID:
            raise TypeError("a data channel id must be 0..65534")
    else:
        id = None
    return DataChannelOptions(
        label=label,
        ordered=ordered,
        max_packet_life_time=maxPacketLifeTime,
        max_retransmits=maxRetransmits,
        protocol=protocol,
        negotiated=negotiated,
        id=id,
    )


class DataChannelRegistry:
    """Every channel of a connection, with opened/closed counts (W3C stats)."""

    def __init__(self) -> None:
        self.channels: list[Any] = []
        self.opened = 0
        self.closed = 0

    def add(self, channel: RTCDataChannel, *, already_open: bool = False) -> None:
        """Track ``channel``; an incoming channel arrives already open.

        Its later opening and closing arrive through :meth:`channel_state`
        (the SCTP transport's ``on_channel_state``), not pyee listeners.
        """
        self.channels.append(channel)
        if already_open:
            self.opened += 1

    def channel_state(self, channel: RTCDataChannel, state: str) -> None:
        """A channel's readyState changed (webrtc-pc's opened/closed counts)."""
        if state == "open":
            self.opened += 1
        elif state == "closed":
            self.closed += 1

    def close_all(self) -> None:
        """Move every channel to closed (webrtc-pc close(): no close events follow)."""
        for channel in self.channels:
            if close_data_channel_quietly(channel):
                self.closed += 1


__all__ = [
    "DataChannelRegistry",
    "data_channel_parameters",
]
