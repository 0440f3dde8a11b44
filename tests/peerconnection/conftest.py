from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.support.peer_connections import Link, peer

from rtcpeer import RTCPeerConnection
from rtcpeer.testing.pki import CertificateFiles, make_certificates


@pytest.fixture(scope="session")
def turn_certificates(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(Path(tmp_path_factory.mktemp("pc-pki")))


@pytest.fixture
async def linked_pair() -> AsyncIterator[tuple[RTCPeerConnection, RTCPeerConnection]]:
    """Two peers joined by an in-process signalling link, closed afterwards."""
    a, b = peer(), peer()
    link = Link()
    link.connect(a, b)
    yield a, b
    await a.close()
    await b.close()
