"""TLS links share one verifying context per CA bundle (building one costs ~1 ms)."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

from rtcpeer.testing.pki import make_certificates
from rtcpeer.turn.client.links import default_tls_context


def test_one_context_per_bundle_and_a_new_one_when_the_bundle_changes(tmp_path: Path) -> None:
    first = make_certificates(tmp_path / "one")
    second = make_certificates(tmp_path / "two")
    context = default_tls_context(str(first.ca))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert default_tls_context(str(first.ca)) is context
    assert default_tls_context(str(second.ca)) is not context
    # Rewriting the bundle (a new CA at the same path) is noticed.
    os.replace(second.ca, first.ca)
    os.utime(first.ca, ns=(1, 1))
    assert default_tls_context(str(first.ca)) is not context
