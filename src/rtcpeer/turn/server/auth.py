"""Long-term credentials for the server side (RFC 8489 §9.2).

Nonces are stateless: the expiry time plus an HMAC over it and the client's
5-tuple, so a nonce cannot be forged, replayed from another 5-tuple or kept
alive past its lifetime, and the server stores nothing per unauthenticated
client (a flood of Allocate requests costs no memory).

Users come from a static table or from coturn's time-limited "REST API"
scheme: username ``<expiry unix time>[:<user>]``, password
``base64(HMAC-SHA1(secret, username))``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterator

from rtcpeer.stun import long_term_key
from rtcpeer.turn.credentials import rest_api_expiry, rest_api_password
from rtcpeer.turn.server.config import TurnServerConfig
from rtcpeer.turn.server.events import ClientKey

_NONCE_PREFIX = "rtcp"


def _expiry(username: str) -> int | None:
    """The REST-API expiry, or None (also for digits ``int`` rejects, like '²')."""
    try:
        return rest_api_expiry(username)
    except ValueError:
        return None


class NonceIssuer:
    """Issues and checks stateless nonces bound to a 5-tuple and an expiry."""

    def __init__(self, secret: bytes, lifetime: int) -> None:
        self._secret = secret or os.urandom(16)
        self._lifetime = lifetime

    def _mac(self, client: ClientKey, expiry_hex: str) -> str:
        text = f"{expiry_hex}|{client.transport}|{client.remote}|{client.local}"
        # 64 bits of MAC: unforgeable online, and short in every 401/438.
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()[:16]

    def issue(self, client: ClientKey, now: float) -> str:
        expiry_hex = f"{int(now + self._lifetime):x}"
        return f"{_NONCE_PREFIX}{expiry_hex}.{self._mac(client, expiry_hex)}"

    def is_valid(self, nonce: str, client: ClientKey, now: float) -> bool:
        """False for a forged, foreign or expired nonce (all answered 438)."""
        if not nonce.startswith(_NONCE_PREFIX) or "." not in nonce:
            return False
        expiry_hex, mac = nonce[len(_NONCE_PREFIX) :].split(".", 1)
        try:
            expiry = int(expiry_hex, 16)
        except ValueError:
            return False
        if not hmac.compare_digest(mac, self._mac(client, expiry_hex)):
            return False
        return now < expiry


class CredentialStore:
    """Maps a username to its candidate long-term keys."""

    def __init__(self, config: TurnServerConfig) -> None:
        self._config = config

    def keys_for(self, username: str, wall_time: float) -> Iterator[bytes]:
        """Every key that would authenticate ``username`` now (none: unknown
        user or expired REST username)."""
        realm = self._config.realm
        password = self._config.users.get(username)
        if password is not None:
            yield long_term_key(username, realm, password)
        if self._config.auth_secrets:
            expiry = _expiry(username)
            if expiry is not None and expiry >= wall_time:
                for secret in self._config.auth_secrets:
                    yield long_term_key(username, realm, rest_api_password(secret, username))
