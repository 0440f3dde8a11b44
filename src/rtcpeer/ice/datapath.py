"""The data path: demultiplexing what arrives, and sending on the right socket.

Everything received (on a host socket, or relayed through a TURN allocation)
is either a STUN Binding message for the check engine or application data,
delivered only from a path the peer has proven itself on (or a retired
generation's path during its grace period). Everything sent goes out through a
socket's sink; with a relay-only policy, nothing leaves a host socket.

Application data goes over the selected pair. Before any pair is selected it
goes over a valid pair of the current generation (RFC 8445 §12.1.1 allows
it): the one the peer's data or checks arrive on, else the best. A peer that
starts DTLS as soon as a pair works for it (libwebrtc answering our offer)
thus gets our reply at once instead of after its 1 s retransmission. With no
valid pair yet, a few datagrams are held for a short while and sent as soon
as one is valid; anything that still cannot go out is dropped, counted in
:attr:`~rtcpeer.ice.core.AgentCore.send_counters` and logged (rate-limited).

A first flight lost must not cost a second either: a peer may still drop
data that arrives before its own ICE is ready (werift, controlling, does so
for our ClientHello sent the moment its nomination reached us). So the DTLS
handshake records we send before the peer's first application datagram are
sent once more after ``first_flight_resend`` (at least three check round
trips) unless the peer has answered by then -- sooner than DTLS's own 1 s
retransmission, and without touching the DTLS stack.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rtcpeer.ice.core import AgentCore
from rtcpeer.ice.events import DataReceived
from rtcpeer.ice.pair import CandidatePair
from rtcpeer.ice.states import IceTransportState
from rtcpeer.ice.transport import Address, LocalSocket
from rtcpeer.stun.attributes import StunDecodeError
from rtcpeer.stun.constants import MessageClass, Method
from rtcpeer.stun.message import decode_message, is_stun

_logger = logging.getLogger(__name__)
#: At most one drop report per this many seconds (of the agent's clock).
_DROP_LOG_INTERVAL = 10.0
_NEVER = float("-inf")
#: DTLS record content type of handshake messages (RFC 6347 §4.1).
_DTLS_HANDSHAKE = 22
#: At most this many datagrams of a first flight are kept for a resend.
_FIRST_FLIGHT_LIMIT = 8


@dataclass(slots=True)
class SendCounters:
    """What became of application datagrams that found no selected pair."""

    #: Sent on a valid pair before any pair was selected (RFC 8445 §12.1.1).
    sent_before_selection: int = 0
    #: Held while no pair was valid, then sent once one was.
    held_then_sent: int = 0
    #: Dropped: no usable pair in time, the hold full, or the agent failed or closed.
    dropped: int = 0
    bytes_dropped: int = 0
    #: First-flight DTLS datagrams sent again because the peer had not answered.
    first_flight_resent: int = 0
    #: Drops not reported in the log yet, and when the last report was made.
    unlogged: int = 0
    logged_at: float | None = None


class DataPath(AgentCore):
    """Receiving and sending datagrams for the agent."""

    def _receive_on(self, sock: LocalSocket, source: Address, data: bytes, now: float) -> bool:
        """A datagram on a host socket, or one relayed through a TURN allocation.

        False when it was dropped unread (a host socket under a relay-only
        policy). The caller re-derives the state afterwards, once per input.
        """
        socket_id = sock.socket_id
        if sock.kind == "host" and not self._host_allowed():
            return False
        if is_stun(data):
            try:
                message = decode_message(data)
            except StunDecodeError:
                return True
            if message.method != Method.BINDING:
                return True
            if message.message_class == MessageClass.REQUEST:
                self._handle_request(sock, source, message, now)
            elif message.message_class in (MessageClass.SUCCESS, MessageClass.ERROR):
                self._handle_response(sock, source, message, now)
        else:
            path = (socket_id, source)
            if self._path_known(path, now):
                self._data_at[path] = now
                if self._first_flight is not None:  # the peer answered: no resend
                    self._first_flight = self._resend_at = None
                self._events.append(DataReceived(data, socket_id, source))
        return True

    def _path_known(self, path: tuple[int, Address], now: float) -> bool:
        if any(path in gen.authenticated_paths for gen in self._generations):
            return True
        expiry = self._retired_paths.get(path)
        return expiry is not None and now < expiry

    def _reply(self, sock: LocalSocket, destination: Address, data: bytes, now: float) -> None:
        self._send_on(sock.socket_id, destination, data, now)

    def _relayed(self, socket_id: int, peer: Address, data: bytes, now: float) -> None:
        """A datagram came through a TURN allocation: as if it arrived on the relay candidate.

        Only :meth:`ServerGathering.receive` delivers these, inside
        :meth:`IceAgent.receive`, which re-derives the state afterwards.
        """
        sock = self._sockets.get(socket_id)
        if sock is not None and not self._closed:
            self._receive_on(sock, peer, data, now)

    def _send_on(self, socket_id: int, destination: Address, data: bytes, now: float) -> None:
        sock = self._sockets.get(socket_id)
        if sock is None:
            return
        if sock.kind == "host" and not self._host_allowed():
            return  # relay-only: nothing ever leaves a host socket
        sock.sink.send(data, destination, now)

    def _host_allowed(self) -> bool:
        """Host sockets carry traffic unless every live generation is relay-only."""
        # A loop, not any(): this runs for every datagram sent.
        for gen in self._generations:  # noqa: SIM110
            if gen.policy != "relay":
                return True
        return False

    # -- sending before (or without) a selected pair ---------------------------
    def _early_pair(self) -> CandidatePair | None:
        """A valid pair of the current generation to send on before selection.

        The path the peer's application data arrived on last, else the one its
        latest check came from, else the highest-priority valid pair. None
        after consent was lost (nothing may be sent then) or with no valid pair.
        """
        gen = self.generation
        if gen.consent_lost or gen.selected is not None:
            return None
        valid = gen.checklist.valid_pairs
        if not valid:
            return None
        if len(valid) == 1:
            return valid[0]
        data_at, request_path = self._data_at, gen.last_request_path

        def rank(pair: CandidatePair) -> tuple[float, bool, int]:
            path = (pair.socket_id, pair.remote.address)
            return (data_at.get(path, _NEVER), path == request_path, pair.priority)

        return max(valid, key=rank)

    def _send_early(self, data: bytes, now: float) -> bool:
        """:meth:`IceAgent.send` with no selected pair: a valid pair, the hold, or a drop."""
        counters = self.send_counters
        if self._closed or self._state == IceTransportState.FAILED:
            self._drop(len(data), "the ICE transport is " + self._state.value, now)
            return False
        pair = self._early_pair()
        if pair is not None:
            counters.sent_before_selection += 1
            self._send_on(pair.socket_id, pair.remote.address, data, now)
            if self._first_flight is not None:
                self._note_first_flight(data, now)
            return True
        if self.generation.consent_lost:
            self._drop(len(data), "consent lost", now)
            return False
        held = self._held
        held.append((now + self.config.hold_time, data))
        if len(held) > self.config.hold_limit:
            _, oldest = held.pop(0)
            self._drop(len(oldest), "no valid candidate pair yet, hold full", now)
        return False

    def _flush_held(self, now: float) -> None:
        """Send what waited for a pair, once one is usable; drop what waited too long."""
        held = self._held
        while held and now >= held[0][0]:
            _, data = held.pop(0)
            self._drop(len(data), "no valid candidate pair in time", now)
        if not held or self._closed:
            return
        pair = self._sending_pair() or self._early_pair()
        if pair is None:
            return
        self._held = []
        self.send_counters.held_then_sent += len(held)
        for _, data in held:
            self._send_on(pair.socket_id, pair.remote.address, data, now)
            if self._first_flight is not None:
                self._note_first_flight(data, now)

    # -- the first DTLS flight -----------------------------------------------------
    def _note_first_flight(self, data: bytes, now: float) -> None:
        """A datagram went out before the peer's first one came: keep a handshake record."""
        flight = self._first_flight
        floor = self.config.first_flight_resend
        if (
            flight is None
            or floor is None
            or not data
            or data[0] != _DTLS_HANDSHAKE
            or len(flight) >= _FIRST_FLIGHT_LIMIT
        ):
            return
        flight.append(data)
        if self._resend_at is None:
            rtt = self._rtt
            self._resend_at = now + (floor if rtt is None else max(floor, 3 * rtt))

    def _resend_first_flight(self, now: float) -> None:
        """The peer has not answered our first flight in time: send it once more."""
        flight = self._first_flight
        self._resend_at = None
        if not flight or self._closed:
            return
        self._first_flight = []  # a later flight (DTLS's own retransmission) gets its turn
        pair = self._sending_pair() or self._early_pair()
        if pair is None:
            return
        self.send_counters.first_flight_resent += len(flight)
        _logger.debug("ICE: the peer did not answer our first DTLS flight; sent again")
        for data in flight:
            self._send_on(pair.socket_id, pair.remote.address, data, now)

    def _drop_held(self, reason: str, now: float) -> None:
        held, self._held = self._held, []
        for _, data in held:
            self._drop(len(data), reason, now)

    def _drop(self, size: int, reason: str, now: float) -> None:
        counters = self.send_counters
        counters.dropped += 1
        counters.bytes_dropped += size
        counters.unlogged += 1
        if counters.logged_at is not None and now - counters.logged_at < _DROP_LOG_INTERVAL:
            return
        # Sending into a closed or failed transport is the application's
        # business; anything else is a datagram ICE should have delivered.
        quiet = self._closed or self._state == IceTransportState.FAILED
        _logger.log(
            logging.DEBUG if quiet else logging.WARNING,
            "ICE dropped %d outgoing datagram(s) (%d in all): %s",
            counters.unlogged,
            counters.dropped,
            reason,
        )
        counters.unlogged = 0
        counters.logged_at = now
