"""The DTLS role from a=setup, in one place (RFC 5763 §5, RFC 8842 §5, JSEP §5.3.1).

Three questions, each answered here only:

- :func:`answer_setup`: what a=setup we put in an answer;
- :func:`setup_in_force`: which of active/passive we hold once an
  offer/answer exchange is complete (the basis of the next answer: the DTLS
  connection continues, RFC 8842 §5.5);
- :func:`dtls_role`: whether we are the DTLS client or server.
"""

from __future__ import annotations

from typing import Literal

from rtcpeer.errors import InvalidAccessError, OperationError

#: The DTLS side: ``client`` sends the ClientHello (a=setup:active).
DtlsRole = Literal["client", "server"]

_OPPOSITE = {"active": "passive", "passive": "active"}


def answer_setup(offer_setup: str | None, existing: str | None = None) -> str:
    """Our a=setup in an answer (RFC 5763 §5, JSEP §5.3.1).

    ``existing`` is our current role ("active"/"passive") when a DTLS
    connection continues; otherwise ``active`` unless the offer insists on
    being active itself.
    """
    if offer_setup == "holdconn":
        raise OperationError("a=setup:holdconn is not supported")
    if existing is not None:
        if existing not in ("active", "passive"):
            raise ValueError(f"existing setup role must be active or passive, got {existing!r}")
        if offer_setup in ("active", "passive") and offer_setup == existing:
            raise InvalidAccessError(
                f"the offer's a=setup:{offer_setup} conflicts with the established DTLS role"
            )
        return existing
    return "passive" if offer_setup == "active" else "active"


def setup_in_force(local_setup: str | None, remote_setup: str | None) -> str | None:
    """Our a=setup role ("active"/"passive") under the last completed exchange, or None.

    ``local_setup`` is our a=setup in the local description in force and
    ``remote_setup`` the remote one's. If we offered actpass, the role in
    force is the opposite of what the remote answered (RFC 8842 §5.5).
    None when no role is established (nothing negotiated yet, or an answer
    without a usable a=setup).
    """
    if local_setup == "actpass":
        return _OPPOSITE.get(remote_setup or "")
    return local_setup if local_setup in _OPPOSITE else None


def dtls_role(local_setup: str | None, remote_setup: str | None) -> DtlsRole:
    """Our DTLS role once an answer is in force: active is the client (RFC 5763 §5).

    When we answered, our own a=setup decides. When we offered actpass, the
    answer's a=setup decides: the answerer being active makes us the server,
    anything else (passive, or none at all) makes us the client.
    """
    if local_setup in _OPPOSITE:
        return "client" if local_setup == "active" else "server"
    return "server" if remote_setup == "active" else "client"
