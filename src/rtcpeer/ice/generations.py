"""Generations: minting them (credentials) and retiring them after a restart.

A restart appends a generation; when the new one selects a pair, the older
ones retire: their checks stop, their selected path keeps delivering data for
``retired_grace`` seconds, their TURN allocations are released, and a
:class:`GenerationRetired` event names the sockets given back. A restart whose
offer is rolled back before it selected a pair is undone the other way round:
the new generation retires and the one before it is current again.
"""

from __future__ import annotations

import logging
import os
import random

from rtcpeer.ice.core import AgentCore
from rtcpeer.ice.events import GenerationRetired
from rtcpeer.ice.generation import Generation

logger = logging.getLogger(__name__)

_ICE_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
#: Byte b -> ice-char number (b & 63), for bytes.translate.
_ICE_BYTE_TABLE = bytes(ord(_ICE_CHARS[b & 63]) for b in range(256))


class Generations(AgentCore):
    """Creating and retiring ICE generations."""

    def _new_generation(self, credentials: tuple[str, str] | None = None) -> Generation:
        generation_id = self._generation_count
        self._generation_count += 1
        if credentials is None:
            credentials = (
                self._random_string(self.config.ufrag_length),
                self._random_string(self.config.pwd_length),
            )
        return Generation(
            generation_id,
            credentials[0],
            credentials[1],
            controlling=self.controlling,
            max_pairs=self.config.max_pairs,
            policy=self.policy,
        )

    def _random_string(self, length: int) -> str:
        rng = self._rng
        if isinstance(rng, random.SystemRandom):
            # One urandom read instead of one per character (choice() on a
            # SystemRandom reads urandom each time); 64 symbols divide 256, so
            # masking a byte keeps every character equally likely.
            return os.urandom(length).translate(_ICE_BYTE_TABLE).decode("ascii")
        return "".join(rng.choice(_ICE_CHARS) for _ in range(length))  # seeded: reproducible

    def _retire(self, gen: Generation, now: float) -> None:
        if gen not in self._generations or gen is self.generation:
            return
        self._cancel_checks(gen)
        self._generations.remove(gen)
        release_at = now
        if gen.selected is not None:
            path = (gen.selected.socket_id, gen.selected.remote.address)
            release_at = now + self.config.retired_grace
            self._retired_paths[path] = release_at
        if gen.remote_ufrag is not None:
            self._old_remote_ufrags.add(gen.remote_ufrag)
        # Our TURN allocations keep delivering the old path's data for the grace
        # period, then are released; each socket then gets a SocketReleased.
        managed = self._gathering.retire(gen.id, release_at, now)
        others = gen.owned_sockets - managed
        for socket_id in others:
            self._sockets.pop(socket_id, None)
        logger.info("ICE generation %d retired", gen.id)
        self._events.append(GenerationRetired(gen.id, tuple(sorted(others))))
        self._forget_paths()
        self._release_vanished_hosts()
        self._announce_active_pair()

    def _forget_paths(self) -> None:
        """Keep what was heard only for paths a live generation or a grace period uses."""
        live = set(self._retired_paths)
        for gen in self._generations:
            live |= gen.authenticated_paths
        for heard in (self._heard_at, self._data_at):
            for path in [p for p in heard if p not in live]:
                del heard[path]

    def roll_back_restart(self, now: float) -> bool:
        """Undo the latest restart: the description that made it was rolled back.

        RFC 9429 §5.7: what the abandoned description allocated is discarded
        and the previous descriptions apply again. The restarted generation
        retires with its TURN allocations, and the one it replaced is current
        again -- as it was if it still carries the session (it had selected a
        pair), else started afresh with its credentials and remote candidates,
        since the restart retired it. False when there is nothing to undo: no
        restart, or its generation has selected a pair.
        """
        self._now = now
        previous, gen = self._rollback_to, self.generation
        self._rollback_to = None
        if previous is None or previous is gen or gen.selected is not None or self._closed:
            return False
        if previous in self._generations:
            self._generations.remove(previous)
            revived = previous
        else:
            revived = self._new_generation((previous.local_ufrag, previous.local_pwd))
            revived.remote_ufrag, revived.remote_pwd = previous.remote_ufrag, previous.remote_pwd
            revived.remote = [c for c in previous.remote if c.type != "prflx"]
            revived.remote_end_of_candidates = previous.remote_end_of_candidates
        logger.info("ICE restart rolled back: generation %d is current again", revived.id)
        self._generations.append(revived)
        self._retire(gen, now)
        if revived.remote_ufrag is not None:
            self._old_remote_ufrags.discard(revived.remote_ufrag)
        self._next_check_at = None
        if revived is not previous:
            self.gather(now)
        self._schedule_checks(now)
        self._update_state(now)
        return True

    def _expire_retired(self, now: float) -> None:
        for path, expiry in list(self._retired_paths.items()):
            if now >= expiry:
                del self._retired_paths[path]
                self._release_vanished_hosts()
