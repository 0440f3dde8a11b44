"""The network side of ``rtcpeer ice-check``: gather from each URL, optionally relay through it.

Each URL gets an :class:`~rtcpeer.ice.runtime.IceTransport` of its own, with
only that URL configured. That attributes every candidate and error to its
URL without relying on the candidate model (a ``Candidate`` does not say
which server produced it), and times each URL separately: all URLs gather
at once, so the slowest server sets the total time.

A ``stun:`` server on a path without NAT answers with the host's own
address; the agent rightly makes no srflx candidate of that (RFC 8445
§5.1.3), so a silent "no candidate" would look like a dead server. For a
``stun:`` URL that ended with neither candidate nor error the checker
therefore sends one Binding request itself and shows the answer.

``--connect`` builds two relay-only transports on that one TURN URL,
connects them to each other and sends a numbered datagram from A to B and
back, which proves the server relays; the round trip is measured on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rtcpeer.cli.ice_check_report import ConnectResult, FoundCandidate, UrlError, UrlResult
from rtcpeer.configuration import IceServerUrl
from rtcpeer.ice import Candidate, IceAgentConfig
from rtcpeer.ice.events import CandidateError
from rtcpeer.ice.runtime import IceTransport, resolve_server
from rtcpeer.ice.runtime.sockets import source_address_for
from rtcpeer.ice.servers import socket_transport
from rtcpeer.ice.srflx import BindingProbe, ProbeFailed, ProbeSucceeded
from rtcpeer.stun.attributes import StunDecodeError
from rtcpeer.stun.message import decode_message
from rtcpeer.turn.trust import TurnTls

#: Builds the transports (tests pass a fake); called with IceTransport's keywords.
TransportFactory = Callable[..., IceTransport]

#: Time allowed beyond the gathering budget for DNS and opening sockets.
_GRACE = 1.0
#: Interval between --connect pings while none has come back.
_PING_INTERVAL = 0.25
_PING = b"rtcpeer-ice-check ping "
_PONG = b"rtcpeer-ice-check pong "


@dataclass(frozen=True)
class CheckOptions:
    """How to check: the gathering budget, trust, loopback, --connect."""

    #: Seconds each server gets to give a candidate (the agent's gathering budget).
    timeout: float = 5.0
    #: PEM CA bundle that turns:/stuns: servers are verified against (else system CAs).
    cafile: str | None = None
    #: SPKI pins (base64 SHA-256): servers with these keys are accepted even
    #: when no CA trusts their certificate.
    spki_pins: tuple[str, ...] = ()
    #: Relay through each TURN URL between two local transports.
    connect: bool = False
    #: Gather host candidates on loopback too (servers on loopback always get them).
    loopback: bool = False


def _loopback_addresses(url: IceServerUrl) -> tuple[str, ...] | None:
    """Host addresses for a server on this machine's loopback, else None."""
    if url.host.lower() == "localhost":
        return ("127.0.0.1", "::1")
    try:
        ip = ipaddress.ip_address(url.host)
    except ValueError:
        return None
    if not ip.is_loopback:
        return None
    return ("::1",) if ip.version == 6 else ("127.0.0.1",)


def _transport_kwargs(url: IceServerUrl, options: CheckOptions, policy: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "servers": [url],
        "policy": policy,
        "turn_tls": (
            TurnTls(cafile=options.cafile, spki_pins=options.spki_pins)
            if options.cafile is not None or options.spki_pins
            else None
        ),
        "config": IceAgentConfig(gathering_budget=options.timeout),
        "dns_timeout": options.timeout,
    }
    loopback = _loopback_addresses(url)
    if loopback is not None:
        kwargs["include_loopback"] = True
        kwargs["addresses"] = loopback
    else:
        kwargs["include_loopback"] = options.loopback
    return kwargs


def _error(error: CandidateError) -> UrlError:
    return UrlError(error.error_code, error.error_text, error.address, error.port)


async def gather_url(
    url: IceServerUrl, options: CheckOptions, factory: TransportFactory = IceTransport
) -> UrlResult:
    """Gather from ``url`` alone (policy "all"); host candidates are not reported."""
    loop = asyncio.get_running_loop()
    result = UrlResult(url)
    transport = factory(controlling=True, **_transport_kwargs(url, options, "all"))
    complete: asyncio.Future[None] = loop.create_future()
    start = loop.time()

    def on_candidate(candidate: Candidate | None) -> None:
        now = loop.time() - start
        if candidate is None:
            if not complete.done():
                complete.set_result(None)
            return
        if candidate.type == "host":
            return
        if result.first_candidate is None:
            result.first_candidate = now
        key = (candidate.type, candidate.transport, candidate.address)
        relay_protocol = None
        if candidate.type == "relay":
            relay_protocol = transport.stats.relay_protocols.get(key, socket_transport(url))
        source = transport.stats.candidate_urls.get(key, url.url)
        if source != url.url:  # cannot happen with one URL per transport; say so if it does
            result.notes.append(f"{candidate.type} candidate attributed to {source}")
        result.candidates.append(
            FoundCandidate(
                candidate.type,
                candidate.transport,
                candidate.host,
                candidate.port,
                relay_protocol,
                now,
            )
        )

    transport.on("icecandidate", on_candidate)
    transport.on("icecandidateerror", lambda error: result.errors.append(_error(error)))
    try:
        await asyncio.wait_for(
            _gather_until_complete(transport, complete), options.timeout * 2 + _GRACE
        )
        result.gathering_time = loop.time() - start
    except TimeoutError:
        result.notes.append(f"gathering still running after {options.timeout * 2 + _GRACE:g} s")
    except (OSError, ConnectionError) as exc:
        result.errors.append(UrlError(None, f"gathering failed: {exc}"))
    finally:
        await transport.close()
    if (
        url.scheme == "stun"
        and not result.candidates
        and not result.errors
        and result.gathering_time is not None
    ):
        await _diagnose_stun(url, options, result)
    return result


async def _gather_until_complete(transport: IceTransport, complete: asyncio.Future[None]) -> None:
    await transport.gather()
    await complete


async def _diagnose_stun(url: IceServerUrl, options: CheckOptions, result: UrlResult) -> None:
    """Ask a stun: server directly what it sees, when gathering showed nothing."""
    try:
        outcome = await binding_request(url, options.timeout)
    except OSError as exc:
        result.errors.append(UrlError(None, f"Binding request could not be sent: {exc}"))
        return
    if isinstance(outcome, ProbeSucceeded):
        result.binding_answer = _address_text(outcome.mapped)
    else:
        result.errors.append(UrlError(outcome.code, outcome.text))


def _address_text(address: tuple[str, int]) -> str:
    host = f"[{address[0]}]" if ":" in address[0] else address[0]
    return f"{host}:{address[1]}"


class _BindingProtocol(asyncio.DatagramProtocol):
    """Feeds responses from ``server`` to a :class:`BindingProbe`."""

    def __init__(self, probe: BindingProbe, server: tuple[str, int], wake: asyncio.Event) -> None:
        self.probe = probe
        self.server = server
        self.wake = wake

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if (str(addr[0]), int(addr[1])) != self.server:
            return
        try:
            message = decode_message(data)
        except StunDecodeError:
            return
        if self.probe.receive(message):
            self.wake.set()


async def binding_request(url: IceServerUrl, budget: float) -> ProbeSucceeded | ProbeFailed:
    """One STUN Binding transaction over UDP to ``url``'s server, within ``budget`` seconds."""
    resolved = await resolve_server(url, timeout=budget)
    if resolved.address is None:
        return ProbeFailed(701, resolved.error or "could not resolve host")
    server = resolved.address
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    probe = BindingProbe(
        os.urandom(12),
        loop.time(),
        budget=budget,
        policy=IceAgentConfig().gathering_retransmission,
    )
    family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _BindingProtocol(probe, server, wake),
        local_addr=(source_address_for(server), 0),
        family=family,
    )
    try:
        while probe.result is None:
            for data in probe.datagrams_to_send():
                transport.sendto(data, server)
            timer = probe.get_timer()
            wait = 0.0 if timer is None else max(0.0, timer - loop.time())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wake.wait(), wait)
            wake.clear()
            if probe.result is None:
                probe.handle_timer(loop.time())
    finally:
        transport.close()
    return probe.result


async def connect_url(
    url: IceServerUrl, options: CheckOptions, factory: TransportFactory = IceTransport
) -> ConnectResult:
    """Connect two relay-only transports through ``url`` and bounce a datagram A->B->A."""
    loop = asyncio.get_running_loop()
    kwargs = _transport_kwargs(url, options, "relay")
    a = factory(controlling=True, **kwargs)
    b = factory(controlling=False, **kwargs)
    a.on("icecandidate", b.add_remote_candidate)
    b.on("icecandidate", a.add_remote_candidate)
    selected = [loop.create_future() for _ in (a, b)]
    for side, future in zip((a, b), selected, strict=True):
        side.on("selectedcandidatepairchange", _resolver(future))
    a.set_remote_parameters(b.local_ufrag, b.local_pwd)
    b.set_remote_parameters(a.local_ufrag, a.local_pwd)
    echo: asyncio.Task[None] | None = None
    start = loop.time()
    try:
        try:
            await asyncio.wait_for(
                asyncio.gather(a.gather(), b.gather(), *selected), options.timeout * 2 + _GRACE
            )
        except TimeoutError:
            return ConnectResult(
                False, error=f"no relayed pair selected within {options.timeout * 2 + _GRACE:g} s"
            )
        connect_time = loop.time() - start
        pair = a.selected_pair
        if pair is None or pair[0].type != "relay" or pair[1].type != "relay":
            return ConnectResult(False, connect_time, error=f"selected pair is not relayed: {pair}")
        local, remote = _address_text(pair[0].address), _address_text(pair[1].address)
        echo = asyncio.ensure_future(_echo(b))
        try:
            round_trip = await asyncio.wait_for(_ping(a, loop), options.timeout)
        except TimeoutError:
            return ConnectResult(
                False,
                connect_time,
                None,
                local,
                remote,
                error=f"no datagram came back through the relay within {options.timeout:g} s",
            )
        return ConnectResult(True, connect_time, round_trip, local, remote)
    except (OSError, ConnectionError) as exc:
        return ConnectResult(False, error=f"{type(exc).__name__}: {exc}")
    finally:
        if echo is not None:
            echo.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await echo
        await asyncio.gather(a.close(), b.close())


def _resolver(future: asyncio.Future[Any]) -> Callable[[Any], None]:
    def resolve(pair: Any) -> None:
        if not future.done():
            future.set_result(pair)

    return resolve


async def _echo(side: IceTransport) -> None:
    """B: answer every ping with a pong carrying the same number."""
    while True:
        data = await side.receive()
        if data.startswith(_PING):
            side.send(_PONG + data[len(_PING) :])


async def _ping(side: IceTransport, loop: asyncio.AbstractEventLoop) -> float:
    """A: send numbered pings until one's pong returns; its round trip in seconds."""
    sent: dict[bytes, float] = {}
    sequence = 0
    while True:
        number = str(sequence).encode()
        sent[number] = loop.time()
        side.send(_PING + number)
        sequence += 1
        try:
            data = await asyncio.wait_for(side.receive(), _PING_INTERVAL)
        except TimeoutError:
            continue
        if data.startswith(_PONG) and data[len(_PONG) :] in sent:
            return loop.time() - sent[data[len(_PONG) :]]


async def check_urls(
    urls: Sequence[IceServerUrl],
    options: CheckOptions,
    factory: TransportFactory = IceTransport,
    on_gathered: Callable[[UrlResult], None] | None = None,
) -> list[UrlResult]:
    """Gather from every URL at once; then, with ``connect``, relay through each TURN URL.

    ``on_gathered`` sees each URL's result as soon as its gathering ends
    (progress while slow servers are still being waited for).
    """

    async def gather(url: IceServerUrl) -> UrlResult:
        result = await gather_url(url, options, factory)
        if on_gathered is not None:
            on_gathered(result)
        return result

    results = list(await asyncio.gather(*(gather(u) for u in urls)))
    for result in results:
        if any(_untrusted_certificate(e.text) for e in result.errors):
            result.notes.append(CAFILE_HINT)
    if options.connect:
        turn: list[UrlResult] = []
        for result in results:
            if any(c.type == "relay" for c in result.candidates):
                turn.append(result)
            elif result.url.is_turn:
                result.notes.append("--connect skipped: gathering gave no relay candidate")
        connected = await asyncio.gather(*(connect_url(r.url, options, factory) for r in turn))
        for result, connect in zip(turn, connected, strict=True):
            result.connect = connect
    return results


#: What to do when a turns: server's certificate is not trusted.
CAFILE_HINT = (
    "the TURN server's TLS certificate is not trusted here: pass --cafile FILE "
    "with the CA that signed it (a PEM file), or --spki-pin with the base64 "
    "SHA-256 of its public key"
)


def _untrusted_certificate(text: str) -> bool:
    lowered = text.lower()
    return "certificate_verify_failed" in lowered or "certificate verify failed" in lowered


__all__ = [
    "CAFILE_HINT",
    "CheckOptions",
    "TransportFactory",
    "binding_request",
    "check_urls",
    "connect_url",
    "gather_url",
]
