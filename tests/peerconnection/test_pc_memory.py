"""What one open connection holds (issue 19: 1,000 pairs in one process).

CPython shares an instance dict's key table between the instances of a class
only up to 29 keys; past that every instance gets its own ~1.6 KiB dict. The
peer connection and the ICE agent keep their state in slots, agents given no
configuration share the default one, the text of a created offer/answer is
not kept once it was applied, and state that a data-only connection rarely or
never uses (empty sets, a lock, media routing, remote-track changes, a
finished task) is made on use or shared -- each measured per connection by
``benchmarks/pc_scale.py`` (its RESULTS.md section lists the sizes). These
tests pin each of those, and that the behaviour around them still holds.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from tests.support.peer_connections import TIMEOUT, Link, open_channels, peer, poll

from rtcpeer import RTCPeerConnection
from rtcpeer.ice import IceAgent
from rtcpeer.jsep import RTCSdpType

#: Keys an instance dict may hold and still share its class's key table (CPython).
SHARED_KEYS_LIMIT = 29


async def test_open_connection_keeps_a_key_sharing_dict() -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        channel, _ = await open_channels(a, b, link)
        channel.send("ping")
        for pc in (a, b):
            own = vars(pc)
            # Only pyee's (and a user's) attributes live in the dict.
            assert len(own) <= SHARED_KEYS_LIMIT, sorted(own)
            assert not [name for name in own if name in RTCPeerConnection.__slots__], sorted(own)
    finally:
        await a.close()
        await b.close()


def test_ice_agent_has_no_instance_dict() -> None:
    agent = IceAgent(True)
    assert not hasattr(agent, "__dict__")
    # 34 attributes in slots: far below a dict of its own (~1.6 KiB).
    assert sys.getsizeof(agent) < 400


def test_agents_without_configuration_share_the_default() -> None:
    first, second = IceAgent(True), IceAgent(False)
    assert first.config is second.config
    assert first.config.consent.retransmission.rto == 0.5  # the defaults, unchanged


async def test_created_text_is_dropped_once_applied_and_still_recognised() -> None:
    pc = peer()
    try:
        pc.createDataChannel("chat")
        offer = await pc.createOffer()
        assert RTCSdpType.OFFER in pc._negotiation._created_sdp
        await pc.setLocalDescription(offer)
        assert RTCSdpType.OFFER not in pc._negotiation._created_sdp
        # Setting the same offer again is still allowed (recognised by parsing).
        await pc.setLocalDescription(offer)
        assert pc.signalingState == "have-local-offer"
        assert pc.pendingLocalDescription is not None
    finally:
        await pc.close()


async def test_transport_stack_follows_ice_through_the_owner_not_pyee() -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        channel, far = await open_channels(a, b, link)
        stack = a._transports
        assert stack is not None
        # No pyee handler table on the ICE transport for the stack's own use.
        assert "statechange" not in stack.ice._events
        assert "selectedcandidatepairchange" not in stack.ice._events
        # The selected pair reached the stack (its generation: the first).
        assert stack._path_generation == 0
        # ICE states reach it through the connection's handler: trouble, then a
        # working path again, resumes the association.
        resumed = stack.sctp.path_resumptions
        a._on_ice_state("disconnected")
        assert stack._path_troubled
        a._on_ice_state("connected")
        assert not stack._path_troubled
        assert stack.sctp.path_resumptions == resumed + 1
        # ...and the association still carries messages (the resent backlog is out).
        got: asyncio.Queue[object] = asyncio.Queue()
        far.on("message", got.put_nowait)
        channel.send("after")
        assert await asyncio.wait_for(got.get(), TIMEOUT) == "after"
    finally:
        await a.close()
        await b.close()


def test_parsed_descriptions_keep_no_instance_dicts() -> None:
    # The applied descriptions (ours and the peer's) live as long as the
    # connection: their parsed parts hold their fields in slots.
    from rtcpeer.jsep import IceCredentials
    from rtcpeer.sdp import parse_sdp

    description = parse_sdp(
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "a=fingerprint:sha-256 AB:CD\r\n"
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
        "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\na=mid:0\r\n"
        "a=sctp-port:5000\r\n"
    )
    parts = [
        description,
        description.media[0],
        description.origin,
        *description.fingerprints,
        IceCredentials("abcd", "0123456789abcdef012345"),
    ]
    assert len(parts) == 5
    assert [type(part).__name__ for part in parts if hasattr(part, "__dict__")] == []


async def test_an_idle_operations_chain_keeps_no_lock() -> None:
    pc = peer()
    try:
        pc.createDataChannel("chat")
        # Two operations at once: the second waits for the first's lock.
        first, second = await asyncio.gather(pc.createOffer(), pc.createOffer())
        assert first.type == second.type == "offer"
        assert pc._chain.empty
        assert pc._chain._lock is None  # nor, with it, its deque of waiters
    finally:
        await pc.close()


async def test_rarely_used_ice_state_shares_one_empty_frozenset() -> None:
    from rtcpeer.ice.generation import NOTHING

    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        await open_channels(a, b, link)
        assert a._transports is not None
        agent = a._transports.ice.agent
        generation = agent.generation
        assert agent._vanished_hosts is NOTHING
        assert agent._old_remote_ufrags is NOTHING
        assert generation.owned_sockets is NOTHING
        assert generation.pending_gatherers is NOTHING
        # Emptied again after a use, it is the shared one again (not a new object).
        token = agent.begin_continual_gathering(agent._now)
        assert token is not None and generation.pending_gatherers
        agent.end_continual_gathering(token, agent._now)
        assert generation.pending_gatherers is NOTHING
    finally:
        await a.close()
        await b.close()


async def test_a_data_only_connection_holds_no_remote_track_changes() -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        await open_channels(a, b, link)
        assert a._rtp._changes is None and b._rtp._changes is None
    finally:
        await a.close()
        await b.close()


async def test_emitters_share_one_lock_and_make_the_pending_set_on_use() -> None:
    first, second = peer(), peer()
    try:
        assert first._lock is second._lock
        assert vars(first)["_waiting"] is None
        # Coroutine handlers still run and are still waited for.
        ran: list[int] = []

        async def handler(value: int) -> None:
            await asyncio.sleep(0)
            ran.append(value)

        first.on("custom", handler)
        first.emit("custom", 7)
        assert len(first._waiting) == 1
        await asyncio.wait_for(first.wait_for_complete(), TIMEOUT)
        assert ran == [7]
        assert vars(second)["_waiting"] is None
    finally:
        await first.close()
        await second.close()


async def test_a_data_only_connection_keeps_no_rtp_router_or_drop_counters() -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        await open_channels(a, b, link)
        for pc in (a, b):
            assert pc._transports is not None
            dtls = pc._transports.dtls
            assert dtls._router is None and dtls._drops is None
            # Both are there when asked for (media, stats).
            assert dtls.rtp_drops.unrouted_rtp == 0
            assert dtls._rtp_router.route_rtcp is not None
    finally:
        await a.close()
        await b.close()


async def test_a_negotiated_connection_keeps_no_empty_containers_of_its_own() -> None:
    from rtcpeer.peerconnection.negotiation import _NO_CREDENTIALS

    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        await open_channels(a, b, link)
        for pc in (a, b):
            negotiation = pc._negotiation
            # No restart pending: the one shared empty set, not one per negotiation.
            assert negotiation.to_replace is _NO_CREDENTIALS
            # The created text is gone, and so is the table that held it.
            assert negotiation._created_sdp == {}
            assert sys.getsizeof(negotiation._created_sdp) == sys.getsizeof({})
    finally:
        await a.close()
        await b.close()


async def test_the_finished_dtls_start_is_not_kept() -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        channel, far = await open_channels(a, b, link)
        for pc in (a, b):
            stack = pc._transports
            assert stack is not None

            def finished(stack: Any = stack) -> bool:
                return stack._task is None

            await poll(finished)
            assert stack._dtls_started and stack.dtls_state == "connected"
            stack.maybe_start()  # started once: never again
            assert stack._task is None
        # The association runs on.
        got: asyncio.Queue[object] = asyncio.Queue()
        far.on("message", got.put_nowait)
        channel.send("still")
        assert await asyncio.wait_for(got.get(), TIMEOUT) == "still"
    finally:
        await a.close()
        await b.close()
