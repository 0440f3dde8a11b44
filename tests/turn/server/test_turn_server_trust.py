"""TurnTls: a private CA, an ssl.SSLContext or SPKI pins decide which turns:
servers (TLS and DTLS) the TURN client accepts."""

from __future__ import annotations

import base64
import hashlib
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from tests.support.turn_server import PASSWORD, USER

from rtcpeer import TurnTls, spki_pin
from rtcpeer.testing.pki import CertificateFiles, make_certificates
from rtcpeer.turn.client import TurnClient
from rtcpeer.turn.client import TurnServer as Target
from rtcpeer.turn.errors import UNREACHABLE, TurnError
from rtcpeer.turn.server.runtime import TurnServer

SECURE = ["tls", "dtls"]


def target(server: TurnServer, kind: str) -> Target:
    host, port = server.addresses[kind]
    return Target(host, port, transport="tcp" if kind == "tls" else "udp", secure=True)


def pin_of(files: CertificateFiles) -> str:
    return spki_pin(x509.load_pem_x509_certificate(files.cert.read_bytes()))


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    """Another CA and key: trusting or pinning these says nothing of our server."""
    return make_certificates(Path(tmp_path_factory.mktemp("stranger")))


async def connect(server: TurnServer, kind: str, trust: TurnTls) -> TurnClient:
    return await TurnClient.connect(target(server, kind), USER, PASSWORD, trust=trust, timeout=5.0)


@pytest.mark.parametrize("kind", SECURE)
async def test_a_pinned_key_is_accepted_though_no_ca_trusts_it(
    turn_server: TurnServer, certificates: CertificateFiles, stranger: CertificateFiles, kind: str
) -> None:
    trust = TurnTls(cafile=stranger.ca, spki_pins=(pin_of(stranger), pin_of(certificates)))
    client = await connect(turn_server, kind, trust)
    try:
        assert client.relayed_address[0] == "127.0.0.1"
    finally:
        await client.close()


@pytest.mark.parametrize("kind", SECURE)
async def test_neither_trusted_nor_pinned_is_refused(
    turn_server: TurnServer, stranger: CertificateFiles, kind: str
) -> None:
    trust = TurnTls(cafile=stranger.ca, spki_pins=(pin_of(stranger),))
    with pytest.raises(TurnError) as caught:
        await connect(turn_server, kind, trust)
    assert caught.value.code == UNREACHABLE
    assert "certificate" in caught.value.reason.lower()


@pytest.mark.parametrize("kind", SECURE)
async def test_the_ca_still_vouches_when_the_key_is_not_pinned(
    turn_server: TurnServer, certificates: CertificateFiles, stranger: CertificateFiles, kind: str
) -> None:
    client = await connect(
        turn_server, kind, TurnTls(cafile=certificates.ca, spki_pins=(pin_of(stranger),))
    )
    await client.close()


async def test_an_ssl_context_is_used_for_tls(
    turn_server: TurnServer, certificates: CertificateFiles
) -> None:
    context = ssl.create_default_context(cafile=str(certificates.ca))
    client = await connect(turn_server, "tls", TurnTls(context=context))
    await client.close()
    with pytest.raises(TurnError):  # an empty context trusts nobody
        await connect(turn_server, "tls", TurnTls(context=ssl.create_default_context(cadata="")))


def test_pins_are_checked_and_normalised(certificates: CertificateFiles) -> None:
    cert = x509.load_pem_x509_certificate(certificates.cert.read_bytes())
    pin = spki_pin(cert)
    assert spki_pin(cert.public_bytes(serialization.Encoding.DER)) == pin
    digest = base64.b64decode(pin)
    assert len(digest) == hashlib.sha256().digest_size
    assert TurnTls(spki_pins=[f"sha256/{pin}"]).spki_pins == (pin,)  # type: ignore[arg-type]
    assert TurnTls(spki_pins=(pin,)).pinned(cert)
    assert not TurnTls().pinned(cert)
    with pytest.raises(ValueError, match="not base64"):
        TurnTls(spki_pins=("not a pin!",))
    with pytest.raises(ValueError, match="32 bytes"):
        TurnTls(spki_pins=(base64.b64encode(b"short").decode(),))
    with pytest.raises(TypeError):
        TurnTls(spki_pins=pin)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        TurnTls(context="ca.pem")  # type: ignore[arg-type]
