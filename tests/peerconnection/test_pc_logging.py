"""Logging like a library: one logger per layer, what each level says, no secret at any level.

Two relay-only peers connect through our TURN server, exchange a message and
restart ICE onto a second server, with every logger at DEBUG. The log must
tell that story through the layers' loggers (allocations, gathering, the
selected pair, the restart, checks and transactions) and must never hold the
TURN password, a key (the long-term key, the ICE passwords that are the
short-term keys) or a message-integrity HMAC, in any form.

Every record also names the peer connection it is about
(``record.peer_connection``, see :mod:`rtcpeer.logs`): with two connections
in one process, each line of the ICE agent, the TURN client, JSEP, the peer
connection and aiortc's DTLS/SCTP below carries the right one's name, and
only the TURN server's (process-level) lines carry none.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hmac
import io
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from tests.support.peer_connections import (
    REGION_A,
    REGION_B,
    TIMEOUT,
    Link,
    negotiate,
    open_channels,
    peer,
    poll,
    relay_config,
    start_region,
)

import rtcpeer.stun.message
from rtcpeer.ice.runtime.sockets import open_udp
from rtcpeer.logs import UNNAMED, current_peer_connection, peer_connection_context
from rtcpeer.testing.pki import CertificateFiles
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer

USER = "logged-user"
#: Distinctive, so that finding it in a log line cannot be a coincidence.
PASSWORD = "Zq7-never-in-a-log-9xK"

#: Loggers whose records are about no one peer connection (the process's TURN server).
PROCESS_LEVEL_LOGGERS = ("rtcpeer.turn.server",)
#: Phrases followed by an address that is the logging connection's own relay address.
_OWN_RELAY = re.compile(
    r"(?:allocated|releasing the allocation|local candidate relay udp|CandidatePair relay) "
    r"(\d+\.\d+\.\d+\.\d+:\d+)"
)


def _pc(record: logging.LogRecord) -> str:
    """The peer connection a record names (KeyError if it has no such attribute)."""
    return str(record.__dict__["peer_connection"])


class _RecordingHmac:
    """Stands in for the ``hmac`` module in rtcpeer.stun.message: records every key and MAC."""

    compare_digest = staticmethod(hmac.compare_digest)

    def __init__(self) -> None:
        self.keys: set[bytes] = set()
        self.macs: set[bytes] = set()

    def digest(self, key: bytes, msg: bytes, digest: str) -> bytes:
        mac = hmac.digest(key, msg, digest)
        self.keys.add(key)
        self.macs.add(mac)
        return mac

    def new(self, key: bytes, msg: bytes | None = None, digestmod: str = "") -> _RecordingMac:
        """A keyed HMAC (as :class:`rtcpeer.stun.message.IntegrityKey` makes once
        per TURN allocation) whose copies record every MAC they give."""
        self.keys.add(key)
        return _RecordingMac(hmac.new(key, msg, digestmod), self.macs)


class _RecordingMac:
    """An ``hmac.HMAC`` whose copies add each digest to ``macs``."""

    def __init__(self, mac: hmac.HMAC, macs: set[bytes]) -> None:
        self._mac, self._macs = mac, macs

    def copy(self) -> _RecordingMac:
        return _RecordingMac(self._mac.copy(), self._macs)

    def update(self, msg: bytes) -> None:
        self._mac.update(msg)

    def digest(self) -> bytes:
        mac = self._mac.digest()
        self._macs.add(mac)
        return mac


def _forms(secret: bytes) -> set[str]:
    """How a bytes secret could show up in a log line."""
    forms = {secret.hex(), secret.hex().upper(), repr(secret), repr(secret)[2:-1]}
    with contextlib.suppress(UnicodeDecodeError):
        forms.add(secret.decode("ascii"))
    return {form for form in forms if len(form) >= 6}


async def _server(certificates: CertificateFiles, relay_ports: tuple[int, int]) -> TurnServer:
    server = TurnServer(
        TurnServerConfig(realm="example.test", users={USER: PASSWORD}, allow_loopback_peers=True),
        ListenSettings(
            host="127.0.0.1",
            port=0,
            cert=Path(certificates.cert),
            key=Path(certificates.key),
            min_port=relay_ports[0],
            max_port=relay_ports[1],
            dtls=False,
        ),
    )
    await server.start()
    return server


def _relay_only(server: TurnServer) -> dict[str, Any]:
    host, port = server.addresses["udp"]
    return {
        "iceServers": [{"urls": f"turn:{host}:{port}", "username": USER, "credential": PASSWORD}],
        "iceTransportPolicy": "relay",
    }


async def test_debug_log_through_turn_names_layers_and_holds_no_credential(
    turn_certificates: CertificateFiles,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = _RecordingHmac()
    monkeypatch.setattr(rtcpeer.stun.message, "hmac", recorder)
    caplog.set_level(logging.DEBUG)
    region_a = await _server(turn_certificates, REGION_A)
    region_b = await _server(turn_certificates, REGION_B)
    a, b = peer(_relay_only(region_a)), peer(_relay_only(region_a))
    try:
        link = Link()
        link.connect(a, b)
        channel, far = await open_channels(a, b, link)
        received: asyncio.Queue[Any] = asyncio.Queue()
        far.on("message", received.put_nowait)
        channel.send("over region A")
        assert await asyncio.wait_for(received.get(), TIMEOUT) == "over region A"
        for pc in (a, b):
            pc.setConfiguration(_relay_only(region_b))
        await negotiate(a, b, ice_restart=True)
        await poll(lambda: region_b.relay_count == 2 and region_a.relay_count == 0)
        channel.send("over region B")
        assert await asyncio.wait_for(received.get(), TIMEOUT) == "over region B"
        ice_passwords = [
            line.split(":", 1)[1].strip()
            for pc in (a, b)
            for description in (pc.localDescription,)
            if description is not None
            for line in description.sdp.splitlines()
            if line.startswith("a=ice-pwd:")
        ]
    finally:
        await a.close()
        await b.close()
        await region_a.close()
        await region_b.close()

    records = caplog.records
    misnamed = [
        f"{_pc(r)} {r.name}: {r.getMessage()}"
        for r in records
        if r.name.startswith("rtcpeer.")
        and not r.name.startswith(PROCESS_LEVEL_LOGGERS)
        and _pc(r) not in (a.log_name, b.log_name)
    ]
    assert not misnamed, misnamed  # through the restart onto region B as well
    lines = [record.getMessage() for record in records]
    text = "\n".join(lines + [record.exc_text or "" for record in records])

    # The exchange really authenticated with keys and MACs the log could have leaked.
    assert len(ice_passwords) == 2
    assert len(recorder.keys) >= 3  # the long-term key and two ICE passwords at least
    assert len(recorder.macs) > 10
    forbidden = {PASSWORD, *ice_passwords}
    for secret in recorder.keys | recorder.macs:
        forbidden |= _forms(secret)
    leaked = sorted(secret for secret in forbidden if secret in text)
    assert not leaked, f"credentials in the log: {leaked}"

    def said(logger: str, level: int, words: str) -> bool:
        return any(
            r.name.startswith(logger) and r.levelno == level and words in r.getMessage()
            for r in records
        )

    assert said("rtcpeer.turn.client", logging.INFO, "allocated")
    assert said("rtcpeer.turn.client", logging.INFO, "releasing the allocation")
    assert said("rtcpeer.turn.client", logging.DEBUG, "challenged (401)")
    assert said("rtcpeer.turn.server", logging.INFO, "allocation for user")
    assert said("rtcpeer.turn.server", logging.INFO, "deleted")
    assert said("rtcpeer.ice", logging.INFO, "gathering complete")
    assert said("rtcpeer.ice", logging.INFO, "selected pair")
    assert said("rtcpeer.ice", logging.INFO, "ICE restart")
    assert said("rtcpeer.ice", logging.INFO, "retired")
    assert said("rtcpeer.ice", logging.DEBUG, "check succeeded")
    assert said("rtcpeer.jsep", logging.DEBUG, "signaling stable: local offer")
    assert said("rtcpeer.peerconnection", logging.INFO, "connectionstatechange: connected")
    assert said("rtcpeer.peerconnection", logging.INFO, "restartIce()") or said(
        "rtcpeer.peerconnection", logging.INFO, "setConfiguration()"
    )


def test_credentials_forms_cover_hex_and_repr() -> None:
    """The leak check above would see a key logged as hex, repr or text."""
    key = bytes(range(16))
    line = f"key {key.hex()} and {key!r}"
    assert sum(form in line for form in _forms(key)) >= 2
    assert "s3cret-pwd" in _forms(b"s3cret-pwd")


def _relay_addresses(description_sdp: str) -> set[str]:
    """The relay candidates' addresses (``host:port``) in an SDP."""
    found = set()
    for line in description_sdp.splitlines():
        fields = line.split()
        if line.startswith("a=candidate:") and "relay" in fields:
            found.add(f"{fields[4]}:{fields[5]}")
    return found


async def test_two_connections_every_record_names_its_own(
    turn_certificates: CertificateFiles, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = await start_region(turn_certificates, REGION_A)
    a, b = peer(relay_config(server)), peer(relay_config(server))
    assert a.log_name != b.log_name
    try:
        link = Link()
        link.connect(a, b)
        channel, far = await open_channels(a, b, link)
        received: asyncio.Queue[Any] = asyncio.Queue()
        far.on("message", received.put_nowait)
        channel.send("named")
        assert await asyncio.wait_for(received.get(), TIMEOUT) == "named"
        assert a.localDescription is not None and b.localDescription is not None
        own = {
            a.log_name: _relay_addresses(a.localDescription.sdp),
            b.log_name: _relay_addresses(b.localDescription.sdp),
        }
    finally:
        await a.close()
        await b.close()
        await server.close()

    records = caplog.records
    assert all(own.values()) and not own[a.log_name] & own[b.log_name]
    # Every record has the attribute, so a format with %(peer_connection)s never fails.
    assert all("peer_connection" in record.__dict__ for record in records)
    ours = [r for r in records if r.name.startswith(("rtcpeer.", "aiortc."))]
    process_level = [r for r in ours if r.name.startswith(PROCESS_LEVEL_LOGGERS)]
    per_connection = [r for r in ours if not r.name.startswith(PROCESS_LEVEL_LOGGERS)]
    unnamed = [f"{r.name}: {r.getMessage()}" for r in per_connection if _pc(r) == UNNAMED]
    assert not unnamed, unnamed
    assert {_pc(r) for r in per_connection} == {a.log_name, b.log_name}
    assert process_level and {_pc(r) for r in process_level} == {UNNAMED}
    for name in (a.log_name, b.log_name):
        layers = {r.name.rsplit(".", 1)[0] for r in per_connection if _pc(r) == name}
        assert {
            "rtcpeer.ice",
            "rtcpeer.turn.client",
            "rtcpeer.jsep",
            "rtcpeer.peerconnection",
            "aiortc",
        } <= layers, (name, layers)

    # The right name: a line about a relay address of one connection is that connection's.
    checked = {a.log_name: 0, b.log_name: 0}
    for record in per_connection:
        match = _OWN_RELAY.search(record.getMessage())
        if match is not None:
            assert match.group(1) in own[_pc(record)], record.getMessage()
            checked[_pc(record)] += 1
    assert min(checked.values()) >= 4, checked
    said = {(_pc(r), r.getMessage()) for r in per_connection}
    assert (a.log_name, "signalingstatechange: have-local-offer") in said
    assert (b.log_name, "signalingstatechange: have-remote-offer") in said
    assert (a.log_name, "signalingstatechange: have-remote-offer") not in said


async def test_ice_runtime_socket_callbacks_run_as_the_connection_that_opened_it() -> None:
    """asyncio registers a datagram socket's reader in the context current when the
    socket opens: the ICE runtime's sockets deliver as the connection that opened
    them, whoever sends and whatever context the process is in when they arrive."""
    seen: asyncio.Queue[tuple[int, str | None]] = asyncio.Queue()

    def on_receive(socket_id: int, source: tuple[str, int], data: bytes) -> None:
        seen.put_nowait((socket_id, current_peer_connection()))

    def on_closed(socket_id: int, reason: str) -> None:
        pass

    with peer_connection_context("pc-under-test"):
        named = await open_udp(1, "127.0.0.1", on_receive, on_closed)
    unnamed = await open_udp(2, "127.0.0.1", on_receive, on_closed)
    assert current_peer_connection() is None
    loop = asyncio.get_running_loop()
    sender, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    try:
        for socket in (named, unnamed):
            # Sent from a context of its own that names another connection.
            context = contextvars.copy_context()
            context.run(_send_as, "pc-sender", sender, socket.local_address)
            assert await asyncio.wait_for(seen.get(), TIMEOUT) == (
                socket.socket_id,
                "pc-under-test" if socket is named else None,
            )
    finally:
        sender.close()
        named.close()
        unnamed.close()


def _send_as(name: str, sender: asyncio.DatagramTransport, destination: tuple[str, int]) -> None:
    with peer_connection_context(name):
        sender.sendto(b"datagram", destination)


def test_log_names_are_short_unique_and_read_only() -> None:
    first, second = peer(), peer()
    assert re.fullmatch(r"pc\d+", first.log_name)
    assert int(second.log_name[2:]) > int(first.log_name[2:])
    with pytest.raises(AttributeError):
        first.log_name = "other"  # type: ignore[misc]


def test_a_format_with_peer_connection_works_for_every_record() -> None:
    """A user's own handler and format: no KeyError/ValueError outside a connection's
    work (rtcpeer's process-level lines, any other library's lines)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("[%(peer_connection)s] %(name)s: %(message)s"))
    loggers = [logging.getLogger("rtcpeer.turn.server.core"), logging.getLogger("someapp")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    try:
        loggers[0].info("outside")
        loggers[1].info("outside")
        with peer_connection_context("pc42"):
            loggers[1].info("inside")
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)
            logger.propagate = True
    assert stream.getvalue().splitlines() == [
        "[-] rtcpeer.turn.server.core: outside",
        "[-] someapp: outside",
        "[pc42] someapp: inside",
    ]
