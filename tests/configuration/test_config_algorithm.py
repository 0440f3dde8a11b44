"""Every row of the spec's "set a configuration" algorithm, through both entry points."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from rtcpeer import (
    DOMSyntaxError,
    InvalidAccessError,
    InvalidModificationError,
    InvalidStateError,
    RTCBundlePolicy,
    RTCCertificate,
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
)
from rtcpeer.configuration import MAX_ICE_SERVERS

MakePc = Callable[[Any], RTCPeerConnection]
CREDS = {"username": "user", "credential": "cred"}
TURN = {"urls": "turn:turn.example.org", **CREDS}


def test_defaults() -> None:
    config = RTCPeerConnection().getConfiguration()
    assert config == RTCConfiguration()
    assert config.iceServers == ()
    assert config.iceTransportPolicy == "all"
    assert config.bundlePolicy == "balanced"
    assert config.rtcpMuxPolicy == "require"
    assert config.certificates == ()
    assert config.iceCandidatePoolSize == 0
    assert config.peerIdentity is None


def test_initial_states() -> None:
    pc = RTCPeerConnection()
    assert pc.signalingState == "stable"
    assert pc.iceConnectionState == "new"
    assert pc.iceGatheringState == "new"
    assert pc.connectionState == "new"
    assert pc._local_description_set is False


@pytest.mark.parametrize("config", [None, {}, RTCConfiguration()])
def test_empty_configurations(make_pc: MakePc, config: Any) -> None:
    assert make_pc(config).getConfiguration() == RTCConfiguration()


def test_get_configuration_round_trips(make_pc: MakePc) -> None:
    given = {
        "iceServers": [{"urls": ["stun:a.example", "turns:b.example"], **CREDS}],
        "iceTransportPolicy": "relay",
        "iceCandidatePoolSize": 0,
    }
    config = make_pc(given).getConfiguration()
    assert config.iceServers == (
        RTCIceServer(["stun:a.example", "turns:b.example"], "user", "cred"),
    )
    assert config.iceTransportPolicy is RTCIceTransportPolicy.RELAY
    again = RTCPeerConnection(config.to_dict()).getConfiguration()
    assert again == config
    assert RTCPeerConnection(config).getConfiguration() is config


def test_urls_round_trip_in_the_form_given(make_pc: MakePc) -> None:
    """WPT RTCConfiguration-iceServers.html: a string stays a string, a list a list."""
    given = [
        {"urls": "stun:stun1.example.net"},
        {"urls": ["stun:stun2.example.net"]},
        {"urls": ["stun:a.example", "stun:b.example"]},
    ]
    config = make_pc({"iceServers": given}).getConfiguration()
    assert config.iceServers[0].urls == "stun:stun1.example.net"
    assert config.iceServers[0].url_list == ("stun:stun1.example.net",)
    assert config.iceServers[1].url_list == ("stun:stun2.example.net",)
    assert config.to_dict()["iceServers"] == given
    assert json.loads(json.dumps(config.toJSON()))["iceServers"] == given
    pc = make_pc({})
    pc.setConfiguration({"iceServers": given})
    assert pc.getConfiguration().to_dict()["iceServers"] == given
    assert [u.host for u in pc._ice_server_urls] == [
        "stun1.example.net",
        "stun2.example.net",
        "a.example",
        "b.example",
    ]


def test_empty_urls_is_syntax_error(make_pc: MakePc) -> None:
    with pytest.raises(DOMSyntaxError) as info:
        make_pc({"iceServers": [{"urls": []}]})
    assert info.value.name == "SyntaxError"


@pytest.mark.parametrize(
    "server",
    [
        {"urls": "turn:turn.example.net"},
        {"urls": "turn:turn.example.net", "username": "user"},
        {"urls": "turn:turn.example.net", "credential": "cred"},
        {"urls": "turns:turn.example.net"},
        {"urls": "turns:turn.example.net", "username": "user"},
        {"urls": "turns:turn.example.net", "credential": "cred"},
        {"urls": "turn:turn.example.net", "username": "", "credential": "cred"},
        {"urls": "turn:turn.example.net", "username": "user", "credential": ""},
        {"urls": "turn:turn.example.net", "username": "a\u0000b", "credential": "cred"},
        {"urls": "turn:turn.example.net", "username": "user", "credential": "x\u200by"},
        {"urls": "turn:turn.example.net", "username": "u" * 509, "credential": "cred"},
        {"urls": "turns:turn.example.net", "username": "\u00e9" * 255, "credential": "c"},
    ],
)
def test_turn_credentials_invalid_access(make_pc: MakePc, server: dict[str, Any]) -> None:
    with pytest.raises(InvalidAccessError) as info:
        make_pc({"iceServers": [server]})
    assert info.value.name == "InvalidAccessError"


@pytest.mark.parametrize(
    "server",
    [
        TURN,
        {"urls": "turns:t.example", "username": "u" * 508, "credential": "c"},
        {"urls": "turn:t.example", "username": "1613774196:me@example.com", "credential": "a b"},
        {"urls": "turn:t.example", "username": "\u00e9" * 254, "credential": "\uff2bevin"},
        {"urls": "stun:s.example", "username": "", "credential": ""},
        {"urls": "stun:s.example", "username": "a\u0000b"},
    ],
)
def test_turn_credentials_ok(make_pc: MakePc, server: dict[str, Any]) -> None:
    pc = make_pc({"iceServers": [server]})
    given = RTCIceServer(server["urls"], server.get("username"), server.get("credential"))
    assert pc.getConfiguration().iceServers == (given,)
    (url,) = pc._ice_server_urls
    assert url.url == server["urls"]
    if url.is_turn:
        # Accepted credentials reach the ICE agent (these are already in the
        # OpaqueString form, so they go on the wire unchanged).
        assert (url.username, url.credential) == (server["username"], server["credential"])
    else:
        # A STUN server's credentials are kept in the configuration, never sent.
        assert (url.username, url.credential) == (None, None)


def test_credentials_enforced_for_the_wire() -> None:
    pc = RTCPeerConnection(
        {
            "iceServers": [
                {"urls": "turn:t.example", "username": "u\u00a0v", "credential": "e\u0301"}
            ]
        }
    )
    (url,) = pc._ice_server_urls
    assert (url.username, url.credential) == ("u v", "\u00e9")
    assert pc.getConfiguration().iceServers[0].username == "u\u00a0v"


def test_ice_servers_truncated_to_limit(make_pc: MakePc) -> None:
    servers = [{"urls": f"stun:s{i}.example"} for i in range(MAX_ICE_SERVERS)]
    servers.append({"urls": "bogus"})  # beyond the limit: ignored, not validated
    pc = make_pc({"iceServers": servers})
    assert len(pc._ice_server_urls) == MAX_ICE_SERVERS
    assert len(pc.getConfiguration().iceServers) == MAX_ICE_SERVERS + 1


# -- setConfiguration ---------------------------------------------------------


async def test_closed_is_invalid_state() -> None:
    pc = RTCPeerConnection()
    await pc.close()
    await pc.close()
    assert (pc.signalingState, pc.iceConnectionState, pc.connectionState) == ("closed",) * 3
    with pytest.raises(InvalidStateError) as info:
        pc.setConfiguration({})
    assert info.value.name == "InvalidStateError"
    # Closed beats every other error, including type errors in the argument.
    with pytest.raises(InvalidStateError):
        pc.setConfiguration({"iceServers": [{"urls": "bogus"}]})


def test_replacement_not_merging() -> None:
    pc = RTCPeerConnection(
        {"iceServers": [TURN], "iceTransportPolicy": "relay", "iceCandidatePoolSize": 3}
    )
    pc.setConfiguration({})
    assert pc.getConfiguration() == RTCConfiguration()
    assert pc._ice_server_urls == ()


def test_failed_set_changes_nothing() -> None:
    pc = RTCPeerConnection({"iceServers": [TURN]})
    before = pc.getConfiguration()
    urls = pc._ice_server_urls
    with pytest.raises(DOMSyntaxError):
        pc.setConfiguration({"iceTransportPolicy": "relay", "iceServers": [{"urls": ""}]})
    assert pc.getConfiguration() is before
    assert pc._ice_server_urls is urls


@pytest.mark.parametrize(
    ("initial", "new"),
    [
        ({"bundlePolicy": "max-bundle"}, {"bundlePolicy": "max-compat"}),
        ({"bundlePolicy": "max-bundle"}, {}),
        ({}, {"bundlePolicy": "max-bundle"}),
        ({"bundlePolicy": "max-compat"}, {"bundlePolicy": "balanced"}),
        ({"peerIdentity": "alice@idp.example"}, {"peerIdentity": "bob@idp.example"}),
        ({}, {"peerIdentity": "bob@idp.example"}),
    ],
)
def test_invalid_modification(initial: dict[str, Any], new: dict[str, Any]) -> None:
    pc = RTCPeerConnection(initial)
    with pytest.raises(InvalidModificationError) as info:
        pc.setConfiguration(new)
    assert info.value.name == "InvalidModificationError"
    assert pc.getConfiguration() == RTCConfiguration.from_dict(initial)


@pytest.mark.parametrize(
    ("initial", "new"),
    [
        ({}, {}),
        ({"bundlePolicy": "balanced"}, {}),
        ({"bundlePolicy": "max-bundle"}, {"bundlePolicy": "max-bundle"}),
        ({"rtcpMuxPolicy": "require"}, {}),
        ({"iceTransportPolicy": "relay"}, {"iceTransportPolicy": "all"}),
        ({"iceCandidatePoolSize": 5}, {"iceCandidatePoolSize": 0}),
        ({}, {"iceCandidatePoolSize": 255}),
        ({"peerIdentity": "alice@idp.example"}, {"peerIdentity": "alice@idp.example"}),
        ({"peerIdentity": "alice@idp.example"}, {}),
    ],
)
def test_allowed_modification(initial: dict[str, Any], new: dict[str, Any]) -> None:
    pc = RTCPeerConnection(initial)
    pc.setConfiguration(new)
    assert pc.getConfiguration() == RTCConfiguration.from_dict(new)


def test_peer_identity_target_survives_absent_member() -> None:
    # webrtc-identity: only a *set* peerIdentity is compared with the target.
    pc = RTCPeerConnection({"peerIdentity": "alice@idp.example"})
    pc.setConfiguration({})
    assert pc.getConfiguration().peerIdentity is None
    with pytest.raises(InvalidModificationError):
        pc.setConfiguration({"peerIdentity": "mallory@idp.example"})
    pc.setConfiguration({"peerIdentity": "alice@idp.example"})


def test_pool_size_frozen_after_set_local_description() -> None:
    pc = RTCPeerConnection({"iceCandidatePoolSize": 2})
    pc.setConfiguration({"iceCandidatePoolSize": 4})
    pc._local_description_set = True
    pc.setConfiguration({"iceCandidatePoolSize": 4})
    with pytest.raises(InvalidModificationError):
        pc.setConfiguration({"iceCandidatePoolSize": 5})
    with pytest.raises(InvalidModificationError):
        pc.setConfiguration({})
    assert pc.getConfiguration().iceCandidatePoolSize == 4


def test_modification_checked_before_urls() -> None:
    pc = RTCPeerConnection({"bundlePolicy": "max-bundle"})
    with pytest.raises(InvalidModificationError):
        pc.setConfiguration({"iceServers": [{"urls": "bogus"}]})


def test_type_error_before_everything() -> None:
    pc = RTCPeerConnection({"bundlePolicy": "max-bundle"})
    with pytest.raises(TypeError):
        pc.setConfiguration({"bundlePolicy": "balanced", "iceTransportPolicy": "none"})


# -- certificates -------------------------------------------------------------


def test_same_certificates_allowed(ecdsa_cert: RTCCertificate, ecdsa_cert2: RTCCertificate) -> None:
    pc = RTCPeerConnection({"certificates": [ecdsa_cert]})
    pc.setConfiguration({"certificates": [ecdsa_cert]})
    pc.setConfiguration(RTCConfiguration(certificates=(ecdsa_cert,)))
    pc2 = RTCPeerConnection({"certificates": [ecdsa_cert, ecdsa_cert2]})
    pc2.setConfiguration({"certificates": (ecdsa_cert, ecdsa_cert2)})
    assert pc2.getConfiguration().certificates == (ecdsa_cert, ecdsa_cert2)


@pytest.mark.parametrize(
    ("initial", "new"),
    [
        ([0], [1]),
        ([0], [0, 1]),
        ([0, 1], [1, 0]),
        ([0, 1], [0]),
        ([0, 1], []),
        ([0], []),
        ([], [0]),
    ],
)
def test_different_certificates_invalid_modification(
    ecdsa_cert: RTCCertificate,
    ecdsa_cert2: RTCCertificate,
    initial: list[int],
    new: list[int],
) -> None:
    certs = [ecdsa_cert, ecdsa_cert2]
    pc = RTCPeerConnection({"certificates": [certs[i] for i in initial]})
    with pytest.raises(InvalidModificationError):
        pc.setConfiguration({"certificates": [certs[i] for i in new]})


def test_equal_but_distinct_certificate_object_differs(ecdsa_cert: RTCCertificate) -> None:
    twin = RTCCertificate(ecdsa_cert.private_key, ecdsa_cert.x509, ecdsa_cert.expires)
    pc = RTCPeerConnection({"certificates": [ecdsa_cert]})
    with pytest.raises(InvalidModificationError):
        pc.setConfiguration({"certificates": [twin]})


def test_expired_certificate_in_constructor(expired_cert: RTCCertificate) -> None:
    with pytest.raises(InvalidAccessError) as info:
        RTCPeerConnection({"certificates": [expired_cert]})
    assert info.value.name == "InvalidAccessError"


def test_expired_certificate_in_set_configuration_is_not_checked(
    expired_cert: RTCCertificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the constructor checks expiry; setConfiguration compares identity.
    from rtcpeer.configuration import certificate

    monkeypatch.setattr(certificate, "_now_ms", lambda: 0.0)
    pc = RTCPeerConnection({"certificates": [expired_cert]})
    monkeypatch.undo()
    pc.setConfiguration({"certificates": [expired_cert]})


def test_expired_certificate_checked_before_urls(expired_cert: RTCCertificate) -> None:
    with pytest.raises(InvalidAccessError):
        RTCPeerConnection({"certificates": [expired_cert], "iceServers": [{"urls": "bogus"}]})


def test_default_certificate_generated_lazily() -> None:
    pc = RTCPeerConnection()
    assert pc.getConfiguration().certificates == ()
    (cert,) = pc._certificates
    assert pc._certificates == (cert,)
    assert not cert.is_expired()


def test_configured_certificates_used(ecdsa_cert: RTCCertificate) -> None:
    assert RTCPeerConnection({"certificates": [ecdsa_cert]})._certificates == (ecdsa_cert,)


def test_constructing_connections_generates_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Constructing a connection is cheap because key generation waits for
    first use: 50 connections generate no key until DTLS needs one, and then
    share the process's one (generated now unless an earlier test made it),
    kept. (How long that takes is benchmarks/pc_construct.py's job.)"""
    generated: list[RTCCertificate] = []
    generate = RTCCertificate.generate

    def counting(keygenAlgorithm: Any = "ECDSA") -> RTCCertificate:
        generated.append(generate(keygenAlgorithm))
        return generated[-1]

    monkeypatch.setattr(RTCCertificate, "generate", counting)
    pcs = [RTCPeerConnection({"iceServers": [TURN]}) for _ in range(50)]
    assert generated == []
    certificates = [pc._certificates for pc in pcs]
    assert len(generated) <= 1
    assert {cert for (cert,) in certificates} == {RTCCertificate.process_default()}
    assert [pc._certificates for pc in pcs] == certificates  # kept


def test_bundle_policy_enum_values() -> None:
    for value in ("balanced", "max-compat", "max-bundle"):
        assert RTCPeerConnection({"bundlePolicy": value}).getConfiguration().bundlePolicy == value
    assert RTCBundlePolicy("max-bundle") is RTCBundlePolicy.MAX_BUNDLE
