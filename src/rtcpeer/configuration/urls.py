"""ICE server URLs: the spec's "validate an ICE server URL" and a parsed form.

Validation follows webrtc-pc literally, on top of the WHATWG URL parser
(ada-url): the URL must parse, have scheme stun/stuns/turn/turns and an
opaque path without "/" or "@", no fragment, no query for stun/stuns;
``"https://" + path`` must parse to a URL with an empty path and no
userinfo; and a query, if any, must be exactly ``transport=udp`` or
``transport=tcp``. Because the WHATWG parser is used, leading and trailing
C0 controls and spaces are stripped and tabs/newlines anywhere are removed
before anything is checked, the scheme is case-insensitive, and host names
are normalised (IDNA, percent-decoding, IPv4 shorthands).

The result is an :class:`IceServerUrl`, the form the ICE agent and the TURN
client consume: normalised host, numeric port with RFC 7064/7065 defaults,
transport and TLS flag, and the server's (OpaqueString-enforced)
credentials.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import ada_url

from rtcpeer.errors import DOMSyntaxError, NotSupportedError

#: The schemes the spec allows at all.
ICE_SCHEMES = frozenset({"stun", "stuns", "turn", "turns"})
#: The schemes this implementation supports (all of them). A scheme allowed
#: by the spec but missing here would be a NotSupportedError.
SUPPORTED_SCHEMES = frozenset({"stun", "stuns", "turn", "turns"})

DEFAULT_PORTS = {"stun": 3478, "turn": 3478, "stuns": 5349, "turns": 5349}
_VALID_QUERIES = {"transport=udp": "udp", "transport=tcp": "tcp"}


@dataclass(frozen=True)
class IceServerUrl:
    """One validated STUN/TURN URL, ready for the ICE agent.

    ``transport`` is the transport to the server: ``udp`` for stun: and
    turn:, ``tcp`` for stuns:, turns: and ``?transport=tcp``; ``secure``
    says whether (D)TLS runs over it -- so ``turns:…?transport=udp`` is
    TURN over DTLS and ``turns:`` is TURN over TLS. ``username`` and
    ``credential`` are the OpaqueString-enforced forms (what goes on the
    wire); they are ``None`` for STUN servers configured without them.
    """

    url: str
    scheme: str
    host: str
    port: int
    transport: str
    secure: bool
    username: str | None = None
    credential: str | None = None

    @property
    def is_turn(self) -> bool:
        """True for turn:/turns: URLs (relay servers)."""
        return self.scheme in ("turn", "turns")


@dataclass(frozen=True)
class ParsedIceUrl:
    """The syntax-only result of validating a URL (no credentials yet)."""

    scheme: str
    host: str
    port: int
    transport: str
    secure: bool


def _split_href(href: str, scheme: str) -> tuple[str, str | None, str | None]:
    """Split a serialised opaque-path URL into (path, query, fragment).

    ada's ``search``/``hash`` getters return "" both for a missing and for an
    empty query/fragment; the spec distinguishes them ("is non-null"), and the
    serialisation keeps the distinction, so it is read from the href.
    """
    rest = href[len(scheme) + 1 :]
    fragment: str | None = None
    if "#" in rest:
        rest, fragment = rest.split("#", 1)
    query: str | None = None
    if "?" in rest:
        rest, query = rest.split("?", 1)
    return rest, query, fragment


def _port_text(path: str) -> str:
    """The text after the host's ':' in ``host[:port]`` ("" if none)."""
    if path.startswith("["):
        end = path.find("]")
        after = path[end + 1 :] if end >= 0 else ""
    else:
        after = path[path.find(":") :] if ":" in path else ""
    return after[1:] if after.startswith(":") else ""


def _punycode_label_ok(label: str) -> bool:
    """UTS #46 validity of one ``xn--`` label, which ada-url 4 does not check.

    The URL Standard's "domain to ASCII" rejects A-labels whose Punycode does
    not decode, decodes to nothing or to ASCII only, or decodes to code points
    that UTS #46 would map or disallow (WPT: ``a.b.c.xn--pokxncvks`` fails).
    The mapping test is approximated by NFKC plus lower-casing.
    """
    payload = label[4:]
    try:
        decoded = payload.encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        return False
    if not decoded or decoded.isascii():
        return False
    if any(unicodedata.category(c) in ("Cc", "Cn", "Cs", "Co") for c in decoded):
        return False
    return unicodedata.normalize("NFKC", decoded).lower() == decoded


def parse_ice_server_url(url: str) -> ParsedIceUrl:
    """Run the syntax steps of "validate an ICE server URL" on ``url``.

    Raises :class:`DOMSyntaxError` (``.name == "SyntaxError"``) for every
    malformed URL and :class:`NotSupportedError` for an unsupported scheme.
    """
    try:
        parsed = ada_url.parse_url(url, attributes=("href", "protocol"))
    except ValueError:
        raise DOMSyntaxError(f"{url!r} is not a valid URL") from None
    scheme = str(parsed["protocol"])[:-1]
    if scheme not in ICE_SCHEMES:
        raise DOMSyntaxError(f"{url!r}: scheme {scheme!r} is not stun, stuns, turn or turns")
    path, query, fragment = _split_href(str(parsed["href"]), scheme)
    if path.startswith("/"):
        raise DOMSyntaxError(f"{url!r}: expected scheme:host[:port], not a '//' or '/' path")
    if "/" in path or "@" in path:
        raise DOMSyntaxError(f"{url!r}: the path must not contain '/' or '@'")
    if fragment is not None:
        raise DOMSyntaxError(f"{url!r}: a fragment ('#') is not allowed")
    if scheme in ("stun", "stuns") and query is not None:
        raise DOMSyntaxError(f"{url!r}: a {scheme}: URL takes no query")
    if scheme not in SUPPORTED_SCHEMES:
        raise NotSupportedError(f"{url!r}: the {scheme}: scheme is not supported")
    try:
        host_and_port = ada_url.parse_url(
            "https://" + path, attributes=("hostname", "pathname", "username", "password")
        )
    except ValueError:
        raise DOMSyntaxError(f"{url!r}: {path!r} is not a valid host[:port]") from None
    if host_and_port["pathname"] != "/" or host_and_port["username"] or host_and_port["password"]:
        raise DOMSyntaxError(f"{url!r}: {path!r} is not a valid host[:port]")
    if query is not None and query not in _VALID_QUERIES:
        raise DOMSyntaxError(
            f"{url!r}: the query must be exactly transport=udp or transport=tcp, not {query!r}"
        )
    host = str(host_and_port["hostname"])
    if any(label.startswith("xn--") and not _punycode_label_ok(label) for label in host.split(".")):
        raise DOMSyntaxError(f"{url!r}: {host!r} has an invalid internationalised label")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    port_text = _port_text(path)
    port = int(port_text) if port_text else DEFAULT_PORTS[scheme]
    secure = scheme in ("stuns", "turns")
    default_transport = "tcp" if secure else "udp"
    transport = _VALID_QUERIES[query] if query is not None else default_transport
    return ParsedIceUrl(scheme=scheme, host=host, port=port, transport=transport, secure=secure)


__all__ = [
    "DEFAULT_PORTS",
    "ICE_SCHEMES",
    "SUPPORTED_SCHEMES",
    "IceServerUrl",
    "ParsedIceUrl",
    "parse_ice_server_url",
]
