"""Data channels over aiortc's SCTP: the one place the peer connection builds them.

The channels are aiortc's ``RTCDataChannel`` over aiortc's ``RTCSctpTransport``
(reused, not reimplemented), with rtcpeer's delayed SACK and eager flush
(:mod:`rtcpeer.transport.sctp`). What aiortc lacks is the W3C bookkeeping:
:class:`CountingSctpTransport` counts messages and bytes per channel for
``getStats()`` and tells its owner about new channels and state changes
directly. The peer connection reaches all of it through this module's
surface -- :func:`create_sctp_transport`, :func:`open_data_channel` with
:class:`DataChannelOptions`, :func:`close_data_channel_quietly` -- and never
imports aiortc or touches its private members.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc import RTCDataChannel, RTCDataChannelParameters

from rtcpeer.emitter import SharedEmitterState
from rtcpeer.transport.sctp import EagerFlushSctpTransport

#: SCTP payload protocol ids (RFC 8831 §8): DCEP, and the two "empty message" forms.
_PPID_DCEP = 50
_PPID_EMPTY = frozenset({56, 57})
#: The first byte of a DATA_CHANNEL_OPEN message (RFC 8832 §5.1).
_DCEP_OPEN = b"\x03"


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

    An ordered channel we created opens as soon as its DATA_CHANNEL_OPEN is
    handed to the association, as libwebrtc's does, not one round trip later
    when the peer's DATA_CHANNEL_ACK arrives (aiortc): RFC 8832 §6 lets the
    opener send user data right away as long as it goes ordered until the
    peer has answered, which an ordered channel's messages do anyway, behind
    the OPEN on the same stream. An unordered channel still opens on the
    ACK, so none of its messages can overtake the OPEN.
    """

    #: The owner's handler (None: pyee listeners only).
    on_datachannel: Callable[[RTCDataChannel], object] | None = None
    #: Told when ``state`` changes (aiortc emits no event for it); None: nobody asked.
    on_statechange: Callable[[], object] | None = None
    #: Told ``(channel, state)`` when one of its channels' readyState changed
    #: (:class:`CountedDataChannel`): one attribute here instead of pyee
    #: handler tables for ``open`` and ``close`` on every channel.
    on_channel_state: Callable[[RTCDataChannel, str], object] | None = None

    def __init__(self, transport: Any, port: int = 5000) -> None:
        super().__init__(transport, port)
        self.counters: dict[int, ChannelCounters] = {}

    def counters_for(self, channel: Any) -> ChannelCounters:
        """The counters of ``channel`` (created on first use)."""
        key = id(channel)
        counters = self.counters.get(key)  # per message: no throw-away default built
        if counters is None:
            counters = self.counters[key] = ChannelCounters()
        return counters

    def _data_channel_send(self, channel: Any, data: bytes | str) -> None:
        super()._data_channel_send(channel, data)
        counters = self.counters_for(channel)
        counters.messages_sent += 1
        counters.bytes_sent += len(data.encode("utf8") if isinstance(data, str) else data)

    async def _send(
        self, stream_id: int, pp_id: int, user_data: bytes, *args: Any, **kwargs: Any
    ) -> None:
        await super()._send(stream_id, pp_id, user_data, *args, **kwargs)
        if pp_id == _PPID_DCEP and user_data[:1] == _DCEP_OPEN:
            channel = self._data_channels.get(stream_id)
            if channel is not None and channel.ordered and channel.readyState == "connecting":
                channel._setReadyState("open")  # its messages queue behind the OPEN

    def emit(self, event: str, *args: Any, **kwargs: Any) -> bool:
        callback = self.on_datachannel
        if event == "datachannel":
            CountedDataChannel.adopt(args[0])
            if callback is not None:
                callback(*args)
        return bool(super().emit(event, *args, **kwargs))

    def _set_state(self, state: Any) -> None:
        before = self.state
        super()._set_state(state)
        callback = self.on_statechange
        if callback is not None and self.state != before:
            callback()

    def _deliver_message(self, stream_id: int, pp_id: int, data: bytes) -> None:
        # Every application message arrives here (DCEP messages do not).
        channel = self._data_channels.get(stream_id)
        if channel is not None:
            counters = self.counters_for(channel)
            counters.messages_received += 1
            counters.bytes_received += 0 if pp_id in _PPID_EMPTY else len(data)
        super()._deliver_message(stream_id, pp_id, data)


class CountedDataChannel(SharedEmitterState, RTCDataChannel):
    """aiortc's RTCDataChannel that tells its SCTP transport's owner about
    readyState changes (``CountingSctpTransport.on_channel_state``), and
    shares pyee's table lock and makes its pending set on use
    (:class:`~rtcpeer.emitter.SharedEmitterState`).

    A channel the peer opens is made by aiortc itself: :meth:`adopt` makes it
    one of these (the same layout: this class adds no slots).

    An event nobody listens to returns at once, as
    :class:`rtcpeer.emitter.EventEmitter`'s do: aiortc fires
    ``bufferedamountlow`` whenever the buffered amount falls to the threshold
    (0 unless set), i.e. after every message sent one at a time, and pyee
    would copy an empty listener table under its lock for it. An event with
    listeners (``message``, once per message received) runs them as pyee
    does -- each on a snapshot of the table taken before the first runs,
    through pyee's ``_emit_run`` (a coroutine listener becomes a task, an
    exception becomes an ``error`` event) -- without pyee's two ``emit``
    layers and its lock: the table only changes on the event loop's thread.
    ``error`` still goes through pyee, which raises it when unhandled.
    """

    def emit(self, event: str, *args: Any, **kwargs: Any) -> bool:
        listeners = self._events.get(event)
        if event == "error":
            return bool(super().emit(event, *args, **kwargs))
        if not listeners:
            return False
        emit_run = self._emit_run
        for listener in tuple(listeners.values()):
            emit_run(listener, args, kwargs)
        return True

    @classmethod
    def adopt(cls, channel: RTCDataChannel) -> None:
        """Make a channel aiortc created one of this class (a no-op if it is)."""
        if isinstance(channel, cls):
            return
        own = channel.__dict__
        own.pop("_lock", None)  # the shared one from now on
        if not own.get("_waiting"):
            own["_waiting"] = None  # made on use
        channel.__class__ = cls

    def _setReadyState(self, state: str) -> None:
        before = self.readyState
        super()._setReadyState(state)
        if self.readyState != before:
            callback = getattr(self.transport, "on_channel_state", None)
            if callback is not None:
                callback(self, state)


def create_sctp_transport(dtls: Any) -> CountingSctpTransport:
    """The SCTP association for every data channel of a session, over ``dtls``
    (from :func:`rtcpeer.transport.create_dtls_transport`); started later with
    ``start(sctp_capabilities(...), port)``."""
    return CountingSctpTransport(dtls)


@dataclass(frozen=True)
class DataChannelOptions:
    """One channel's parameters, already checked by createDataChannel (webrtc-pc §6.1)."""

    label: str
    ordered: bool = True
    #: Milliseconds a message may be retransmitted for (None: no limit).
    max_packet_life_time: int | None = None
    #: Retransmissions of a message at most (None: no limit).
    max_retransmits: int | None = None
    protocol: str = ""
    #: Negotiated out of band (no DCEP); then ``id`` is the SCTP stream id.
    negotiated: bool = False
    #: The SCTP stream id; None: picked by the DTLS role when the association is up.
    id: int | None = None


def open_data_channel(sctp: CountingSctpTransport, options: DataChannelOptions) -> RTCDataChannel:
    """A new aiortc RTCDataChannel on ``sctp`` (it opens once the association is up)."""
    return CountedDataChannel(
        sctp,
        RTCDataChannelParameters(
            label=options.label,
            ordered=options.ordered,
            maxPacketLifeTime=options.max_packet_life_time,
            maxRetransmits=options.max_retransmits,
            protocol=options.protocol,
            negotiated=options.negotiated,
            id=options.id,
        ),
    )


def close_data_channel_quietly(channel: RTCDataChannel) -> bool:
    """Move ``channel`` to ``closed`` with no events (webrtc-pc close()); False if it was.

    Its listeners are removed first, so nothing the application registered
    runs; aiortc has no public way to set the state, hence this function.
    """
    if channel.readyState == "closed":
        return False
    channel.remove_all_listeners()
    RTCDataChannel._setReadyState(channel, "closed")  # (nor is the owner told)
    return True


__all__ = [
    "ChannelCounters",
    "CountingSctpTransport",
    "DataChannelOptions",
    "RTCDataChannel",
    "close_data_channel_quietly",
    "create_sctp_transport",
    "open_data_channel",
]
