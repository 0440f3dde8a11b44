"""Every cell of the signalling table: 6 states x {local, remote} x 4 types."""

from __future__ import annotations

import itertools

import pytest

from rtcpeer.errors import InvalidStateError
from rtcpeer.jsep import (
    TRANSITIONS,
    RTCSdpType,
    RTCSignalingState,
    SignalingStateMachine,
    implicit_local_type,
    next_state,
)

STATES = [
    "stable",
    "have-local-offer",
    "have-remote-offer",
    "have-local-pranswer",
    "have-remote-pranswer",
    "closed",
]
SOURCES = ["local", "remote"]
TYPES = ["offer", "answer", "pranswer", "rollback"]

# Written out by hand from webrtc-pc §4.4.1.5/§4.4.1.6 and RFC 9429 §5.5/§5.6;
# "*" marks setRemoteDescription(offer) via an implicit rollback.
# Anything not listed must be InvalidStateError.
EXPECTED = {
    ("stable", "local", "offer"): "have-local-offer",
    ("have-local-offer", "local", "offer"): "have-local-offer",
    ("have-remote-offer", "local", "answer"): "stable",
    ("have-local-pranswer", "local", "answer"): "stable",
    ("have-remote-offer", "local", "pranswer"): "have-local-pranswer",
    ("have-local-pranswer", "local", "pranswer"): "have-local-pranswer",
    ("have-local-offer", "local", "rollback"): "stable",
    ("have-remote-offer", "local", "rollback"): "stable",
    ("stable", "remote", "offer"): "have-remote-offer",
    ("have-remote-offer", "remote", "offer"): "have-remote-offer",
    ("have-local-offer", "remote", "offer"): "*have-remote-offer",
    ("have-local-offer", "remote", "answer"): "stable",
    ("have-remote-pranswer", "remote", "answer"): "stable",
    ("have-local-offer", "remote", "pranswer"): "have-remote-pranswer",
    ("have-remote-pranswer", "remote", "pranswer"): "have-remote-pranswer",
    ("have-local-offer", "remote", "rollback"): "stable",
    ("have-remote-offer", "remote", "rollback"): "stable",
}

CELLS = list(itertools.product(STATES, SOURCES, TYPES))


def test_cell_count() -> None:
    assert len(CELLS) == 48
    assert len(TRANSITIONS) == 16  # the 17 allowed cells minus the implicit rollback


@pytest.mark.parametrize(("state", "source", "sdp_type"), CELLS)
def test_cell(state: str, source: str, sdp_type: str) -> None:
    expected = EXPECTED.get((state, source, sdp_type))
    if expected is None:
        with pytest.raises(InvalidStateError) as info:
            next_state(state, source, sdp_type)
        message = str(info.value)
        assert info.value.name == "InvalidStateError"
        call = "setLocalDescription" if source == "local" else "setRemoteDescription"
        assert f"{call}({sdp_type})" in message
        assert state in message
        return
    transition = next_state(state, source, sdp_type)
    assert transition.previous == state
    assert transition.state == expected.lstrip("*")
    assert transition.implicit_rollback is expected.startswith("*")


def test_machine_applies_and_stays_put_on_error() -> None:
    machine = SignalingStateMachine()
    assert machine.state == "stable"
    with pytest.raises(InvalidStateError, match=r"setLocalDescription\(answer\).*'stable'"):
        machine.apply("local", "answer")
    assert machine.state == "stable"
    machine.apply("local", RTCSdpType.OFFER)
    assert machine.check("remote", "answer").state == "stable"
    assert machine.state == RTCSignalingState.HAVE_LOCAL_OFFER
    # glare, perfect negotiation: the polite peer accepts the remote offer
    transition = machine.apply("remote", "offer")
    assert transition.implicit_rollback and machine.state == "have-remote-offer"  # type: ignore[comparison-overlap]
    machine.apply("local", "pranswer")
    machine.apply("local", "answer")
    assert machine.state == "stable"  # type: ignore[comparison-overlap]
    machine.close()
    assert machine.state == "closed"  # type: ignore[comparison-overlap]
    with pytest.raises(InvalidStateError, match="closed"):
        machine.apply("remote", "offer")
    machine.close()
    assert machine.state == "closed"  # type: ignore[comparison-overlap]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("stable", "offer"),
        ("have-local-offer", "offer"),
        ("have-remote-pranswer", "offer"),
        ("have-remote-offer", "answer"),
        ("have-local-pranswer", "answer"),
    ],
)
def test_implicit_local_type(state: str, expected: str) -> None:
    assert implicit_local_type(state) == expected


def test_unknown_names_are_value_errors() -> None:
    with pytest.raises(ValueError):
        next_state("calm", "local", "offer")
    with pytest.raises(ValueError):
        next_state("stable", "sideways", "offer")
