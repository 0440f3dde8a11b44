"""The data path without task hops (``AiortcIceTransportAdapter.deliver`` and
``EagerFlushSctpTransport``), over aiortc's real DTLS and SCTP.

An arriving application-data record is decrypted and its message emitted
inside the transport's hand-off; ``channel.send()`` puts the datagram on the
transport before it returns. Handshake records and anything behind a queued
datagram still go through aiortc's DTLS task, so order never changes, and a
datagram that fails is dropped without taking the session down.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiortc import RTCDataChannel, RTCDataChannelParameters
from aiortc.rtcdtlstransport import RTCDtlsParameters, RTCDtlsTransport
from aiortc.rtcsctptransport import RTCSctpTransport
from tests.support.memory_ice import HandOffMemory, linked

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import CountingSctpTransport, create_dtls_transport, local_dtls_parameters
from rtcpeer.transport.aiortc_adapter import APPLICATION_DATA

TIMEOUT = 10.0


def _parameters(certificate: RTCCertificate) -> RTCDtlsParameters:
    return local_dtls_parameters(certificate)


@pytest.fixture(scope="module")
def certificates() -> tuple[RTCCertificate, RTCCertificate]:
    return RTCCertificate.generate("ECDSA"), RTCCertificate.generate("ECDSA")


async def _open_channel(
    certificates: tuple[RTCCertificate, RTCCertificate],
) -> tuple[list[HandOffMemory], list[RTCDtlsTransport], RTCDataChannel, RTCDataChannel]:
    left, right = linked(HandOffMemory)
    dtls_a = create_dtls_transport(left, certificates[0], dtls_role="client")
    dtls_b = create_dtls_transport(right, certificates[1], dtls_role="server")
    assert left.deliver is not None and right.deliver is not None  # the adapter hooked in
    await asyncio.wait_for(
        asyncio.gather(
            dtls_a.start(_parameters(certificates[1])), dtls_b.start(_parameters(certificates[0]))
        ),
        TIMEOUT,
    )
    sctp_a, sctp_b = CountingSctpTransport(dtls_a), CountingSctpTransport(dtls_b)
    incoming: asyncio.Future[RTCDataChannel] = asyncio.get_running_loop().create_future()

    def arrived(channel: RTCDataChannel) -> None:
        if not incoming.done():
            incoming.set_result(channel)

    sctp_b.on("datachannel", arrived)
    await sctp_a.start(sctp_b.getCapabilities(), sctp_b.port)
    await sctp_b.start(sctp_a.getCapabilities(), sctp_a.port)
    channel = RTCDataChannel(sctp_a, RTCDataChannelParameters(label="eager"))
    remote = await asyncio.wait_for(incoming, TIMEOUT)
    opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    if channel.readyState == "open":
        opened.set_result(None)

    def open_() -> None:
        if not opened.done():
            opened.set_result(None)

    channel.on("open", open_)
    await asyncio.wait_for(opened, TIMEOUT)
    return [left, right], [dtls_a, dtls_b], channel, remote


Session = tuple[list[HandOffMemory], list[RTCDtlsTransport], RTCDataChannel, RTCDataChannel]


@pytest.fixture
async def session(certificates: tuple[RTCCertificate, RTCCertificate]) -> AsyncIterator[Session]:
    """An open channel over the delivering transports; DTLS stopped afterwards."""
    opened = await _open_channel(certificates)
    try:
        yield opened
    finally:
        for transport in opened[1]:
            await transport.stop()


async def _collect(remote: RTCDataChannel, count: int, memory: HandOffMemory) -> list[Any]:
    """Resolves with (message, was it emitted inside the hand-off) once ``count`` arrived."""
    got: list[tuple[str, bool]] = []
    done = asyncio.get_running_loop().create_future()

    def on_message(message: str) -> None:
        got.append((message, memory.handing_off))
        if len(got) == count and not done.done():
            done.set_result(got)

    remote.on("message", on_message)
    return list(await asyncio.wait_for(done, TIMEOUT))


async def test_messages_are_emitted_as_their_datagrams_arrive(
    session: Session,
) -> None:
    memories, _, channel, remote = session
    handshake_queued = memories[1].queued
    assert handshake_queued > 0  # handshake records took aiortc's task path
    collecting = asyncio.ensure_future(_collect(remote, 20, memories[1]))
    await asyncio.sleep(0)
    for index in range(20):
        channel.send(f"m{index}")
    got = await collecting
    assert [message for message, _ in got] == [f"m{index}" for index in range(20)]
    assert all(inside for _, inside in got), "a message waited for the DTLS task"
    assert memories[1].queued == handshake_queued


async def test_send_puts_the_datagram_on_the_transport_before_returning(
    session: Session,
) -> None:
    memories, _, channel, _ = session
    before = memories[0].sent
    channel.send("now")
    assert memories[0].sent == before + 1


async def test_order_holds_while_datagrams_queue_behind_the_dtls_task(
    session: Session,
) -> None:
    memories, _, channel, remote = session
    receiver = memories[1]
    collecting = asyncio.ensure_future(_collect(remote, 60, receiver))
    await asyncio.sleep(0)
    queued_before = receiver.queued
    receiver.hold = True
    for index in range(30):
        channel.send(f"m{index}")
    await asyncio.sleep(0)  # the first datagrams land, queued
    receiver.hold = False  # deliver is offered again, but only to an empty inbox
    for index in range(30, 60):
        channel.send(f"m{index}")
    got = await collecting
    assert [message for message, _ in got] == [f"m{index}" for index in range(60)]
    assert receiver.queued > queued_before, "nothing queued: the test proved nothing"


async def test_a_datagram_that_fails_is_dropped_and_the_session_goes_on(
    session: Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    memories, dtls, channel, remote = session
    receiver, dtls_b = memories[1], dtls[1]
    # Garbage that claims to be application data: OpenSSL rejects it, nothing is emitted.
    assert receiver.deliver(bytes([APPLICATION_DATA]) + b"\xfe\xfd" + bytes(40)) is True
    # A failure inside SCTP is logged, not raised into the ICE transport.
    sctp: Any = dtls_b._data_receiver
    original = sctp._handle_data

    async def broken(data: bytes) -> None:
        sctp._handle_data = original
        raise RuntimeError("SCTP bug")

    sctp._handle_data = broken
    collecting = asyncio.ensure_future(_collect(remote, 3, receiver))
    await asyncio.sleep(0)
    for index in range(3):
        channel.send(f"m{index}")
    got = await collecting  # the first DATA is lost with the failure; SCTP retransmits it
    assert [message for message, _ in got] == ["m0", "m1", "m2"]
    assert "DTLS/SCTP failed on an incoming datagram" in caplog.text and "SCTP bug" in caplog.text
    assert dtls_b.state == "connected" and remote.readyState == "open"


def test_the_aiortc_internals_the_hand_off_relies_on_are_still_there(
    certificates: tuple[RTCCertificate, RTCCertificate],
) -> None:
    """``deliver`` calls ``_recv_next`` and reads the name-mangled handshake
    flag; the eager flush relies on ``_data_channel_flush`` being scheduled
    through ``ensure_future`` or awaited, never run as a bare coroutine."""
    receive_step = inspect.getsource(RTCDtlsTransport._recv_next)
    assert "data = await self.transport._recv()" in receive_step
    assert "self.__handshake_done = True" in receive_step
    assert "self._data_receiver._handle_data(data)" in receive_step
    memory = HandOffMemory("controlling")
    dtls = create_dtls_transport(memory, certificates[0], dtls_role="client")
    assert dtls._RTCDtlsTransport__handshake_done is False  # type: ignore[attr-defined]
    assert dtls.handshake_finished is False
    source = inspect.getsource(RTCSctpTransport)
    calls = source.count("self._data_channel_flush()")
    scheduled = source.count("asyncio.ensure_future(self._data_channel_flush())")
    awaited = source.count("await self._data_channel_flush()")
    assert calls == scheduled + awaited, "aiortc calls _data_channel_flush some other way"
