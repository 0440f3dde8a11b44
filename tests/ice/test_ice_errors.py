"""ICE raises its own errors (one base, IceError), each still the builtin it replaced."""

from __future__ import annotations

import asyncio
import random

import pytest

from rtcpeer.ice import (
    Candidate,
    CandidateParseError,
    IceAgent,
    IceArgumentError,
    IceClosedError,
    IceCredentialsError,
    IceError,
    PairStateError,
)
from rtcpeer.ice.candidate import candidate_priority
from rtcpeer.ice.pair import CandidatePair, PairState
from rtcpeer.ice.runtime import IceTransport
from rtcpeer.sansio import ProtocolMachine


def test_bad_arguments_are_ice_errors_and_value_errors() -> None:
    with pytest.raises(IceArgumentError) as lite:
        IceAgent(True, lite=True, remote_is_lite=True)
    agent = IceAgent(True, rng=random.Random(1))
    agent.add_socket(1, ("192.0.2.1", 5000))
    with pytest.raises(IceArgumentError) as twice:
        agent.add_socket(1, ("192.0.2.1", 5001))
    with pytest.raises(IceArgumentError) as policy:
        agent.set_servers([], policy="none", now=0.0)  # type: ignore[arg-type]
    with pytest.raises(IceArgumentError) as priority:
        candidate_priority(127, 0)
    with pytest.raises(IceArgumentError) as transport_policy:
        IceTransport(controlling=True, policy="none")
    for error in (lite, twice, policy, priority, transport_policy):
        assert isinstance(error.value, IceError) and isinstance(error.value, ValueError)


def test_old_remote_credentials_are_refused_with_an_ice_error() -> None:
    agent = IceAgent(True, rng=random.Random(1))
    agent.set_remote_credentials("peer", "peer-password-0123456789", 0.0)
    agent.set_remote_credentials("peer2", "peer-password-9876543210", 0.1)  # a restart
    with pytest.raises(IceCredentialsError) as refused:
        agent.check_remote_credentials("peer", "peer-password-0123456789")
    assert isinstance(refused.value, ValueError) and isinstance(refused.value, IceError)


def test_a_bad_candidate_line_and_a_bad_pair_move_are_ice_errors() -> None:
    with pytest.raises(CandidateParseError) as parse:
        Candidate.from_sdp("candidate:x 1 udp")
    assert isinstance(parse.value, ValueError) and isinstance(parse.value, IceError)
    host = Candidate("h", 1, "udp", 1, "192.0.2.1", 5000, "host")
    pair = CandidatePair(host, host, 1, PairState.FROZEN)
    with pytest.raises(PairStateError) as move:
        pair.set_state(PairState.SUCCEEDED)
    assert isinstance(move.value, RuntimeError) and isinstance(move.value, IceError)


def test_a_closed_transport_raises_an_ice_error_that_is_a_connection_error() -> None:
    async def run() -> None:
        transport = IceTransport(controlling=True, addresses=["127.0.0.1"])
        await transport.close()
        with pytest.raises(IceClosedError) as closed:
            await asyncio.wait_for(transport.receive(), 1.0)
        assert isinstance(closed.value, ConnectionError) and isinstance(closed.value, IceError)

    asyncio.run(run())


def test_the_agent_is_a_protocol_machine() -> None:
    machine: ProtocolMachine[object, object] = IceAgent(True, rng=random.Random(1))
    assert machine.datagrams_to_send() == [] and machine.next_event() is None
    assert machine.get_timer() is None
