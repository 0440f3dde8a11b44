"""Ping/pong over a data channel between two programs: aiortc's ``datachannel-cli``, ported.

Start the answering side, then the offering side (either order works with
the socket channels)::

    python examples/datachannel_cli.py answer --signaling tcp-socket
    python examples/datachannel_cli.py offer --signaling tcp-socket

The offerer opens a channel ``chat`` and sends ``ping <microseconds>`` every
second; the answerer replies ``pong <same number>`` and the offerer prints
the round-trip time. Signalling is :mod:`rtcpeer.signaling`, with aiortc's
options (``--signaling copy-and-paste|tcp-socket|unix-socket``,
``--signaling-host``, ``--signaling-port``, ``--signaling-path``), so
either side may also be aiortc's own ``cli.py``.

What differs from the aiortc program, and why:

* Candidates trickle. ``setLocalDescription()`` returns at once and each
  candidate is sent as it is found (aiortc waits for gathering and puts
  them all in the description). Copy-and-paste waits for gathering instead:
  one line to paste, with every candidate in it.
* There is no public STUN server unless you give one: ``--ice-server
  stun:stun.example.org`` (repeatable), and for TURN ``--ice-username`` and
  ``--ice-credential``; ``--relay-only`` sets ``iceTransportPolicy: "relay"``.
  Two programs on one host, or on one LAN, need none.
* ``--count N`` stops the offerer after N pongs (it says BYE, and the
  answerer exits), and ``--interval`` sets the ping period.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from typing import Any

from rtcpeer import (
    RTCDataChannelEvent,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCPeerConnectionIceEvent,
    RTCSessionDescription,
)
from rtcpeer.signaling import (
    BYE,
    Sendable,
    Signaling,
    add_signaling_arguments,
    create_signaling,
)


def log(channel: Any, direction: str, message: str) -> None:
    print(f"channel({channel.label}) {direction} {message}", flush=True)


def stamp() -> int:
    """Microseconds on a monotonic clock: what a ping carries and its pong returns."""
    return time.monotonic_ns() // 1000


class Outbox:
    """Sends to the peer from one task, in the order things were put in.

    Candidates found while the description is on its way (a socket
    channel's first send waits for the peer to connect) queue behind it.
    """

    def __init__(self, signaling: Signaling) -> None:
        self._signaling = signaling
        self._queue: asyncio.Queue[tuple[Sendable, asyncio.Future[None]]] = asyncio.Queue()
        self._task = asyncio.ensure_future(self._run())

    def put(self, item: Sendable) -> asyncio.Future[None]:
        """Queue ``item``; the future is done once it was sent."""
        sent = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, sent))
        return sent

    async def _run(self) -> None:
        while True:
            item, sent = await self._queue.get()
            try:
                await self._signaling.send(item)
            except Exception as exc:
                sent.set_exception(exc)
                raise
            sent.set_result(None)

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def send_local_description(
    pc: RTCPeerConnection, outbox: Outbox, trickle: bool, created: RTCSessionDescription
) -> None:
    """Send the description just applied, and wait until it went.

    Trickle: ``created``, as createOffer/createAnswer made it (no
    candidates), then each candidate as an ``icecandidate`` event brings it
    (they come after setLocalDescription returned). Otherwise wait for
    gathering and send the local description, which then holds every one.
    """
    if trickle:
        sent = outbox.put(created)

        @pc.on("icecandidate")
        def on_candidate(event: RTCPeerConnectionIceEvent) -> None:
            outbox.put(event.candidate)  # end-of-candidates: the channel skips it

        await sent
        return
    gathered = asyncio.Event()

    def on_gathering() -> None:
        if pc.iceGatheringState == "complete":
            gathered.set()

    pc.on("icegatheringstatechange", on_gathering)
    on_gathering()
    await gathered.wait()
    pc.remove_listener("icegatheringstatechange", on_gathering)
    assert pc.localDescription is not None
    await outbox.put(pc.localDescription)


async def consume_signaling(pc: RTCPeerConnection, signaling: Signaling, outbox: Outbox) -> None:
    """Apply what the peer sends until it says BYE (or the channel closes)."""
    while True:
        message = await signaling.receive()
        if isinstance(message, RTCSessionDescription):
            await pc.setRemoteDescription(message)
            if message.type == "offer":
                answer = await pc.createAnswer()
                await pc.setLocalDescription(answer)
                await send_local_description(pc, outbox, signaling.trickle, answer)
        elif isinstance(message, RTCIceCandidate):
            await pc.addIceCandidate(message)
        elif message is BYE or message is None:
            print("Exiting", flush=True)
            return


async def run_answer(pc: RTCPeerConnection, signaling: Signaling, outbox: Outbox) -> None:
    @pc.on("datachannel")
    def on_datachannel(event: RTCDataChannelEvent) -> None:
        channel = event.channel
        log(channel, "-", "created by remote party")

        def on_message(message: object) -> None:
            if isinstance(message, str):
                log(channel, "<", message)
                if message.startswith("ping"):
                    reply = "pong" + message[4:]
                    log(channel, ">", reply)
                    channel.send(reply)

        channel.on("message", on_message)

    await consume_signaling(pc, signaling, outbox)


async def run_offer(
    pc: RTCPeerConnection,
    signaling: Signaling,
    outbox: Outbox,
    *,
    interval: float,
    count: int | None,
) -> None:
    channel = pc.createDataChannel("chat")
    log(channel, "-", "created by local party")
    enough = asyncio.Event()
    pongs = 0

    async def send_pings() -> None:
        while True:
            message = f"ping {stamp()}"
            log(channel, ">", message)
            channel.send(message)
            await asyncio.sleep(interval)

    pinger: list[asyncio.Future[None]] = []
    channel.on("open", lambda: pinger.append(asyncio.ensure_future(send_pings())))

    @channel.on("message")
    def on_message(message: object) -> None:
        nonlocal pongs
        if isinstance(message, str) and message.startswith("pong"):
            log(channel, "<", message)
            print(f" RTT {(stamp() - int(message[5:])) / 1000:.2f} ms", flush=True)
            pongs += 1
            if count is not None and pongs >= count:
                enough.set()

    offer = await pc.createOffer()
    await pc.setLocalDescription(offer)
    await send_local_description(pc, outbox, signaling.trickle, offer)
    consumer = asyncio.ensure_future(consume_signaling(pc, signaling, outbox))
    finished = asyncio.ensure_future(enough.wait())
    try:
        await asyncio.wait([consumer, finished], return_when=asyncio.FIRST_COMPLETED)
        if consumer.done():
            consumer.result()  # a signalling error ends the program with it
    finally:
        tasks: list[asyncio.Future[Any]] = [*pinger, consumer, finished]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Data channel ping/pong (aiortc's datachannel-cli on rtcpeer)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("role", choices=["offer", "answer"])
    parser.add_argument("--verbose", "-v", action="count", help="log (twice: debug)")
    parser.add_argument(
        "--ice-server",
        action="append",
        default=[],
        metavar="URL",
        help="a STUN or TURN server URL (repeatable; none by default)",
    )
    parser.add_argument("--ice-username", help="TURN username for the --ice-server URLs")
    parser.add_argument("--ice-credential", help="TURN password for the --ice-server URLs")
    parser.add_argument(
        "--relay-only", action="store_true", help='iceTransportPolicy "relay": TURN only'
    )
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between pings")
    parser.add_argument("--count", type=int, help="offer: stop after this many pongs")
    add_signaling_arguments(parser)
    return parser.parse_args(argv)


def configuration(args: argparse.Namespace) -> dict[str, Any]:
    servers = [
        {"urls": url, "username": args.ice_username, "credential": args.ice_credential}
        for url in args.ice_server
    ]
    return {"iceServers": servers, "iceTransportPolicy": "relay" if args.relay_only else "all"}


async def main(args: argparse.Namespace) -> int:
    signaling = create_signaling(args)
    pc = RTCPeerConnection(configuration(args))
    await signaling.connect()
    outbox = Outbox(signaling)
    try:
        if args.role == "offer":
            await run_offer(pc, signaling, outbox, interval=args.interval, count=args.count)
        else:
            await run_answer(pc, signaling, outbox)
    finally:
        await outbox.close()
        await pc.close()
        await signaling.close()
    return 0


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.verbose:
        logging.basicConfig(level=logging.DEBUG if arguments.verbose > 1 else logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(main(arguments)))
