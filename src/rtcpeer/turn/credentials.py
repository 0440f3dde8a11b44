"""Time-limited TURN credentials ("TURN REST API", coturn ``use-auth-secret``).

The username is ``"<expiry unix time>:<user>"`` and the password is
base64(HMAC-SHA1(shared secret, username)). Clients receive both from a web
service; the TURN server recomputes the password from the username alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def rest_api_password(secret: str | bytes, username: str) -> str:
    """The password a server sharing ``secret`` expects for ``username``."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def rest_api_credentials(secret: str | bytes, user: str, *, expires_at: float) -> tuple[str, str]:
    """``(username, password)`` valid until the unix time ``expires_at``."""
    username = f"{int(expires_at)}:{user}"
    return username, rest_api_password(secret, username)


def rest_api_expiry(username: str) -> int | None:
    """The expiry encoded in a REST API username, or None if it has none."""
    head = username.split(":", 1)[0]
    return int(head) if head.isdigit() else None
