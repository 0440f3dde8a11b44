"""WebIDL type conversion: TypeErrors naming the member; dataclasses and dicts alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from rtcpeer import (
    InvalidAccessError,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCRtcpMuxPolicy,
)

MakePc = Callable[[Any], RTCPeerConnection]

TYPE_ERRORS: list[tuple[Any, str]] = [
    ("not a dict", "configuration"),
    (["iceServers"], "configuration"),
    (42, "configuration"),
    ({"iceServers": "stun:x"}, "iceServers"),
    ({"iceServers": {"urls": "stun:x"}}, "iceServers"),
    ({"iceServers": [None]}, "iceServers[0]"),
    ({"iceServers": ["stun:x"]}, "iceServers[0]"),
    ({"iceServers": [{}]}, "iceServers[0].urls"),
    ({"iceServers": [{"url": "stun:x"}]}, "iceServers[0].urls"),
    ({"iceServers": [{"urls": None}]}, "iceServers[0].urls"),
    ({"iceServers": [{"urls": 3478}]}, "iceServers[0].urls"),
    ({"iceServers": [{"urls": ["stun:x", 1]}]}, "iceServers[0].urls[1]"),
    ({"iceServers": [{"urls": [b"stun:x"]}]}, "iceServers[0].urls[0]"),
    ({"iceServers": [{"urls": b"stun:x"}]}, "iceServers[0].urls"),
    ({"iceServers": [{"urls": "turn:x", "username": 1, "credential": "c"}]}, "username"),
    (
        {"iceServers": [{"urls": "turn:x", "username": "u", "credential": {"macKey": ""}}]},
        "credential",
    ),
    ({"iceTransportPolicy": "none"}, "iceTransportPolicy"),
    ({"iceTransportPolicy": "RELAY"}, "iceTransportPolicy"),
    ({"bundlePolicy": "invalid"}, "bundlePolicy"),
    ({"rtcpMuxPolicy": "negotiate"}, "rtcpMuxPolicy"),
    ({"rtcpMuxPolicy": 1}, "rtcpMuxPolicy"),
    ({"certificates": ["pem"]}, "certificates[0]"),
    ({"certificates": [{}]}, "certificates[0]"),
    ({"iceCandidatePoolSize": -1}, "iceCandidatePoolSize"),
    ({"iceCandidatePoolSize": 256}, "iceCandidatePoolSize"),
    ({"iceCandidatePoolSize": True}, "iceCandidatePoolSize"),
    ({"iceCandidatePoolSize": 1.5}, "iceCandidatePoolSize"),
    ({"iceCandidatePoolSize": "1"}, "iceCandidatePoolSize"),
    ({"peerIdentity": 5}, "peerIdentity"),
]


@pytest.mark.parametrize(("config", "member"), TYPE_ERRORS, ids=[repr(c) for c, _ in TYPE_ERRORS])
def test_type_errors(make_pc: MakePc, config: Any, member: str) -> None:
    with pytest.raises(TypeError) as info:
        make_pc(config)
    assert member in str(info.value)


def test_type_errors_win_over_spec_errors(make_pc: MakePc) -> None:
    # WebIDL conversion finishes before the algorithm runs.
    with pytest.raises(TypeError):
        make_pc({"iceServers": [{"urls": "bogus"}], "rtcpMuxPolicy": "negotiate"})


def test_members_converted_in_lexicographic_order() -> None:
    with pytest.raises(TypeError, match="bundlePolicy"):
        RTCConfiguration.from_dict({"rtcpMuxPolicy": "x", "bundlePolicy": "y", "iceServers": 1})
    with pytest.raises(TypeError, match="credential"):
        RTCIceServer.from_dict({"username": 1, "credential": 2})


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        # A misspelt member leaves the real one at its default...
        ({"iceTransports": "relay"}, RTCConfiguration()),
        ({"iceTransports": None}, RTCConfiguration()),
        ({"bundlepolicy": "max-bundle"}, RTCConfiguration()),
        ({"unknown": object()}, RTCConfiguration()),
        ({1: 2}, RTCConfiguration()),
        # ...and does not disturb the members given beside it.
        (
            {"iceTransportPolicy": "relay", "iceTransport": "all", "iceCandidatePoolsize": 3},
            RTCConfiguration(iceTransportPolicy=RTCIceTransportPolicy.RELAY),
        ),
        (
            {"iceServers": [{"urls": "stun:x", "credentialType": "oauth"}]},
            RTCConfiguration(iceServers=(RTCIceServer("stun:x"),)),
        ),
    ],
)
def test_unknown_keys_ignored(make_pc: MakePc, config: Any, expected: RTCConfiguration) -> None:
    applied = make_pc(config).getConfiguration()
    assert applied == expected
    # Nothing of the unknown keys is kept to come back out.
    assert applied.to_dict() == expected.to_dict()


@pytest.mark.parametrize("pool", [0, 1, 254, 255])
def test_pool_size_range(make_pc: MakePc, pool: int) -> None:
    assert make_pc({"iceCandidatePoolSize": pool}).getConfiguration().iceCandidatePoolSize == pool


def test_enums_are_strings() -> None:
    policy = (
        RTCPeerConnection({"iceTransportPolicy": "relay"}).getConfiguration().iceTransportPolicy
    )
    assert policy == "relay"
    assert policy is RTCIceTransportPolicy.RELAY
    assert str(RTCBundlePolicy.MAX_COMPAT) == "max-compat"
    assert json.dumps(RTCRtcpMuxPolicy.REQUIRE) == '"require"'
    assert [p.value for p in RTCBundlePolicy] == ["balanced", "max-compat", "max-bundle"]


def test_dataclasses_accept_dicts_strings_and_objects() -> None:
    config = RTCConfiguration(
        iceServers=[{"urls": "stun:a.example"}, RTCIceServer("turn:b.example", "u", "p")],
        iceTransportPolicy="relay",
        bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
    )
    assert config.iceServers[0] == RTCIceServer("stun:a.example")
    assert config.iceTransportPolicy is RTCIceTransportPolicy.RELAY
    pc = RTCPeerConnection({"iceServers": [RTCIceServer("stun:c.example")]})
    assert pc.getConfiguration().iceServers[0].urls == "stun:c.example"


def test_dataclasses_are_frozen() -> None:
    config = RTCConfiguration()
    with pytest.raises(AttributeError):
        config.iceCandidatePoolSize = 3  # type: ignore[misc]
    server = RTCIceServer("stun:x")
    with pytest.raises(AttributeError):
        server.urls = ("stun:y",)  # type: ignore[misc]
    assert hash(config) == hash(RTCConfiguration())


def test_dataclass_type_errors() -> None:
    with pytest.raises(TypeError, match="iceCandidatePoolSize"):
        RTCConfiguration(iceCandidatePoolSize=300)
    with pytest.raises(TypeError, match="bundlePolicy"):
        RTCConfiguration(bundlePolicy="bogus")
    with pytest.raises(TypeError, match="urls"):
        RTCIceServer(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="username"):
        RTCIceServer("turn:x", username=1)  # type: ignore[arg-type]


def test_to_dict_is_the_w3c_dictionary() -> None:
    config = RTCConfiguration.from_dict(
        {
            "iceServers": [
                {"urls": "turn:t.example", "username": "u", "credential": "p"},
                {"urls": ["stun:s.example"]},
            ],
            "iceTransportPolicy": "relay",
            "peerIdentity": "alice@idp.example",
        }
    )
    assert config.to_dict() == {
        "iceServers": [
            {"urls": "turn:t.example", "username": "u", "credential": "p"},
            {"urls": ["stun:s.example"]},
        ],
        "iceTransportPolicy": "relay",
        "bundlePolicy": "balanced",
        "rtcpMuxPolicy": "require",
        "certificates": [],
        "iceCandidatePoolSize": 0,
        "peerIdentity": "alice@idp.example",
    }
    assert json.loads(json.dumps(config.toJSON())) == config.to_dict()
    assert RTCConfiguration.from_dict(config.to_dict()) == config
    assert RTCIceServer.toJSON(config.iceServers[1]) == {"urls": ["stun:s.example"]}


def test_to_json_certificates_as_fingerprints(ecdsa_cert: Any) -> None:
    data = RTCConfiguration(certificates=[ecdsa_cert]).toJSON()
    assert data["certificates"][0]["fingerprints"][0]["algorithm"] == "sha-256"
    json.dumps(data)


def test_lone_surrogates_in_urls_become_replacement_character(make_pc: MakePc) -> None:
    # USVString conversion; U+FFFD is then not a valid host.
    server = RTCIceServer("stun:a\ud800b")
    assert server.urls == "stun:a\ufffdb"
    from rtcpeer import DOMSyntaxError

    with pytest.raises(DOMSyntaxError):
        make_pc({"iceServers": [{"urls": "stun:a\ud800b"}]})


NONE_IS_ABSENT: list[dict[str, Any]] = [
    {"iceServers": None},
    {"iceTransportPolicy": None},
    {"bundlePolicy": None},
    {"rtcpMuxPolicy": None},
    {"certificates": None},
    {"iceCandidatePoolSize": None},
    {"peerIdentity": None},
    {"iceServers": [{"urls": "stun:x.example", "username": None, "credential": None}]},
]


@pytest.mark.parametrize("config", NONE_IS_ABSENT, ids=[repr(c) for c in NONE_IS_ABSENT])
def test_none_is_an_absent_member(make_pc: MakePc, config: dict[str, Any]) -> None:
    """Python None is JavaScript undefined: the member takes its default."""
    given = make_pc(config).getConfiguration()
    without = {k: v for k, v in config.items() if v is not None}
    if "iceServers" in without:
        without["iceServers"] = [{"urls": "stun:x.example"}]
    assert given == RTCConfiguration.from_dict(without)
    assert given == RTCConfiguration(**config)


def test_none_credential_is_a_turn_server_without_credential(make_pc: MakePc) -> None:
    server = {"urls": "turn:t.example", "username": "u", "credential": None}
    with pytest.raises(InvalidAccessError):
        make_pc({"iceServers": [server]})
    pc = make_pc({})
    with pytest.raises(InvalidAccessError):
        pc.setConfiguration({"iceServers": [server]})
    with pytest.raises(TypeError, match="urls"):
        make_pc({"iceServers": [{"urls": None}]})
