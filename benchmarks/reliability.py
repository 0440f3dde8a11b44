"""Reliability runner (issue 16, outcome 6): bounded load and abuse scenarios.

Every scenario is bounded in count and in time and talks only to loopback
(127.0.0.1): an embedded TURN server on free ports and rtcpeer peers limited
to the 127.0.0.1 host address. Scenarios:

- ``amplification``: response bytes / request bytes for every
  unauthenticated request type, on the sans-IO core;
- ``candidates``: 20,000 remote candidates in one offer through
  ``setRemoteDescription``, and 200,000 into one ICE agent;
- ``load``: 200 connection pairs opened at once, 100 messages each way,
  closed; file descriptors and asyncio tasks before and after;
- ``storm``: 20 relay-only pairs through one TURN server, all restarting ICE
  at once while messages flow; messages lost;
- ``soak``: relay-only pairs over TURN with shortened allocation and nonce
  lifetimes for ``--soak-seconds`` (180 by default), messages lost, and the
  server's count of Refresh requests and 438 (stale nonce) answers.

Run: ``.venv/bin/python benchmarks/reliability.py`` (all), or name
scenarios: ``... reliability.py storm soak --soak-seconds 60``. Prints one
JSON object per scenario and a summary; results go to ``RESULTS.md`` by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rtcpeer import RTCPeerConnection, RTCSessionDescription
from rtcpeer.ice import Candidate, IceAgent
from rtcpeer.stun import (
    TRANSPORT_UDP,
    Attr,
    ErrorCode,
    MessageClass,
    Method,
    StunMessage,
    decode_message,
)
from rtcpeer.turn.server import SendToClient, TurnServerConfig, TurnServerCore
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer

USER, PASSWORD, REALM = "user", "pass", "bench.invalid"
SCENARIO_TIMEOUT = 600.0  # no scenario may run longer than this


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _pc(config: dict[str, Any] | None = None) -> RTCPeerConnection:
    return RTCPeerConnection(config or {}, _include_loopback=True, _host_addresses=("127.0.0.1",))


async def _gathered(pc: RTCPeerConnection, timeout: float = 20.0) -> None:
    done = asyncio.Event()

    def changed() -> None:
        if pc.iceGatheringState == "complete":
            done.set()

    pc.on("icegatheringstatechange", changed)
    changed()
    await asyncio.wait_for(done.wait(), timeout)


async def _negotiate(offerer: RTCPeerConnection, answerer: RTCPeerConnection) -> None:
    """One offer/answer, each description sent once gathering completed."""
    await offerer.setLocalDescription(await offerer.createOffer())
    await _gathered(offerer)
    local = offerer.localDescription
    assert local is not None
    await answerer.setRemoteDescription(RTCSessionDescription(sdp=local.sdp, type=local.type))
    await answerer.setLocalDescription(await answerer.createAnswer())
    await _gathered(answerer)
    answer = answerer.localDescription
    assert answer is not None
    await offerer.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type=answer.type))


class Pair:
    """Two connections with one data channel, counting what arrives."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.a, self.b = _pc(config), _pc(config)
        self.received: list[str] = []
        self.far: Any = None
        self._far_open = asyncio.Event()
        self.channel = self.a.createDataChannel("bench")

        @self.b.on("datachannel")
        def on_channel(event: Any) -> None:
            channel = self.far = getattr(event, "channel", event)

            channel.on("message", self.received.append)

            self._far_open.set()

    async def open(self, timeout: float = 30.0) -> None:
        await _negotiate(self.a, self.b)
        opened = asyncio.Event()
        if self.channel.readyState == "open":
            opened.set()
        self.channel.on("open", opened.set)
        await asyncio.wait_for(asyncio.gather(opened.wait(), self._far_open.wait()), timeout)

    async def restart(self) -> None:
        self.a.restartIce()
        await _negotiate(self.a, self.b)

    async def until_received(self, count: int, timeout: float) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.received) < count and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        await self.a.close()
        await self.b.close()


async def _turn_server(**config: Any) -> TurnServer:
    server = TurnServer(
        TurnServerConfig(realm=REALM, users={USER: PASSWORD}, allow_loopback_peers=True, **config),
        ListenSettings(host="127.0.0.1", port=0, tls_port=None),
    )
    await server.start()
    return server


def _relay_config(server: TurnServer) -> dict[str, Any]:
    host, port = server.addresses["udp"]
    return {
        "iceServers": [
            {"urls": f"turn:{host}:{port}?transport=udp", "username": USER, "credential": PASSWORD}
        ],
        "iceTransportPolicy": "relay",
    }


# -- scenarios ---------------------------------------------------------------------


async def amplification() -> dict[str, Any]:
    core = TurnServerCore(TurnServerConfig(realm="rtcpeer", users={USER: PASSWORD}), _NoRelays())
    peer = ("198.51.100.7", 40000)
    cases: dict[str, StunMessage] = {
        "binding": StunMessage(Method.BINDING, MessageClass.REQUEST),
        "allocate (no REQUESTED-TRANSPORT)": StunMessage(Method.ALLOCATE, MessageClass.REQUEST),
        "allocate": StunMessage(Method.ALLOCATE, MessageClass.REQUEST).add(
            Attr.REQUESTED_TRANSPORT, TRANSPORT_UDP
        ),
        "refresh": StunMessage(Method.REFRESH, MessageClass.REQUEST),
        "create-permission": StunMessage(Method.CREATE_PERMISSION, MessageClass.REQUEST).add(
            Attr.XOR_PEER_ADDRESS, peer
        ),
        "channel-bind": StunMessage(Method.CHANNEL_BIND, MessageClass.REQUEST)
        .add(Attr.CHANNEL_NUMBER, 0x4000)
        .add(Attr.XOR_PEER_ADDRESS, peer),
        "unknown method": StunMessage(0x00F, MessageClass.REQUEST),
        "send indication": StunMessage(Method.SEND, MessageClass.INDICATION)
        .add(Attr.XOR_PEER_ADDRESS, peer)
        .add(Attr.DATA, b"x"),
    }
    results: dict[str, Any] = {}
    from rtcpeer.turn.server import ClientKey

    client = ClientKey("udp", ("203.0.113.5", 5000), ("192.0.2.10", 3478))
    for name, message in cases.items():
        request = message.encode(fingerprint=False)
        outputs = core.receive_from_client(client, request, 0.0)
        sent = [o.data for o in outputs if isinstance(o, SendToClient)]
        code = decode_message(sent[0]).error_code if sent else None
        size = sum(map(len, sent))
        results[name] = {
            "request": len(request),
            "response": size,
            "ratio": round(size / len(request), 2),
            "code": code,
        }
    return results


class _NoRelays:
    def supports_family(self, family: int) -> bool:
        return family == 4

    def open_relay(self, family: int, *, even_port: bool = False) -> tuple[str, int] | None:
        return None

    def close_relay(self, address: tuple[str, int]) -> None:
        pass


async def candidates() -> dict[str, Any]:
    source = _pc()
    source.createDataChannel("x")
    offer = await source.createOffer()
    await source.close()
    lines = offer.sdp.split("\r\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("a=ice-ufrag"))
    count = 20_000
    extra = [
        f"a=candidate:{i} 1 udp {2_000_000_000 - i} 198.51.{(i >> 8) & 255}.{i & 255} "
        f"{1024 + i % 60000} typ host"
        for i in range(count)
    ]
    sdp = "\r\n".join(lines[:at] + extra + lines[at:])
    pc = _pc()
    began = time.perf_counter()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
    applied = time.perf_counter() - began
    await pc.close()
    agent = IceAgent(True, rng=random.Random(1))
    agent.add_socket(1, ("192.0.2.1", 5000), "udp", 0.0)
    agent.set_remote_credentials("peer", "peer-password-0123456789", 0.0)
    big = [
        Candidate(
            f"f{i}",
            1,
            "udp",
            1000,
            f"198.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
            1024 + i % 60000,
            "host",
        )
        for i in range(200_000)
    ]
    began = time.perf_counter()
    kept = sum(agent.add_remote_candidate(c, 0.0) for c in big)
    agent_time = time.perf_counter() - began
    return {
        "offer_candidates": count,
        "offer_sdp_bytes": len(sdp),
        "setRemoteDescription_s": round(applied, 3),
        "agent_candidates_offered": len(big),
        "agent_kept": kept,
        "agent_dropped": agent.remote_candidates_dropped,
        "agent_s": round(agent_time, 3),
    }


async def load(pairs: int = 200, messages: int = 100) -> dict[str, Any]:
    gc.collect()
    fds_before, tasks_before = _fds(), len(asyncio.all_tasks())
    began = time.perf_counter()
    group = [Pair() for _ in range(pairs)]
    await asyncio.gather(*(p.open() for p in group))
    opened = time.perf_counter() - began
    for p in group:
        for n in range(messages):
            p.channel.send(f"m{n}")
    await asyncio.gather(*(p.until_received(messages, 60.0) for p in group))
    received = sum(len(p.received) for p in group)
    await asyncio.gather(*(p.close() for p in group))
    del group
    for _ in range(50):  # let closing transports and tasks finish (bounded)
        await asyncio.sleep(0.02)
        gc.collect()
        if _fds() <= fds_before and len(asyncio.all_tasks()) <= tasks_before:
            break
    return {
        "pairs": pairs,
        "open_all_s": round(opened, 2),
        "sent": pairs * messages,
        "received": received,
        "lost": pairs * messages - received,
        "fds_left": _fds() - fds_before,
        "tasks_left": len(asyncio.all_tasks()) - tasks_before,
    }


async def storm(pairs: int = 20, messages: int = 200) -> dict[str, Any]:
    server = await _turn_server()
    try:
        group = [Pair(_relay_config(server)) for _ in range(pairs)]
        await asyncio.gather(*(p.open() for p in group))

        async def traffic(p: Pair) -> None:
            for n in range(messages):
                p.channel.send(f"m{n}")
                await asyncio.sleep(0.005)

        began = time.perf_counter()
        flowing = [asyncio.ensure_future(traffic(p)) for p in group]
        await asyncio.sleep(0.2)
        await asyncio.gather(*(p.restart() for p in group))
        restarted = time.perf_counter() - began
        await asyncio.gather(*flowing)
        await asyncio.gather(*(p.until_received(messages, 30.0) for p in group))
        received = sum(len(p.received) for p in group)
        in_order = all(p.received == [f"m{n}" for n in range(messages)] for p in group)
        allocations = len(server.core.allocations) if server.core else 0
        await asyncio.gather(*(p.close() for p in group))
        return {
            "pairs": pairs,
            "sent": pairs * messages,
            "received": received,
            "lost": pairs * messages - received,
            "in_order": in_order,
            "restart_all_s": round(restarted, 2),
            "allocations_after": allocations,
        }
    finally:
        await server.close()


async def soak(seconds: float, pairs: int = 4) -> dict[str, Any]:
    # RFC 8656 clients refresh a minute before expiry at most: a 90 s lifetime
    # means a Refresh about every 30-60 s; the nonce goes stale every 45 s.
    server = await _turn_server(default_lifetime=90, max_lifetime=90, nonce_lifetime=45)
    counts = {"refresh": 0, "stale_nonce": 0, "create_permission": 0, "channel_bind": 0}
    assert server.core is not None
    core = server.core
    receive, reply = core.receive_from_client, core._reply

    def counting_receive(client: Any, data: bytes, now: float, **kw: Any) -> Any:
        if data[:1] in (b"\x00",) and len(data) >= 20:
            method = ((data[0] & 0x3E) << 6) | ((data[1] & 0xE0) << 2) | (data[1] & 0x0F)
            names: dict[int, str] = {
                Method.REFRESH: "refresh",
                Method.CREATE_PERMISSION: "create_permission",
                Method.CHANNEL_BIND: "channel_bind",
            }
            name = names.get(method)
            if name is not None and data[1] & 0x10 == 0 and data[0] & 0x01 == 0:
                counts[name] += 1
        return receive(client, data, now, **kw)

    def counting_reply(client: Any, message: StunMessage, key: bytes | None) -> Any:
        if message.error_code == ErrorCode.STALE_NONCE:
            counts["stale_nonce"] += 1
        return reply(client, message, key)

    core.receive_from_client = counting_receive  # type: ignore[method-assign]
    core._reply = counting_reply  # type: ignore[method-assign,assignment]
    try:
        group = [Pair(_relay_config(server)) for _ in range(pairs)]
        await asyncio.gather(*(p.open() for p in group))
        sent = 0
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            for p in group:
                p.channel.send(f"m{sent}")
            sent += 1
            await asyncio.sleep(0.05)
        await asyncio.gather(*(p.until_received(sent, 30.0) for p in group))
        received = sum(len(p.received) for p in group)
        states = sorted({p.a.connectionState for p in group} | {p.b.connectionState for p in group})
        await asyncio.gather(*(p.close() for p in group))
        return {
            "seconds": seconds,
            "pairs": pairs,
            "sent": sent * pairs,
            "received": received,
            "lost": sent * pairs - received,
            "states": states,
            **counts,
        }
    finally:
        await server.close()


SCENARIOS: dict[str, Callable[[argparse.Namespace], Awaitable[dict[str, Any]]]] = {
    "amplification": lambda args: amplification(),
    "candidates": lambda args: candidates(),
    "load": lambda args: load(args.pairs),
    "storm": lambda args: storm(),
    "soak": lambda args: soak(args.soak_seconds),
}


async def main(args: argparse.Namespace) -> int:
    failed = 0
    for name in args.scenarios or list(SCENARIOS):
        began = time.perf_counter()
        try:
            result = await asyncio.wait_for(SCENARIOS[name](args), SCENARIO_TIMEOUT)
        except Exception as error:  # report and go on: a runner, not a test
            result = {"error": f"{type(error).__name__}: {error}"}
            failed += 1
        result["elapsed_s"] = round(time.perf_counter() - began, 1)
        print(json.dumps({name: result}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", choices=[*SCENARIOS, []], metavar="SCENARIO")
    parser.add_argument("--pairs", type=int, default=200, help="pairs for 'load' (200)")
    parser.add_argument("--soak-seconds", type=float, default=180.0, help="soak length (180)")
    raise SystemExit(asyncio.run(main(parser.parse_args())))
