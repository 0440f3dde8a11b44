"""A trickled remote candidate on its way into the ICE agent: parsed once."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.support.peer_connections import peer
from tests.support.sdp import count_candidate_parses

from rtcpeer.errors import OperationError
from rtcpeer.ice import Candidate

#: A host candidate the offer does not list (another port), without a ufrag.
VALUE = "1 1 udp 2130706431 127.0.0.1 40001 typ host generation 0"


async def test_a_trickled_candidate_is_parsed_once_and_reaches_ice_as_from_sdp_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = peer(), peer()
    a.createDataChannel("chat")
    await a.setLocalDescription()
    assert a.localDescription is not None
    await b.setRemoteDescription(a.localDescription)
    assert b._transports is not None
    ice = b._transports.ice
    added: list[Candidate | None] = []
    monkeypatch.setattr(ice, "add_remote_candidate", added.append)
    parses = count_candidate_parses(monkeypatch)
    from_sdp: list[str] = []
    read = Candidate.from_sdp

    def counted_from_sdp(line: str) -> Candidate:
        from_sdp.append(line)
        return read(line)

    monkeypatch.setattr(Candidate, "from_sdp", counted_from_sdp)
    ufrag = a.localDescription.sdp.split("a=ice-ufrag:")[1].split()[0]
    await b.addIceCandidate({"candidate": "candidate:" + VALUE, "sdpMid": "0"})
    assert parses == [VALUE]  # the grammar's check and the ICE model: one parse
    assert from_sdp == []  # the agent's candidate is built from the checked fields
    monkeypatch.undo()
    assert added == [replace(Candidate.from_sdp(VALUE), ufrag=ufrag)]
    await a.close()
    await b.close()


async def test_a_candidate_the_grammar_accepts_and_ice_refuses_is_an_operation_error() -> None:
    a, b = peer(), peer()
    a.createDataChannel("chat")
    await a.setLocalDescription()
    assert a.localDescription is not None
    await b.setRemoteDescription(a.localDescription)
    zero_priority = VALUE.replace("2130706431", "0")
    with pytest.raises(OperationError, match="cannot parse candidate"):
        await b.addIceCandidate({"candidate": "candidate:" + zero_priority, "sdpMid": "0"})
    with pytest.raises(OperationError, match="invalid candidate: a candidate needs at least 8"):
        await b.addIceCandidate({"candidate": "candidate:1 1 udp", "sdpMid": "0"})
    await a.close()
    await b.close()
