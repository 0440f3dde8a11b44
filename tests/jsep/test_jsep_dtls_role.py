"""The DTLS role and the a=setup in force, as decided in rtcpeer.jsep.dtls_role only."""

from __future__ import annotations

import pytest

from rtcpeer.jsep import dtls_role, setup_in_force


@pytest.mark.parametrize(
    ("local_setup", "remote_setup", "expected"),
    [
        # We answered: our own a=setup decides, whatever the offer said.
        ("active", "actpass", "client"),
        ("passive", "active", "server"),
        ("active", None, "client"),
        # We offered actpass: the answer decides; no usable answer setup -> client.
        ("actpass", "active", "server"),
        ("actpass", "passive", "client"),
        ("actpass", None, "client"),
        (None, None, "client"),
    ],
)
def test_dtls_role(local_setup: str | None, remote_setup: str | None, expected: str) -> None:
    assert dtls_role(local_setup, remote_setup) == expected


@pytest.mark.parametrize(
    ("local_setup", "remote_setup", "expected"),
    [
        ("active", "actpass", "active"),
        ("passive", "active", "passive"),
        # We offered actpass: the role in force is the opposite of the answer's.
        ("actpass", "active", "passive"),
        ("actpass", "passive", "active"),
        ("actpass", None, None),
        ("actpass", "actpass", None),
        (None, None, None),
        ("holdconn", "active", None),
    ],
)
def test_setup_in_force(
    local_setup: str | None, remote_setup: str | None, expected: str | None
) -> None:
    assert setup_in_force(local_setup, remote_setup) == expected


@pytest.mark.parametrize("local_setup", ["active", "passive", "actpass"])
@pytest.mark.parametrize("remote_setup", ["active", "passive"])
def test_the_role_in_force_and_the_dtls_role_agree(local_setup: str, remote_setup: str) -> None:
    if local_setup != "actpass" and local_setup == remote_setup:
        return  # not a valid exchange
    in_force = setup_in_force(local_setup, remote_setup)
    assert in_force is not None
    assert dtls_role(local_setup, remote_setup) == ("client" if in_force == "active" else "server")
