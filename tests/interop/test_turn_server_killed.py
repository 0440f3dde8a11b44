"""rtcpeer <-> rtcpeer relay-only through coturn region A, whose TURN server is
then killed (issue 15, outcome 7): the application recovers by
``setConfiguration()`` with region B's TURN server and ``restartIce()``.

Proven on real sockets in a private network namespace:

- both peers report ``disconnected`` (ICE and connection state) within ~3 s of
  the kill, before anything is restarted;
- after the move both selected pairs are region B relay candidates on both
  ends, with the same DTLS session (the data channel is never re-opened);
- every reliable message sent each way, during the outage and after the
  move, arrives exactly once and in order.

Region A is started by the test itself (the module-scoped ``regions`` are
shared and must not be killed); it is stopped by its PID.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from tests.support.coturn import Coturn, start_coturn
from tests.support.interop import (
    REGION_A,
    REGION_B,
    TIMEOUT,
    Stream,
    in_range,
    on_region,
    opened,
    poll,
    relay_config,
    rtcpeer,
    until,
)
from tests.support.signalling import Bridge, RtcpeerSide

from rtcpeer import RTCPeerConnection
from rtcpeer.testing.pki import CertificateFiles

pytestmark = pytest.mark.interop

#: A browser reports ``disconnected`` ~2.5 s after packets stop arriving.
DISCONNECTED_WITHIN = 3.0
#: How long the outage lasts before the application moves to region B.
OUTAGE_STREAMING = 0.5


def _remote_on_region(pc: RTCPeerConnection, region: tuple[int, int]) -> bool:
    stack = pc._transports
    pair = None if stack is None else stack.ice.selected_pair
    return pair is not None and pair[1].type == "relay" and in_range(pair[1].port, region)


def _on_b(pc: RTCPeerConnection) -> bool:
    return on_region(pc, REGION_B) and _remote_on_region(pc, REGION_B)


async def _disconnected(pc: RTCPeerConnection) -> None:
    await until(
        pc, "iceconnectionstatechange", lambda: pc.iceConnectionState == "disconnected", TIMEOUT
    )
    await until(pc, "connectionstatechange", lambda: pc.connectionState == "disconnected", TIMEOUT)


async def _connected(pc: RTCPeerConnection) -> None:
    await until(pc, "connectionstatechange", lambda: pc.connectionState == "connected")


async def _moved_to_b(pc: RTCPeerConnection) -> None:
    """Both ends of ``pc``'s selected pair are region B relay candidates."""
    stack = pc._transports
    assert stack is not None
    await until(stack.ice, "selectedcandidatepairchange", lambda: _on_b(pc))
    await _connected(pc)


async def test_killed_turn_server_recovered_on_second_region(
    network: None, tmp_path: Path, interop_certificates: CertificateFiles
) -> None:
    region_a: Coturn = start_coturn(
        tmp_path / "a", relay_ports=REGION_A, certs=interop_certificates
    )
    region_b: Coturn | None = None
    a: RTCPeerConnection | None = None
    b: RTCPeerConnection | None = None
    try:
        region_b = start_coturn(tmp_path / "b", relay_ports=REGION_B, certs=interop_certificates)
        cafile = str(interop_certificates.ca)
        a, b = rtcpeer(relay_config(region_a), cafile), rtcpeer(relay_config(region_a), cafile)
        side_a, side_b = RtcpeerSide(a), RtcpeerSide(b)
        bridge = Bridge(side_a, side_b)
        channels: asyncio.Queue[Any] = asyncio.Queue()
        b.on("datachannel", lambda event: channels.put_nowait(event.channel))
        near = a.createDataChannel("chat")
        await bridge.negotiate(side_a, side_b)
        far = await asyncio.wait_for(channels.get(), TIMEOUT)
        await opened(near)
        await opened(far)
        for pc in (a, b):
            await _connected(pc)
            assert on_region(pc, REGION_A) and _remote_on_region(pc, REGION_A)
        await bridge.settle()
        stacks = [pc._transports for pc in (a, b)]
        assert stacks[0] is not None and stacks[1] is not None
        ssl_sessions = [stack.dtls._ssl for stack in stacks if stack is not None]
        states: dict[str, list[str]] = {"a": [], "b": []}
        for key, pc in (("a", a), ("b", b)):
            pc.on(
                "connectionstatechange",
                lambda key=key, pc=pc: states[key].append(pc.connectionState),
            )
        closed: list[str] = []
        near.on("close", lambda: closed.append("near"))
        far.on("close", lambda: closed.append("far"))

        forward, backward = Stream(near), Stream(far)
        await poll(lambda: len(forward.received) >= 10 and len(backward.received) >= 10)

        # Region A's TURN server dies under the live session.
        loop = asyncio.get_running_loop()
        killed_at, sent_at_kill = loop.time(), (forward.sent, backward.sent)
        region_a.stop()
        await asyncio.wait_for(asyncio.gather(_disconnected(a), _disconnected(b)), TIMEOUT)
        took = loop.time() - killed_at
        assert took <= DISCONNECTED_WITHIN, f"disconnected {took:.2f} s after the kill"
        # Messages keep being queued during the outage; none go through.
        sent_at_outage = (forward.sent, backward.sent)
        received_at_outage = (len(forward.received), len(backward.received))
        await poll(lambda: forward.sent >= sent_at_outage[0] + OUTAGE_STREAMING / 0.005 * 0.8)
        assert (len(forward.received), len(backward.received)) == received_at_outage

        # The application moves both peers to region B and restarts ICE.
        for side in (side_a, side_b):
            await side.set_configuration(relay_config(region_b))
        needed = loop.create_future()
        a.once("negotiationneeded", lambda: needed.set_result(None))
        await side_a.restart_ice()
        await asyncio.wait_for(needed, TIMEOUT)
        restarted_at = loop.time()
        await bridge.negotiate(side_a, side_b)
        await asyncio.wait_for(asyncio.gather(_moved_to_b(a), _moved_to_b(b)), TIMEOUT)
        moved_in = loop.time() - restarted_at

        # After the move: more messages each way, then everything is checked.
        after = (forward.sent, backward.sent)
        await poll(lambda: forward.sent >= after[0] + 50 and backward.sent >= after[1] + 50)
        sent_forward, sent_backward = await forward.stop(), await backward.stop()
        await poll(
            lambda: (
                len(backward.received) >= sent_forward and len(forward.received) >= sent_backward
            )
        )
        # far's stream collects what far receives: near's messages, and vice versa.
        assert backward.received == [str(i) for i in range(sent_forward)]
        assert forward.received == [str(i) for i in range(sent_backward)]
        assert sent_forward > sent_at_kill[0] + 500 and sent_backward > sent_at_kill[1] + 500

        await bridge.settle()
        for pc, stack, ssl in zip((a, b), stacks, ssl_sessions, strict=True):
            assert stack is not None
            assert pc._transports is stack and stack.dtls._ssl is ssl, "a new DTLS session"
            assert _on_b(pc)
        assert near.readyState == "open" and far.readyState == "open" and not closed
        for key in ("a", "b"):
            assert "failed" not in states[key] and "closed" not in states[key], states
            assert states[key][0] == "disconnected" and states[key][-1] == "connected", states
        assert moved_in < 5.0, f"moved to region B in {moved_in:.2f} s"
        print(
            f"disconnected {took:.2f} s after the kill; on region B {moved_in:.2f} s after"
            f" the restart; {sent_forward} + {sent_backward} messages, "
            f"{sent_forward - sent_at_kill[0]} + {sent_backward - sent_at_kill[1]} after the kill"
        )
    except BaseException:
        print("region A coturn log:\n" + region_a.log(30))
        if region_b is not None:
            print("region B coturn log:\n" + region_b.log(30))
        raise
    finally:
        for peer in (a, b):
            if peer is not None:
                await peer.close()
        region_a.stop()
        if region_b is not None:
            region_b.stop()
