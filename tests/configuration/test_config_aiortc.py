"""aiortc's RTCConfiguration and RTCIceServer are accepted where the W3C dictionaries are
(issue 18 outcome 4), and equal their dictionary forms; other objects are a TypeError
naming the member, with a hint."""

from __future__ import annotations

from typing import Any

import aiortc
import pytest

from rtcpeer import NotSupportedError, RTCConfiguration, RTCIceServer, RTCPeerConnection
from rtcpeer.configuration import find_problems

TURN = "turn:turn.example.org?transport=tcp"


def _aiortc_configuration() -> aiortc.RTCConfiguration:
    return aiortc.RTCConfiguration(
        iceServers=[
            aiortc.RTCIceServer(urls="stun:stun.example.org"),
            aiortc.RTCIceServer(
                urls=[TURN, "turns:turn.example.org"], username="u", credential="p"
            ),
        ],
        iceTransportPolicy=aiortc.RTCIceTransportPolicy.RELAY,
        bundlePolicy=aiortc.RTCBundlePolicy.MAX_BUNDLE,
    )


DICTIONARY: dict[str, Any] = {
    "iceServers": [
        {"urls": "stun:stun.example.org"},
        {"urls": [TURN, "turns:turn.example.org"], "username": "u", "credential": "p"},
    ],
    "iceTransportPolicy": "relay",
    "bundlePolicy": "max-bundle",
}


def test_aiortc_configuration_equals_its_dictionary_form() -> None:
    ours = RTCConfiguration.from_dict(_aiortc_configuration())
    assert ours == RTCConfiguration.from_dict(DICTIONARY)
    assert ours.to_dict()["iceServers"] == DICTIONARY["iceServers"]  # str stays str, list a list
    assert ours.bundlePolicy == "max-bundle" and ours.iceTransportPolicy == "relay"


def test_aiortc_defaults_are_the_w3c_defaults() -> None:
    assert RTCConfiguration.from_dict(aiortc.RTCConfiguration()) == RTCConfiguration()


def test_aiortc_ice_servers_in_a_dictionary_or_our_constructor() -> None:
    server = aiortc.RTCIceServer(urls=TURN, username="u", credential="p")
    expected = RTCIceServer(TURN, username="u", credential="p")
    assert RTCIceServer.from_dict(server) == expected
    assert RTCConfiguration(iceServers=[server]).iceServers == (expected,)
    assert RTCConfiguration.from_dict({"iceServers": [server]}).iceServers == (expected,)


async def test_peer_connection_takes_aiortc_configuration() -> None:
    pc = RTCPeerConnection(_aiortc_configuration())
    try:
        assert pc.getConfiguration() == RTCConfiguration.from_dict(DICTIONARY)
        again = aiortc.RTCConfiguration(
            iceServers=[aiortc.RTCIceServer(urls="stun:other.example.org")],
            iceTransportPolicy=aiortc.RTCIceTransportPolicy.RELAY,
            bundlePolicy=aiortc.RTCBundlePolicy.MAX_BUNDLE,
        )
        pc.setConfiguration(again)
        assert pc.getConfiguration().iceServers == (RTCIceServer("stun:other.example.org"),)
    finally:
        await pc.close()


def test_aiortc_server_the_url_rules_still_apply() -> None:
    bad = aiortc.RTCConfiguration(iceServers=[aiortc.RTCIceServer(urls="turn:t.example.org")])
    with pytest.raises(Exception) as caught:
        RTCPeerConnection(bad)
    assert getattr(caught.value, "name", None) == "InvalidAccessError"  # TURN without credentials
    _, problems = find_problems(bad)
    assert [problem.error for problem in problems] == ["InvalidAccessError"]


def test_credential_type_other_than_password_names_the_member() -> None:
    server = aiortc.RTCIceServer(urls=TURN, username="u", credential="p", credentialType="oauth")
    with pytest.raises(TypeError, match=r"^iceServers\[0\]\.credentialType: 'oauth'.*'password'"):
        RTCConfiguration.from_dict(aiortc.RTCConfiguration(iceServers=[server]))


def test_always_negotiate_data_channels_is_not_silently_dropped() -> None:
    config = aiortc.RTCConfiguration(alwaysNegotiateDataChannels=True)
    with pytest.raises(NotSupportedError, match=r"alwaysNegotiateDataChannels.*data channel"):
        RTCPeerConnection(config)
    _, problems = find_problems(config)
    assert [(p.error, p.where) for p in problems] == [
        ("NotSupportedError", "alwaysNegotiateDataChannels")
    ]


class _Unknown:
    pass


@pytest.mark.parametrize("value", [_Unknown(), "iceServers", 3])
def test_unknown_configuration_object_names_the_member_and_hints(value: object) -> None:
    with pytest.raises(TypeError) as caught:
        RTCPeerConnection(value)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("configuration: expected an RTCConfiguration dictionary")
    assert "{'iceServers': [{'urls': 'stun:stun.example.org'}]}" in message
    assert "aiortc's RTCConfiguration" in message
    assert message.endswith(f"got {type(value).__name__}")


def test_unknown_ice_server_object_names_the_member_and_hints() -> None:
    config = aiortc.RTCConfiguration(iceServers=[aiortc.RTCIceServer("stun:a"), _Unknown()])  # type: ignore[list-item]
    with pytest.raises(TypeError) as caught:
        RTCPeerConnection(config)
    message = str(caught.value)
    assert message.startswith("iceServers[1]: expected an RTCIceServer dictionary")
    assert "{'urls': 'stun:stun.example.org'}" in message and "'urls' attribute" in message
    assert message.endswith("got _Unknown")


def test_aiortc_server_without_urls_is_the_missing_member() -> None:
    server = aiortc.RTCIceServer(urls=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^iceServers\[0\]\.urls: required member is missing"):
        RTCConfiguration.from_dict(aiortc.RTCConfiguration(iceServers=[server]))


def test_an_aiortc_policy_that_is_not_ours_is_the_usual_enum_error() -> None:
    class Policy:
        iceServers = None
        bundlePolicy = "everything"

    with pytest.raises(TypeError, match=r"^bundlePolicy: 'everything' is not a valid value"):
        RTCConfiguration.from_dict(Policy())
