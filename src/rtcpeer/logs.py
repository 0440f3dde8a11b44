"""Which peer connection a log line is about: ``record.peer_connection``.

Every :class:`~rtcpeer.RTCPeerConnection` has a short name, ``pc1``, ``pc2``,
... in the order they are created in the process (``pc.log_name``). While a
peer connection does its own work -- any of its methods -- the name is in a
:class:`contextvars.ContextVar`. asyncio copies the current context into
every task, ``call_soon``/``call_later``/``call_at`` callback and socket
reader registered meanwhile, so the ICE agent's timers and datagram
callbacks, the TURN client's allocation and refresh, the DTLS/SCTP tasks --
every layer below -- run with their connection's name, without a parameter
threaded through them.

The name reaches log records through the record factory
(:func:`logging.setLogRecordFactory`), which rtcpeer wraps once when it is
imported, calling the factory that was there before: every record then has
``record.peer_connection``, the name of the connection it was emitted for,
or ``"-"`` for work of no one connection (a TURN server, the CLI, the
process's default certificate). A format may therefore always use
``%(peer_connection)s``. The record factory is used rather than a
:class:`logging.Filter` because a logger's filters see only records logged
to that very logger, never its children's (``rtcpeer.ice.agent``), and a
handler's filters belong to the application.
"""

from __future__ import annotations

import functools
import itertools
import logging
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TextIO, TypeVar

if TYPE_CHECKING:
    import argparse

#: The LogRecord attribute that names the peer connection.
RECORD_ATTRIBUTE = "peer_connection"
#: Its value for a record emitted outside any peer connection's work.
UNNAMED = "-"

_current: ContextVar[str | None] = ContextVar("rtcpeer_peer_connection", default=None)
_numbers = itertools.count(1)


def next_log_name() -> str:
    """A new peer connection's name: ``pc1``, ``pc2``, ... (unique in the process)."""
    return f"pc{next(_numbers)}"


def current_peer_connection() -> str | None:
    """The name of the peer connection whose work is running, or None."""
    return _current.get()


@contextmanager
def peer_connection_context(name: str) -> Iterator[None]:
    """Run the ``with`` block (and everything it schedules) as ``name``'s work."""
    token = _current.set(name)
    try:
        yield
    finally:
        _current.reset(token)


class _Named(Protocol):
    """An object with a log name: a peer connection."""

    @property
    def log_name(self) -> str:
        """Its name in log records."""
        ...


S = TypeVar("S", bound=_Named)
P = ParamSpec("P")
R = TypeVar("R")


def logs_as_self(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Decorate a method so that it runs as its object's (``self.log_name``) work."""

    @functools.wraps(method)
    def run_as_self(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        token = _current.set(self.log_name)
        try:
            return method(self, *args, **kwargs)
        finally:
            _current.reset(token)

    return run_as_self


def logs_as_self_async(
    method: Callable[Concatenate[S, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, R]]:
    """:func:`logs_as_self` for a coroutine method: the name holds until it returns."""

    @functools.wraps(method)
    async def run_as_self(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        token = _current.set(self.log_name)
        try:
            return await method(self, *args, **kwargs)
        finally:
            _current.reset(token)

    return run_as_self


def _install_record_factory() -> None:
    """Wrap the current record factory (once) to set ``record.peer_connection``."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_rtcpeer_names_peer_connection", False):
        return

    def record_with_peer_connection(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if not hasattr(record, RECORD_ATTRIBUTE):
            setattr(record, RECORD_ATTRIBUTE, _current.get() or UNNAMED)
        return record

    record_with_peer_connection._rtcpeer_names_peer_connection = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(record_with_peer_connection)


_install_record_factory()


# -- ``-v`` for the command lines (``rtcpeer ...``, ``python -m rtcpeer.turn.server``) --

#: The format of every line: time, level, peer connection, logger (the layer), message.
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(peer_connection)s %(name)s: %(message)s"
#: Set on the handler configure_logging installs, so a second call replaces it.
_MARK = "_rtcpeer_cli_handler"


def add_verbose_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``-v``/``--verbose`` (repeatable) to a command's parser."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log rtcpeer's state changes, gathering, selected pairs, restarts and TURN "
        "allocations to stderr; -vv adds checks and STUN/TURN transactions",
    )


def configure_logging(verbosity: int, stream: TextIO | None = None) -> None:
    """Send log lines to ``stream`` (stderr): rtcpeer's INFO at verbosity 1,
    rtcpeer's DEBUG (and other libraries' INFO) at 2 or more. At 0 nothing
    is configured: Python's last-resort handler prints warnings and errors.
    Called again, it replaces the handler it installed before."""
    if verbosity <= 0:
        return
    rtcpeer_level = logging.INFO if verbosity == 1 else logging.DEBUG
    other_level = logging.WARNING if verbosity == 1 else logging.INFO
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    # The defaults cover records made by a record factory that replaced rtcpeer's.
    handler.setFormatter(logging.Formatter(LOG_FORMAT, defaults={RECORD_ATTRIBUTE: UNNAMED}))
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(other_level)
    logging.getLogger("rtcpeer").setLevel(rtcpeer_level)


__all__ = [
    "LOG_FORMAT",
    "RECORD_ATTRIBUTE",
    "UNNAMED",
    "add_verbose_argument",
    "configure_logging",
    "current_peer_connection",
    "logs_as_self",
    "logs_as_self_async",
    "next_log_name",
    "peer_connection_context",
]
