"""Server name resolution before the agent sees the servers."""

from __future__ import annotations

import time

from rtcpeer.ice.runtime import resolve_servers

from .turn_support import ice_url


async def test_ip_literals_pass_through_and_names_resolve_in_parallel() -> None:
    urls = [
        ice_url("turn:127.0.0.1:3478?transport=udp"),
        ice_url("turns:[::1]:5349?transport=tcp"),
        ice_url("turn:localhost:3479?transport=tcp"),
        ice_url("stun:no-such-host.invalid:3478"),
    ]
    start = time.monotonic()
    resolved = await resolve_servers(urls, timeout=2.0)
    assert time.monotonic() - start < 2.5  # one timeout at most, not one per name
    assert [r.url for r in resolved] == urls
    assert resolved[0].address == ("127.0.0.1", 3478) and resolved[0].error is None
    assert resolved[1].address == ("::1", 5349)
    assert resolved[2].address is not None and resolved[2].address[0] in ("127.0.0.1", "::1")
    assert resolved[2].address[1] == 3479
    assert resolved[3].address is None
    assert resolved[3].error is not None and "no-such-host.invalid" in resolved[3].error
