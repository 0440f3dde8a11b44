"""The asyncio driver of the sans-IO :class:`IceAgent` (:class:`IceTransport`).

It owns what the agent may not: sockets, name resolution and the clock.
Every input (a datagram, a timer, an API call) is handed to the agent with
``loop.time()`` as ``now``, then :meth:`IceTransport._service` carries out
what the agent produced — datagrams to send, events to act on or emit — and
re-arms the one timer at ``agent.get_timer()``. Nothing polls.

Application datagrams (DTLS, SRTP) come out of the agent as ``DataReceived``
and wait in :meth:`receive`; :meth:`send` hands them to the selected pair.
On the data path proper (application data on an authenticated path, a
selected pair on a host socket) the agent only counts each datagram
(``receive_data``, ``send_direct``) and the driver moves it itself: no
event, no :class:`~rtcpeer.ice.send_path.Transmit`, no servicing round.
Together with ``role`` that is the ``DatagramTransport`` aiortc's DTLS runs
over (:mod:`rtcpeer.transport.aiortc_adapter`), and since a restart is only a
new generation inside the same agent, DTLS above never notices one.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import time
import weakref
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, NamedTuple, Protocol

from rtcpeer.configuration.urls import IceServerUrl
from rtcpeer.emitter import EventEmitter
from rtcpeer.ice.agent import IceAgent, IceAgentConfig, TransportPolicy
from rtcpeer.ice.candidate import Candidate
from rtcpeer.ice.config import transport_policy
from rtcpeer.ice.connectivity import CheckRtt
from rtcpeer.ice.errors import IceClosedError, IceLimitError
from rtcpeer.ice.events import (
    CandidateError,
    DataReceived,
    GatheringStateChanged,
    GenerationRetired,
    IceEvent,
    LocalCandidate,
    RoleChanged,
    SelectedPairChanged,
    SocketReleased,
    SocketRequested,
    StateChanged,
)
from rtcpeer.ice.runtime.interfaces import host_addresses
from rtcpeer.ice.runtime.resolver import (
    DEFAULT_DNS_TIMEOUT,
    MdnsResolver,
    NameResolver,
    resolve_servers,
)
from rtcpeer.ice.runtime.sockets import (
    RuntimeSocket,
    SocketOpenError,
    open_requested,
    open_server_udp,
    open_udp,
)
from rtcpeer.ice.runtime.stats import TransportStats, build_stats
from rtcpeer.ice.servers import ResolvedServer
from rtcpeer.ice.states import IceGatheringState, IceTransportState
from rtcpeer.sansio import Address
from rtcpeer.stun.framing import carries_stun
from rtcpeer.turn.trust import TurnTls

#: One smoothed check round trip per event loop (and one for transports made
#: outside any loop), shared by every agent on it: the loop's lateness is what
#: a check's round trip mostly measures when many connections open at once.
_LOOP_CHECK_RTT: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CheckRtt] = (
    weakref.WeakKeyDictionary()
)
_PROCESS_CHECK_RTT = CheckRtt()
#: The spawned tasks of every transport that runs none: one shared empty set.
_NO_TASKS: frozenset[asyncio.Task[Any]] = frozenset()


def shared_check_rtt() -> CheckRtt:
    """The check round-trip estimator of the running event loop (or the process's)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return _PROCESS_CHECK_RTT
    rtt = _LOOP_CHECK_RTT.get(loop)
    if rtt is None:
        rtt = _LOOP_CHECK_RTT[loop] = CheckRtt()
    return rtt


class IceTransportCallbacks(NamedTuple):
    """An owner's direct handlers, run before the pyee listeners of the same event.

    One small tuple instead of four pyee handler tables (an OrderedDict per
    event name) per transport: a process holding many peer connections keeps
    one of these per connection, and each event skips pyee's dispatch for it.
    """

    #: ``icecandidate``: a Candidate, or None at the end of gathering.
    icecandidate: Callable[[Candidate | None], object]
    #: ``icecandidateerror``.
    icecandidateerror: Callable[[CandidateError], object]
    #: ``statechange``: the new RTCIceTransportState value.
    statechange: Callable[[str], object]
    #: ``gatheringstatechange``: the new RTCIceGathererState value.
    gatheringstatechange: Callable[[str], object]
    #: ``selectedcandidatepairchange``: the (local, remote) Candidates (None: no handler).
    selectedcandidatepairchange: Callable[[tuple[Candidate, Candidate]], object] | None = None


class IceTransportHandlers(Protocol):
    """What :meth:`IceTransport.set_callbacks` takes: an :class:`IceTransportCallbacks`,
    or any object with the same five members (an owner's one small forwarder
    instead of five bound methods and a tuple, all kept per connection and
    walked by every full garbage collection)."""

    @property
    def icecandidate(self) -> Callable[[Candidate | None], object]: ...
    @property
    def icecandidateerror(self) -> Callable[[CandidateError], object]: ...
    @property
    def statechange(self) -> Callable[[str], object]: ...
    @property
    def gatheringstatechange(self) -> Callable[[str], object]: ...
    @property
    def selectedcandidatepairchange(
        self,
    ) -> Callable[[tuple[Candidate, Candidate]], object] | None: ...


class IceTransport(EventEmitter):
    """One ICE component over real sockets, across restarts.

    Events: ``icecandidate`` (Candidate, or None at the end of gathering),
    ``icecandidateerror`` (:class:`~rtcpeer.ice.events.CandidateError`),
    ``statechange`` (str), ``gatheringstatechange`` (str) and
    ``selectedcandidatepairchange`` ((local, remote) Candidates).
    """

    # Our state lives in slots: together with pyee's attributes an instance
    # would have more than the 30 a key-sharing __dict__ holds, and its dict
    # would grow to ~1.6 KiB per transport (subclasses still get a __dict__).
    __slots__ = (
        "_addresses",
        "_agent",
        "_cafile",
        "_callbacks",
        "_closed",
        "_dns_timeout",
        "_gathering_state",
        "_host_sockets_opened",
        "_inbox",
        "_include_loopback",
        "_loop",
        "_mdns",
        "_next_socket_id",
        "_own_mdns",
        "_pending_remote",
        "_policy",
        "_pool_size",
        "_readers",
        "_selected",
        "_servers",
        "_servicing",
        "_sockets",
        "_ssl_context",
        "_state",
        "_tasks",
        "_timer",
        "_timer_at",
        "_turn_tls",
        "deliver",
        "stats",
    )

    def __init__(
        self,
        *,
        controlling: bool,
        servers: Sequence[IceServerUrl] = (),
        policy: str = "all",
        pool_size: int = 0,
        include_loopback: bool = False,
        cafile: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        config: IceAgentConfig | None = None,
        rng: random.Random | None = None,
        addresses: Sequence[str] | None = None,
        mdns_resolver: NameResolver | None = None,
        dns_timeout: float = DEFAULT_DNS_TIMEOUT,
        turn_tls: TurnTls | None = None,
        check_rtt: CheckRtt | None = None,
    ) -> None:
        super().__init__()
        self._agent = IceAgent(
            controlling,
            rng=rng,
            policy=transport_policy(policy),
            config=config,
            check_rtt=check_rtt if check_rtt is not None else shared_check_rtt(),
        )
        self._servers: tuple[IceServerUrl, ...] = tuple(servers)
        self._policy: TransportPolicy = self._agent.policy
        self._pool_size = pool_size
        self._include_loopback = include_loopback
        self._addresses = None if addresses is None else tuple(addresses)
        self._cafile = cafile
        self._ssl_context = ssl_context
        self._turn_tls = turn_tls
        self._dns_timeout = dns_timeout
        self._mdns = mdns_resolver
        self._own_mdns: MdnsResolver | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sockets: dict[int, RuntimeSocket] = {}
        self._next_socket_id = 1
        self._host_sockets_opened = False
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._servicing = False
        #: Application datagrams not read yet; None marks the end (closed).
        #: A list: it holds a datagram or two at a time, and an empty deque
        #: costs ~600 bytes per transport against a list's 56.
        #: Datagrams no reader took yet: a list only while it holds some (the
        #: shared empty tuple otherwise, not an empty list kept per transport).
        self._inbox: list[bytes | None] | tuple[()] = ()
        #: Readers waiting in :meth:`receive` for the inbox to fill.
        self._readers: list[asyncio.Future[bytes]] = []
        #: Offered each datagram that would land in an empty inbox; True: it
        #: was handled right there (the DTLS adapter), False: queue it.
        self.deliver: Callable[[bytes], bool] | None = None
        #: Tasks it spawned and still runs (the shared empty one while none runs).
        self._tasks: AbstractSet[asyncio.Task[Any]] = _NO_TASKS
        #: mDNS resolutions of remote candidates under way (a list only once there is one).
        self._pending_remote: list[asyncio.Task[Any]] | tuple[()] = ()
        self._closed = False
        self._state = IceTransportState.NEW.value
        self._gathering_state = IceGatheringState.NEW.value
        self._selected: tuple[Candidate, Candidate] | None = None
        self.stats = TransportStats()
        self._callbacks: IceTransportHandlers | None = None

    def set_callbacks(self, callbacks: IceTransportHandlers | None) -> None:
        """The owner's (the peer connection's) direct handlers: an
        :class:`IceTransportCallbacks` or another :class:`IceTransportHandlers`."""
        self._callbacks = callbacks

    # -- properties ------------------------------------------------------------
    @property
    def agent(self) -> IceAgent:
        """The sans-IO agent this runtime drives (for tests and diagnostics)."""
        return self._agent

    @property
    def role(self) -> str:
        return "controlling" if self._agent.controlling else "controlled"

    @property
    def local_ufrag(self) -> str:
        return self._agent.local_ufrag

    @property
    def local_pwd(self) -> str:
        return self._agent.local_pwd

    @property
    def state(self) -> str:
        return self._state

    @property
    def gathering_state(self) -> str:
        return self._gathering_state

    @property
    def local_candidates(self) -> list[Candidate]:
        return self._agent.local_candidates

    @property
    def selected_pair(self) -> tuple[Candidate, Candidate] | None:
        pair = self._agent.selected_pair
        return None if pair is None else (pair.local, pair.remote)

    @property
    def sockets(self) -> dict[int, RuntimeSocket]:
        """Open sockets by the id the agent knows them by (read-only use)."""
        return dict(self._sockets)

    # -- configuration and gathering ----------------------------------------------
    async def set_servers(
        self, servers: Sequence[IceServerUrl], policy: str, pool_size: int
    ) -> None:
        """setConfiguration: resolve the servers' names, then hand them to the agent.

        The agent uses them from the next gathering (at once for a candidate pool).
        """
        self._servers, self._policy = tuple(servers), transport_policy(policy)
        self._pool_size = pool_size
        resolved = await resolve_servers(self._servers, timeout=self._dns_timeout)
        if self._closed:
            return
        self._give_servers(resolved)
        self._service()

    async def gather(self) -> None:
        """Open host sockets (once), resolve servers, start gathering; candidates trickle."""
        self._check_open()
        self._bind_loop()
        await self._open_host_sockets()
        resolved = await resolve_servers(self._servers, timeout=self._dns_timeout)
        if self._closed:
            return
        self._give_servers(resolved)
        self._agent.gather(self._now())
        self._service()

    async def refresh_host_sockets(self, *, continual: bool = False) -> tuple[list[str], list[str]]:
        """Enumerate the interfaces again (before a restart gathers): open a
        socket on each new address, and retire those whose address vanished.

        Make-before-break: a retired socket stays open while a live generation
        has a candidate on it (the old path keeps carrying data until the
        restart selects a pair), then the agent gives it back. Returns the
        (added, vanished) addresses. Nothing changes with fixed ``addresses``.
        ``continual``: a new address also gets a candidate in the current
        generation at once (trickled; continual gathering), its gathering
        state going ``gathering`` then ``complete`` (end-of-candidates) again.
        """
        self._check_open()
        self._bind_loop()
        if not self._host_sockets_opened or self._addresses is not None:
            return [], []
        hosts = host_addresses(include_loopback=self._include_loopback, fresh=True)
        agent = self._agent
        known: dict[str, int] = {}
        vanished: list[str] = []
        for socket_id in agent.host_socket_ids():
            sock = self._sockets.get(socket_id)
            if sock is None:
                continue
            address = sock.local_address[0]
            if address in hosts:
                known[address] = socket_id
            else:
                vanished.append(address)
                agent.remove_host_socket(socket_id, self._now())
        added = [host for host in hosts if host not in known]
        token = agent.begin_continual_gathering(self._now()) if continual and added else None
        self._service()
        try:
            opened = await self._open_hosts(added, continual=continual)
        finally:
            if not self._closed:
                agent.end_continual_gathering(token, self._now())
                self._service()
        return opened, vanished

    def restart(self, credentials: tuple[str, str] | None = None) -> None:
        """A new generation (new ufrag/pwd) gathering with the servers in force now.

        ``credentials`` (ufrag, pwd): the ones a JSEP offer already carries.
        Host candidates are those of the sockets open now: await
        :meth:`refresh_host_sockets` first to follow address changes (the
        peer connection does on every restart).
        """
        self._check_open()
        self._agent.restart(self._now(), credentials=credentials)
        self._service()

    def roll_back_restart(self) -> bool:
        """Undo the latest :meth:`restart` (its description was rolled back).

        The previous credentials are in force again; False if nothing was undone.
        """
        self._check_open()
        if not self._agent.roll_back_restart(self._now()):
            return False
        self._service()
        # The generation in force again gathered long ago: no second end-of-candidates.
        state = self._agent.gathering_state.value
        if state != self._gathering_state:
            self._gathering_state = state
            self._notify("gatheringstatechange", state)
        return True

    def _give_servers(self, resolved: list[ResolvedServer]) -> None:
        self._agent.set_servers(
            resolved, policy=self._policy, pool_size=self._pool_size, now=self._now()
        )

    async def _open_host_sockets(self) -> None:
        if self._host_sockets_opened:
            return
        self._host_sockets_opened = True
        if self._addresses is not None:
            hosts = list(self._addresses)
        else:
            hosts = host_addresses(include_loopback=self._include_loopback)
        await self._open_hosts(hosts)

    async def _open_hosts(self, hosts: Sequence[str], *, continual: bool = False) -> list[str]:
        """A host socket on each address (those that cannot be bound are skipped)."""
        opened: list[str] = []
        for host in hosts:
            socket_id = self._allocate_socket_id()
            try:
                sock = await open_udp(socket_id, host, self._on_datagram, self._on_socket_lost)
            except OSError:
                continue  # an address that vanished or cannot be bound: skip it
            if self._closed:
                sock.close()
                return opened
            self._sockets[socket_id] = sock
            self._agent.add_socket(
                socket_id, sock.local_address, "udp", self._now(), continual=continual
            )
            opened.append(host)
        return opened

    # -- remote side -------------------------------------------------------------
    def set_remote_parameters(self, ufrag: str, pwd: str, *, lite: bool = False) -> None:
        """The peer's ICE credentials (new ones mean the peer restarted)."""
        self._check_open()
        if lite:
            self._agent.set_remote_is_lite(True)
        self._agent.set_remote_credentials(ufrag, pwd, self._now())
        self._service()

    def check_remote_parameters(self, ufrag: str, pwd: str) -> None:
        """Raise ValueError if :meth:`set_remote_parameters` would refuse these; change nothing."""
        self._check_open()
        self._agent.check_remote_credentials(ufrag, pwd)

    def add_remote_candidate(self, candidate: Candidate | None) -> None:
        """A trickled remote candidate, or None for end-of-candidates.

        ``.local`` names are resolved by mDNS first; end-of-candidates waits
        for those resolutions so that it never overtakes a candidate.
        """
        if self._closed:
            return
        if candidate is not None and candidate.is_mdns:
            pending = self._pending_remote
            if not isinstance(pending, list):
                pending = self._pending_remote = []
            pending.append(self._spawn(self._add_mdns_candidate(candidate)))
            return
        if candidate is None and self._pending_remote:
            self._spawn(self._end_after_pending())
            return
        if self._agent.add_remote_candidate(candidate, self._now()):
            self._service()  # an ignored one (a repeat, say) changed nothing to act on

    async def _add_mdns_candidate(self, candidate: Candidate) -> None:
        resolver = self._mdns
        if resolver is None:
            resolver = self._own_mdns = self._own_mdns or MdnsResolver()
        try:
            address = await resolver(candidate.host)
        finally:
            task = asyncio.current_task()
            pending = self._pending_remote
            if isinstance(pending, list) and task in pending:
                pending.remove(task)
        if address is None or self._closed:
            return
        self._agent.add_remote_candidate(
            candidate.with_address(address, candidate.port), self._now()
        )
        self._service()

    async def _end_after_pending(self) -> None:
        while self._pending_remote:
            await asyncio.gather(*self._pending_remote, return_exceptions=True)
        if not self._closed:
            self._agent.add_remote_candidate(None, self._now())
            self._service()

    # -- data ----------------------------------------------------------------------
    async def receive(self) -> bytes:
        """The next application datagram; :class:`IceClosedError` (a ConnectionError)
        once closed for good."""
        taker = self.receive_soon()
        try:
            return await taker
        finally:
            if not taker.done() or taker.cancelled():
                with contextlib.suppress(ValueError):
                    self._readers.remove(taker)

    def receive_soon(self) -> asyncio.Future[bytes]:
        """:meth:`receive` as a plain future, already done when a datagram (or
        the close) is waiting: a reader that only awaits it (the DTLS
        adapter's ``_recv``, also under ``asyncio.wait_for``) costs no
        coroutine and no task. Readers are served in the order they asked;
        a cancelled one is skipped (and dropped at the next call)."""
        taker: asyncio.Future[bytes] = self._bind_loop().create_future()
        inbox = self._inbox
        if inbox:
            data = inbox[0]
            if data is None:  # the end marker stays for the others
                taker.set_exception(IceClosedError("ICE transport is closed"))
            else:
                assert isinstance(inbox, list)  # only a list holds datagrams
                del inbox[0]
                if not inbox:
                    self._inbox = ()
                taker.set_result(data)
        elif self._closed:
            taker.set_exception(IceClosedError("ICE transport is closed"))
        else:
            readers = self._readers
            if readers:
                readers[:] = [r for r in readers if not r.done()]
            readers.append(taker)
        return taker

    def _put(self, data: bytes | None) -> None:
        """Hand a datagram (or the end marker) to the oldest waiting reader, or queue it.

        A list of datagrams and a list of waiting futures, not an asyncio.Queue:
        this runs for every packet, and a Queue costs several deques, an
        Event and its bookkeeping per transport.
        """
        inbox = self._inbox
        if data is not None and not inbox:
            deliver = self.deliver
            if deliver is not None and deliver(data):
                return
            readers = self._readers
            while readers:
                taker = readers.pop(0)
                if not taker.done():
                    taker.set_result(data)
                    return
        if not isinstance(inbox, list):
            inbox = self._inbox = []
        inbox.append(data)
        if data is None:
            readers, self._readers = self._readers, []
            for taker in readers:
                if not taker.done():
                    taker.set_exception(IceClosedError("ICE transport is closed"))

    def send(self, data: bytes) -> None:
        """Send over the selected pair (before selection, a valid pair).

        With no valid pair yet the agent holds the datagram briefly and sends
        it once one is valid; a datagram that cannot be sent at all is
        counted (``packetsDiscardedOnSend`` in the transport's stats) and
        logged, never dropped silently.
        """
        agent = self._agent
        now = self._now()
        path = agent.send_direct(data, now)  # the common case: counted, ours to send
        if path is not None:
            sock = self._sockets.get(path[0])
            if sock is not None:
                sock.send(data, path[1])
            if self._timer is None:
                self._arm_timer()
            return
        agent.send(data, now)  # counted (or held, or dropped) by the agent
        if self._closed:
            return
        # Holding a datagram or a first-flight resend sets a deadline: re-read the timer.
        self._service(data_only=not agent.send_timer_pending)

    def send_burst(self, datagrams: Sequence[bytes]) -> None:
        """:meth:`send` for datagrams that go out together, in order (a burst
        of DTLS records): the agent counts them in one step on the common path."""
        path = self._agent.send_direct_burst(sum(map(len, datagrams)), len(datagrams), self._now())
        if path is None:
            for data in datagrams:
                self.send(data)
            return
        sock = self._sockets.get(path[0])
        if sock is not None:
            send, destination = sock.send, path[1]
            for data in datagrams:
                send(data, destination)
        if self._timer is None:
            self._arm_timer()

    def get_stats(self) -> list[dict[str, Any]]:
        """W3C RTCStats dictionaries: candidate pairs, candidates and the transport."""
        return build_stats(self._agent, self.stats, time.time() * 1000, self._state)

    # -- closing -------------------------------------------------------------------
    async def close(self) -> None:
        """Release every TURN allocation and socket; state becomes "closed".

        The agent sends each allocation's Refresh (lifetime 0) and gives back
        its sockets; those Transmits go out before the sockets close, and
        closing a TCP/TLS connection ends its allocation on the server too.
        """
        if self._closed:
            return
        self._bind_loop()
        for task in list(self._tasks):
            task.cancel()
        self._agent.close()
        self._service()
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for sock in list(self._sockets.values()):
            sock.close()
        self._sockets.clear()
        self._put(None)
        if self._own_mdns is not None:
            await self._own_mdns.close()

    # -- the engine ------------------------------------------------------------------
    def _now(self) -> float:
        loop = self._loop
        return (loop if loop is not None else self._bind_loop()).time()

    def _bind_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def _check_open(self) -> None:
        if self._closed:
            raise IceClosedError("ICE transport is closed")

    def _allocate_socket_id(self) -> int:
        """Host socket ids count up from 1, below the agent's own (``first_socket_id``)."""
        socket_id = self._next_socket_id
        if socket_id >= self._agent.config.first_socket_id:
            raise IceLimitError("too many host sockets")
        self._next_socket_id += 1
        return socket_id

    def _on_datagram(self, socket_id: int, source: Address, data: bytes) -> None:
        agent, now = self._agent, self._now()
        # The common case: application data on a known path, counted by the
        # agent and delivered here, without an event to queue and poll. Not
        # while servicing: an event taken but not handled yet must go first.
        if not self._servicing and agent.receive_data(socket_id, source, data, now):
            self._put(data)
            if self._timer is None and not self._closed:
                self._arm_timer()
            return
        agent.receive(socket_id, source, data, now)
        self._service(data_only=not carries_stun(data))

    def _on_socket_lost(self, socket_id: int, reason: str) -> None:
        self._sockets.pop(socket_id, None)
        if not self._closed:
            self._agent.socket_closed(socket_id, reason, self._now())
            self._service()

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        if not self._closed:
            self._agent.handle_timer(self._now())
            self._service()

    def _service(self, *, data_only: bool = False) -> None:
        """Carry out everything the agent produced, then re-arm its timer.

        ``data_only``: the input was application data (no STUN inside). If
        nothing STUN went out and nothing but data came back, no transaction
        started, so no deadline moved earlier and re-reading ``get_timer()``
        (the costly part of the per-packet path) is skipped; a timer that
        fires early only re-arms itself.
        """
        if self._servicing:
            return  # re-entered from an event handler: the outer loop drains it
        self._servicing = True
        rearm = not data_only
        try:
            agent, sockets = self._agent, self._sockets
            while True:
                transmits = agent.datagrams_to_send()
                for transmit in transmits:
                    sock = sockets.get(transmit.socket_id)
                    if sock is not None:
                        data = transmit.data
                        if carries_stun(data):
                            rearm = True
                        sock.send(data, transmit.destination)
                event = agent.next_event()
                if event is None and not transmits:
                    break
                while event is not None:
                    if type(event) is DataReceived:  # the per-packet case
                        self._put(event.data)
                    else:
                        rearm = True
                        self._handle(event)
                    event = agent.next_event()
        finally:
            self._servicing = False
        if rearm or self._timer is None:
            self._arm_timer()

    def _arm_timer(self) -> None:
        when = None if self._closed else self._agent.get_timer()
        if when == self._timer_at and (when is None or self._timer is not None):
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = None if when is None else self._bind_loop().call_at(when, self._on_timer)

    def _handle(self, event: IceEvent) -> None:
        """Act on an event other than :class:`DataReceived` (:meth:`_service` takes those)."""
        if isinstance(event, LocalCandidate):
            self._note_candidate_source(event)
            if event.generation_id == self._agent.generation.id:
                self._notify("icecandidate", event.candidate)
        elif isinstance(event, GatheringStateChanged):
            if event.generation_id == self._agent.generation.id:
                self._set_gathering_state(event.state.value)
        elif isinstance(event, CandidateError):
            self._notify("icecandidateerror", event)
        elif isinstance(event, StateChanged):
            if event.state.value != self._state:
                self._state = event.state.value
                self._notify("statechange", self._state)
        elif isinstance(event, SelectedPairChanged):
            self._selected_changed(event)
        elif isinstance(event, GenerationRetired):
            for socket_id in event.sockets:
                self._release_socket(socket_id)
        elif isinstance(event, SocketRequested):
            if event.transport == "udp":  # one per TURN/UDP server: opened now, no task
                self._open_server_udp(event.socket_id, event.remote)
            else:
                self._spawn(
                    self._open_requested(
                        event.socket_id, event.transport, event.remote, event.server_name
                    )
                )
        elif isinstance(event, SocketReleased):
            self._release_socket(event.socket_id)
        elif isinstance(event, RoleChanged):
            pass  # ``role`` reads the agent

    def _notify(self, event: str, value: Any) -> None:
        """The owner's direct handler first (if any), then the pyee listeners."""
        callbacks = self._callbacks
        if callbacks is not None:
            getattr(callbacks, event)(value)
        self.emit(event, value)

    def _note_candidate_source(self, event: LocalCandidate) -> None:
        key = (event.candidate.type, event.candidate.transport, event.candidate.address)
        if event.url is not None:
            self.stats.candidate_urls[key] = event.url
        if event.relay_protocol is not None:
            self.stats.relay_protocols[key] = event.relay_protocol

    def _set_gathering_state(self, state: str) -> None:
        if state == self._gathering_state:
            return
        self._gathering_state = state
        self._notify("gatheringstatechange", state)
        if state == IceGatheringState.COMPLETE.value:
            self._notify("icecandidate", None)

    def _selected_changed(self, event: SelectedPairChanged) -> None:
        if event.local is None or event.remote is None:
            return
        pair = (event.local, event.remote)
        if pair != self._selected:
            self._selected = pair
            self.stats.selected_pair_changes += 1
            callbacks = self._callbacks
            if callbacks is not None and callbacks.selectedcandidatepairchange is not None:
                callbacks.selectedcandidatepairchange(pair)
            self.emit("selectedcandidatepairchange", pair)

    # -- sockets the agent asks for ---------------------------------------------------
    async def _open_requested(
        self, socket_id: int, transport: str, remote: Address | None, server_name: str
    ) -> None:
        try:
            sock = await open_requested(
                socket_id,
                transport,
                remote,
                server_name,
                self._on_datagram,
                self._on_socket_lost,
                cafile=self._cafile,
                ssl_context=self._ssl_context,
                trust=self._turn_tls,
            )
        except SocketOpenError as exc:
            if not self._closed:
                self._agent.socket_failed(socket_id, str(exc), self._now())
                self._service()
            return
        if self._closed:
            sock.close()
            return
        self._sockets[socket_id] = sock
        self._agent.socket_opened(socket_id, sock.local_address, self._now())
        self._service()

    def _open_server_udp(self, socket_id: int, remote: Address | None) -> None:
        """Open a requested UDP socket at once (inside :meth:`_service`, which
        then sends what the agent queued on it)."""
        try:
            sock = open_server_udp(
                socket_id, remote, self._on_datagram, self._on_socket_lost, self._bind_loop()
            )
        except SocketOpenError as exc:
            self._agent.socket_failed(socket_id, str(exc), self._now())
            return
        self._sockets[socket_id] = sock
        self._agent.socket_opened(socket_id, sock.local_address, self._now())

    def _release_socket(self, socket_id: int) -> None:
        sock = self._sockets.pop(socket_id, None)
        if sock is not None:
            sock.close()

    def _spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        task = self._bind_loop().create_task(coroutine)
        tasks = self._tasks
        if not isinstance(tasks, set):
            tasks = self._tasks = set()
        tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        tasks = self._tasks
        if isinstance(tasks, set):
            tasks.discard(task)
            if not tasks:
                self._tasks = _NO_TASKS  # a connection keeps no empty set for them
