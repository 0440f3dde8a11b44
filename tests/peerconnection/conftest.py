from __future__ import annotations

from pathlib import Path

import pytest

from rtcpeer.pki import CertificateFiles, make_certificates


@pytest.fixture(scope="session")
def turn_certificates(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(Path(tmp_path_factory.mktemp("pc-pki")))
