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
        # Two operations at once: the second waits for the first's turn.
        first, second = await asyncio.gather(pc.createOffer(), pc.createOffer())
        assert first.type == second.type == "offer"
        assert pc._chain.empty
        assert pc._chain._waiting is None  # no deque of waiters kept
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


async def test_idle_transports_keep_no_empty_task_sets() -> None:
    from rtcpeer.ice.runtime.driver import _NO_TASKS
    from rtcpeer.transport.aiortc_adapter import _NONE_UNFINISHED

    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        await open_channels(a, b, link)
        for pc in (a, b):
            stack = pc._transports
            assert stack is not None
            # No task of its own runs: the shared empty set, not one per transport.
            ice_transport = stack.ice

            def no_tasks(ice_transport: Any = ice_transport) -> bool:
                return ice_transport._tasks is _NO_TASKS

            await poll(no_tasks)
            adapter: Any = stack.dtls.transport
            assert adapter._unfinished is _NONE_UNFINISHED
        # A spawned task is still tracked (and cancelled by close), and once it
        # finishes the transport is back to the shared empty set.
        ice = a._transports.ice if a._transports is not None else None
        assert ice is not None
        release = asyncio.Event()
        task = ice._spawn(release.wait())
        assert task in ice._tasks
        release.set()
        await asyncio.wait_for(task, TIMEOUT)
        await poll(lambda: ice._tasks is _NO_TASKS)
        pending = ice._spawn(asyncio.Event().wait())
        await ice.close()
        await asyncio.wait_for(asyncio.gather(pending, return_exceptions=True), TIMEOUT)
        assert pending.cancelled()
    finally:
        await a.close()
        await b.close()


async def test_aiortc_transports_share_the_table_lock_and_make_the_pending_set_on_use() -> None:
    from rtcpeer.emitter import _TABLE_LOCK

    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        await open_channels(a, b, link)
        stack = a._transports
        assert stack is not None
        for emitter in (stack.dtls, stack.sctp):
            assert emitter._lock is _TABLE_LOCK
            assert vars(emitter)["_waiting"] is None
        # A coroutine listener still runs and is still waited for.
        ran: list[str] = []

        async def listener() -> None:
            await asyncio.sleep(0)
            ran.append("ran")

        stack.sctp.on("custom", listener)
        stack.sctp.emit("custom")
        assert len(stack.sctp._waiting) == 1
        await asyncio.wait_for(stack.sctp.wait_for_complete(), TIMEOUT)
        assert ran == ["ran"]
    finally:
        await a.close()
        await b.close()


def test_an_agent_without_servers_keeps_no_server_set() -> None:
    from rtcpeer.configuration.urls import IceServerUrl
    from rtcpeer.ice.servers import ResolvedServer

    agent = IceAgent(True)
    agent.add_socket(1, ("192.0.2.1", 5000))
    agent.gather(0.0)
    gathering = agent._gathering
    # Nothing to gather from: no (empty) set for the generation, no stale set.
    assert gathering._by_generation == {} and gathering.pool == ()  # the shared empty tuple
    assert gathering._stale is None
    assert agent.generation.gathering_state == "complete"
    # With a server, the generation of a restart gets its set and its timers.
    url = IceServerUrl("turn:turn.test:3478", "turn", "turn.test", 3478, "udp", False, "u", "p")
    agent.set_servers([ResolvedServer(url, ("203.0.113.1", 3478))], now=1.0)
    agent.restart(1.0)  # (it gathers at once)
    assert list(gathering._by_generation) == [agent.generation.id]
    assert gathering._stale is not None
    assert agent.get_timer() is not None


async def test_applied_remote_ufrags_are_a_tuple() -> None:
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        await open_channels(a, b, link)
        for pc, far in ((a, b), (b, a)):
            ufrags = pc._negotiation.remote_ufrags
            assert type(ufrags) is tuple and sys.getsizeof(ufrags) < sys.getsizeof(set())
            far_description = far.localDescription
            assert far_description is not None
            assert [f"a=ice-ufrag:{u}" in far_description.sdp for u in ufrags] == [True]
    finally:
        await a.close()
        await b.close()


async def test_an_idle_association_keeps_no_send_queues_or_reset_sets() -> None:
    from rtcpeer.transport.sctp import IDLE_QUEUE, IDLE_QUEUES, IDLE_SET, IDLE_SETS

    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        channel, far = await open_channels(a, b, link)
        stacks = [pc._transports for pc in (a, b)]

        def idle() -> bool:
            return all(
                stack is not None
                and all(vars(stack.sctp)[name] is IDLE_QUEUE for name in IDLE_QUEUES)
                and all(vars(stack.sctp)[name] is IDLE_SET for name in IDLE_SETS)
                for stack in stacks
            )

        await poll(idle)
        # aiortc reads them as plain attributes: no property or __getattr__
        # (which would make its every read, or every other read, slower).
        for stack in stacks:
            assert stack is not None
            assert not hasattr(type(stack.sctp), "__getattr__")
            for name in (*IDLE_QUEUES, *IDLE_SETS):
                assert not hasattr(type(stack.sctp), name), name
        # Messages both ways still flow (the queues come back on use), and
        # once all is acknowledged the queues are gone again.
        got: asyncio.Queue[object] = asyncio.Queue()
        back: asyncio.Queue[object] = asyncio.Queue()
        far.on("message", got.put_nowait)
        channel.on("message", back.put_nowait)
        for n in range(20):
            channel.send(f"m{n}")
            far.send(b"x" * 3000)
        assert [await asyncio.wait_for(got.get(), TIMEOUT) for _ in range(20)] == [
            f"m{n}" for n in range(20)
        ]
        echoed = [await asyncio.wait_for(back.get(), TIMEOUT) for _ in range(20)]
        assert echoed == [b"x" * 3000] * 20
        await poll(idle)
        # A closed channel (an SCTP stream reset) still closes on both ends,
        # and a new one opens and carries a message.
        closed = asyncio.Event()
        far.on("close", closed.set)
        channel.close()
        await asyncio.wait_for(closed.wait(), TIMEOUT)
        second = a.createDataChannel("second", negotiated=True, id=9)
        second_far = b.createDataChannel("second", negotiated=True, id=9)
        again: asyncio.Queue[object] = asyncio.Queue()
        second_far.on("message", again.put_nowait)
        await poll(lambda: second.readyState == "open")
        second.send("again")
        assert await asyncio.wait_for(again.get(), TIMEOUT) == "again"
    finally:
        await a.close()
        await b.close()


async def test_channels_report_open_and_close_without_pyee_tables() -> None:
    from rtcpeer.emitter import _TABLE_LOCK

    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)

    async def counts(pc: RTCPeerConnection) -> tuple[int, int]:
        (stats,) = (await pc.getStats()).of_type("peer-connection")
        return stats["dataChannelsOpened"], stats["dataChannelsClosed"]

    try:
        channel, far = await open_channels(a, b, link)
        for end in (channel, far):  # ours and the one aiortc made for the peer's
            assert "open" not in end._events and "close" not in end._events
            assert end._lock is _TABLE_LOCK and vars(end)["_waiting"] is None
        assert await counts(a) == (1, 0) and await counts(b) == (1, 0)
        # A second channel, closed by the peer: counted on both ends, once.
        second = a.createDataChannel("second")
        arrived: asyncio.Queue[Any] = asyncio.Queue()
        b.on("datachannel", lambda event: arrived.put_nowait(event.channel))
        second_far = await asyncio.wait_for(arrived.get(), TIMEOUT)
        await poll(lambda: second.readyState == "open")
        closed = asyncio.Event()
        second.on("close", closed.set)  # the application's listener still runs
        second_far.close()
        await asyncio.wait_for(closed.wait(), TIMEOUT)
        await poll(lambda: second_far.readyState == "closed")
        assert await counts(a) == (2, 1) and await counts(b) == (2, 1)
        # close() closes the rest quietly, and counts each once.
        await a.close()
        assert await counts(a) == (2, 2)
    finally:
        await a.close()
        await b.close()


async def test_an_open_connection_shares_what_every_connection_would_repeat() -> None:
    """Issue 19 (session 9): each full garbage collection of a process with
    many connections walks every object they keep, so an open data-only
    connection keeps no empty list of its own where the shared empty tuple
    will do, no per-connection copy of the process's certificate tuple or
    fingerprints, one handler object for its ICE events (not five bound
    methods), and shares the description lines every connection repeats."""
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        await open_channels(a, b, link)
        assert a._certificates is b._certificates  # the process default, one tuple
        assert not hasattr(a._negotiation, "__dict__")
        for pc in (a, b):
            stack = pc._transports
            assert stack is not None
            ice, agent = stack.ice, stack.ice.agent
            assert not isinstance(ice._callbacks, tuple)  # not a tuple of bound methods
            assert agent._held == () and agent.generation.checklist._triggered == ()
            assert agent._gathering.pool == () and agent._gathering._retired == ()
            assert ice._pending_remote == () and stack._server_updates == ()
            assert pc._held.pending == () and pc._rtp.all == ()
        ours = a._negotiation.current_local
        theirs = b._negotiation.current_remote
        assert ours is not None and theirs is not None
        # b parsed a's offer; a created it: the same a=mid:0, a=setup:actpass objects.
        for name in ("mid", "setup", "sctp-port", "max-message-size"):
            mine = next(x for x in ours.description.media[0].attributes if x.name == name)
            parsed = next(x for x in theirs.description.media[0].attributes if x.name == name)
            assert mine is parsed, name
    finally:
        await a.close()
        await b.close()


def test_a_pair_without_checks_in_flight_shares_one_empty_transaction_set() -> None:
    from rtcpeer.ice import Candidate
    from rtcpeer.ice.pair import CandidatePair

    local = Candidate("a", 1, "udp", 100, "192.0.2.1", 5000, "host")
    remote = Candidate("b", 1, "udp", 100, "192.0.2.2", 5000, "host")
    first, second = CandidatePair(local, remote, 1), CandidatePair(local, remote, 1)
    assert first.transactions is second.transactions and not first.transactions
    first.add_transaction(b"t1")
    first.add_transaction(b"t2")
    assert set(first.transactions) == {b"t1", b"t2"} and not second.transactions
    first.forget_transaction(b"t1")
    first.forget_transaction(b"unknown")
    assert set(first.transactions) == {b"t2"}
    first.forget_transaction(b"t2")
    assert first.transactions is second.transactions  # back to the shared empty one


async def test_a_delayed_sack_keeps_no_finished_task() -> None:
    """The delayed SACK is sent in the SACK clock's callback: an association
    that acknowledged the last message it got keeps no finished task (and
    its coroutine and context) until the next one."""
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    try:
        channel, far = await open_channels(a, b, link)
        got: asyncio.Queue[object] = asyncio.Queue()
        far.on("message", got.put_nowait)
        assert b._transports is not None
        sctp = b._transports.sctp

        def acknowledged() -> bool:
            return sctp._sack_due is None and not sctp._sack_needed

        await poll(acknowledged)  # the opening's packets are acknowledged
        channel.send("one")  # one packet: its SACK waits for the delay
        assert await asyncio.wait_for(got.get(), TIMEOUT) == "one"
        assert sctp._sack_due is not None, "no SACK was delayed: nothing tested"
        await poll(acknowledged)
        held = sctp._sack_task
        assert held is not None and held.done()  # sent by the delayed path
        assert not isinstance(held, asyncio.Task), held
    finally:
        await a.close()
        await b.close()
