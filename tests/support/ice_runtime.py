"""Helpers for the IceTransport tests: wiring two transports' signalling and waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from rtcpeer.ice import Candidate
from rtcpeer.ice.runtime import IceTransport

TIMEOUT = 10.0
LOOPBACK = ("127.0.0.1",)


def transport(controlling: bool, **kwargs: Any) -> IceTransport:
    """An IceTransport that only ever uses 127.0.0.1 for host candidates."""
    kwargs.setdefault("include_loopback", True)
    kwargs.setdefault("addresses", LOOPBACK)
    return IceTransport(controlling=controlling, **kwargs)


def wire(a: IceTransport, b: IceTransport) -> None:
    """Trickle each side's candidates (and end-of-candidates) to the other."""

    def forward(to: IceTransport) -> Callable[[Candidate | None], None]:
        return lambda candidate: to.add_remote_candidate(candidate)

    a.on("icecandidate", forward(b))
    b.on("icecandidate", forward(a))


def exchange_credentials(a: IceTransport, b: IceTransport) -> None:
    a.set_remote_parameters(b.local_ufrag, b.local_pwd)
    b.set_remote_parameters(a.local_ufrag, a.local_pwd)


async def wait_for_event(
    emitter: IceTransport,
    name: str,
    predicate: Callable[..., bool] = lambda *args: True,
    timeout: float = TIMEOUT,
) -> tuple[Any, ...]:
    """The arguments of the first ``name`` event matching ``predicate``."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def listener(*args: Any) -> None:
        if not future.done() and predicate(*args):
            future.set_result(args)

    emitter.on(name, listener)
    try:
        return await asyncio.wait_for(future, timeout)
    finally:
        emitter.remove_listener(name, listener)


async def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Wait for ``condition`` by re-checking on every event-loop turn's timer (10 ms)."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


async def connect(a: IceTransport, b: IceTransport) -> None:
    """Signal, gather and wait until both sides have a selected pair."""
    wire(a, b)
    exchange_credentials(a, b)
    selected = [
        asyncio.ensure_future(wait_for_event(t, "selectedcandidatepairchange")) for t in (a, b)
    ]
    await asyncio.gather(a.gather(), b.gather())
    await asyncio.wait_for(asyncio.gather(*selected), TIMEOUT)
    await wait_until(
        lambda: a.state in ("connected", "completed") and b.state in ("connected", "completed")
    )
