"""The transport stack under one peer connection: ICE, then DTLS and SCTP.

One :class:`IceTransport` (ours) carries one DTLS transport, which carries
one SCTP association for every data channel -- both built, started and
stopped through :mod:`rtcpeer.transport`, the adapter to aiortc. The stack is built as soon as the
connection needs it (a data channel, an offer, a remote offer, a candidate
pool) and lives until close(): an ICE restart is a new ICE generation
underneath, so DTLS is started exactly once -- as soon as the answer fixes
the roles, a client's first flight held by ICE until a candidate pair is
valid -- and is never restarted. An ICE ``failed`` state does not touch DTLS, SCTP or
the channels: a later restart may bring the path back.

When ICE has a working path again after trouble -- a pair of a new
generation (a restart) is selected, a pair is selected or answers again
after ``disconnected``/``failed`` -- the SCTP association is told at once
(``resume_on_new_path``): it leaves its retransmission backoff and sends the
backlog now instead of at its next T3 expiry.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rtcpeer.configuration import IceServerUrl, RTCCertificate
from rtcpeer.ice import IceAgentConfig
from rtcpeer.ice.candidate import Candidate
from rtcpeer.ice.runtime import IceTransport
from rtcpeer.sdp import Fingerprint
from rtcpeer.transport import (
    create_dtls_transport,
    create_sctp_transport,
    remote_dtls_parameters,
    sctp_capabilities,
)
from rtcpeer.turn.trust import TurnTls


@dataclass(frozen=True)
class IceSettings:
    """What the ICE transport is built with (from the configuration, plus test hooks)."""

    servers: tuple[IceServerUrl, ...]
    policy: str
    pool_size: int
    #: Offer 127.0.0.1 / ::1 host candidates (tests on a loopback-only machine).
    include_loopback: bool = False
    #: How turns: servers are trusted (RTCPeerConnection(turn_tls=...)).
    turn_tls: TurnTls | None = None
    #: Fixed host addresses instead of every interface's (tests, benchmarks).
    addresses: tuple[str, ...] | None = None
    #: ICE timing overrides (tests shorten e.g. the retired generation's grace).
    config: IceAgentConfig | None = None


@dataclass(frozen=True)
class DtlsStart:
    """Everything DTLS and SCTP need, known once an answer is applied."""

    #: "client" or "server", from the negotiated a=setup.
    role: str
    fingerprints: tuple[Fingerprint, ...]
    #: The peer's SCTP port; None while no data section is negotiated (media only).
    sctp_port: int | None
    max_message_size: int


class TransportStack:
    """ICE + DTLS + SCTP for the single BUNDLE group of a session (RTP rides the DTLS too)."""

    def __init__(
        self,
        *,
        controlling: bool,
        certificate: RTCCertificate,
        settings: IceSettings,
        on_dtls_state: Callable[[str], None],
    ) -> None:
        self.ice = IceTransport(
            controlling=controlling,
            servers=settings.servers,
            policy=settings.policy,
            pool_size=settings.pool_size,
            include_loopback=settings.include_loopback,
            turn_tls=settings.turn_tls,
            config=settings.config,
            addresses=settings.addresses,
        )
        # The role is provisional until the answer fixes a=setup (see start()).
        self.dtls = create_dtls_transport(self.ice, certificate, dtls_role="client")
        self.sctp = create_sctp_transport(self.dtls)
        self._on_dtls_state = on_dtls_state
        self.dtls.on_statechange = self._dtls_state_changed
        self._start: DtlsStart | None = None
        #: DTLS (then SCTP) starting; dropped once finished (a done task keeps
        #: its coroutine, ~0.5 KiB per connection): ``_dtls_started`` remembers.
        self._task: asyncio.Task[None] | None = None
        self._dtls_started = False
        self._sctp_task: asyncio.Task[None] | None = None
        self._sctp_started = False
        #: setConfiguration's server updates under way (a list only once there is one).
        self._server_updates: list[asyncio.Task[None]] | tuple[()] = ()
        self._closed = False
        #: The ICE generation of the selected pair, and whether the path was
        #: in trouble (disconnected/failed) since: what makes a "new path".
        self._path_generation: int | None = None
        self._path_troubled = False

    # -- the path under SCTP -----------------------------------------------------
    # The owner calls these two from its ICE handlers (IceTransportCallbacks):
    # two pyee listeners cost ~0.9 KiB per connection.
    def ice_state_changed(self, state: str) -> None:
        """The ICE transport's state changed (after the owner's own handling)."""
        if state in ("disconnected", "failed"):
            self._path_troubled = True
        elif state in ("connected", "completed") and self._path_troubled:
            self._path_troubled = False
            self._resume_sctp()

    def ice_pair_selected(self, pair: tuple[Candidate, Candidate]) -> None:
        """ICE selected ``pair`` (a restart's generation, or a return from trouble: resume)."""
        generation = pair[0].generation
        restarted = self._path_generation is not None and generation != self._path_generation
        self._path_generation = generation
        if restarted or self._path_troubled:
            self._path_troubled = False
            self._resume_sctp()

    def _resume_sctp(self) -> None:
        """A working path again: the association sends its backlog now."""
        if not self._closed and self._sctp_started:
            self.sctp.resume_on_new_path()

    # -- configuration ---------------------------------------------------------
    def update_servers(self, servers: Sequence[IceServerUrl], policy: str, pool_size: int) -> None:
        """setConfiguration reached the ICE layer (resolution runs in the background)."""
        task = asyncio.get_running_loop().create_task(
            self.ice.set_servers(servers, policy, pool_size)
        )
        updates = self._server_updates
        if not isinstance(updates, list):
            updates = self._server_updates = []
        updates.append(task)

    async def servers_settled(self) -> None:
        """Wait until every setConfiguration has reached the agent (before gathering)."""
        while self._server_updates:
            updates = self._server_updates
            assert isinstance(updates, list)  # only a list is ever non-empty
            task = updates.pop(0)
            await task

    def set_controlled(self) -> None:
        """We turned out to be the answerer of the first negotiation: give up control.

        RFC 8445 §6.1.1: the offerer's agent controls. Until the first remote
        offer arrives we cannot know which side we are, and no check has been
        sent yet, so switching here is no role conflict.
        """
        self.ice.agent.set_controlling(False)

    # -- DTLS and SCTP -----------------------------------------------------------
    @property
    def dtls_role(self) -> str | None:
        """The negotiated DTLS role, once known."""
        return None if self._start is None else self._start.role

    @property
    def dtls_state(self) -> str:
        """The DTLS transport's state (new/connecting/connected/closed/failed)."""
        return str(self.dtls.state)

    def negotiated(self, start: DtlsStart) -> None:
        """The answer fixed roles and remote parameters; start when ICE connects.

        A later answer that adds the first data section to a media-only
        session starts SCTP over the running DTLS transport.
        """
        if self._start is None:
            self._start = start
        elif self._start.sctp_port is None and start.sctp_port is not None:
            self._start = DtlsStart(
                self._start.role, self._start.fingerprints, start.sctp_port, start.max_message_size
            )
            finished = self._task is None or self._task.done()
            if self._dtls_started and finished and self.dtls.state == "connected":
                self._sctp_task = asyncio.get_running_loop().create_task(self._start_sctp())
        self.maybe_start()

    def maybe_start(self) -> None:
        """Start DTLS, then SCTP, once (never again), as soon as the answer
        fixed the roles -- client and server alike.

        A server only answers, so starting it early costs nothing and lets it
        take the client's first flight the moment it arrives, even before our
        own side of ICE has finished nominating. A client's first flight is
        held by the ICE agent until a candidate pair is valid and leaves on
        it at once (RFC 8445 §12.1 allows data on any valid pair before
        selection; libwebrtc starts DTLS once ICE is writable): the handshake
        overlaps the nomination instead of waiting for it.
        """
        if self._dtls_started or self._start is None or self._closed:
            return
        start = self._start
        self.dtls.set_role(start.role)
        self._dtls_started = True
        self._task = asyncio.get_running_loop().create_task(self._run(start))

    async def _run(self, start: DtlsStart) -> None:
        try:
            await self.dtls.start(remote_dtls_parameters(start.fingerprints))
            if self.dtls.state != "connected" or self._closed:
                return
            await self._start_sctp()
        finally:
            self._task = None

    async def _start_sctp(self) -> None:
        """SCTP over connected DTLS, once a data section is negotiated (once)."""
        start = self._start
        if start is None or start.sctp_port is None or self._sctp_started or self._closed:
            return
        self._sctp_started = True
        await self.sctp.start(sctp_capabilities(start.max_message_size), start.sctp_port)

    def _dtls_state_changed(self) -> None:
        if not self._closed:
            self._on_dtls_state(self.dtls_state)

    # -- closing -----------------------------------------------------------------
    async def close(self) -> None:
        """Stop SCTP and DTLS, then release every ICE socket and TURN allocation."""
        if self._closed:
            return
        self._closed = True
        for task in self._server_updates:
            task.cancel()
        with contextlib.suppress(Exception):
            await self.sctp.stop()
        with contextlib.suppress(Exception):
            await self.dtls.stop()
        for running in (self._task, self._sctp_task):
            if running is not None and not running.done():
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await running
        await self.ice.close()


__all__ = ["DtlsStart", "IceSettings", "TransportStack"]
