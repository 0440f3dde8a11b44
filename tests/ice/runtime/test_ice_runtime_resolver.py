"""Server name resolution before the agent sees the servers."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from tests.support.ice_turn import ice_url

from rtcpeer.ice.runtime import resolve_servers


async def test_ip_literals_pass_through_and_names_resolve() -> None:
    urls = [
        ice_url("turn:127.0.0.1:3478?transport=udp"),
        ice_url("turns:[::1]:5349?transport=tcp"),
        ice_url("turn:localhost:3479?transport=tcp"),
        ice_url("stun:no-such-host.invalid:3478"),
    ]
    resolved = await asyncio.wait_for(resolve_servers(urls, timeout=2.0), 30.0)
    assert [r.url for r in resolved] == urls
    assert resolved[0].address == ("127.0.0.1", 3478) and resolved[0].error is None
    assert resolved[1].address == ("::1", 5349)
    assert resolved[2].address is not None and resolved[2].address[0] in ("127.0.0.1", "::1")
    assert resolved[2].address[1] == 3479
    assert resolved[3].address is None
    assert resolved[3].error is not None and "no-such-host.invalid" in resolved[3].error


async def test_names_resolve_in_parallel_and_a_stuck_one_times_out_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every lookup is under way before any returns: each fake lookup waits
    until all three have started, which a one-at-a-time resolver never lets
    happen (it would time each out instead). One name never answers: it alone
    ends with a timeout error, the others resolve."""
    loop = asyncio.get_running_loop()
    started: list[tuple[str, int]] = []
    all_started = asyncio.Event()
    answers = {"a.invalid": "192.0.2.10", "b.invalid": "2001:db8::b"}

    async def getaddrinfo(host: str, port: int, **kwargs: Any) -> list[Any]:
        started.append((host, kwargs["type"]))
        if len(started) == 3:
            all_started.set()
        await all_started.wait()
        if host not in answers:
            await asyncio.Event().wait()  # never answers
        family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
        return [(family, kwargs["type"], 0, "", (answers[host], port))]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    urls = [
        ice_url("turn:a.invalid:3478?transport=udp"),
        ice_url("stun:stuck.invalid:3478"),
        ice_url("turn:b.invalid:443?transport=tcp"),
    ]
    # The stuck name's own timeout (0.5 s) ends the wait; the outer bound is
    # only a generous guard against hanging.
    resolved = await asyncio.wait_for(resolve_servers(urls, timeout=0.5), 30.0)
    assert sorted(started) == sorted(
        [
            ("a.invalid", socket.SOCK_DGRAM),
            ("stuck.invalid", socket.SOCK_DGRAM),
            ("b.invalid", socket.SOCK_STREAM),
        ]
    )
    assert [r.url for r in resolved] == urls
    assert resolved[0].address == ("192.0.2.10", 3478) and resolved[0].error is None
    assert resolved[1].address is None
    assert resolved[1].error == "DNS lookup of 'stuck.invalid' timed out"
    assert resolved[2].address == ("2001:db8::b", 443) and resolved[2].error is None


async def test_ip_literals_resolve_without_a_task_or_a_wait() -> None:
    """IP literals need no lookup: the coroutine ends at its first step,
    without a task per server or a pass through the event loop (gathering
    from N servers used to pay for N tasks before anything was sent)."""
    urls = [
        ice_url("turn:127.0.0.1:3478?transport=udp"),
        ice_url("turns:[::1]:5349?transport=tcp"),
        ice_url("stun:192.0.2.7:3478"),
    ]
    coroutine = resolve_servers(urls)
    try:
        with pytest.raises(StopIteration) as finished:
            coroutine.send(None)
    finally:
        coroutine.close()
    resolved = finished.value.value
    assert [r.url for r in resolved] == urls
    assert [r.address for r in resolved] == [
        ("127.0.0.1", 3478),
        ("::1", 5349),
        ("192.0.2.7", 3478),
    ]
    assert all(r.error is None for r in resolved)
