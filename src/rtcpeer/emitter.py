"""The event emitter every rtcpeer object with W3C-style events derives from.

pyee's ``emit`` copies the listener table under a lock even when nobody
listens; a peer connection fires many state events that no application
subscribes to (and the ICE runtime fires several per packet burst), so an
event without listeners returns at once. ``error`` still goes through
pyee, which raises it when unhandled.

pyee also gives every emitter a lock and a set of pending coroutine
handlers. Its lock only guards its handler table for a moment (never held
while another emitter's is taken), so one lock serves every emitter here;
the set is made when a coroutine handler first runs: a process holding many
connections keeps ~0.3 KiB less per emitter.
"""

from __future__ import annotations

import threading
from asyncio import Future
from typing import Any

from pyee.asyncio import AsyncIOEventEmitter

#: The lock pyee takes around its handler tables, shared by every emitter.
_TABLE_LOCK = threading.Lock()


class SharedEmitterState:
    """Mixin for rtcpeer's pyee emitters (:class:`EventEmitter`, and rtcpeer's
    subclasses of aiortc's transports, which do not derive from it): the
    shared table lock, and the set of pending coroutine handlers made on
    first use.

    It must come before pyee's class in the bases: its ``_lock`` and
    ``_waiting`` are descriptors that take what pyee's ``__init__`` assigns.
    """

    @property
    def _lock(self) -> threading.Lock:
        """The lock pyee takes around the handler table: the shared one."""
        return _TABLE_LOCK

    @_lock.setter
    def _lock(self, value: threading.Lock) -> None:
        pass  # pyee's __init__ makes one per emitter: not kept

    @property
    def _waiting(self) -> set[Future[Any]]:
        """pyee's pending coroutine handlers (made on first use)."""
        waiting: set[Future[Any]] | None = self.__dict__.get("_waiting")
        if waiting is None:
            waiting = self.__dict__["_waiting"] = set()
        return waiting

    @_waiting.setter
    def _waiting(self, value: set[Future[Any]]) -> None:
        # pyee's __init__ sets an empty set: keep none until one is needed.
        self.__dict__["_waiting"] = value or None


class EventEmitter(SharedEmitterState, AsyncIOEventEmitter):
    """pyee's asyncio emitter, with a fast path for events nobody listens to."""

    def emit(self, event: str, *args: Any, **kwargs: Any) -> bool:
        if event not in self._events and event != "error":
            return False
        return bool(super().emit(event, *args, **kwargs))


__all__ = ["EventEmitter", "SharedEmitterState"]
