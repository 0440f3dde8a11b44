"""Pins the seam between aiortc and rtcpeer's ICE layer.

If an aiortc upgrade makes RTCDtlsTransport read anything from its ICE
transport beyond ``role``, ``_recv`` and ``_send``, the first test fails
and names the new member. The others run aiortc's real DTLS, SCTP and data
channels over the adapter and show that an interruption of the path below
(an ICE restart switching pairs) costs neither a new handshake nor a
re-opened channel, and loses no reliable message.
"""

from __future__ import annotations

import asyncio
import inspect
import re

import aiortc.rtcdtlstransport
import pytest
from aiortc import RTCDataChannel, RTCSctpTransport
from aiortc.rtcdtlstransport import RTCDtlsTransport
from tests.support.aiortc_stack import open_channel_over

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import AIORTC_ICE_SURFACE, create_dtls_transport

TIMEOUT = 10.0


class MemoryPath:
    """A bidirectional in-memory datagram path that can be cut and restored."""

    def __init__(self) -> None:
        self.up = True
        self.dropped = 0


class MemoryTransport:
    """A DatagramTransport whose datagrams travel over a MemoryPath."""

    def __init__(self, role: str, path: MemoryPath) -> None:
        self._role = role
        self._path = path
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.peer: MemoryTransport | None = None

    @property
    def role(self) -> str:
        return self._role

    async def receive(self) -> bytes:
        data = await self._queue.get()
        if data is None:
            raise ConnectionError("closed")
        return data

    def send(self, data: bytes) -> None:
        assert self.peer is not None
        if self._path.up:
            self.peer._queue.put_nowait(data)
        else:
            self._path.dropped += 1

    def close(self) -> None:
        self._queue.put_nowait(None)


def test_aiortc_reads_only_the_adapter_surface_from_its_ice_transport() -> None:
    source = inspect.getsource(aiortc.rtcdtlstransport.RTCDtlsTransport)
    used = set(re.findall(r"self\.(?:_)?transport\.(\w+)", source))
    assert used, "the pattern found no use of the ICE transport: update this test"
    assert used <= AIORTC_ICE_SURFACE, f"aiortc now also uses {used - AIORTC_ICE_SURFACE}"


@pytest.fixture(scope="module")
def certificates() -> tuple[RTCCertificate, RTCCertificate]:
    return RTCCertificate.generate("ECDSA"), RTCCertificate.generate("ECDSA")


async def _connected_channels(
    certificates: tuple[RTCCertificate, RTCCertificate], path: MemoryPath
) -> tuple[list[RTCDtlsTransport], RTCDataChannel, asyncio.Queue[RTCDataChannel]]:
    left, right = MemoryTransport("controlling", path), MemoryTransport("controlled", path)
    left.peer, right.peer = right, left
    return await open_channel_over(left, right, certificates)


def test_adapter_rejects_an_unknown_dtls_role(
    certificates: tuple[RTCCertificate, RTCCertificate],
) -> None:
    with pytest.raises(ValueError, match="dtls_role"):
        create_dtls_transport(
            MemoryTransport("controlling", MemoryPath()), certificates[0], dtls_role="auto"
        )


async def test_data_channel_survives_a_path_interruption_without_a_new_handshake(
    certificates: tuple[RTCCertificate, RTCCertificate],
) -> None:
    path = MemoryPath()
    dtls, channel, incoming = await _connected_channels(certificates, path)
    ssl_sessions = [transport._ssl for transport in dtls]
    remote = await asyncio.wait_for(incoming.get(), TIMEOUT)
    received: list[str] = []
    all_arrived = asyncio.get_running_loop().create_future()

    def on_message(message: str | bytes) -> None:
        received.append(str(message))
        if len(received) == 60 and not all_arrived.done():
            all_arrived.set_result(None)

    remote.on("message", on_message)
    for index in range(20):
        channel.send(f"m{index}")
    await asyncio.sleep(0)  # let SCTP hand the first batch to the path
    path.up = False  # the old pair goes away while the new one is being checked
    for index in range(20, 40):
        channel.send(f"m{index}")
    await asyncio.sleep(0.3)
    path.up = True  # the new generation selected a pair
    for index in range(40, 60):
        channel.send(f"m{index}")
    await asyncio.wait_for(all_arrived, TIMEOUT)

    assert path.dropped > 0, "the interruption dropped nothing: the test proved nothing"
    assert received == [f"m{index}" for index in range(60)]
    assert [transport._ssl for transport in dtls] == ssl_sessions
    assert all(transport.state == "connected" for transport in dtls)
    assert channel.readyState == remote.readyState == "open"
    for transport in dtls:
        await transport.stop()


def test_the_sctp_internals_delayed_sack_relies_on_are_still_there() -> None:
    """rtcpeer.peerconnection.sctp_ack overrides ``_send_sack`` and reads the
    SACK bookkeeping; an aiortc that renames them must fail here, not silently
    fall back to a SACK per packet (or never acknowledge)."""
    source = inspect.getsource(RTCSctpTransport)
    assert "async def _send_sack(self)" in source
    # _handle_data sends the SACK through the overridable method, when needed.
    handle = inspect.getsource(RTCSctpTransport._handle_data)
    assert "if self._sack_needed:" in handle and "await self._send_sack()" in handle
    for member in ("_sack_needed", "_sack_misordered", "_sack_duplicates", "_association_state"):
        assert f"self.{member}" in source, member
    assert RTCSctpTransport.State.ESTABLISHED
    # Bundling a SACK with DATA frames the packet as aiortc's _send_chunk does.
    send_chunk = inspect.getsource(RTCSctpTransport._send_chunk)
    for member in ("_local_port", "_remote_port", "_remote_verification_tag", "serialize_packet"):
        assert member in send_chunk, member
    build_sack = inspect.getsource(RTCSctpTransport._send_sack)
    assert "await self._send_chunk(sack)" in build_sack  # the SACK goes through _send_chunk


def test_the_peer_identity_check_we_override_is_still_called_the_same_way() -> None:
    """ObservedDtlsTransport._validate_peer_identity accepts any matching
    a=fingerprint (one per certificate, RFC 9429 §5.2.1); aiortc must still
    call it after the handshake and read the FAILED state it sets."""
    from aiortc.rtcdtlstransport import RTCDtlsTransport

    start = inspect.getsource(RTCDtlsTransport.start)
    assert "self._validate_peer_identity(remoteParameters)" in start
    assert "if self._state == State.FAILED:" in start.split("_validate_peer_identity")[1]
    own = inspect.signature(RTCDtlsTransport._validate_peer_identity)
    assert list(own.parameters) == ["self", "remoteParameters"]
