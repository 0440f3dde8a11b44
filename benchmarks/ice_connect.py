"""Time from the start of connectivity checks to a selected pair, on loopback.

Both sides gather host candidates (127.0.0.1) first; the clock starts when
each side is given the other's credentials and every candidate plus
end-of-candidates at once, and stops when both sides have a selected
(nominated) pair: ``selectedcandidatepairchange`` on both rtcpeer
IceTransports, ``Connection.connect()`` returning on both aioice
Connections (aioice's host addresses are patched to 127.0.0.1). Rounds
alternate between the stacks so drift hits both alike.

Run: ``.venv/bin/python benchmarks/ice_connect.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import asyncio
import time

from ice_common import aioice_on_loopback, median_ms, ratio, table

from rtcpeer.ice.runtime import IceTransport


async def rtcpeer_round() -> float:
    a = IceTransport(controlling=True, include_loopback=True, addresses=["127.0.0.1"])
    b = IceTransport(controlling=False, include_loopback=True, addresses=["127.0.0.1"])
    try:
        await asyncio.gather(a.gather(), b.gather())
        loop = asyncio.get_running_loop()
        selected = [loop.create_future(), loop.create_future()]
        for transport, future in zip((a, b), selected, strict=True):
            transport.once("selectedcandidatepairchange", lambda pair, f=future: f.set_result(None))
        start = time.perf_counter()
        a.set_remote_parameters(b.local_ufrag, b.local_pwd)
        b.set_remote_parameters(a.local_ufrag, a.local_pwd)
        for src, dst in ((a, b), (b, a)):
            for candidate in src.local_candidates:
                dst.add_remote_candidate(candidate)
            dst.add_remote_candidate(None)
        await asyncio.wait_for(asyncio.gather(*selected), 10)
        return time.perf_counter() - start
    finally:
        await a.close()
        await b.close()


async def aioice_round() -> float:
    import aioice

    with aioice_on_loopback():
        a, b = aioice.Connection(ice_controlling=True), aioice.Connection(ice_controlling=False)
        try:
            await asyncio.gather(a.gather_candidates(), b.gather_candidates())
            start = time.perf_counter()
            a.remote_username, a.remote_password = b.local_username, b.local_password
            b.remote_username, b.remote_password = a.local_username, a.local_password
            for src, dst in ((a, b), (b, a)):
                for candidate in src.local_candidates:
                    await dst.add_remote_candidate(candidate)
                await dst.add_remote_candidate(None)
            await asyncio.wait_for(asyncio.gather(a.connect(), b.connect()), 10)
            return time.perf_counter() - start
        finally:
            await a.close()
            await b.close()


async def run(rounds: int) -> tuple[list[float], list[float]]:
    ours: list[float] = []
    theirs: list[float] = []
    await rtcpeer_round()  # warm-up: imports, first sockets
    await aioice_round()
    for _ in range(rounds):
        ours.append(await rtcpeer_round())
        theirs.append(await aioice_round())
    return ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    args = parser.parse_args()
    rounds = 5 if args.quick else 30
    ours, theirs = asyncio.run(run(rounds))
    command = ".venv/bin/python benchmarks/ice_connect.py" + (" --quick" if args.quick else "")
    rows = [
        (
            "checks start → selected pair on both sides, median ms",
            f"{median_ms(ours):.1f}",
            f"{median_ms(theirs):.1f}",
            ratio(median_ms(ours), median_ms(theirs)),
        ),
        (
            "same, slowest round, ms",
            f"{max(ours) * 1000:.1f}",
            f"{max(theirs) * 1000:.1f}",
            ratio(max(ours), max(theirs)),
        ),
    ]
    note = (
        f"{rounds} interleaved rounds; host candidates on 127.0.0.1 only, "
        "default settings of each stack."
    )
    print(table("ICE connect on loopback: rtcpeer IceTransport vs aioice", command, note, rows))


if __name__ == "__main__":
    main()
