"""TURN servers for the IceTransport tests: our embedded server in-process,
ICE server URLs for each of its listeners, and relay-range bookkeeping."""

from __future__ import annotations

from pathlib import Path

from rtcpeer.configuration.urls import IceServerUrl, parse_ice_server_url
from rtcpeer.ice import Candidate
from rtcpeer.testing.pki import CertificateFiles
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.runtime import ListenSettings, TurnServer

USER = "user"
PASSWORD = "pass"
REALM = "example.test"
#: Transports of ICE server URLs, with the URL scheme and query for each.
TRANSPORTS = {
    "udp": "turn:{}?transport=udp",
    "tcp": "turn:{}?transport=tcp",
    "tls": "turns:{}?transport=tcp",
    "dtls": "turns:{}?transport=udp",
}


def ice_url(
    text: str, username: str | None = USER, credential: str | None = PASSWORD
) -> IceServerUrl:
    """A parsed TURN/STUN URL, as the configuration layer would hand it over."""
    parsed = parse_ice_server_url(text)
    return IceServerUrl(
        url=text,
        scheme=parsed.scheme,
        host=parsed.host,
        port=parsed.port,
        transport=parsed.transport,
        secure=parsed.secure,
        username=username if parsed.scheme in ("turn", "turns") else None,
        credential=credential if parsed.scheme in ("turn", "turns") else None,
    )


def server_url(
    server: TurnServer, transport: str, *, host: str | None = None, password: str = PASSWORD
) -> IceServerUrl:
    """The URL of one listener of ``server`` (``host`` replaces the IP, e.g. "localhost")."""
    listener = "udp" if transport == "udp" else transport
    address = server.addresses[listener]
    return ice_url(
        TRANSPORTS[transport].format(f"{host or address[0]}:{address[1]}"), credential=password
    )


async def start_turn_server(
    certificates: CertificateFiles, relay_ports: tuple[int, int] = (0, 0)
) -> TurnServer:
    """Our TURN server on free loopback ports (UDP, TCP, TLS, DTLS), relaying in ``relay_ports``."""
    server = TurnServer(
        TurnServerConfig(realm=REALM, users={USER: PASSWORD}, allow_loopback_peers=True),
        ListenSettings(
            host="127.0.0.1",
            port=0,
            tls_port=0,
            cert=Path(certificates.cert),
            key=Path(certificates.key),
            min_port=relay_ports[0],
            max_port=relay_ports[1],
        ),
    )
    await server.start()
    return server


def in_range(candidate: Candidate, ports: tuple[int, int]) -> bool:
    return candidate.type == "relay" and ports[0] <= candidate.port <= ports[1]
