"""Debian's Chromium as a WebRTC peer, driven by Playwright, for interop tests.

``async with chromium_page() as browser:`` launches ``/usr/bin/chromium``
headless with a fresh profile and the flags TESTING-NOTES.md found necessary
(loopback candidates need ``--allow-loopback-in-peer-connection`` *and*
camera/microphone permission for the page's origin), serves a blank page
from 127.0.0.1 and loads :data:`PEER_JS` into it. Tests then create
``RTCPeerConnection``s in the page with :meth:`BrowserPage.call` and
receive the page's events (candidates, state changes, messages) on an
asyncio queue, so signalling between Chromium and a Python peer is plain
Python. The browser is closed, and its process stopped, on exit.

A missing Chromium or Playwright raises: interop tests fail, never skip.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-loopback-in-peer-connection",
]

#: Runs in the page: named RTCPeerConnections whose events go to Python.
PEER_JS = (Path(__file__).parent / "peer.js").read_text()


@dataclass(frozen=True)
class BrowserEvent:
    """One event reported by the page: ``kind`` (a W3C event name), the
    connection ``name`` and its JSON ``data``."""

    kind: str
    name: str
    data: Any


@dataclass
class BrowserPage:
    """A loaded page with :data:`PEER_JS`; ``events`` receives BrowserEvents."""

    page: Any
    url: str
    events: asyncio.Queue[BrowserEvent] = field(default_factory=asyncio.Queue)
    #: Handlers by (kind, name): their events go to them instead of ``events``.
    handlers: dict[tuple[str, str], Callable[[Any], None]] = field(default_factory=dict)

    def on(self, kind: str, name: str, handler: Callable[[Any], None]) -> None:
        """Send the ``kind`` events of connection ``name`` to ``handler(data)``."""
        self.handlers[(kind, name)] = handler

    def _dispatch(self, event: BrowserEvent) -> None:
        handler = self.handlers.get((event.kind, event.name))
        if handler is not None:
            handler(event.data)
        else:
            self.events.put_nowait(event)

    async def call(self, method: str, *args: Any) -> Any:
        """Call ``window.rtcpeer[method](...args)`` in the page and return its result."""
        return await self.page.evaluate(
            "([method, args]) => window.rtcpeer[method](...args)", [method, list(args)]
        )

    async def wait_for(self, kind: str, name: str, timeout: float = 10.0, data: Any = ...) -> Any:
        """The data of the next ``kind`` event of ``name`` (optionally equal to ``data``);
        other events stay queued for later waits."""
        deferred: list[BrowserEvent] = []
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            while True:
                remaining = deadline - asyncio.get_running_loop().time()
                event = await asyncio.wait_for(self.events.get(), max(remaining, 0))
                if event.kind == kind and event.name == name and data in (..., event.data):
                    return event.data
                deferred.append(event)
        finally:
            for event in deferred:
                self.events.put_nowait(event)


class _BlankSite:
    """A one-page HTTP server on 127.0.0.1 (the page's origin, a secure context)."""

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
            body = b"<!doctype html><title>rtcpeer interop</title><body></body>"
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        writer.close()

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()


@contextlib.asynccontextmanager
async def chromium_page(
    extra_args: tuple[str, ...] = (), *, grant_media: bool = True
) -> AsyncIterator[BrowserPage]:
    """Launch Chromium on a blank 127.0.0.1 page with PEER_JS loaded.

    ``grant_media=False`` leaves out the camera/microphone grant: Chromium
    then hides host candidates behind mDNS names and gathers no loopback.
    """
    if not Path(CHROMIUM).exists():
        raise RuntimeError("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright  # a missing package fails loudly

    site = _BlankSite()
    origin = await site.start()
    profile = tempfile.TemporaryDirectory(prefix="rtcpeer-chromium-")
    try:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                profile.name,
                executable_path=CHROMIUM,
                headless=True,
                args=[*CHROMIUM_ARGS, *extra_args],
            )
            try:
                if grant_media:
                    await context.grant_permissions(["camera", "microphone"], origin=origin)
                page = await context.new_page()
                browser = BrowserPage(page, origin)
                await page.expose_function(
                    "rtcpeerEvent",
                    lambda raw: browser._dispatch(BrowserEvent(**json.loads(raw))),
                )
                await page.goto(origin + "/")
                await page.evaluate(PEER_JS)
                yield browser
            finally:
                await context.close()
    finally:
        profile.cleanup()
        await site.stop()


def spki_sha256(cert_path: str | Path) -> str:
    """Base64 SHA-256 of a PEM certificate's SubjectPublicKeyInfo, the value
    ``--ignore-certificate-errors-spki-list`` takes (to trust coturn's TLS)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashes.Hash(hashes.SHA256())
    digest.update(spki)
    return base64.b64encode(digest.finalize()).decode()


def trust_args(cert_path: str | Path) -> tuple[str, ...]:
    """Chromium flags that trust just this server certificate (for ``turns:``)."""
    return (f"--ignore-certificate-errors-spki-list={spki_sha256(cert_path)}",)


def is_loopback_candidate(candidate: dict[str, Any] | None) -> bool:
    """True for an end-of-candidates marker or a candidate on 127.0.0.1/::1.

    Chromium also gathers this machine's other interfaces; tests only ever
    target loopback, so they pass nothing else on to the Python peer.
    """
    if candidate is None or not candidate.get("candidate"):
        return True
    parts = candidate["candidate"].split()
    return len(parts) > 5 and parts[4] in LOOPBACK


#: The addresses tests pass between peers. IPv4 only: Chromium pairs every
#: local candidate of a family with each remote one, and given our ``::1`` it
#: checks (and selects) from this machine's ``fd00::2``. (Interop tests also
#: run inside :func:`tests.support.netns.private_network`, where ``lo`` is
#: the only interface.)
LOOPBACK = ("127.0.0.1",)
