"""A check's retransmission timeout follows the measured check round trips.

RTO = MAX(policy RTO, SRTT + 4·RTTVAR) (RFC 6298, Karn's rule), capped, from
one :class:`CheckRtt` shared by the agents of one runtime: an agent opened
while answers take ~400 ms to be read does not retransmit its first check
after 100 ms, while on a fast path nothing changes. All on the virtual clock.
"""

from __future__ import annotations

import asyncio

from tests.support.ice_harness import Net, Peer, connected

from rtcpeer.ice import IceAgentConfig
from rtcpeer.ice.connectivity import CheckRtt, adapted_policy, build_success
from rtcpeer.ice.runtime.driver import IceTransport, shared_check_rtt
from rtcpeer.stun import decode_message, is_stun
from rtcpeer.stun.transaction import RetransmissionPolicy

Address = tuple[str, int]
A_ADDR: Address = ("192.0.2.1", 5000)
B_ADDR: Address = ("198.51.100.2", 6000)
POLICY_RTO = IceAgentConfig().check_retransmission.rto


def _connect(latency: float, rtt: CheckRtt, seed: int = 5) -> tuple[Net, Peer, Peer]:
    """Two agents sharing ``rtt`` over a link of one-way ``latency``, connected."""
    net = Net(seed, latency=latency)
    a = net.peer("a", controlling=True, check_rtt=rtt)
    b = net.peer("b", controlling=False, check_rtt=rtt)
    net.host(a, 1, A_ADDR)
    net.host(b, 1, B_ADDR)
    net.pair(a, b)
    a.agent.gather(net.now)
    b.agent.gather(net.now)
    assert net.run_until(connected(a, b), 5.0)
    return net, a, b


def _first_check_resend_gap(rtt: CheckRtt, later: tuple[float, ...] = ()) -> float:
    """A fresh pair of agents sharing ``rtt``, the peer silent: how long after
    the first check went out its first retransmission went. ``later``: round
    trips another agent measures right after that first check went out."""
    net = Net(9)
    a = net.peer("a", controlling=True, check_rtt=rtt)
    b = net.peer("b", controlling=False, check_rtt=rtt)
    net.host(a, 1, A_ADDR)
    net.host(b, 1, B_ADDR)
    net.blocked.add(B_ADDR)  # nothing reaches b: a's first check goes unanswered
    net.pair(a, b)
    a.agent.gather(net.now)
    b.agent.gather(net.now)
    assert net.run_until(lambda: bool(_requests(net)), 1.0)
    for sample in later:
        rtt.sample(sample)
    net.run_for(5.0)
    sent: dict[bytes, list[float]] = {}
    for packet in net.sent:
        if packet.source == A_ADDR and is_stun(packet.data) and packet.data[:2] == b"\x00\x01":
            sent.setdefault(decode_message(packet.data).transaction_id, []).append(packet.time)
    first = min(sent.values(), key=lambda times: times[0])
    assert len(first) >= 2, f"the first check was never retransmitted: {first}"
    return first[1] - first[0]


def _requests(net: Net) -> list[bytes]:
    return [
        p.data
        for p in net.sent
        if p.source == A_ADDR and is_stun(p.data) and p.data[:2] == b"\x00\x01"
    ]


def test_round_trips_measured_after_a_check_went_delay_its_retransmission() -> None:
    """All agents of a runtime send their first checks in one burst, before any
    answer is read: round trips measured meanwhile still hold them back."""
    rtt = CheckRtt()
    gap = _first_check_resend_gap(rtt, later=(0.4, 0.4, 0.4))
    assert rtt.srtt is not None
    floor = rtt.srtt + 4 * rtt.rttvar
    assert gap >= floor - 1e-9, f"retransmitted after {gap * 1000:.0f} ms, RTO {floor * 1000:.0f}"


def test_slow_round_trips_delay_the_next_agents_first_retransmission() -> None:
    rtt = CheckRtt()
    _connect(0.2, rtt)  # ~400 ms round trips: what a loop running late measures
    assert rtt.samples >= 1 and rtt.srtt is not None
    assert 0.39 <= rtt.srtt <= 0.42, rtt.srtt
    floor = rtt.srtt + 4 * rtt.rttvar
    gap = _first_check_resend_gap(rtt)
    assert gap >= floor - 1e-9, f"retransmitted after {gap * 1000:.0f} ms, RTO {floor * 1000:.0f}"
    assert gap >= 0.4


def test_fast_round_trips_keep_the_policy_rto() -> None:
    rtt = CheckRtt()
    _connect(0.0025, rtt)  # 5 ms round trips
    assert rtt.srtt is not None and rtt.srtt < 0.01
    gap = _first_check_resend_gap(rtt)
    assert abs(gap - POLICY_RTO) < 1e-9, gap


def _answered_check_samples(retransmit: bool) -> int:
    """One more check on a connected pair, retransmitted first or not, then
    answered 120 ms after it first went: how many samples that added."""
    rtt = CheckRtt()
    net, a, b = _connect(0.001, rtt)
    pair = a.agent.selected_pair
    assert pair is not None
    checks = a.agent._checks
    before = rtt.samples
    now = net.now
    check = checks.send(
        a.agent.generation, pair, now, controlling=True, tie_breaker=a.agent.tie_breaker
    )
    if retransmit:
        checks.handle_timer(now + POLICY_RTO)
    assert check.transaction.transmissions == (2 if retransmit else 1)
    reply = decode_message(build_success(check.transaction.request, A_ADDR, b.agent.local_pwd))
    assert checks.answered(reply, now + 0.12) is check
    checks.succeeded(check, now + 0.12)
    return rtt.samples - before


def test_a_retransmitted_check_gives_no_sample() -> None:
    """Karn: an answer after a retransmission may be to either transmission."""
    assert _answered_check_samples(retransmit=False) == 1
    assert _answered_check_samples(retransmit=True) == 0


def test_estimator_follows_rfc_6298() -> None:
    rtt = CheckRtt()
    assert rtt.rto(0.1, 3.0) == 0.1
    rtt.sample(0.4)
    assert (rtt.srtt, rtt.rttvar) == (0.4, 0.2)
    assert rtt.rto(0.1, 3.0) == 0.4 + 4 * 0.2
    rtt.sample(0.2)
    assert abs(rtt.rttvar - (0.75 * 0.2 + 0.25 * 0.2)) < 1e-12
    assert abs(rtt.srtt - (0.875 * 0.4 + 0.125 * 0.2)) < 1e-12  # type: ignore[operator]
    assert rtt.rto(0.1, 0.5) == 0.5  # capped
    assert rtt.rto(2.0, 0.5) == 2.0  # never below the policy


def _give_up_after(p: RetransmissionPolicy) -> float:
    """How long a transaction with policy ``p`` lasts unanswered."""
    return float(p.rto * (2 ** (p.rc - 1) - 1 + p.rm))


def test_a_raised_rto_does_not_stretch_the_time_to_give_up() -> None:
    policy = RetransmissionPolicy(rto=0.1, rc=7, rm=4)
    rtt = CheckRtt()
    assert adapted_policy(policy, rtt, 3.0) is policy
    assert adapted_policy(policy, rtt, None) is policy
    for sample in (0.005, 0.4, 1.0, 5.0):
        rtt = CheckRtt()
        rtt.sample(sample)
        adapted = adapted_policy(policy, rtt, 3.0)
        assert adapted.rto == max(0.1, min(3.0, sample * 3))
        assert adapted.rc >= 2
        assert adapted.rc == 2 or _give_up_after(adapted) <= _give_up_after(policy) + 1e-9


def test_the_runtime_shares_one_estimator_per_event_loop() -> None:
    async def two() -> tuple[CheckRtt, CheckRtt]:
        transport = IceTransport(controlling=True)
        try:
            assert transport._agent._checks.check_rtt is shared_check_rtt()
        finally:
            await transport.close()
        return shared_check_rtt(), shared_check_rtt()

    first, again = asyncio.run(two())
    assert first is again
    other, _ = asyncio.run(two())
    assert other is not first
    assert shared_check_rtt() is shared_check_rtt()  # outside a loop: the process's
