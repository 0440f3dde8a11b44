"""The virtual clock and its event queue."""

from __future__ import annotations

from rtcpeer.simnet import Network, Scheduler


def test_events_run_in_time_order_and_ties_in_scheduling_order() -> None:
    scheduler = Scheduler()
    ran: list[tuple[float, str]] = []
    for when, label in [(2.0, "c"), (1.0, "a"), (1.0, "b"), (0.5, "first")]:
        scheduler.call_at(when, lambda w=when, lab=label: ran.append((scheduler.now, lab)))
    while scheduler.step():
        pass
    assert ran == [(0.5, "first"), (1.0, "a"), (1.0, "b"), (2.0, "c")]


def test_cancelled_events_do_not_run_and_the_past_is_clamped_to_now() -> None:
    scheduler = Scheduler(start=10.0)
    ran: list[float] = []
    handle = scheduler.call_at(11.0, lambda: ran.append(scheduler.now))
    scheduler.call_at(3.0, lambda: ran.append(scheduler.now))  # in the past: runs at 10
    handle.cancel()
    assert scheduler.next_time() == 10.0
    while scheduler.step():
        pass
    assert ran == [10.0]
    assert scheduler.next_time() is None


def test_run_for_ends_exactly_at_the_deadline_and_skips_later_events() -> None:
    net = Network()
    ran: list[float] = []
    net.at(1.0, lambda: ran.append(net.now))
    net.at(5.0, lambda: ran.append(net.now))
    net.run_for(2.5)
    assert (ran, net.now) == ([1.0], 2.5)
    net.run_for(2.5)
    assert (ran, net.now) == ([1.0, 5.0], 5.0)


def test_run_until_returns_the_virtual_time_and_times_out_virtually() -> None:
    net = Network()
    flag: list[bool] = []
    net.at(3.25, lambda: flag.append(True))
    assert net.run_until(lambda: bool(flag), timeout=10) == 3.25
    try:
        net.run_until(lambda: False, timeout=100)
    except TimeoutError as exc:
        assert "nothing left to run" in str(exc)
    else:
        raise AssertionError("run_until should have timed out")
    assert net.now == 103.25
