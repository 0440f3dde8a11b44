"""The event emitter every rtcpeer object with W3C-style events derives from.

pyee's ``emit`` copies the listener table under a lock even when nobody
listens; a peer connection fires many state events that no application
subscribes to (and the ICE runtime fires several per packet burst), so an
event without listeners returns at once. ``error`` still goes through
pyee, which raises it when unhandled.
"""

from __future__ import annotations

from typing import Any

from pyee.asyncio import AsyncIOEventEmitter


class EventEmitter(AsyncIOEventEmitter):
    """pyee's asyncio emitter, with a fast path for events nobody listens to."""

    def emit(self, event: str, *args: Any, **kwargs: Any) -> bool:
        if event not in self._events and event != "error":
            return False
        return bool(super().emit(event, *args, **kwargs))


__all__ = ["EventEmitter"]
