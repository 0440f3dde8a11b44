"""ICE server URL validation, table-driven, through both entry points."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rtcpeer import (
    DOMException,
    DOMSyntaxError,
    InvalidAccessError,
    NotSupportedError,
    RTCPeerConnection,
)
from rtcpeer.configuration import IceServerUrl, ice_server_urls, urls

MakePc = Callable[[Any], RTCPeerConnection]

CREDS = {"username": "user", "credential": "pass"}

# (url, expected error class or None) -- every URL is tried with credentials,
# so only URL syntax decides.
SYNTAX_CASES: list[tuple[str, type[DOMException] | None]] = [
    # schemes
    ("stun:example.org", None),
    ("stuns:example.org", None),
    ("turn:example.org", None),
    ("turns:example.org", None),
    ("STUN:example.org", None),
    ("TURN:example.org", None),
    ("TuRnS:example.org", None),
    ("http://example.com", DOMSyntaxError),
    ("https:example.com", DOMSyntaxError),
    ("stunx:example.org", DOMSyntaxError),
    ("turn", DOMSyntaxError),
    ("relative-url", DOMSyntaxError),
    ("192.168.257.com", DOMSyntaxError),
    ("", DOMSyntaxError),
    ("   ", DOMSyntaxError),
    ("\t", DOMSyntaxError),
    # hosts
    ("stun:stun.l.google.com", None),
    ("stun:localhost", None),
    ("stun:a", None),
    ("stun:ex%61mple.net", None),
    ("stun:www.foo\u3002bar.com", None),
    ("stun:\uff27\uff4f.com", None),
    ("stun:\u4f60\u597d\u4f60\u597d", None),
    ("stun:fa\u00df.ExAmPlE", None),
    ("stun:GOO\u200b\u2060\ufeffgoo.com", None),
    ("stun:example(&!$)*+-.;_=~\u263aorg", None),
    ("stun:.", None),
    ("stun:", DOMSyntaxError),
    ("stun::3478", DOMSyntaxError),
    ("stun:a<b", DOMSyntaxError),
    ("stun:a[b", DOMSyntaxError),
    ("stun:a^b", DOMSyntaxError),
    ("stun:a\\b", DOMSyntaxError),
    ("stun:x x:12", DOMSyntaxError),
    ("stun:a\u0000b", DOMSyntaxError),
    ("stun:ho%00st", DOMSyntaxError),
    ("stun:%25", DOMSyntaxError),
    ("stun:%zz%66%a.com", DOMSyntaxError),
    ("stun:example.com%80", DOMSyntaxError),
    ("stun:\ufffd", DOMSyntaxError),
    ("stun:%EF%BF%BD", DOMSyntaxError),
    ("stun:\ufdd0zyx.com", DOMSyntaxError),
    ("stun:GOO\u00a0\u3000goo.com", DOMSyntaxError),
    ("stun:\uff05\uff14\uff11.com", DOMSyntaxError),
    ("stun:a.b.c.xn--pokxncvks", DOMSyntaxError),
    ("stun:10.0.0.XN--pokxncvks", DOMSyntaxError),
    ("stun:xn--", DOMSyntaxError),
    ("stun:\u0001\u0002!\"$%&'()*+,-.;=_`{}~", DOMSyntaxError),
    # IPv4
    ("stun:192.0.2.1", None),
    ("stun:1.2.3.4.", None),
    ("stun:192.168.257", None),
    ("stun:0xffffffff", None),
    ("stun:999999999", None),
    ("stun:256", None),
    ("stun:%30%78%63%30%2e%30%32%35%30.01", None),
    ("stun:192.168.0.257", DOMSyntaxError),
    ("stun:256.256.256.256", DOMSyntaxError),
    ("stun:10000000000", DOMSyntaxError),
    ("stun:0xffffffff1", DOMSyntaxError),
    ("stun:192.168.0.1 hello", DOMSyntaxError),
    # IPv6
    ("stun:[2001:db8::1]", None),
    ("stun:[::1]:3478", None),
    ("turn:[2001:db8::1]:5000?transport=tcp", None),
    ("stun:[::ffff:192.0.2.1]", None),
    ("stun:::1", DOMSyntaxError),
    ("stun:2001:db8::1", DOMSyntaxError),
    ("stun:2001:db8::1:3478", DOMSyntaxError),
    ("stun:[::1", DOMSyntaxError),
    ("stun:[61:24:74]:98", DOMSyntaxError),
    ("stun:[example.net]", DOMSyntaxError),
    ("stun:[::1.2.3.]", DOMSyntaxError),
    ("stun:[::%31]", DOMSyntaxError),
    ("stun:%5B::1]", DOMSyntaxError),
    # ports
    ("stun:example.net:0", None),
    ("stun:example.net:1", None),
    ("stun:example.net:65535", None),
    ("stun:example.net:0000000000000000", None),
    ("stun:example.net:", None),
    ("stun:example.net:443", None),
    ("stun:example.net:65536", DOMSyntaxError),
    ("stun:example.net:99999", DOMSyntaxError),
    ("stun:example.net:-21", DOMSyntaxError),
    ("stun:example.net:b", DOMSyntaxError),
    ("stun:example.net:3478:1", DOMSyntaxError),
    ("stun:example.net: 21 ", DOMSyntaxError),
    # queries
    ("turn:example.org?transport=udp", None),
    ("turn:example.org?transport=tcp", None),
    ("turns:example.org?transport=udp", None),
    ("turns:example.org:443?transport=tcp", None),
    ("turn:example.org?transport=UDP", DOMSyntaxError),
    ("turn:example.org?TRANSPORT=udp", DOMSyntaxError),
    ("turn:example.org?transport=udp&x", DOMSyntaxError),
    ("turn:example.org?&transport=udp", DOMSyntaxError),
    ("turn:example.org?transport=sctp", DOMSyntaxError),
    ("turn:example.org?transport=", DOMSyntaxError),
    ("turn:example.org?transport=%75dp", DOMSyntaxError),
    ("turn:example.org?", DOMSyntaxError),
    ("turn:example.org?foo", DOMSyntaxError),
    ("stun:example.org?transport=udp", DOMSyntaxError),
    ("stuns:example.org?transport=tcp", DOMSyntaxError),
    ("stun:example.org?", DOMSyntaxError),
    # fragments
    ("stun:example.net#foo", DOMSyntaxError),
    ("stun:example.net#", DOMSyntaxError),
    ("turn:example.net?transport=udp#x", DOMSyntaxError),
    # paths, authorities, userinfo
    ("stun:example.net/foo", DOMSyntaxError),
    ("stun:example.net/", DOMSyntaxError),
    ("stun:/example.net", DOMSyntaxError),
    ("stun://example.org", DOMSyntaxError),
    ("turn://example.org/foo?x=y", DOMSyntaxError),
    ("stun://example.org/foo?x=y", DOMSyntaxError),
    ("turn:user@example.net", DOMSyntaxError),
    ("stun:@example.net", DOMSyntaxError),
    ("turn:user:pass@example.net", DOMSyntaxError),
    # whitespace and controls: WHATWG strips C0/space at the ends and drops tab/LF/CR
    (" stun:example.org", None),
    ("stun:example.org ", None),
    ("\u0000\u001b stun:example.com\u001f \r ", None),
    ("stun:example\t.\norg", None),
    ("stun:ho\tst", None),
    ("stun:h\to\ns\rt:9\t0\n0\r0", None),
    ("stun:example.net:\n", None),
    ("turn:example.org?transport=u\tdp", None),
    ("stun:example.net: ", None),
    ("st un:example.org", DOMSyntaxError),
    ("stun:exa mple.org", DOMSyntaxError),
]


def _config(url: Any) -> dict[str, Any]:
    return {"iceServers": [{"urls": url, **CREDS}]}


@pytest.mark.parametrize(("url", "error"), SYNTAX_CASES, ids=[repr(c[0]) for c in SYNTAX_CASES])
def test_url_syntax(make_pc: MakePc, url: str, error: type[DOMException] | None) -> None:
    if error is None:
        pc = make_pc(_config(url))
        assert pc.getConfiguration().iceServers[0].urls == url
    else:
        with pytest.raises(error) as info:
            make_pc(_config(url))
        assert info.value.name == error.name
        assert type(info.value) is error


def test_at_least_80_url_cases() -> None:
    assert len(SYNTAX_CASES) >= 80


def test_syntax_error_name_is_syntaxerror() -> None:
    with pytest.raises(DOMSyntaxError) as info:
        RTCPeerConnection(_config("bogus"))
    assert info.value.name == "SyntaxError"
    assert not isinstance(info.value, SyntaxError)


PARSED_CASES: list[tuple[str, tuple[str, str, int, str, bool]]] = [
    ("stun:example.org", ("stun", "example.org", 3478, "udp", False)),
    ("stuns:example.org", ("stuns", "example.org", 5349, "tcp", True)),
    ("turn:example.org", ("turn", "example.org", 3478, "udp", False)),
    ("turn:example.org?transport=tcp", ("turn", "example.org", 3478, "tcp", False)),
    ("turn:example.org?transport=udp", ("turn", "example.org", 3478, "udp", False)),
    ("turns:example.org", ("turns", "example.org", 5349, "tcp", True)),
    ("turns:example.org?transport=udp", ("turns", "example.org", 5349, "udp", True)),
    ("turns:example.org:443?transport=tcp", ("turns", "example.org", 443, "tcp", True)),
    ("TURN:Example.ORG:80", ("turn", "example.org", 80, "udp", False)),
    ("stun:[2001:DB8::1]:19302", ("stun", "2001:db8::1", 19302, "udp", False)),
    ("stun:example.net:", ("stun", "example.net", 3478, "udp", False)),
    ("stun:example.net:0", ("stun", "example.net", 0, "udp", False)),
    ("stun:example.net:00080", ("stun", "example.net", 80, "udp", False)),
    ("stun:ex%61mple.net", ("stun", "example.net", 3478, "udp", False)),
    ("stun:0xc0.0250.01", ("stun", "192.168.0.1", 3478, "udp", False)),
    ("stun:fa\u00df.example", ("stun", "xn--fa-hia.example", 3478, "udp", False)),
    (" stun:h\to\ns\rt:9\t0\n0\r0 ", ("stun", "host", 9000, "udp", False)),
]


@pytest.mark.parametrize(("url", "expected"), PARSED_CASES, ids=[c[0] for c in PARSED_CASES])
def test_parsed_url(url: str, expected: tuple[str, str, int, str, bool]) -> None:
    (parsed,) = ice_server_urls(_config(url))
    assert isinstance(parsed, IceServerUrl)
    assert (parsed.scheme, parsed.host, parsed.port, parsed.transport, parsed.secure) == expected
    assert parsed.url == url
    if parsed.is_turn:
        assert (parsed.username, parsed.credential) == ("user", "pass")
    else:
        assert (parsed.username, parsed.credential) == (None, None)


def test_pc_exposes_parsed_urls() -> None:
    pc = RTCPeerConnection(
        {"iceServers": [{"urls": ["stun:a.example", "turns:b.example"], **CREDS}]}
    )
    assert [u.host for u in pc._ice_server_urls] == ["a.example", "b.example"]
    pc.setConfiguration({"iceServers": [{"urls": "turn:c.example?transport=tcp", **CREDS}]})
    assert [(u.host, u.transport) for u in pc._ice_server_urls] == [("c.example", "tcp")]


# -- lists, ordering and the credential step ----------------------------------


def test_mixed_list_first_bad_url_decides(make_pc: MakePc) -> None:
    config = {"iceServers": [{"urls": ["stun:ok.example", "stun:bad/x", "turn:nocreds"]}]}
    with pytest.raises(DOMSyntaxError):
        make_pc(config)


def test_list_in_order_credentials_error_can_come_first(make_pc: MakePc) -> None:
    # Each URL is validated completely before the next: InvalidAccessError for
    # the first URL wins over a SyntaxError in the second.
    config = {"iceServers": [{"urls": ["turn:nocreds.example", "bogus"]}]}
    with pytest.raises(InvalidAccessError):
        make_pc(config)


def test_syntax_error_before_credentials_for_one_url(make_pc: MakePc) -> None:
    with pytest.raises(DOMSyntaxError):
        make_pc({"iceServers": [{"urls": "turn:host/x"}]})


def test_servers_in_order(make_pc: MakePc) -> None:
    config = {"iceServers": [{"urls": []}, {"urls": "turn:x"}]}
    with pytest.raises(DOMSyntaxError):
        make_pc(config)
    config = {"iceServers": [{"urls": "turn:x"}, {"urls": []}]}
    with pytest.raises(InvalidAccessError):
        make_pc(config)


def test_not_supported_scheme(monkeypatch: pytest.MonkeyPatch, make_pc: MakePc) -> None:
    monkeypatch.setattr(urls, "SUPPORTED_SCHEMES", frozenset({"stun", "turn"}))
    with pytest.raises(NotSupportedError) as info:
        make_pc(_config("turns:example.org"))
    assert info.value.name == "NotSupportedError"
    # A SyntaxError condition is still checked first.
    with pytest.raises(DOMSyntaxError):
        make_pc(_config("turns:example.org#frag"))
    make_pc(_config("stun:example.org"))
