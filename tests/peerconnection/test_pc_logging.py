"""Logging like a library: one logger per layer, what each level says, no secret at any level.

Two relay-only peers connect through our TURN server, exchange a message and
restart ICE onto a second server, with every logger at DEBUG. The log must
tell that story through the layers' loggers (allocations, gathering, the
selected pair, the restart, checks and transactions) and must never hold the
TURN password, a key (the long-term key, the ICE passwords that are the
short-term keys) or a message-integrity HMAC, in any form.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from pathlib import Path
from typing import Any

import pytest

import rtcpeer.stun.message
from rtcpeer.pki import CertificateFiles
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer

from .support import (
    REGION_A,
    REGION_B,
    TIMEOUT,
    Link,
    negotiate,
    open_channels,
    peer,
    poll,
)

USER = "logged-user"
#: Distinctive, so that finding it in a log line cannot be a coincidence.
PASSWORD = "Zq7-never-in-a-log-9xK"


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
            host="127.0.0.1", port=0, cert=Path(certificates.cert), key=Path(certificates.key),
            min_port=relay_ports[0], max_port=relay_ports[1], dtls=False,
        ),
    )
    await server.start()
    return server


def _relay_only(server: TurnServer) -> dict[str, Any]:
    host, port = server.addresses["udp"]
    return {
        "iceServers": [
            {"urls": f"turn:{host}:{port}", "username": USER, "credential": PASSWORD}
        ],
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
