"""RFC 8445 §7.3.1.4: a check from the peer on a pair whose own check is in flight.

The in-flight check is cancelled (no more retransmissions, no failure on its
timeout, a late answer still counts) and a triggered check replaces it at the
next pacing slot. This is what removes the ~100 ms relay tail: the peer's
TURN server drops our first check until the peer has a permission for us, and
the peer's own check reaching us is the sign that the path now works.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.support.ice_harness import Net, Packet, Peer, connected

from rtcpeer.ice import IceAgentConfig, PairState
from rtcpeer.stun import decode_message, is_stun

Address = tuple[str, int]
A_ADDR: Address = ("192.0.2.1", 5000)
B_ADDR: Address = ("198.51.100.2", 6000)
#: What happens to b's first check: None (dropped) or an extra delay in seconds.
Fate = Callable[[], float | None]


def _requests_from(net: Net, source: Address) -> list[bytes]:
    """Transaction ids of the Binding requests ``source`` sent, in order."""
    return [
        decode_message(p.data).transaction_id
        for p in net.sent
        if p.source == source and is_stun(p.data) and p.data[:2] == b"\x00\x01"
    ]


def _pair_with_first_check_of_b(fate: Fate) -> tuple[Net, Peer, Peer, list[bytes]]:
    """A host pair where ``fate`` decides what happens to b's very first check:
    None drops it, a number delays its delivery by that many extra seconds.
    Checks are paced at Ta = 20 ms, so a triggered check visibly waits its turn."""
    net = Net(21)
    config = IceAgentConfig(check_interval=0.02)
    a = net.peer("a", controlling=True, config=config)
    b = net.peer("b", controlling=False, config=config)
    net.host(a, 1, A_ADDR)
    net.host(b, 1, B_ADDR)
    handled: list[bytes] = []
    post = net.post

    def filtered(source: Address, destination: Address, data: bytes) -> None:
        if source != B_ADDR or handled or not is_stun(data) or data[:2] != b"\x00\x01":
            post(source, destination, data)
            return
        handled.append(decode_message(data).transaction_id)
        net.sent.append(Packet(net.now, source, destination, data))
        delay = fate()
        if delay is not None:
            net._push(net.now + net.latency + delay, "packet", (source, destination, data))

    net.post = filtered  # type: ignore[method-assign]
    net.pair(a, b)
    # b learns a's candidate first, so b checks first and a's check then finds
    # b's pair In-Progress.
    b.agent.gather(0.0)
    a.agent.gather(0.0)
    return net, a, b, handled


def test_lost_first_check_is_replaced_when_the_peer_checks_not_after_an_rto() -> None:
    net, a, b, dropped = _pair_with_first_check_of_b(lambda: None)
    assert net.run_until(connected(a, b), 2.0)
    assert dropped, "b never sent a check"
    rto = b.agent.config.check_retransmission.rto
    # Without the rule b's pair only succeeds with the retransmission at RTO
    # (100 ms); with it, at the next pacing slot after a's check arrived.
    assert net.now < rto / 2, f"connected only at {net.now * 1000:.1f} ms"
    sent = _requests_from(net, B_ADDR)
    assert sent.count(dropped[0]) == 1, "the cancelled check was retransmitted"
    assert len(set(sent)) >= 2, "no triggered check replaced the lost one"
    # The cancelled check only listens for a late answer (no retransmissions)...
    listening = [c for c in b.agent._checks.in_flight.values() if c.cancelled_until is not None]
    assert [c.transaction.transaction_id for c in listening] == dropped
    assert all(c.transaction.transaction_id not in c.pair.transactions for c in listening)
    # ...and long after, it is gone without having failed anything.
    net.run_for(8.0)
    assert not any(c.cancelled_until is not None for c in b.agent._checks.in_flight.values())
    assert b.agent.selected_pair is not None
    assert b.agent.selected_pair.state == PairState.SUCCEEDED


def test_late_answer_to_a_cancelled_check_still_makes_the_pair_valid() -> None:
    net, a, b, delayed = _pair_with_first_check_of_b(lambda: 0.004)
    pair_states: list[PairState] = []

    def b_pair_valid() -> bool:
        pairs = b.agent.generation.checklist.pairs
        pair_states.extend(p.state for p in pairs)
        return any(p.valid for p in pairs)

    assert net.run_until(b_pair_valid, 1.0)
    # a's check reached b while b's check was delayed: b's pair went back to
    # Waiting (cancelled, triggered), then the late answer made it succeed
    # before the triggered check left (the pacing slot is Ta = 20 ms away).
    assert PairState.WAITING in pair_states[pair_states.index(PairState.IN_PROGRESS) :]
    assert net.now < b.agent.config.check_interval
    assert _requests_from(net, B_ADDR) == delayed
    assert net.run_until(connected(a, b), 1.0)


def test_default_pacing_lets_the_replacement_check_go_within_a_few_milliseconds() -> None:
    """Ta defaults to 5 ms (RFC 8445 §14.2's floor): the triggered check that
    replaces a lost one waits at most that long, not the 20-50 ms of a
    conservative Ta (the whole of the remaining relay-only open tail)."""
    net = Net(21)
    a = net.peer("a", controlling=True)
    b = net.peer("b", controlling=False)
    assert b.agent.config.check_interval == 0.005
    net.host(a, 1, A_ADDR)
    net.host(b, 1, B_ADDR)
    post = net.post
    dropped: list[bytes] = []

    def drop_first_of_b(source: Address, destination: Address, data: bytes) -> None:
        if source == B_ADDR and not dropped and data[:2] == b"\x00\x01":
            dropped.append(data)
            return
        post(source, destination, data)

    net.post = drop_first_of_b  # type: ignore[method-assign]
    net.pair(a, b)
    b.agent.gather(0.0)
    a.agent.gather(0.0)
    assert net.run_until(connected(a, b), 1.0)
    assert dropped
    assert net.now <= 0.005 + 3 * net.latency, f"connected only at {net.now * 1000:.1f} ms"
