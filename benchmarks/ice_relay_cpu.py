"""CPU time per 10,000 datagrams relayed through a TURN server.

Two relay-only endpoints in this process talk through one TURN server that
runs as its own process (rtcpeer's embedded server, ``python -m
rtcpeer.turn.server``), so its CPU is not counted. The same server serves
both stacks. Measured: ``time.process_time()`` of this process while
endpoint A sends 10,000 datagrams of 100 bytes and endpoint B receives
them (windows of 50 in flight), for rtcpeer's IceTransport and for aioice's
Connection (``transport_policy=RELAY``). Both sides' work is counted:
sending, TURN framing (ChannelData / Send indications), receiving.

Run: ``.venv/bin/python benchmarks/ice_relay_cpu.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from ice_common import HOST, aioice_on_loopback, ratio, table
from turn_process_common import start_turn_server_process

from rtcpeer.configuration.urls import IceServerUrl
from rtcpeer.ice.runtime import IceTransport

#: Looks like what WebRTC relays: a DTLS application-data record (first byte 23).
PAYLOAD = bytes(95)
WINDOW = 50


async def _pump(
    count: int, send: Callable[[bytes], Awaitable[None]], recv: Callable[[], Awaitable[bytes]]
) -> tuple[float, int]:
    """Send ``count`` datagrams in windows; CPU seconds and how many were lost."""
    lost = 0
    start = time.process_time()
    sent = 0
    while sent < count:
        batch = min(WINDOW, count - sent)
        for index in range(batch):
            await send(b"\x17" + (sent + index).to_bytes(4, "big") + PAYLOAD)
        sent += batch
        for _ in range(batch):
            try:
                await asyncio.wait_for(recv(), 1.0)
            except TimeoutError:
                lost += 1
                break
    return time.process_time() - start, lost


async def rtcpeer_round(port: int, count: int) -> tuple[float, int]:
    text = f"turn:{HOST}:{port}?transport=udp"
    url = IceServerUrl(text, "turn", HOST, port, "udp", False, "user", "pass")
    a = IceTransport(controlling=True, servers=[url], policy="relay", addresses=[HOST])
    b = IceTransport(controlling=False, servers=[url], policy="relay", addresses=[HOST])
    try:
        loop = asyncio.get_running_loop()
        selected = [loop.create_future(), loop.create_future()]
        for t, other, future in ((a, b, selected[0]), (b, a, selected[1])):
            t.on("icecandidate", other.add_remote_candidate)
            t.once("selectedcandidatepairchange", lambda p, f=future: f.set_result(None))
        a.set_remote_parameters(b.local_ufrag, b.local_pwd)
        b.set_remote_parameters(a.local_ufrag, a.local_pwd)
        await asyncio.gather(a.gather(), b.gather())
        await asyncio.wait_for(asyncio.gather(*selected), 10)
        await asyncio.sleep(0.2)  # let the channel binding settle, as a steady state

        async def send(data: bytes) -> None:
            a.send(data)

        return await _pump(count, send, b.receive)
    finally:
        await a.close()
        await b.close()


async def aioice_round(port: int, count: int) -> tuple[float, int]:
    import aioice

    with aioice_on_loopback():

        def connection(controlling: bool) -> aioice.Connection:
            return aioice.Connection(
                ice_controlling=controlling,
                turn_server=(HOST, port),
                turn_username="user",
                turn_password="pass",
                transport_policy=aioice.TransportPolicy.RELAY,
                use_ipv6=False,
            )

        a, b = connection(True), connection(False)
        try:
            await asyncio.gather(a.gather_candidates(), b.gather_candidates())
            a.remote_username, a.remote_password = b.local_username, b.local_password
            b.remote_username, b.remote_password = a.local_username, a.local_password
            for src, dst in ((a, b), (b, a)):
                for candidate in src.local_candidates:
                    await dst.add_remote_candidate(candidate)
                await dst.add_remote_candidate(None)
            await asyncio.wait_for(asyncio.gather(a.connect(), b.connect()), 15)
            await asyncio.sleep(0.2)
            return await _pump(count, a.send, b.recv)
        finally:
            await a.close()
            await b.close()


async def run(count: int, rounds: int) -> tuple[list[tuple[float, int]], list[tuple[float, int]]]:
    with tempfile.TemporaryDirectory() as tmp:
        process, port = start_turn_server_process(Path(tmp))
        try:
            ours, theirs = [], []
            for _ in range(rounds):
                ours.append(await rtcpeer_round(port, count))
                theirs.append(await aioice_round(port, count))
            return ours, theirs
        finally:
            process.terminate()
            process.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    args = parser.parse_args()
    count, rounds = (10_000, 1) if args.quick else (10_000, 3)
    ours, theirs = asyncio.run(run(count, rounds))
    per = 10_000 / count
    mine = statistics.median(c for c, _ in ours) * per
    other = statistics.median(c for c, _ in theirs) * per
    command = ".venv/bin/python benchmarks/ice_relay_cpu.py" + (" --quick" if args.quick else "")
    rows = [
        (
            "CPU seconds per 10,000 relayed datagrams (both ends)",
            f"{mine:.3f}",
            f"{other:.3f}",
            ratio(mine, other),
        ),
        (
            "datagrams lost (all rounds)",
            str(sum(lost for _, lost in ours)),
            str(sum(lost for _, lost in theirs)),
            "",
        ),
    ]
    note = (
        f"{rounds} interleaved round(s) of {count} datagrams of 100 bytes, UDP to "
        "rtcpeer's TURN server in its own process; medians."
    )
    print(table("Relayed data CPU cost: rtcpeer IceTransport vs aioice", command, note, rows))


if __name__ == "__main__":
    main()
