"""What ``rtcpeer ice-check`` found, and how it is shown: an aligned table or JSON.

The runner (:mod:`rtcpeer.cli.ice_check_run`) fills these records; nothing
here touches the network, so the rendering is tested on hand-made results.
The text is the same on a terminal and in a pipe: plain, aligned columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rtcpeer.configuration import IceServerUrl


@dataclass(frozen=True)
class FoundCandidate:
    """A server-reflexive or relay candidate that one URL produced."""

    #: "srflx" or "relay".
    type: str
    #: The candidate's transport ("udp").
    protocol: str
    address: str
    port: int
    #: For relay candidates: the transport to the TURN server (udp/tcp/tls/dtls).
    relay_protocol: str | None = None
    #: Where it was found after ``gather()`` started, in seconds.
    elapsed: float = 0.0


@dataclass(frozen=True)
class UrlError:
    """An ``icecandidateerror`` for the URL, or a failure the checker itself saw."""

    #: The STUN error code, 701 for an unreachable server; None for the checker's own.
    code: int | None
    text: str
    #: The local socket the error happened on, when known.
    address: str | None = None
    port: int | None = None


@dataclass(frozen=True)
class ConnectResult:
    """``--connect``: two relay-only transports through this one TURN URL."""

    ok: bool
    #: Seconds from gather() to both sides having a selected pair.
    connect_time: float | None = None
    #: Seconds for one datagram each way (A -> B -> A) over the relay pair.
    round_trip: float | None = None
    #: The selected pair of side A: its relay address and B's relay address.
    local: str | None = None
    remote: str | None = None
    error: str | None = None


@dataclass
class UrlResult:
    """Everything checked for one STUN/TURN URL."""

    url: IceServerUrl
    #: Where the URL is in the configuration ("iceServers[1].urls[0]").
    where: str = ""
    candidates: list[FoundCandidate] = field(default_factory=list)
    errors: list[UrlError] = field(default_factory=list)
    #: Seconds from gather() to the first candidate of this URL.
    first_candidate: float | None = None
    #: Seconds from gather() to the end of gathering (None: it did not end in time).
    gathering_time: float | None = None
    #: A stun: server that answered with the host's own address (no NAT, so
    #: the agent rightly makes no srflx candidate of it): "ip:port".
    binding_answer: str | None = None
    connect: ConnectResult | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No error, the candidate this kind of URL exists for, and a relay if asked."""
        if self.errors or self.gathering_time is None:
            return False
        if self.connect is not None and not self.connect.ok:
            return False
        if self.url.is_turn:
            return any(c.type == "relay" for c in self.candidates)
        if self.url.secure:
            return True  # stuns: answered over TLS (TLS probes yield no srflx)
        return bool(self.candidates) or self.binding_answer is not None


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.1f} ms" if seconds < 0.01 else f"{seconds * 1000:.0f} ms"


def _join(host: str | None, port: int | None) -> str:
    if host is None:
        return "?"
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"


def _status(result: UrlResult) -> str:
    return "ok" if result.ok else "FAIL"


def _why_failed(result: UrlResult) -> str | None:
    """A one-line reason for a failure that no error line already explains."""
    if result.ok or result.errors:
        return None
    if result.gathering_time is None:
        return "gathering did not complete in time"
    if result.url.is_turn and not any(c.type == "relay" for c in result.candidates):
        return "no relay candidate"
    if result.connect is not None and not result.connect.ok:
        return None  # the connect line says why
    return "no candidate and no answer"


def render_text(results: Sequence[UrlResult], *, ignored_servers: int = 0) -> str:
    """The human-readable report: per URL a header, candidate rows, errors, connect."""
    headers = ("TYPE", "PROTO", "ADDRESS", "RELAY", "AFTER")
    rows_by_url: list[list[tuple[str, ...]]] = []
    for result in results:
        rows_by_url.append(
            [
                (
                    c.type,
                    c.protocol,
                    _join(c.address, c.port),
                    c.relay_protocol or "-",
                    _ms(c.elapsed),
                )
                for c in result.candidates
            ]
        )
    all_rows = [headers, *(row for rows in rows_by_url for row in rows)]
    widths = [max(len(row[i]) for row in all_rows) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "    " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    url_width = max((len(r.url.url) for r in results), default=0)
    out: list[str] = []
    for result, rows in zip(results, rows_by_url, strict=True):
        gathering = "unfinished" if result.gathering_time is None else _ms(result.gathering_time)
        timing = f"first candidate {_ms(result.first_candidate)}, gathering {gathering}"
        where = f"  ({result.where})" if result.where else ""
        out.append(f"{result.url.url.ljust(url_width)}  {_status(result):4}  {timing}{where}")
        if rows:
            out.append(line(headers))
            out.extend(line(row) for row in rows)
        if result.binding_answer is not None:
            out.append(
                f"    answered: mapped address {result.binding_answer} is the host's own "
                "(no NAT, so no srflx candidate)"
            )
        for error in result.errors:
            code = "-" if error.code is None else str(error.code)
            where = (
                f" (local {_join(error.address, error.port)})" if error.address is not None else ""
            )
            out.append(f"    error {code}: {error.text}{where}")
        reason = _why_failed(result)
        if reason is not None:
            out.append(f"    error: {reason}")
        if result.connect is not None:
            out.append("    " + _connect_text(result.connect))
        out.extend(f"    note: {note}" for note in result.notes)
    failed = sum(1 for r in results if not r.ok)
    summary = f"{len(results)} URL(s) checked: {len(results) - failed} ok, {failed} failed"
    if ignored_servers:
        summary += f"; {ignored_servers} ICE server(s) beyond the first 32 ignored"
    out.append(summary)
    return "\n".join(out)


def _connect_text(connect: ConnectResult) -> str:
    if connect.ok:
        return (
            f"connect: relayed {connect.local} <-> {connect.remote}, "
            f"connected in {_ms(connect.connect_time)}, round trip {_ms(connect.round_trip)}"
        )
    return f"connect: FAILED: {connect.error}"


def _seconds_to_ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def result_to_json(result: UrlResult) -> dict[str, Any]:
    """One URL's entry in the ``--json`` report."""
    url = result.url
    connect = result.connect
    return {
        "url": url.url,
        "where": result.where,
        "scheme": url.scheme,
        "host": url.host,
        "port": url.port,
        "transport": url.transport,
        "secure": url.secure,
        "ok": result.ok,
        "candidates": [
            {
                "type": c.type,
                "protocol": c.protocol,
                "address": c.address,
                "port": c.port,
                "relayProtocol": c.relay_protocol,
                "elapsedMs": _seconds_to_ms(c.elapsed),
            }
            for c in result.candidates
        ],
        "firstCandidateMs": _seconds_to_ms(result.first_candidate),
        "gatheringMs": _seconds_to_ms(result.gathering_time),
        "gatheringComplete": result.gathering_time is not None,
        "bindingAnswer": result.binding_answer,
        "errors": [
            {"errorCode": e.code, "errorText": e.text, "address": e.address, "port": e.port}
            for e in result.errors
        ],
        "failure": _why_failed(result),
        "connect": None
        if connect is None
        else {
            "ok": connect.ok,
            "connectMs": _seconds_to_ms(connect.connect_time),
            "roundTripMs": _seconds_to_ms(connect.round_trip),
            "local": connect.local,
            "remote": connect.remote,
            "error": connect.error,
        },
        "notes": list(result.notes),
    }


def render_json(
    results: Sequence[UrlResult], configuration: dict[str, Any], *, ignored_servers: int = 0
) -> dict[str, Any]:
    """The whole ``--json`` report (valid configuration)."""
    return {
        "valid": True,
        "ok": all(r.ok for r in results),
        "configuration": configuration,
        "ignoredIceServers": ignored_servers,
        "urls": [result_to_json(r) for r in results],
    }


__all__ = [
    "ConnectResult",
    "FoundCandidate",
    "UrlError",
    "UrlResult",
    "render_json",
    "render_text",
    "result_to_json",
]
