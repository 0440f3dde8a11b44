"""The sans-IO DTLS wrapper: client and server handshake through memory, the
stateless cookie exchange, certificate and hostname verification."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtcpeer.testing.pki import CertificateFiles, make_certificates
from rtcpeer.turn.dtls import (
    DtlsEndpoint,
    DtlsError,
    client_context,
    matches_hostname,
    server_context,
)

PEER = ("127.0.0.1", 40000)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(tmp_path_factory.mktemp("pki"))


def pump(client: DtlsEndpoint, server: DtlsEndpoint) -> tuple[list[bytes], list[bytes]]:
    """Shuttle datagrams until both sides are quiet; return app data received."""
    to_client: list[bytes] = []
    to_server: list[bytes] = []
    for _ in range(20):
        c_out, s_out = client.datagrams_to_send(), server.datagrams_to_send()
        if not c_out and not s_out:
            break
        for d in c_out:
            to_server += server.feed(d)
        for d in s_out:
            to_client += client.feed(d)
    return to_client, to_server


def test_handshake_and_data_both_ways(certs: CertificateFiles) -> None:
    client = DtlsEndpoint(client_context(certs.ca), server_hostname="127.0.0.1")
    server = DtlsEndpoint(server_context(certs.cert, certs.key), server=True, peer=PEER)
    client.start(now=0.0)
    assert client.get_timer() is not None  # ClientHello retransmission armed
    hello = client.datagrams_to_send()
    assert len(hello) == 1
    # First ClientHello carries no cookie: the server answers statelessly.
    assert server.feed(hello[0]) == []
    assert server.listening
    verify_request = server.datagrams_to_send()
    assert len(verify_request) == 1 and verify_request[0][0] == 22  # handshake record
    client.feed(verify_request[0])
    pump(client, server)
    assert client.handshake_complete and server.handshake_complete
    assert not server.listening
    assert client.get_timer() is None

    client.send(b"allocate please")
    _, at_server = pump(client, server)
    assert at_server == [b"allocate please"]
    server.send(b"done")
    at_client, _ = pump(client, server)
    assert at_client == [b"done"]

    client.close()
    pump(client, server)
    assert server.closed


def test_cookie_from_another_address_is_rejected(certs: CertificateFiles) -> None:
    ctx = server_context(certs.cert, certs.key, cookie_secret=b"s" * 32)
    client = DtlsEndpoint(client_context(certs.ca), server_hostname="127.0.0.1")
    first = DtlsEndpoint(ctx, server=True, peer=PEER)
    client.start()
    first.feed(client.datagrams_to_send()[0])
    client.feed(first.datagrams_to_send()[0])
    hello_with_cookie = client.datagrams_to_send()
    # The same cookie presented from a different address does not verify.
    spoofed = DtlsEndpoint(ctx, server=True, peer=("127.0.0.1", 40001))
    for d in hello_with_cookie:
        spoofed.feed(d)
    assert spoofed.listening
    # From the right address a fresh endpoint accepts it (no state needed).
    fresh = DtlsEndpoint(ctx, server=True, peer=PEER)
    for d in hello_with_cookie:
        fresh.feed(d)
    assert not fresh.listening
    pump(client, fresh)
    assert client.handshake_complete and fresh.handshake_complete


def test_untrusted_certificate_fails(certs: CertificateFiles, tmp_path: Path) -> None:
    other = make_certificates(tmp_path / "other")
    client = DtlsEndpoint(client_context(other.ca), server_hostname="127.0.0.1")
    server = DtlsEndpoint(server_context(certs.cert, certs.key), server=True, peer=PEER)
    client.start()
    with pytest.raises(DtlsError):
        pump(client, server)
    assert not client.handshake_complete


def test_wrong_hostname_fails(certs: CertificateFiles) -> None:
    client = DtlsEndpoint(client_context(certs.ca), server_hostname="turn.example.org")
    server = DtlsEndpoint(server_context(certs.cert, certs.key), server=True, peer=PEER)
    client.start()
    with pytest.raises(DtlsError, match="does not match"):
        pump(client, server)
    assert not client.handshake_complete


def test_send_before_handshake_raises(certs: CertificateFiles) -> None:
    client = DtlsEndpoint(client_context(certs.ca), server_hostname="127.0.0.1")
    with pytest.raises(DtlsError):
        client.send(b"x")


def test_garbage_to_a_listening_server_is_ignored(certs: CertificateFiles) -> None:
    server = DtlsEndpoint(server_context(certs.cert, certs.key), server=True, peer=PEER)
    assert server.feed(b"\x16\xfe\xfd" + bytes(30)) == []
    assert server.listening
    assert server.datagrams_to_send() == []


def test_matches_hostname(certs: CertificateFiles) -> None:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(certs.cert.read_bytes())
    assert matches_hostname(cert, "localhost")
    assert matches_hostname(cert, "LOCALHOST.")
    assert matches_hostname(cert, "127.0.0.1")
    assert matches_hostname(cert, "[::1]")
    assert not matches_hostname(cert, "127.0.0.2")
    assert not matches_hostname(cert, "example.org")
