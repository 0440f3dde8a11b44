"""Arbitrary input never escapes as anything but TypeError or a named DOMException."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rtcpeer import DOMException, RTCConfiguration, RTCPeerConnection
from rtcpeer.configuration import find_problems

MEMBERS = [
    "iceServers",
    "iceTransportPolicy",
    "bundlePolicy",
    "rtcpMuxPolicy",
    "certificates",
    "iceCandidatePoolSize",
    "peerIdentity",
    "urls",
    "username",
    "credential",
]
ENUM_VALUES = ["all", "relay", "balanced", "max-compat", "max-bundle", "require", "negotiate"]

url_text = st.builds(
    lambda scheme, rest: scheme + rest,
    st.sampled_from(["stun:", "stuns:", "turn:", "turns:", "TURN:", "http://", "", " stun:"]),
    st.text(
        alphabet=st.sampled_from(list("ab.:[]1?#/@%\t =xn-tcpudransport\u00e9\u3002")), max_size=20
    ),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-300, max_value=300),
    st.floats(allow_nan=True),
    st.sampled_from(ENUM_VALUES),
    url_text,
    st.text(max_size=8),
    st.binary(max_size=4),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children),
        st.dictionaries(st.sampled_from(MEMBERS) | st.text(max_size=3), children, max_size=5),
    ),
    max_leaves=12,
)
ice_server = st.fixed_dictionaries(
    {"urls": st.one_of(url_text, st.lists(url_text, max_size=3), values)},
    optional={
        "username": st.one_of(st.text(max_size=6), values),
        "credential": st.text(max_size=6),
    },
)
configurations = st.one_of(
    values,
    st.dictionaries(st.sampled_from(MEMBERS), values, max_size=5),
    st.fixed_dictionaries(
        {},
        optional={
            "iceServers": st.lists(ice_server, max_size=3),
            "iceTransportPolicy": st.sampled_from(ENUM_VALUES),
            "bundlePolicy": st.sampled_from(ENUM_VALUES),
            "iceCandidatePoolSize": st.integers(min_value=-2, max_value=257),
            "peerIdentity": st.text(max_size=4),
        },
    ),
)


def _via_constructor(config: Any) -> RTCPeerConnection:
    return RTCPeerConnection(config)


def _via_set_configuration(config: Any) -> RTCPeerConnection:
    pc = RTCPeerConnection()
    pc.setConfiguration(config)
    return pc


ENTRY_POINTS = [_via_constructor, _via_set_configuration]


@pytest.mark.parametrize("make_pc", ENTRY_POINTS, ids=["ctor", "setConfiguration"])
@settings(max_examples=300, deadline=None)
@given(config=configurations)
def test_only_named_errors(make_pc: Callable[[Any], RTCPeerConnection], config: Any) -> None:
    try:
        pc = make_pc(config)
    except TypeError:
        return
    except DOMException as exc:
        assert exc.name in {
            "SyntaxError",
            "InvalidAccessError",
            "NotSupportedError",
            "InvalidModificationError",
        }
        return
    stored = pc.getConfiguration()
    assert isinstance(stored, RTCConfiguration)
    assert RTCConfiguration.from_dict(stored.to_dict()) == stored


@settings(max_examples=300, deadline=None)
@given(config=configurations)
@example(config={"iceServers": b""})  # bytes is a Sequence to Python, not to WebIDL
@example(config={"iceServers": b"x", "bundlePolicy": 1})
def test_find_problems_agrees_with_constructor(config: Any) -> None:
    _, problems = find_problems(config)
    try:
        RTCPeerConnection(config)
    except TypeError:
        assert problems and problems[0].error == "TypeError"
    except DOMException as exc:
        assert problems and problems[0].error == exc.name
    else:
        assert problems == []
