"""Local candidates: host candidates, and the hooks gatherers report through.

Host candidates come from registered sockets; server-reflexive and relay
candidates, candidate errors and socket traffic come from
:class:`~rtcpeer.ice.gathering.ServerGathering` and other gatherers through the
``_``-prefixed hooks here, which also track when a generation's gathering is
complete.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from rtcpeer.ice.candidate import (
    TYPE_PREFERENCES,
    Candidate,
    candidate_priority,
    compute_foundation,
    local_preference,
)
from rtcpeer.ice.core import AgentCore
from rtcpeer.ice.events import (
    CandidateError,
    GatheringStateChanged,
    IceEvent,
    LocalCandidate,
    SocketReleased,
)
from rtcpeer.ice.generation import Generation
from rtcpeer.ice.states import IceGatheringState
from rtcpeer.ice.transport import Address, LocalSocket, PacketSink, Transmit

logger = logging.getLogger(__name__)


class LocalCandidates(AgentCore):
    """Adding local candidates and following each generation's gathering."""

    def _add_host_candidate(self, gen: Generation, sock: LocalSocket, now: float) -> None:
        host, port = sock.address
        candidate = Candidate(
            foundation=compute_foundation("host", host, sock.protocol),
            component=1,
            transport=sock.protocol,
            priority=candidate_priority(
                TYPE_PREFERENCES["host"], local_preference(host, interface_index=sock.index)
            ),
            host=host,
            port=port,
            type="host",
        )
        self._add_local_candidate(candidate, sock.socket_id, generation_id=gen.id, now=now)

    def _gathering_pending(self, generation_id: int, token: object) -> None:
        """Internal hook: a gatherer has started work that gathering must wait for."""
        gen = self._generation_by_id(generation_id)
        if gen is not None:
            gen.pending_gatherers.add(token)

    def _gathering_done(self, generation_id: int, token: object, now: float) -> None:
        """Internal hook: that work finished (with or without a candidate)."""
        self._now = now
        gen = self._generation_by_id(generation_id)
        if gen is None:
            return
        gen.pending_gatherers.discard(token)
        self._maybe_gathering_complete(gen)
        self._update_state(now)

    def _add_local_candidate(
        self,
        candidate: Candidate,
        socket_id: int,
        *,
        sink: PacketSink | None = None,
        generation_id: int | None = None,
        now: float | None = None,
        url: str | None = None,
        relay_protocol: str | None = None,
    ) -> Candidate | None:
        """Internal hook for gatherers: add a local candidate sending through ``socket_id``.

        A relay candidate passes its TURN allocation as ``sink`` and a fresh
        ``socket_id``; that socket belongs to the generation and is named in
        its :class:`GenerationRetired` event. Returns the candidate as
        signalled, or None when the transport policy filters it out.
        """
        now = self._time(now)
        gen = self.generation if generation_id is None else self._generation_by_id(generation_id)
        if gen is None or self._closed:
            return None
        if gen.policy == "relay" and candidate.type != "relay":
            return None
        if sink is not None and socket_id not in self._sockets:
            self._sockets[socket_id] = LocalSocket(
                socket_id,
                candidate.address,
                candidate.transport,
                sink,
                candidate.type,
                len(self._sockets),
            )
            gen.owned_sockets.add(socket_id)
        if socket_id not in self._sockets:
            raise ValueError(f"socket {socket_id} is not registered")
        candidate = replace(candidate, ufrag=gen.local_ufrag, generation=gen.id)
        pairs = gen.add_local(candidate, socket_id)
        if not any(e.candidate is candidate for e in gen.local):
            return None
        logger.debug(
            "ICE local candidate %s %s %s:%d (generation %d%s)", candidate.type,
            candidate.transport, candidate.host, candidate.port, gen.id,
            f", {url}" if url else "",
        )
        self._events.append(LocalCandidate(candidate, gen.id, url, relay_protocol))
        if pairs:
            self._gathering.pairs_formed(pairs, now)
            self._schedule_checks(now)
        return candidate

    def _report_candidate_error(
        self, url: str, address: str | None, port: int | None, error_code: int, error_text: str
    ) -> None:
        """Internal hook for gatherers: a server failed us (icecandidateerror)."""
        logger.info("ICE candidate error from %s: %d %s", url, error_code, error_text)
        self._events.append(CandidateError(url, address, port, error_code, error_text))

    def _queue_event(self, event: IceEvent) -> None:
        self._events.append(event)

    def _queue_transmit(self, socket_id: int, destination: Address, data: bytes) -> None:
        self._outbox.append(Transmit(socket_id, destination, data))

    def _host_sockets(self) -> list[LocalSocket]:
        """Host sockets new gatherings use (those whose address vanished are left out)."""
        vanished = self._vanished_hosts
        return [
            s for s in self._sockets.values() if s.kind == "host" and s.socket_id not in vanished
        ]

    def _release_vanished_hosts(self) -> None:
        """Give back each vanished host socket that nothing live uses any more."""
        if not self._vanished_hosts:
            return
        in_use = {e.socket_id for gen in self._generations for e in gen.local}
        in_use |= {socket_id for socket_id, _ in self._retired_paths}
        for socket_id in sorted(self._vanished_hosts - in_use):
            self._vanished_hosts.discard(socket_id)
            self._sockets.pop(socket_id, None)
            self._events.append(SocketReleased(socket_id))

    def _forget_socket(self, socket_id: int) -> None:
        self._sockets.pop(socket_id, None)

    def _set_gathering(self, gen: Generation, state: IceGatheringState) -> None:
        if gen.gathering_state != state:
            if state == IceGatheringState.COMPLETE:
                kinds = [entry.candidate.type for entry in gen.local]
                logger.info(
                    "ICE gathering complete (generation %d): %d candidate(s)%s",
                    gen.id, len(kinds),
                    "".join(f", {kinds.count(k)} {k}" for k in sorted(set(kinds))),
                )
            else:
                logger.info("ICE gathering: %s (generation %d)", state.value, gen.id)
            gen.gathering_state = state
            self._events.append(GatheringStateChanged(state, gen.id))

    def _maybe_gathering_complete(self, gen: Generation) -> None:
        if gen.gathering_state == IceGatheringState.GATHERING and not gen.pending_gatherers:
            self._set_gathering(gen, IceGatheringState.COMPLETE)
