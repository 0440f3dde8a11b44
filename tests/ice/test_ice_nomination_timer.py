"""Regular nomination's deadline: a controlling agent asks to be woken for it.

A controlling agent with regular nomination waits, after its first valid
pair, until no better pair can still succeed or ``nomination_delay`` has
passed. When a better pair stays in progress (its check lost), nothing but
that deadline should decide when the USE-CANDIDATE check leaves: the agent
must name it in ``get_timer()``, or a driver sleeping on ``get_timer()``
nominates only when some unrelated timer (a retransmission) happens to fire.
Every test runs on the harness's virtual clock.
"""

from __future__ import annotations

import pytest
from tests.support.ice_harness import Net, Peer, connected

from rtcpeer.ice import IceAgentConfig, PairState
from rtcpeer.stun import Attr, decode_message, is_stun
from rtcpeer.stun.transaction import RetransmissionPolicy

A_HOST = ("192.0.2.1", 5000)
#: b's better candidate (higher local preference: its socket is added first)
#: and its worse one; the better one is blocked, so its pair stays in progress.
B_BETTER = ("198.51.100.2", 6000)
B_WORSE = ("198.51.100.3", 6002)
#: The tolerance on the nomination time: a paced-check slot plus the wire.
TOLERANCE = 0.01


def _first_use_candidate_at(net: Net) -> float | None:
    """When a sent its first check carrying USE-CANDIDATE."""
    for packet in net.sent:
        if packet.source != A_HOST or not is_stun(packet.data) or packet.data[:2] != b"\x00\x01":
            continue
        if decode_message(packet.data).has(Attr.USE_CANDIDATE):
            return packet.time
    return None


def _better_pair_lost(config: IceAgentConfig) -> tuple[Net, Peer, Peer]:
    """a (controlling) and b, where only b's worse candidate answers."""
    net = Net(41)
    a = net.peer("a", controlling=True, config=config)
    b = net.peer("b", controlling=False, config=config)
    net.host(a, 1, A_HOST)
    net.host(b, 1, B_BETTER)
    net.host(b, 2, B_WORSE)
    net.blocked.add(B_BETTER)
    net.pair(a, b)
    a.agent.gather(net.now)
    b.agent.gather(net.now)
    return net, a, b


def _run_to_first_valid(net: Net, a: Peer) -> float:
    gen = a.agent.generation
    assert net.run_until(lambda: gen.first_valid_at is not None, 1.0)
    first_valid_at = gen.first_valid_at
    assert first_valid_at is not None
    # The first valid pair is the worse one; the better one can still succeed.
    better = [p for p in gen.checklist.pairs if p.remote.address == B_BETTER]
    assert better and better[0].state == PairState.IN_PROGRESS
    assert [p.remote.address for p in gen.checklist.valid_pairs] == [B_WORSE]
    assert a.agent.selected_pair is None and gen.nominating is None
    return first_valid_at


def _run_until_pacing_idle(net: Net, a: Peer, config: IceAgentConfig) -> None:
    """Run until a's next timer is more than one Ta away (no paced check due)."""

    def pacing_idle() -> bool:
        timer = a.agent.get_timer()
        return timer is None or timer > net.now + config.check_interval

    assert net.run_until(pacing_idle, 2.0)
    assert a.agent.selected_pair is None


def test_get_timer_names_the_nomination_deadline() -> None:
    # A long check RTO: no retransmission is due before the deadline.
    config = IceAgentConfig(check_retransmission=RetransmissionPolicy(rto=1.0, rc=7, rm=4))
    net, a, b = _better_pair_lost(config)
    first_valid_at = _run_to_first_valid(net, a)
    deadline = first_valid_at + config.nomination_delay
    # Once no paced check is due, the deadline is the next thing a has to do.
    _run_until_pacing_idle(net, a, config)
    timer = a.agent.get_timer()
    assert timer == pytest.approx(deadline), (timer, deadline)
    assert net.run_until(connected(a, b), 5.0)
    sent_at = _first_use_candidate_at(net)
    assert sent_at is not None
    assert deadline <= sent_at <= deadline + TOLERANCE, (sent_at, deadline)
    assert a.selected == (A_HOST, B_WORSE)


def test_nomination_at_the_deadline_with_default_timing() -> None:
    # Defaults: the lost check's first retransmission (at +0.1 s from its send)
    # comes just before the deadline, the next one only at +0.3 s.
    config = IceAgentConfig()
    net, a, b = _better_pair_lost(config)
    first_valid_at = _run_to_first_valid(net, a)
    deadline = first_valid_at + config.nomination_delay
    assert net.run_until(connected(a, b), 5.0)
    sent_at = _first_use_candidate_at(net)
    assert sent_at is not None
    assert deadline <= sent_at <= deadline + TOLERANCE, (sent_at, deadline)


def test_an_input_after_the_deadline_leaves_it_due_until_the_timers_run() -> None:
    # A driver whose loop runs late may hand the agent an input (here data sent
    # on the valid pair) stamped after the deadline before the timer fires:
    # the deadline must stay due, and the timer run must nominate.
    config = IceAgentConfig(check_retransmission=RetransmissionPolicy(rto=1.0, rc=7, rm=4))
    net, a, _ = _better_pair_lost(config)
    first_valid_at = _run_to_first_valid(net, a)
    deadline = first_valid_at + config.nomination_delay
    _run_until_pacing_idle(net, a, config)
    late = deadline + 0.05
    assert a.agent.send(b"early data", late)
    assert a.agent.get_timer() == pytest.approx(deadline)
    a.agent.handle_timer(late)
    nominating = a.agent.generation.nominating
    assert nominating is not None and nominating.remote.address == B_WORSE
    timer = a.agent.get_timer()
    assert timer is None or timer > late
