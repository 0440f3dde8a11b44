"""Round-trip statistics of checks, wherever they travel: raw, ChannelData, or
inside TURN Send/Data indications (a relayed pair before its ChannelBind)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

from rtcpeer.ice.agent import IceAgent
from rtcpeer.ice.runtime.stats import TransportStats
from rtcpeer.stun.constants import Attr, MessageClass, Method
from rtcpeer.stun.framing import encode_channel_data
from rtcpeer.stun.message import StunMessage

KEY = (7, ("127.0.0.1", 55200), ("127.0.0.1", 55300))
PEER = ("127.0.0.1", 55300)
TID = b"0123456789ab"


def _agent() -> IceAgent:
    """Only what ``check_sent`` reads: the checks in flight by transaction id."""
    check = SimpleNamespace(pair=SimpleNamespace(key=KEY))
    return cast(IceAgent, SimpleNamespace(_checks={TID: check}))


def _request() -> bytes:
    return StunMessage(Method.BINDING, MessageClass.REQUEST, TID).encode(b"pwd")


def _success() -> bytes:
    return StunMessage(Method.BINDING, MessageClass.SUCCESS, TID).encode(b"pwd")


def _indication(method: int, payload: bytes) -> bytes:
    message = StunMessage(method, MessageClass.INDICATION, b"indication12")
    return message.add(Attr.XOR_PEER_ADDRESS, PEER).add(Attr.DATA, payload).encode(None)


def test_a_check_in_send_and_data_indications_gives_a_sample() -> None:
    stats = TransportStats()
    stats.check_sent(_agent(), _indication(Method.SEND, _request()), 10.0)
    stats.response_received(_indication(Method.DATA, _success()), 10.25)
    trips = stats.round_trips[KEY]
    assert trips.current == 0.25
    assert (trips.total, trips.responses, trips.requests) == (0.25, 1, 1)


def test_a_check_in_channel_data_gives_a_sample() -> None:
    stats = TransportStats()
    stats.check_sent(_agent(), encode_channel_data(0x4000, _request()), 1.0)
    stats.response_received(encode_channel_data(0x4000, _success()), 1.5)
    assert stats.round_trips[KEY].current == 0.5


def test_application_data_in_an_indication_is_no_check() -> None:
    stats = TransportStats()
    dtls = bytes([22, 254, 253]) + bytes(40)
    stats.check_sent(_agent(), _indication(Method.SEND, dtls), 1.0)
    stats.response_received(_indication(Method.DATA, dtls), 1.5)
    assert stats.round_trips == {}


def test_a_retransmitted_check_counts_but_sets_no_current_sample() -> None:
    stats = TransportStats()
    agent = _agent()
    stats.check_sent(agent, _request(), 1.0)
    stats.check_sent(agent, _request(), 1.5)  # retransmission: ambiguous (Karn)
    stats.response_received(_success(), 1.75)
    trips = stats.round_trips[KEY]
    assert trips.current is None
    assert (trips.total, trips.responses, trips.requests) == (0.25, 1, 1)
