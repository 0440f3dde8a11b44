"""Signalling for small programs: copy-and-paste, a TCP socket or a Unix socket.

The same three channels and command-line options as aiortc's
``aiortc.contrib.signaling``, so that porting an aiortc program is a change
of import, and the two interoperate on the wire: an rtcpeer program and an
aiortc program can each use their own module and talk to each other.

Each message is one line of JSON (keys sorted, ASCII), in the W3C shapes a
browser application sends:

* a description is ``{"sdp": ..., "type": "offer"}`` -- byte for byte what
  aiortc writes;
* a candidate is the RTCIceCandidateInit ``{"candidate": "candidate:...",
  "sdpMid": ..., "sdpMLineIndex": ...}`` (and ``usernameFragment`` when
  known) plus ``"type": "candidate"``, ``"id"`` and ``"label"``: aiortc's
  names for the same three things, which its reader requires and every W3C
  reader ignores;
* the end of the conversation is ``{"type": "bye"}`` (:data:`BYE`).

Reading takes either candidate shape. End-of-candidates (an empty candidate
string, or ``None``) is never written: aiortc's reader cannot take it, and
ICE does not need it -- a peer that has it only learns sooner that every
check failed.

As in aiortc, a socket channel decides its role from the first call: the
side that first *sends* listens and waits for one peer, the side that first
*receives* connects. Messages leave in the order ``send()`` was called, even
while the first one waits for the peer: a program may send its description
and then fire off a send per candidate without waiting for each. Unlike
aiortc, the connecting side keeps trying for ``connect_timeout`` seconds
while nobody listens yet, so the two programs may start in either order; and
the listening side accepts one peer only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, Final, TextIO

from rtcpeer.jsep import (
    CandidateObject,
    DescriptionInit,
    RTCIceCandidate,
    RTCIceCandidateInit,
    RTCSessionDescription,
)


class Bye:
    """The end of the conversation; :data:`BYE` is its one instance."""

    def __repr__(self) -> str:
        return "BYE"


#: Sent by :meth:`Signaling.close`; :meth:`Signaling.receive` returns it when the peer leaves.
BYE: Final = Bye()

#: What :meth:`Signaling.receive` returns (``None``: the channel closed without a BYE).
SignalingMessage = RTCSessionDescription | RTCIceCandidate | Bye

#: What :meth:`Signaling.send` takes: ours, aiortc's or the W3C dictionaries; ``None`` is skipped.
Sendable = (
    RTCSessionDescription
    | RTCIceCandidate
    | RTCIceCandidateInit
    | CandidateObject
    | DescriptionInit
    | Bye
    | None
)

#: A line longer than this is not a signalling message (asyncio's default is 64 KiB).
MAX_LINE = 4 * 1024 * 1024
_DESCRIPTION_TYPES = frozenset({"offer", "pranswer", "answer", "rollback"})


def _is_candidate(obj: object) -> bool:
    if isinstance(obj, (RTCIceCandidate, RTCIceCandidateInit)):
        return True
    if isinstance(obj, Mapping):
        return "candidate" in obj
    return hasattr(obj, "ip")  # aiortc's RTCIceCandidate (see rtcpeer.jsep.CandidateObject)


def object_to_string(obj: Sendable) -> str | None:
    """The line (without its newline) that carries ``obj``; None for end-of-candidates.

    Descriptions and BYE are written exactly as aiortc writes them.
    """
    if obj is None:
        return None
    if isinstance(obj, Bye):
        message: dict[str, object] = {"type": "bye"}
    elif _is_candidate(obj):
        init = RTCIceCandidateInit.from_value(obj)  # type: ignore[arg-type]
        if init.is_end_of_candidates:
            return None
        message = {
            "candidate": init.candidate,
            "sdpMid": init.sdpMid,
            "sdpMLineIndex": init.sdpMLineIndex,
            "id": init.sdpMid,  # aiortc's name for sdpMid
            "label": init.sdpMLineIndex,  # aiortc's name for sdpMLineIndex
            "type": "candidate",
        }
        if init.usernameFragment is not None:
            message["usernameFragment"] = init.usernameFragment
    else:
        description = (
            obj if isinstance(obj, RTCSessionDescription) else RTCSessionDescription(obj)  # type: ignore[arg-type]
        )
        message = {"sdp": description.sdp, "type": description.type.value}
    return json.dumps(message, sort_keys=True)


def object_from_string(line: str) -> SignalingMessage:
    """The description, candidate or BYE that one line carries.

    Takes what :func:`object_to_string` writes, what aiortc writes
    (``id``/``label``) and plain W3C JSON (a candidate without ``type``).
    Anything else is a ValueError saying what the line lacks.
    """
    try:
        message = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"signalling message is not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise ValueError(f"signalling message is not a JSON object: {line.strip()[:80]!r}")
    kind = message.get("type")
    if kind == "bye":
        return BYE
    if kind in _DESCRIPTION_TYPES:
        return RTCSessionDescription(message)
    if kind == "candidate" or (kind is None and "candidate" in message):
        mid = message["sdpMid"] if "sdpMid" in message else message.get("id")
        index = message["sdpMLineIndex"] if "sdpMLineIndex" in message else message.get("label")
        return RTCIceCandidate(
            {
                "candidate": message.get("candidate", ""),
                "sdpMid": mid,
                "sdpMLineIndex": index,
                "usernameFragment": message.get("usernameFragment"),
            }
        )
    raise ValueError(
        f"signalling message of unknown type {kind!r}: expected a description "
        f"(offer, pranswer, answer, rollback), a candidate or bye"
    )


class Signaling(ABC):
    """A channel carrying descriptions and candidates to one peer, and a BYE at the end."""

    #: Whether sending each candidate as it is gathered suits this channel.
    #: Copy-and-paste says no: one line to paste beats a dozen, so a program
    #: waits for gathering and sends the description with every candidate in it.
    trickle: bool = True

    async def connect(self) -> None:  # noqa: B027 -- optional, as in aiortc
        """Prepare the channel (the socket channels connect on first use instead)."""

    @abstractmethod
    async def close(self) -> None:
        """Say BYE if connected, and let go of everything the channel holds."""

    @abstractmethod
    async def send(self, obj: Sendable) -> None:
        """Send a description, a candidate or BYE (end-of-candidates: nothing is sent)."""

    @abstractmethod
    async def receive(self) -> SignalingMessage | None:
        """The next message; None when the peer closed the channel."""


class CopyAndPasteSignaling(Signaling):
    """Messages written to ``output`` for a person to carry; theirs read from ``input``.

    Prompts go to ``prompts`` (standard error), so that ``output`` holds
    nothing but messages. Blank input lines are skipped.
    """

    trickle = False

    def __init__(
        self,
        input: TextIO | None = None,
        output: TextIO | None = None,
        prompts: TextIO | None = None,
    ) -> None:
        self._input = sys.stdin if input is None else input
        self._output = sys.stdout if output is None else output
        self._prompts = sys.stderr if prompts is None else prompts
        self._reader: asyncio.StreamReader | None = None
        self._transport: asyncio.ReadTransport | None = None
        self._said_bye = False

    async def connect(self) -> None:
        if self._reader is not None:
            return
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=MAX_LINE)
        try:
            self._transport, _ = await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(reader), self._input
            )
        except (OSError, ValueError):  # a regular file: reads never wait, read it directly
            self._transport = None
        self._reader = reader

    async def close(self) -> None:
        if not self._said_bye:
            self._said_bye = True
            await self.send(BYE)
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    async def send(self, obj: Sendable) -> None:
        line = object_to_string(obj)
        if line is None:
            return
        self._prompts.write("-- Please send this message to the remote party --\n")
        self._prompts.flush()
        self._output.write(line + "\n")
        self._output.flush()

    async def receive(self) -> SignalingMessage | None:
        await self.connect()
        self._prompts.write("-- Please enter a message from the remote party --\n")
        self._prompts.flush()
        while True:
            if self._transport is None:
                data = self._input.readline().encode()
            else:
                assert self._reader is not None
                data = await self._reader.readline()
            if not data:
                return None
            if data.strip():
                return object_from_string(data.decode())


class SocketSignaling(Signaling):
    """A socket to the peer, opened by whichever of send/receive comes first."""

    def __init__(self, connect_timeout: float) -> None:
        self.connect_timeout = connect_timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._server: asyncio.Server | None = None
        self._listening: asyncio.Future[tuple[Any, ...] | str] | None = None
        #: Listening or connecting, whichever the first call began; later calls wait for it.
        self._opening: asyncio.Future[None] | None = None
        #: Messages leave in the order send() was called (asyncio.Lock is first come, first served).
        self._sending = asyncio.Lock()

    @abstractmethod
    async def _start_server(self, accepted: asyncio.Future[None]) -> asyncio.Server: ...

    @abstractmethod
    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]: ...

    def _stopped_listening(self) -> None:
        """After the server closed (the Unix socket removes its file)."""

    def _listening_future(self) -> asyncio.Future[tuple[Any, ...] | str]:
        if self._listening is None:
            self._listening = asyncio.get_running_loop().create_future()
        return self._listening

    async def listening(self) -> tuple[Any, ...] | str:
        """Once the listening side listens: the address (a TCP port 0 is bound by then)."""
        return await self._listening_future()

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        accepted: asyncio.Future[None] = loop.create_future()
        self._server = await self._start_server(accepted)
        listening = self._listening_future()
        if not listening.done():
            listening.set_result(self._server.sockets[0].getsockname())
        try:
            await accepted
        finally:
            self._stop_listening()

    def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
            self._stopped_listening()

    def _on_client(
        self,
        accepted: asyncio.Future[None],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        if accepted.done():  # one peer only
            writer.close()
            return
        self._reader, self._writer = reader, writer
        accepted.set_result(None)

    async def _connect(self) -> None:
        """Connect, trying again while nobody listens yet, until ``connect_timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.connect_timeout
        while True:
            try:
                self._reader, self._writer = await self._open()
                return
            except (ConnectionRefusedError, FileNotFoundError):
                if loop.time() >= deadline:
                    raise
            # Nothing announces that the peer started listening: look again shortly.
            await asyncio.sleep(0.05)

    async def _open_as(self, listen: bool) -> None:
        """Open the stream: listen if the first call is a send, else connect."""
        if self._opening is None:
            self._opening = asyncio.ensure_future(self._serve() if listen else self._connect())
        await asyncio.shield(self._opening)

    async def send(self, obj: Sendable) -> None:
        line = object_to_string(obj)
        if line is None:
            return
        async with self._sending:
            await self._open_as(listen=True)
            if self._writer is None:
                raise ConnectionError("the signalling channel is closed")
            self._writer.write(line.encode() + b"\n")
            await self._writer.drain()

    async def receive(self) -> SignalingMessage | None:
        await self._open_as(listen=False)
        if self._reader is None:  # closed meanwhile
            return None
        while True:
            try:
                data = await self._reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:
                if exc.partial.strip():
                    return object_from_string(exc.partial.decode())
                return None
            except ConnectionResetError:
                return None
            if data.strip():
                return object_from_string(data.decode())

    async def close(self) -> None:
        opening, self._opening = self._opening, None
        if opening is not None and not opening.done():
            opening.cancel()
            await asyncio.gather(opening, return_exceptions=True)
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            with contextlib.suppress(ConnectionError):
                writer.write(json.dumps({"type": "bye"}).encode() + b"\n")
                await writer.drain()
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        self._stop_listening()


class TcpSocketSignaling(SocketSignaling):
    """A TCP connection: the side that sends first listens on ``host:port``."""

    def __init__(self, host: str, port: int, *, connect_timeout: float = 30.0) -> None:
        super().__init__(connect_timeout)
        self.host = host
        self.port = int(port)

    async def _start_server(self, accepted: asyncio.Future[None]) -> asyncio.Server:
        def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._on_client(accepted, reader, writer)

        return await asyncio.start_server(client, self.host, self.port, limit=MAX_LINE)

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self.host, self.port, limit=MAX_LINE)


class UnixSocketSignaling(SocketSignaling):
    """A Unix-domain socket at ``path``: the side that sends first creates it."""

    def __init__(self, path: str, *, connect_timeout: float = 30.0) -> None:
        super().__init__(connect_timeout)
        self.path = path

    async def _start_server(self, accepted: asyncio.Future[None]) -> asyncio.Server:
        def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._on_client(accepted, reader, writer)

        return await asyncio.start_unix_server(client, self.path, limit=MAX_LINE)

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_unix_connection(self.path, limit=MAX_LINE)

    def _stopped_listening(self) -> None:
        # Python 3.13 removes the file when the server closes; earlier ones do not.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def add_signaling_arguments(parser: argparse.ArgumentParser) -> None:
    """Add aiortc's signalling options to ``parser`` (same names and defaults).

    The Unix socket's default path is aiortc's too, so an rtcpeer program
    and an aiortc program meet there without options.
    """
    parser.add_argument(
        "--signaling",
        "-s",
        choices=["copy-and-paste", "tcp-socket", "unix-socket"],
        help="how descriptions and candidates reach the peer (default: copy-and-paste)",
    )
    parser.add_argument(
        "--signaling-host",
        default="127.0.0.1",
        help="tcp-socket: the address to listen on or connect to (default: %(default)s)",
    )
    parser.add_argument(
        "--signaling-port",
        type=int,
        default=1234,
        help="tcp-socket: the port (default: %(default)s)",
    )
    parser.add_argument(
        "--signaling-path",
        default="aiortc.socket",
        help="unix-socket: the socket's path (default: %(default)s)",
    )


def create_signaling(args: argparse.Namespace) -> Signaling:
    """The channel the options from :func:`add_signaling_arguments` ask for."""
    if args.signaling == "tcp-socket":
        return TcpSocketSignaling(args.signaling_host, args.signaling_port)
    if args.signaling == "unix-socket":
        return UnixSocketSignaling(args.signaling_path)
    return CopyAndPasteSignaling()


__all__ = [
    "BYE",
    "MAX_LINE",
    "Bye",
    "CopyAndPasteSignaling",
    "Sendable",
    "Signaling",
    "SignalingMessage",
    "SocketSignaling",
    "TcpSocketSignaling",
    "UnixSocketSignaling",
    "add_signaling_arguments",
    "create_signaling",
    "object_from_string",
    "object_to_string",
]
