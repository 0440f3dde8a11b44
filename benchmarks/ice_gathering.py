"""Time to gather (to gathering "complete") from 1, 2, 4 and 8 TURN servers.

The servers are instances of rtcpeer's embedded TURN server on loopback
(UDP, in this process). Two cases per server count: every server answers,
and one of them never answers (it is a UDP socket that reads and ignores
everything) — then gathering can only complete when that server's budget
runs out. aioice 0.13 takes one STUN and one TURN server at most, so for
N > 1 its column is its best possible configuration, one server, and the
table says so. Timing starts at ``gather()`` / ``gather_candidates()`` and
stops at end-of-candidates; host candidates are included for both stacks
(127.0.0.1 only; aioice patched to offer it).

Run: ``.venv/bin/python benchmarks/ice_gathering.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from ice_common import HOST, aioice_on_loopback, ratio

from rtcpeer.configuration.urls import IceServerUrl
from rtcpeer.ice.runtime import IceTransport
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer

COUNTS = (1, 2, 4, 8)


def _url(port: int) -> IceServerUrl:
    text = f"turn:{HOST}:{port}?transport=udp"
    return IceServerUrl(text, "turn", HOST, port, "udp", False, "user", "pass")


async def _servers(count: int) -> list[TurnServer]:
    servers = []
    for _ in range(count):
        server = TurnServer(
            TurnServerConfig(realm="bench", users={"user": "pass"}),
            ListenSettings(host=HOST, port=0, tcp=False),
        )
        await server.start()
        servers.append(server)
    return servers


async def rtcpeer_gather(ports: list[int]) -> tuple[float, int]:
    t = IceTransport(
        controlling=True, servers=[_url(p) for p in ports], addresses=[HOST], include_loopback=True
    )
    relays = 0
    done = asyncio.get_running_loop().create_future()

    def on_candidate(candidate: object) -> None:
        nonlocal relays
        if candidate is None:
            if not done.done():
                done.set_result(None)
        elif getattr(candidate, "type", "") == "relay":
            relays += 1

    t.on("icecandidate", on_candidate)
    start = time.perf_counter()
    await t.gather()
    await asyncio.wait_for(done, 30)
    elapsed = time.perf_counter() - start
    await t.close()
    return elapsed, relays


async def aioice_gather(port: int) -> tuple[float, int]:
    import aioice

    with aioice_on_loopback():
        connection = aioice.Connection(
            ice_controlling=True,
            turn_server=(HOST, port),
            turn_username="user",
            turn_password="pass",
            use_ipv6=False,
        )
        start = time.perf_counter()
        await connection.gather_candidates()
        elapsed = time.perf_counter() - start
        relays = sum(c.type == "relay" for c in connection.local_candidates)
        await connection.close()
    return elapsed, relays


async def run(rounds_live: int, rounds_dead: int) -> list[tuple[str, float, float, str]]:
    loop = asyncio.get_running_loop()
    servers = await _servers(max(COUNTS))
    silent, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=(HOST, 0))
    dead = int(silent.get_extra_info("sockname")[1])
    live = [s.addresses["udp"][1] for s in servers]
    rows = []
    try:
        await rtcpeer_gather(live[:1])  # warm-up
        await aioice_gather(live[0])
        theirs_live, theirs_dead = [], []
        for _ in range(rounds_live):
            elapsed, relays = await aioice_gather(live[0])
            assert relays == 1, f"aioice gathered {relays} relay candidates, not 1"
            theirs_live.append(elapsed)
        for _ in range(rounds_dead):
            elapsed, relays = await aioice_gather(dead)
            assert relays == 0
            theirs_dead.append(elapsed)
        for count in COUNTS:
            ours = []
            for _ in range(rounds_live):
                elapsed, relays = await rtcpeer_gather(live[:count])
                assert relays == count, f"expected {count} relay candidates, got {relays}"
                ours.append(elapsed)
            rows.append(
                (
                    f"{count} server(s), all answer",
                    statistics.median(ours),
                    statistics.median(theirs_live),
                    "" if count == 1 else "aioice: 1 server",
                )
            )
            ours = []
            for _ in range(rounds_dead):
                elapsed, relays = await rtcpeer_gather([*live[: count - 1], dead])
                assert relays == count - 1, f"expected {count - 1} relays, got {relays}"
                ours.append(elapsed)
            rows.append(
                (
                    f"{count} server(s), one never answers",
                    statistics.median(ours),
                    statistics.median(theirs_dead),
                    "aioice: its 1 server silent" if count > 1 else "",
                )
            )
    finally:
        silent.close()
        for server in servers:
            await server.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    args = parser.parse_args()
    rounds_live, rounds_dead = (2, 1) if args.quick else (7, 2)
    rows = asyncio.run(run(rounds_live, rounds_dead))
    command = ".venv/bin/python benchmarks/ice_gathering.py" + (" --quick" if args.quick else "")
    lines = [
        "### ICE gathering from N TURN servers: rtcpeer IceTransport vs aioice",
        "",
        f"Command: `{command}`. Medians of {rounds_live} rounds (all answer) and "
        f"{rounds_dead} (one silent). aioice 0.13 supports one TURN server only: for N > 1 "
        "its column repeats its 1-server time, which is not the same work.",
        "",
        "| servers | rtcpeer, ms | aioice 0.13, ms | rtcpeer / aioice | note |",
        "|---|---|---|---|---|",
    ]
    for label, ours, theirs, note in rows:
        ms = f"{ours * 1000:.1f} | {theirs * 1000:.1f}"
        lines.append(f"| {label} | {ms} | {ratio(ours, theirs)} | {note} |")
    print("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
