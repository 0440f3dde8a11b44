"""Shared fixtures: cached certificates and the two configuration entry points."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rtcpeer import RTCCertificate, RTCPeerConnection

MakePc = Callable[[Any], RTCPeerConnection]


@pytest.fixture(scope="session")
def ecdsa_cert() -> RTCCertificate:
    return RTCCertificate.generate({"name": "ECDSA", "namedCurve": "P-256"})


@pytest.fixture(scope="session")
def ecdsa_cert2() -> RTCCertificate:
    return RTCCertificate.generate({"name": "ECDSA", "namedCurve": "P-256"})


@pytest.fixture(scope="session")
def rsa_cert() -> RTCCertificate:
    return RTCCertificate.generate(
        {
            "name": "RSASSA-PKCS1-v1_5",
            "modulusLength": 2048,
            "publicExponent": bytes([1, 0, 1]),
            "hash": "SHA-256",
        }
    )


@pytest.fixture(scope="session")
def expired_cert() -> RTCCertificate:
    cert = RTCCertificate.generate({"name": "ECDSA", "namedCurve": "P-256", "expires": 0})
    # The spec's test is "expires is less than the current time"; step past it.
    return RTCCertificate(cert.private_key, cert.x509, cert.expires - 1)


def _via_constructor(config: Any) -> RTCPeerConnection:
    return RTCPeerConnection(config)


def _via_set_configuration(config: Any) -> RTCPeerConnection:
    pc = RTCPeerConnection()
    pc.setConfiguration(config)
    return pc


@pytest.fixture(params=[_via_constructor, _via_set_configuration], ids=["ctor", "setConfiguration"])
def make_pc(request: pytest.FixtureRequest) -> MakePc:
    """Run a configuration through the constructor or setConfiguration (like WPT's config_test)."""
    maker: MakePc = request.param
    return maker
