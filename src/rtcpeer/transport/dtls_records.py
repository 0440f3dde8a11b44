"""DTLS application-data records through OpenSSL's own calls, one call each.

Every data-channel message crosses pyOpenSSL four times: ``send`` (SSL_write)
and ``bio_read`` on the way out, ``bio_write`` and ``recv`` (SSL_read) on the
way in. Each of those wrappers checks its arguments, enters a buffer context
and, after a successful call too, asks ``SSL_get_error`` through three helper
checks and a chain of comparisons -- Python work about as costly as the
OpenSSL work it wraps, for a record of a few dozen bytes. Here the same four
OpenSSL functions are called directly on the connection's SSL object and
memory BIOs; the outcome of a successful call is the one pyOpenSSL returns,
and any failure goes through pyOpenSSL's own error handling, so it raises
exactly what pyOpenSSL raises.

These are pyOpenSSL internals (``_lib``, ``_ffi``, a ``Connection``'s
``_ssl``, ``_into_ssl``, ``_from_ssl``, ``_raise_ssl_error`` and
``_handle_bio_errors``); ``tests/transport/test_pyopenssl_contract.py`` pins them.
"""

from __future__ import annotations

from typing import Any

from OpenSSL import SSL
from OpenSSL.SSL import _ffi, _lib  # type: ignore[attr-defined]

#: The most a DTLS datagram carries here, as aiortc reads it (``bio_read(1500)``, ``recv(1500)``).
RECORD_BUFFER_SIZE = 1500

_SSL_write = _lib.SSL_write
_SSL_read = _lib.SSL_read
_BIO_write = _lib.BIO_write
_BIO_read = _lib.BIO_read
_buffer = _ffi.buffer
#: A C buffer without the zeroing ``ffi.new`` does (pyOpenSSL reads into the same kind).
_new_buffer = _ffi.new_allocator(should_clear_after_alloc=False)


def seal_packets(connection: SSL.Connection, packets: list[bytes]) -> list[bytes]:
    """Each of ``packets`` as the DTLS datagram ``connection`` makes of it:
    ``send(packet)`` then ``bio_read(1500)``, as aiortc's ``_send_data`` does
    (a packet that leaves nothing to read adds no datagram). Errors are
    pyOpenSSL's, raised as its ``send`` raises them."""
    conn: Any = connection
    ssl, out = conn._ssl, conn._from_ssl
    buffer = _new_buffer("char[]", RECORD_BUFFER_SIZE)
    records: list[bytes] = []
    for packet in packets:
        written = _SSL_write(ssl, packet, len(packet))
        if written <= 0:
            conn._raise_ssl_error(ssl, written)
        read = _BIO_read(out, buffer, RECORD_BUFFER_SIZE)
        if read > 0:
            records.append(_buffer(buffer, read)[:])
    return records


def open_record(connection: SSL.Connection, datagram: bytes) -> bytes | None:
    """What ``connection`` decrypts from ``datagram``, as aiortc's ``_recv_next``
    takes it (``bio_write``, then ``recv(1500)``): the plaintext; ``b""`` when
    nothing decrypts (pyOpenSSL would raise an ``SSL.Error``); None when the
    peer closed DTLS (``SSL.ZeroReturnError``)."""
    conn: Any = connection
    ssl = conn._ssl
    if _BIO_write(conn._into_ssl, datagram, len(datagram)) <= 0:
        connection.bio_write(datagram)  # raises pyOpenSSL's error (or writes after all)
    buffer = _new_buffer("char[]", RECORD_BUFFER_SIZE)
    read = _SSL_read(ssl, buffer, RECORD_BUFFER_SIZE)
    if read > 0:
        return bytes(_buffer(buffer, read))
    try:
        conn._raise_ssl_error(ssl, read)
    except SSL.ZeroReturnError:
        return None
    except SSL.Error:
        return b""
    return b""  # (SSL_read returned 0 with no error: nothing to hand on)


__all__ = ["RECORD_BUFFER_SIZE", "open_record", "seal_packets"]
