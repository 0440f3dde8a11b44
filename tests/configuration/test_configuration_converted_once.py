"""A W3C configuration dictionary is converted once, member by member, in
WebIDL's order (issue 19: every RTCPeerConnection converts one)."""

from __future__ import annotations

import pytest

from rtcpeer.configuration import RTCConfiguration, configuration, ice_server
from rtcpeer.configuration.policies import RTCBundlePolicy, RTCIceTransportPolicy, RTCRtcpMuxPolicy


def test_each_member_is_converted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    convert = ice_server.convert_ice_servers

    def counting(value: object, member: str = "iceServers") -> object:
        calls.append(value)
        return convert(value, member)

    monkeypatch.setattr(configuration, "convert_ice_servers", counting)
    servers = [{"urls": "stun:stun.example.org"}]
    converted = RTCConfiguration.from_dict({"iceServers": servers})
    assert calls == [servers]
    assert converted.iceServers[0].urls == "stun:stun.example.org"


def test_absent_members_take_their_defaults() -> None:
    for given in ({}, None, {"iceServers": None, "bundlePolicy": None}):
        config = RTCConfiguration.from_dict(given)
        assert config == RTCConfiguration()
        assert config.bundlePolicy is RTCBundlePolicy.BALANCED
        assert config.iceTransportPolicy is RTCIceTransportPolicy.ALL
        assert config.rtcpMuxPolicy is RTCRtcpMuxPolicy.REQUIRE
        assert (config.iceServers, config.certificates) == ((), ())
        assert (config.iceCandidatePoolSize, config.peerIdentity) == (0, None)


def test_the_first_bad_member_in_webidl_order_is_the_error() -> None:
    with pytest.raises(TypeError, match=r"^bundlePolicy"):
        RTCConfiguration.from_dict({"rtcpMuxPolicy": 1, "bundlePolicy": 1})
    with pytest.raises(TypeError, match=r"^iceCandidatePoolSize"):
        RTCConfiguration.from_dict({"iceTransportPolicy": "x", "iceCandidatePoolSize": 300})
