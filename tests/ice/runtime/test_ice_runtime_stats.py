"""Round-trip statistics of checks, recorded by the agent's checks where they
happen (on the pair a check went out on), whatever carries them afterwards:
a host socket, or a TURN allocation (raw, ChannelData, Send/Data indications).
The runtime's report only reads them."""

from __future__ import annotations

import random

from rtcpeer.ice.candidate import Candidate
from rtcpeer.ice.config import IceAgentConfig
from rtcpeer.ice.connectivity import ConnectivityChecks
from rtcpeer.ice.generation import Generation
from rtcpeer.ice.pair import CandidatePair, PairState
from rtcpeer.sansio import Address
from rtcpeer.stun.constants import ErrorCode, MessageClass
from rtcpeer.stun.message import StunMessage, decode_message, short_term_key

LOCAL = Candidate("l", 1, "udp", 2130706431, "127.0.0.1", 55200, "host")
REMOTE = Candidate("r", 1, "udp", 2130706431, "127.0.0.1", 55300, "host")
REMOTE_PWD = "remote-password-0123456789"


class _Wire:
    """Where the checks part puts its datagrams."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, bytes]] = []

    def __call__(self, socket_id: int, destination: Address, data: bytes, now: float) -> None:
        self.sent.append((now, data))


def _setup() -> tuple[ConnectivityChecks, Generation, CandidatePair, _Wire]:
    wire = _Wire()
    checks = ConnectivityChecks(IceAgentConfig(), random.Random(1), wire)
    gen = Generation(0, "ufrag", "local-password-0123456789", controlling=True, max_pairs=10)
    gen.remote_ufrag, gen.remote_pwd = "peer", REMOTE_PWD
    pair = CandidatePair(LOCAL, REMOTE, 7, PairState.WAITING)
    return checks, gen, pair, wire


def _answer(request: bytes, *, error: int | None = None) -> StunMessage:
    message = decode_message(request)
    response = message.success() if error is None else message.error(error)
    return decode_message(response.encode(short_term_key(REMOTE_PWD)))


def test_an_answered_check_gives_a_sample() -> None:
    checks, gen, pair, wire = _setup()
    checks.send(gen, pair, 10.0, controlling=True, tie_breaker=1)
    assert checks.answered(_answer(wire.sent[0][1]), 10.25) is not None
    assert pair.current_round_trip_time == 0.25
    assert (pair.total_round_trip_time, pair.responses_received, pair.requests_sent) == (
        0.25,
        1,
        1,
    )


def test_a_retransmitted_check_counts_but_sets_no_current_sample() -> None:
    checks, gen, pair, wire = _setup()
    checks.send(gen, pair, 1.0, controlling=True, tie_breaker=1)
    timer = checks.timers()
    assert timer == [1.1]
    assert checks.handle_timer(1.1) == []  # retransmission: ambiguous (Karn)
    assert len(wire.sent) == 2
    checks.answered(_answer(wire.sent[0][1]), 1.35)
    assert pair.current_round_trip_time is None
    assert (round(pair.total_round_trip_time, 9), pair.responses_received, pair.requests_sent) == (
        0.25,
        1,
        1,
    )


def test_an_error_response_is_no_sample() -> None:
    checks, gen, pair, wire = _setup()
    checks.send(gen, pair, 1.0, controlling=True, tie_breaker=1)
    response = _answer(wire.sent[0][1], error=ErrorCode.ROLE_CONFLICT)
    assert response.message_class == MessageClass.ERROR
    assert checks.answered(response, 1.5) is not None
    assert pair.current_round_trip_time is None
    assert (pair.total_round_trip_time, pair.responses_received, pair.requests_sent) == (0, 0, 1)


def test_a_response_that_fails_integrity_counts_nothing() -> None:
    checks, gen, pair, wire = _setup()
    checks.send(gen, pair, 1.0, controlling=True, tie_breaker=1)
    forged = decode_message(decode_message(wire.sent[0][1]).success().encode(b"wrong-key"))
    assert checks.answered(forged, 1.5) is None
    assert pair.responses_received == 0 and pair.current_round_trip_time is None
