"""An rtcpeer program and an aiortc program, each with its own signalling module
(rtcpeer.signaling, aiortc.contrib.signaling), connect over a TCP socket and a Unix
socket, either side offering, and ping/pong over a data channel (issue 18 outcome 4).

The rtcpeer program trickles every candidate (it sends the description createOffer or
createAnswer returned, which has none), so aiortc's signalling reads our candidate
messages and aiortc's addIceCandidate takes what it made of them."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest
from aiortc import RTCIceCandidate as AiortcCandidate
from aiortc import RTCPeerConnection as AiortcPeerConnection
from aiortc import RTCSessionDescription as AiortcDescription
from aiortc.contrib import signaling as aiortc_signaling
from tests.support.interop import TIMEOUT, rtcpeer

from rtcpeer import (
    RTCIceCandidate,
    RTCPeerConnectionIceEvent,
    RTCSessionDescription,
)
from rtcpeer import signaling as rtcpeer_signaling

pytestmark = [pytest.mark.interop, pytest.mark.usefixtures("aioice_on_loopback")]


class Program:
    """What one program saw: the pong (offerer), the candidates it was sent."""

    def __init__(self) -> None:
        self.pong: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.candidates_received = 0
        self.said_bye = False


def ping_pong(channel: Any, program: Program, offering: bool) -> None:
    """The offerer pings once open; the answerer replies."""

    def on_message(message: object) -> None:
        if offering and message == "pong" and not program.pong.done():
            program.pong.set_result("pong")
        elif not offering and message == "ping":
            channel.send("pong")

    channel.on("message", on_message)
    if offering:
        channel.on("open", lambda: channel.send("ping"))


async def rtcpeer_program(
    signaling: rtcpeer_signaling.Signaling, offering: bool, program: Program
) -> None:
    pc = rtcpeer()
    candidates: asyncio.Queue[Any] = asyncio.Queue()
    sending: list[asyncio.Future[None]] = []

    async def send_candidates() -> None:
        while True:
            await signaling.send(await candidates.get())

    async def send_description(description: RTCSessionDescription) -> None:
        """The description first (a listening side waits for its peer here), then candidates."""
        await signaling.send(description)
        sending.append(asyncio.ensure_future(send_candidates()))

    def on_candidate(event: RTCPeerConnectionIceEvent) -> None:
        candidates.put_nowait(event.candidate)

    pc.on("icecandidate", on_candidate)
    pc.on("datachannel", lambda event: ping_pong(event.channel, program, offering))
    try:
        if offering:
            ping_pong(pc.createDataChannel("chat"), program, offering)
            offer = await pc.createOffer()
            await pc.setLocalDescription(offer)
            await send_description(offer)
        while True:
            message = await signaling.receive()
            if isinstance(message, RTCSessionDescription):
                await pc.setRemoteDescription(message)
                if message.type == "offer":
                    answer = await pc.createAnswer()
                    await pc.setLocalDescription(answer)
                    await send_description(answer)
            elif isinstance(message, RTCIceCandidate):
                program.candidates_received += 1
                await pc.addIceCandidate(message)
            else:
                program.said_bye = message is rtcpeer_signaling.BYE
                break
    finally:
        for task in sending:
            task.cancel()
        await asyncio.gather(*sending, return_exceptions=True)
        await pc.close()


async def aiortc_program(signaling: Any, offering: bool, program: Program) -> None:
    """aiortc's datachannel-cli, in short: aiortc's own objects and signalling."""
    pc = AiortcPeerConnection()
    pc.on("datachannel", lambda channel: ping_pong(channel, program, offering))
    try:
        if offering:
            ping_pong(pc.createDataChannel("chat"), program, offering)
            await pc.setLocalDescription(await pc.createOffer())
            await signaling.send(pc.localDescription)
        while True:
            message = await signaling.receive()
            if isinstance(message, AiortcDescription):
                await pc.setRemoteDescription(message)
                if message.type == "offer":
                    await pc.setLocalDescription(await pc.createAnswer())
                    await signaling.send(pc.localDescription)
            elif isinstance(message, AiortcCandidate):
                program.candidates_received += 1
                await pc.addIceCandidate(message)
            else:
                program.said_bye = message is aiortc_signaling.BYE
                break
    finally:
        await pc.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.parametrize("offering", ["rtcpeer", "aiortc"])
@pytest.mark.parametrize("transport", ["tcp-socket", "unix-socket"])
async def test_rtcpeer_and_aiortc_programs_connect(
    transport: str, offering: str, tmp_path: Path
) -> None:
    ours: rtcpeer_signaling.SocketSignaling
    if transport == "tcp-socket":
        port = _free_port()
        ours = rtcpeer_signaling.TcpSocketSignaling("127.0.0.1", port, connect_timeout=TIMEOUT)
        theirs: Any = aiortc_signaling.TcpSocketSignaling("127.0.0.1", port)
    else:
        path = str(tmp_path / "aiortc.socket")
        ours = rtcpeer_signaling.UnixSocketSignaling(path, connect_timeout=TIMEOUT)
        theirs = aiortc_signaling.UnixSocketSignaling(path)
    mine, aiortcs = Program(), Program()
    we_offer = offering == "rtcpeer"
    ours_task = asyncio.ensure_future(rtcpeer_program(ours, we_offer, mine))
    if we_offer:  # aiortc connects once, at once: start it when we listen
        await asyncio.wait_for(ours.listening(), TIMEOUT)
    theirs_task = asyncio.ensure_future(aiortc_program(theirs, not we_offer, aiortcs))
    try:
        offerer, answerer = (mine, aiortcs) if we_offer else (aiortcs, mine)
        assert await asyncio.wait_for(offerer.pong, TIMEOUT) == "pong"
        # The offerer's program ends: its signalling says BYE; the answerer's ends on it.
        offering_task, answering_task = (
            (ours_task, theirs_task) if we_offer else (theirs_task, ours_task)
        )
        offering_task.cancel()
        await asyncio.gather(offering_task, return_exceptions=True)
        await (ours if we_offer else theirs).close()
        await asyncio.wait_for(answering_task, TIMEOUT)
        assert answerer.said_bye
        # aiortc's signalling read our trickled candidates; aiortc sends none (all in its SDP).
        assert aiortcs.candidates_received >= 1
        assert mine.candidates_received == 0
    finally:
        for task in (ours_task, theirs_task):
            task.cancel()
        await asyncio.gather(ours_task, theirs_task, return_exceptions=True)
        await ours.close()
        await theirs.close()
