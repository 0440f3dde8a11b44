"""Pins the pyOpenSSL internals ``rtcpeer.transport.dtls_records`` calls.

It seals and opens application-data records with the OpenSSL functions
pyOpenSSL's ``Connection.send``/``bio_read``/``bio_write``/``recv`` call, on
the SSL object and memory BIOs those methods use, and hands every failure
to pyOpenSSL's own error handling. A pyOpenSSL that renames any of it, or
stops making those calls, must fail here.
"""

from __future__ import annotations

import inspect

from OpenSSL import SSL


def _has(code: object, *fragments: str) -> None:
    source = inspect.getsource(code)  # type: ignore[arg-type]
    for fragment in fragments:
        assert fragment in source, f"{getattr(code, '__qualname__', code)}: {fragment!r}"


def test_the_calls_dtls_records_makes_are_pyopenssls() -> None:
    _has(SSL.Connection.send, "_lib.SSL_write(self._ssl, data, len(data))")
    _has(SSL.Connection.send, "self._raise_ssl_error(self._ssl, result)")
    _has(SSL.Connection.recv, "_lib.SSL_read(self._ssl, buf, bufsiz)")
    _has(SSL.Connection.recv, "self._raise_ssl_error(self._ssl, result)")
    _has(SSL.Connection.recv, "return _ffi.buffer(buf, result)[:]")
    _has(SSL.Connection.bio_read, "_lib.BIO_read(self._from_ssl, buf, bufsiz)")
    _has(SSL.Connection.bio_write, "_lib.BIO_write(self._into_ssl, data, len(data))")
    _has(SSL.Connection.__init__, "self._into_ssl", "self._from_ssl")
    for name in ("_lib", "_ffi"):
        assert hasattr(SSL, name), name
    for name in ("SSL_write", "SSL_read", "BIO_write", "BIO_read"):
        assert hasattr(SSL._lib, name), name  # type: ignore[attr-defined]


def test_pyopenssls_error_mapping_is_what_open_record_relies_on() -> None:
    """A close_notify raises ZeroReturnError, every other failure an SSL.Error."""
    _has(
        SSL.Connection._raise_ssl_error,
        "elif error == _lib.SSL_ERROR_ZERO_RETURN:",
        "raise ZeroReturnError()",
        "elif error == _lib.SSL_ERROR_NONE:",
    )
    assert issubclass(SSL.ZeroReturnError, SSL.Error)
    assert issubclass(SSL.SysCallError, SSL.Error)
