"""Data channels: createDataChannel's argument rules, and per-channel counters.

The channels themselves are aiortc's ``RTCDataChannel`` over aiortc's
``RTCSctpTransport`` (reused, not reimplemented). What aiortc lacks is the
W3C bookkeeping: :class:`CountingSctpTransport` counts messages and bytes
per channel for ``getStats()``, and :class:`DataChannelRegistry` counts
channels opened and closed for the ``peer-connection`` stats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc import RTCDataChannel, RTCDataChannelParameters

from rtcpeer.peerconnection.sctp_flush import EagerFlushSctpTransport

#: SCTP payload protocol ids (RFC 8831 §8): DCEP, and the two "empty message" forms.
_PPID_DCEP = 50
_PPID_EMPTY = frozenset({56, 57})
_MAX_ID = 65534
_MAX_UNSIGNED_SHORT = 65535


@dataclass
class ChannelCounters:
    """Application messages and payload bytes one channel sent and received."""

    messages_sent: int = 0
    bytes_sent: int = 0
    messages_received: int = 0
    bytes_received: int = 0


class CountingSctpTransport(EagerFlushSctpTransport):
    """aiortc's SCTP (delayed SACKs, eager flush), counting data-channel messages per channel.

    ``on_datachannel`` (the owner's handler for an incoming channel) runs
    before the pyee listeners of ``datachannel``: an attribute instead of a
    pyee handler table per connection.
    """

    #: The owner's handler (None: pyee listeners only).
    on_datachannel: Callable[[RTCDataChannel], object] | None = None
    #: Told when ``state`` changes (aiortc emits no event for it); None: nobody asked.
    on_statechange: Callable[[], object] | None = None

    def __init__(self, transport: Any, port: int = 5000) -> None:
        super().__init__(transport, port)
        self.counters: dict[int, ChannelCounters] = {}

    def counters_for(self, channel: Any) -> ChannelCounters:
        """The counters of ``channel`` (created on first use)."""
        return self.counters.setdefault(id(channel), ChannelCounters())

    def _data_channel_send(self, channel: Any, data: bytes | str) -> None:
        super()._data_channel_send(channel, data)
        counters = self.counters_for(channel)
        counters.messages_sent += 1
        counters.bytes_sent += len(data.encode("utf8") if isinstance(data, str) else data)

    def emit(self, event: str, *args: Any, **kwargs: Any) -> bool:
        callback = self.on_datachannel
        if callback is not None and event == "datachannel":
            callback(*args)
        return bool(super().emit(event, *args, **kwargs))

    def _set_state(self, state: Any) -> None:
        before = self.state
        super()._set_state(state)
        callback = self.on_statechange
        if callback is not None and self.state != before:
            callback()

    async def _data_channel_receive(self, stream_id: int, pp_id: int, data: bytes) -> None:
        if pp_id != _PPID_DCEP:
            channel = self._data_channels.get(stream_id)
            if channel is not None:
                counters = self.counters_for(channel)
                counters.messages_received += 1
                counters.bytes_received += 0 if pp_id in _PPID_EMPTY else len(data)
        await super()._data_channel_receive(stream_id, pp_id, data)


def data_channel_parameters(
    label: str,
    *,
    ordered: bool,
    maxPacketLifeTime: int | None,
    maxRetransmits: int | None,
    protocol: str,
    negotiated: bool,
    id: int | None,
) -> RTCDataChannelParameters:
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
    return RTCDataChannelParameters(
        label=label,
        ordered=ordered,
        maxPacketLifeTime=maxPacketLifeTime,
        maxRetransmits=maxRetransmits,
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
        """Track ``channel``; an incoming channel arrives already open."""
        self.channels.append(channel)
        if already_open:
            self.opened += 1
        else:
            channel.on("open", self._on_open)
        channel.on("close", self._on_close)

    def _on_open(self) -> None:
        self.opened += 1

    def _on_close(self) -> None:
        self.closed += 1

    def close_all(self) -> None:
        """Move every channel to closed (webrtc-pc close(): no close events follow)."""
        for channel in self.channels:
            if channel.readyState != "closed":
                channel.remove_all_listeners()
                channel._setReadyState("closed")
                self.closed += 1


__all__ = [
    "ChannelCounters",
    "CountingSctpTransport",
    "DataChannelRegistry",
    "data_channel_parameters",
]
