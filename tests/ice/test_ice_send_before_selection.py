"""Application data before a pair is selected (RFC 8445 §12.1.1), and no silent drops.

The case behind these tests: we are ICE-controlling and DTLS server; the peer
(libwebrtc answering our offer) is controlled and sends its ClientHello as
soon as a pair works for it, before our nomination has completed. Our reply
must go out at once on a valid pair, not be dropped and cost the peer's 1 s
retransmission. What cannot be sent at all is counted and logged, and a
first flight the peer lost is sent again long before DTLS would.
"""

from __future__ import annotations

import logging

import pytest
from tests.support.ice_harness import Net, Peer, connected, host_pair

from rtcpeer.ice import IceAgentConfig, IceTransportState
from rtcpeer.stun.message import is_stun

Address = tuple[str, int]

A_ADDR = ("192.0.2.1", 5000)
B_ADDR = ("198.51.100.2", 6000)


def test_reply_to_a_flight_that_arrives_before_selection_goes_out_at_once() -> None:
    net, a, b = host_pair(3, latency=0.01)
    # b behaves like libwebrtc: its ClientHello leaves once one of its checks succeeded.
    assert net.run_until(lambda: bool(b.agent.generation.checklist.valid_pairs), 1.0)
    net.post(B_ADDR, A_ADDR, b"client hello")
    assert net.run_until(lambda: bool(a.received), 1.0)
    assert a.received == [b"client hello"]
    assert a.agent.selected_pair is None  # a's nomination is still under way
    replied_at = net.now
    assert a.agent.send(b"server hello", net.now) is True
    assert a.agent.send_counters.sent_before_selection == 1
    # Over the path the peer's data came from, one latency later -- not after 1 s.
    assert net.run_until(lambda: bool(b.received), 1.0)
    assert b.received == [b"server hello"]
    assert net.now - replied_at == pytest.approx(0.01)
    assert any(
        p.data == b"server hello" and (p.source, p.destination) == (A_ADDR, B_ADDR)
        for p in net.sent
    )
    assert net.run_until(connected(a, b), 1.0)
    assert a.agent.send_counters.dropped == 0


def test_controlled_side_sends_on_a_valid_pair_before_it_is_nominated() -> None:
    net, a, b = host_pair(4, latency=0.01)
    assert net.run_until(lambda: bool(b.agent.generation.checklist.valid_pairs), 1.0)
    assert b.agent.selected_pair is None
    assert b.agent.send(b"early", net.now) is True
    assert net.run_until(lambda: bool(a.received), 1.0)
    assert a.received == [b"early"]
    assert b.agent.data_pair is not None and b.agent.data_pair.remote.address == A_ADDR


def test_data_sent_before_any_valid_pair_is_held_then_sent_when_one_is() -> None:
    net, a, b = host_pair(5, latency=0.01)
    assert a.agent.send(b"first flight", net.now) is False  # nothing valid yet: held
    net.pump()
    assert all(p.data != b"first flight" for p in net.sent)
    assert net.run_until(lambda: bool(b.received), 1.0)
    assert b.received == [b"first flight"]
    # As soon as a's first check succeeded (one round trip), plus one latency.
    assert net.now == pytest.approx(0.03)
    counters = a.agent.send_counters
    assert (counters.held_then_sent, counters.dropped) == (1, 0)
    assert not a.agent.holding


def test_what_cannot_be_sent_is_counted_and_logged_once_not_per_datagram(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = IceAgentConfig(hold_limit=4, hold_time=0.5)
    net = Net(6)
    net.cut = True
    a = net.peer("a", controlling=True, config=config)
    b = net.peer("b", controlling=False)
    net.host(a, 1, A_ADDR)
    net.host(b, 1, B_ADDR)
    net.pair(a, b)
    a.agent.gather(net.now)
    b.agent.gather(net.now)
    caplog.set_level(logging.DEBUG, logger="rtcpeer.ice")
    for index in range(10):
        assert a.agent.send(b"x%d" % index, net.now) is False
    # The hold keeps the newest four; the six oldest are dropped at once.
    assert a.agent.send_counters.dropped == 6
    assert a.agent.send_counters.bytes_dropped == 12
    net.run_for(1.0)  # longer than hold_time, but ICE is still checking: kept
    assert a.agent.send_counters.dropped == 6
    assert a.agent.holding
    # Once ICE has failed, what waited is dropped within hold_time.
    assert net.run_until(lambda: a.agent.state == IceTransportState.FAILED, 60.0)
    net.run_for(config.hold_time)
    assert a.agent.send_counters.dropped == 10
    assert not a.agent.holding
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    # Rate-limited: the first drop is reported at once, the next nine are not.
    assert len(warnings) == 1
    assert "dropped 1 outgoing datagram" in warnings[0].getMessage()
    # Into a closed agent: still counted, logged at DEBUG at most.
    a.agent.close()
    assert a.agent.send(b"late", net.now) is False
    assert a.agent.send_counters.dropped == 11
    assert a.agent.state == IceTransportState.CLOSED
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1


def test_a_held_datagram_waits_as_long_as_ice_is_still_checking(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A DTLS client starts before ICE has a valid pair; when the checks take
    # longer than hold_time (many connections opening at once) its held
    # ClientHello still leaves the moment a pair is valid -- not at DTLS's
    # next retransmission -- and nothing is dropped or warned about.
    net = Net(7)
    net.cut = True
    a = net.peer("a", controlling=True)
    b = net.peer("b", controlling=False)
    net.host(a, 1, A_ADDR)
    net.host(b, 1, B_ADDR)
    net.pair(a, b)
    a.agent.gather(net.now)
    b.agent.gather(net.now)
    caplog.set_level(logging.DEBUG, logger="rtcpeer.ice")
    assert a.agent.send(b"client hello", net.now) is False  # held
    net.run_for(a.agent.config.hold_time * 2.5)
    assert a.agent.state == IceTransportState.CHECKING
    assert a.agent.holding
    assert a.agent.send_counters.dropped == 0
    net.cut = False  # the path comes up late
    assert net.run_until(lambda: b"client hello" in b.received, 5.0)
    assert a.agent.send_counters.held_then_sent == 1
    assert a.agent.send_counters.dropped == 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert net.run_until(connected(a, b), 30.0)


CLIENT_HELLO = b"\x16\xfe\xfd" + b"\x00" * 10 + b"client hello"  # a DTLS handshake record
SERVER_HELLO = b"\x16\xfe\xfd" + b"\x00" * 10 + b"server hello"


def _dtls_client_behind(seed: int, *, lose_first: bool) -> tuple[Net, Peer, Peer, list[bytes]]:
    """b (controlled, DTLS client) and a controlling peer that loses -- or not --
    the first application datagram b sends (werift drops data that arrives
    before its own ICE is ready)."""
    net = Net(seed, latency=0.01)
    a = net.peer("a", controlling=True, config=IceAgentConfig(aggressive_nomination=True))
    b = net.peer("b", controlling=False)
    net.host(a, 1, A_ADDR)
    net.host(b, 1, B_ADDR)
    post = net.post
    lost: list[bytes] = []

    def lose_first_data(source: Address, destination: Address, data: bytes) -> None:
        if lose_first and source == B_ADDR and not lost and not is_stun(data):
            lost.append(data)
            return
        post(source, destination, data)

    net.post = lose_first_data  # type: ignore[method-assign]
    net.pair(a, b)
    a.agent.gather(net.now)
    b.agent.gather(net.now)
    assert net.run_until(connected(a, b), 1.0)
    return net, a, b, lost


def test_a_first_flight_the_peer_lost_is_sent_again_after_tens_of_milliseconds() -> None:
    net, a, b, lost = _dtls_client_behind(8, lose_first=True)
    assert b.agent.send(CLIENT_HELLO, net.now)
    sent_at = net.now
    # Not DTLS's 1 s retransmission: the ICE transport sends it once more.
    assert net.run_until(lambda: CLIENT_HELLO in a.received, 2.0)
    assert lost == [CLIENT_HELLO]
    # Three check round trips (20 ms each) after it left, plus the way there.
    assert net.now - sent_at == pytest.approx(3 * 0.02 + 0.01)
    assert b.agent.send_counters.first_flight_resent == 1
    # The peer answers: nothing more is sent again, whatever comes later.
    assert a.agent.send(SERVER_HELLO, net.now)
    assert net.run_until(lambda: SERVER_HELLO in b.received, 1.0)
    assert b.agent.send(b"\x16\xfe\xfd finished", net.now)
    net.run_for(1.0)
    assert b.agent.send_counters.first_flight_resent == 1
    assert a.received.count(CLIENT_HELLO) == 1


def test_a_first_flight_the_peer_answers_is_never_sent_twice() -> None:
    net, a, b, _ = _dtls_client_behind(9, lose_first=False)
    assert b.agent.send(CLIENT_HELLO, net.now)
    assert net.run_until(lambda: CLIENT_HELLO in a.received, 1.0)
    assert a.agent.send(SERVER_HELLO, net.now)  # answered within one round trip
    net.run_for(1.0)
    assert a.received.count(CLIENT_HELLO) == 1
    assert b.agent.send_counters.first_flight_resent == 0
    # Not DTLS, not resent either way.
    assert a.agent.send_counters.first_flight_resent == 0
