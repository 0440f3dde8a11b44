"""Fixtures for the interop tests: one throwaway PKI per session, one Chromium
and one pair of coturn "regions" per module (module-scoped event loop)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aioice.ice
import pytest
import pytest_asyncio
from tests.support.chromium import BrowserPage, chromium_page, trust_args
from tests.support.coturn import Coturn, start_coturn
from tests.support.interop import REGION_A, REGION_B
from tests.support.netns import private_network

from rtcpeer.testing.pki import CertificateFiles, make_certificates


@pytest.fixture(scope="session")
def interop_certificates(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(Path(tmp_path_factory.mktemp("interop-pki")))


@pytest.fixture(scope="module")
def network() -> Iterator[None]:
    """The module runs in a private network namespace: loopback only."""
    with private_network():
        yield


@pytest.fixture(scope="module")
def regions(
    network: None, tmp_path_factory: pytest.TempPathFactory, interop_certificates: CertificateFiles
) -> Iterator[tuple[Coturn, Coturn]]:
    """coturn region A and region B (disjoint relay port ranges), stopped by PID."""
    workdir = Path(tmp_path_factory.mktemp("coturn"))
    region_a = start_coturn(workdir / "a", relay_ports=REGION_A, certs=interop_certificates)
    try:
        region_b = start_coturn(workdir / "b", relay_ports=REGION_B, certs=interop_certificates)
    except BaseException:
        region_a.stop()
        raise
    try:
        yield region_a, region_b
    finally:
        region_a.stop()
        region_b.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(
    network: None, interop_certificates: CertificateFiles
) -> AsyncIterator[BrowserPage]:
    """Chromium allowed loopback candidates, trusting coturn's certificate."""
    async with chromium_page(trust_args(interop_certificates.cert)) as page:
        yield page


@pytest.fixture
def aioice_on_loopback(network: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """aioice never offers 127.0.0.1 on its own (TESTING-NOTES.md): the aiortc
    modules use this fixture (``pytest.mark.usefixtures``)."""
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
