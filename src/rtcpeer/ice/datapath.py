"""The data path: demultiplexing what arrives, and sending on the right socket.

Everything received (on a host socket, or relayed through a TURN allocation)
is either a STUN Binding message for the check engine or application data,
delivered only from a path the peer has proven itself on (or a retired
generation's path during its grace period). Everything sent goes out through a
socket's sink; with a relay-only policy, nothing leaves a host socket.
"""

from __future__ import annotations

from rtcpeer.ice.core import AgentCore
from rtcpeer.ice.events import DataReceived
from rtcpeer.ice.transport import Address, LocalSocket
from rtcpeer.stun.attributes import StunDecodeError
from rtcpeer.stun.constants import MessageClass, Method
from rtcpeer.stun.message import decode_message, is_stun


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
        elif self._path_known(socket_id, source, now):
            self._events.append(DataReceived(data, socket_id, source))
        return True

    def _path_known(self, socket_id: int, source: Address, now: float) -> bool:
        path = (socket_id, source)
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
