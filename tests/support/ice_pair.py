"""Two of our IceTransports on 127.0.0.1, connected, and an ICE restart between them.

For the tests outside ``tests/ice`` that run something above real ICE
(``tests/ice/runtime/helpers.py`` has the same steps for the ICE tests,
whose folder is its own import root).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tests.support.waiting import TIMEOUT, until

from rtcpeer.ice.runtime import IceTransport


def loopback_transport(controlling: bool) -> IceTransport:
    """An IceTransport whose only host candidates are on 127.0.0.1."""
    return IceTransport(controlling=controlling, include_loopback=True, addresses=("127.0.0.1",))


async def next_event(
    emitter: Any, name: str, predicate: Callable[..., bool], timeout: float = TIMEOUT
) -> tuple[Any, ...]:
    """The arguments of the first ``name`` event of ``emitter`` matching ``predicate``."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def listener(*args: Any) -> None:
        if not future.done() and predicate(*args):
            future.set_result(args)

    emitter.on(name, listener)
    try:
        return await asyncio.wait_for(future, timeout)
    finally:
        emitter.remove_listener(name, listener)


async def connect(a: IceTransport, b: IceTransport) -> None:
    """Trickle candidates both ways, exchange credentials, and wait until both
    sides have a selected pair and a connected state."""
    a.on("icecandidate", b.add_remote_candidate)
    b.on("icecandidate", a.add_remote_candidate)
    a.set_remote_parameters(b.local_ufrag, b.local_pwd)
    b.set_remote_parameters(a.local_ufrag, a.local_pwd)
    selected = [
        asyncio.ensure_future(next_event(t, "selectedcandidatepairchange", lambda *_: True))
        for t in (a, b)
    ]
    await asyncio.gather(a.gather(), b.gather())
    await asyncio.wait_for(asyncio.gather(*selected), TIMEOUT)
    for t in (a, b):
        await until(t, "statechange", lambda: t.state in ("connected", "completed"))  # noqa: B023


async def restart(a: IceTransport, b: IceTransport) -> None:
    """``a`` restarts ICE (the offer/answer exchanged at once); returns when
    both sides selected a pair of the new generation."""

    def of_new_generation(t: IceTransport) -> Callable[..., bool]:
        return lambda pair: bool(pair[0].ufrag == t.local_ufrag)

    switched = [
        asyncio.ensure_future(next_event(t, "selectedcandidatepairchange", of_new_generation(t)))
        for t in (a, b)
    ]
    a.restart()
    b.set_remote_parameters(a.local_ufrag, a.local_pwd)
    a.set_remote_parameters(b.local_ufrag, b.local_pwd)
    await asyncio.wait_for(asyncio.gather(*switched), TIMEOUT)
