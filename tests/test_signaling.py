"""rtcpeer.signaling: W3C JSON on the wire, read and written as aiortc's
aiortc.contrib.signaling reads and writes it; TCP and Unix sockets between an
rtcpeer signalling object and an aiortc one, in either role; copy-and-paste;
aiortc's command-line options (issue 18 outcome 4)."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiortc
import pytest
import pytest_asyncio
from aiortc.contrib import signaling as theirs
from aiortc.sdp import candidate_from_sdp
from tests.support.waiting import TIMEOUT

from rtcpeer import RTCIceCandidate, RTCIceCandidateInit, RTCSessionDescription
from rtcpeer import signaling as ours

SDP = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
VALUE = "1 1 udp 2130706431 127.0.0.1 5000 typ host generation 0 ufrag abcd"
W3C_CANDIDATE = {
    "candidate": "candidate:" + VALUE,
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "abcd",
}


# -- the wire format -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["offer", "answer"])
def test_descriptions_are_written_byte_for_byte_as_aiortc_writes_them(kind: str) -> None:
    description = RTCSessionDescription(kind, SDP)
    line = ours.object_to_string(description)
    assert line == theirs.object_to_string(aiortc.RTCSessionDescription(SDP, kind))
    assert ours.object_to_string({"type": kind, "sdp": SDP}) == line
    assert ours.object_to_string(aiortc.RTCSessionDescription(SDP, kind)) == line
    assert json.loads(line or "") == description.toJSON()  # the W3C shape


def test_bye_is_written_as_aiortc_writes_it() -> None:
    assert ours.object_to_string(ours.BYE) == theirs.object_to_string(theirs.BYE)
    assert ours.object_from_string(theirs.object_to_string(theirs.BYE)) is ours.BYE
    assert theirs.object_from_string(ours.object_to_string(ours.BYE) or "") is theirs.BYE


def test_a_candidate_is_the_w3c_dictionary_plus_aiortcs_names() -> None:
    line = ours.object_to_string(RTCIceCandidate(W3C_CANDIDATE))
    message = json.loads(line or "")
    assert {key: message[key] for key in W3C_CANDIDATE} == W3C_CANDIDATE
    assert (message["type"], message["id"], message["label"]) == ("candidate", "0", 0)
    # aiortc's reader takes it: the same candidate as aiortc parses from the SDP line.
    parsed = theirs.object_from_string(line or "")
    expected = candidate_from_sdp(VALUE)
    expected.sdpMid, expected.sdpMLineIndex = "0", 0
    assert parsed == expected


def test_candidates_from_aiortc_and_from_w3c_json_read_alike() -> None:
    candidate = candidate_from_sdp("1 1 udp 2130706431 127.0.0.1 5000 typ host")
    candidate.sdpMid, candidate.sdpMLineIndex = "0", 0
    from_aiortc = ours.object_from_string(theirs.object_to_string(candidate))
    w3c = {"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", "sdpMid": "0"}
    from_w3c = ours.object_from_string(json.dumps({**w3c, "sdpMLineIndex": 0}))
    assert from_aiortc == from_w3c == RTCIceCandidate({**w3c, "sdpMLineIndex": 0})
    assert ours.object_to_string(candidate) == ours.object_to_string(from_w3c)


def test_our_candidate_round_trips() -> None:
    candidate = RTCIceCandidate(W3C_CANDIDATE)
    assert ours.object_from_string(ours.object_to_string(candidate) or "") == candidate
    init = RTCIceCandidateInit.from_value(W3C_CANDIDATE)
    assert ours.object_to_string(init) == ours.object_to_string(candidate)


@pytest.mark.parametrize("kind", ["pranswer", "rollback"])
def test_descriptions_aiortc_cannot_read_still_round_trip(kind: str) -> None:
    description = RTCSessionDescription(kind, SDP if kind == "pranswer" else "")
    assert ours.object_from_string(ours.object_to_string(description) or "") == description


def test_end_of_candidates_is_not_written() -> None:
    assert ours.object_to_string(None) is None
    end = RTCIceCandidate({"candidate": "", "sdpMid": "0", "sdpMLineIndex": 0})
    assert ours.object_to_string(end) is None


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"type": "hello"}', "unknown type 'hello'"),
    ],
)
def test_bad_lines_say_what_is_wrong(line: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        ours.object_from_string(line)


def test_sending_something_else_is_a_type_error_with_a_hint() -> None:
    with pytest.raises(TypeError, match="expected an RTCSessionDescription"):
        ours.object_to_string(object())  # type: ignore[arg-type]


# -- aiortc's command-line options -----------------------------------------------------


def test_the_command_line_options_are_aiortcs() -> None:
    mine, aiortcs = argparse.ArgumentParser(), argparse.ArgumentParser()
    ours.add_signaling_arguments(mine)
    theirs.add_signaling_arguments(aiortcs)

    def options(parser: argparse.ArgumentParser) -> list[tuple[tuple[str, ...], Any, Any]]:
        return [
            (tuple(action.option_strings), str(action.default), action.choices)
            for action in parser._actions
            if action.option_strings and action.dest != "help"
        ]

    assert options(mine) == options(aiortcs)
    argv = ["-s", "tcp-socket", "--signaling-host", "::1", "--signaling-port", "4321"]
    args = mine.parse_args(argv)
    channel = ours.create_signaling(args)
    assert isinstance(channel, ours.TcpSocketSignaling)
    assert (channel.host, channel.port) == ("::1", 4321)
    unix = ours.create_signaling(mine.parse_args(["-s", "unix-socket"]))
    assert isinstance(unix, ours.UnixSocketSignaling) and unix.path == "aiortc.socket"
    assert isinstance(ours.create_signaling(mine.parse_args([])), ours.CopyAndPasteSignaling)


# -- sockets between an rtcpeer signalling object and an aiortc one --------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


Pair = Callable[[], tuple[ours.SocketSignaling, Any]]


@pytest_asyncio.fixture(params=["tcp", "unix"])
async def pair(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Pair]:
    """Makes (our channel, aiortc's channel) meeting at the same address."""
    made: list[tuple[ours.SocketSignaling, Any]] = []

    def make() -> tuple[ours.SocketSignaling, Any]:
        channels: tuple[ours.SocketSignaling, Any]
        if request.param == "tcp":
            port = _free_port()
            channels = (
                ours.TcpSocketSignaling("127.0.0.1", port, connect_timeout=TIMEOUT),
                theirs.TcpSocketSignaling("127.0.0.1", port),
            )
        else:
            path = str(tmp_path / "signaling.sock")
            channels = (
                ours.UnixSocketSignaling(path, connect_timeout=TIMEOUT),
                theirs.UnixSocketSignaling(path),
            )
        made.append(channels)
        return channels

    yield make
    for mine, aiortcs in made:
        await mine.close()
        if aiortcs._writer is not None:
            aiortcs._writer.close()
        if aiortcs._server is not None:
            aiortcs._server.close()


async def test_we_listen_aiortc_connects(pair: Pair) -> None:
    mine, aiortcs = pair()
    sending = asyncio.ensure_future(mine.send(RTCSessionDescription("offer", SDP)))
    await asyncio.wait_for(mine.listening(), TIMEOUT)  # aiortc connects at once, or fails
    got = await asyncio.wait_for(aiortcs.receive(), TIMEOUT)
    assert got == aiortc.RTCSessionDescription(SDP, "offer")
    await asyncio.wait_for(sending, TIMEOUT)
    await mine.send(RTCIceCandidate(W3C_CANDIDATE))
    candidate = await asyncio.wait_for(aiortcs.receive(), TIMEOUT)
    assert isinstance(candidate, aiortc.RTCIceCandidate) and candidate.port == 5000
    await aiortcs.send(aiortc.RTCSessionDescription(SDP, "answer"))
    assert await asyncio.wait_for(mine.receive(), TIMEOUT) == RTCSessionDescription("answer", SDP)
    await mine.close()  # says BYE
    assert await asyncio.wait_for(aiortcs.receive(), TIMEOUT) is theirs.BYE


async def test_aiortc_listens_we_connect_even_before_it_listens(pair: Pair) -> None:
    mine, aiortcs = pair()
    # We start first: nobody listens yet, and our channel keeps trying.
    receiving = asyncio.ensure_future(mine.receive())
    sending = asyncio.ensure_future(aiortcs.send(aiortc.RTCSessionDescription(SDP, "offer")))
    got = await asyncio.wait_for(receiving, TIMEOUT)
    assert got == RTCSessionDescription("offer", SDP)
    await asyncio.wait_for(sending, TIMEOUT)
    candidate = candidate_from_sdp("1 1 udp 2130706431 127.0.0.1 5000 typ host")
    candidate.sdpMid, candidate.sdpMLineIndex = "0", 0
    await aiortcs.send(candidate)
    got_candidate = await asyncio.wait_for(mine.receive(), TIMEOUT)
    assert isinstance(got_candidate, RTCIceCandidate) and got_candidate.port == 5000
    await mine.send(RTCSessionDescription("answer", SDP))
    assert await asyncio.wait_for(aiortcs.receive(), TIMEOUT) == aiortc.RTCSessionDescription(
        SDP, "answer"
    )
    await aiortcs.close()  # says BYE
    assert await asyncio.wait_for(mine.receive(), TIMEOUT) is ours.BYE
    assert await asyncio.wait_for(mine.receive(), TIMEOUT) is None  # and the stream ended


async def test_a_send_and_a_receive_at_once_share_one_connection(tmp_path: Path) -> None:
    """The first call decides the role; a receive while that send waits does not connect."""
    path = str(tmp_path / "s.sock")
    listener = ours.UnixSocketSignaling(path, connect_timeout=TIMEOUT)
    connector = ours.UnixSocketSignaling(path, connect_timeout=TIMEOUT)
    try:
        sending = asyncio.ensure_future(listener.send(RTCSessionDescription("offer", SDP)))
        receiving = asyncio.ensure_future(listener.receive())
        await asyncio.wait_for(listener.listening(), TIMEOUT)
        assert await asyncio.wait_for(connector.receive(), TIMEOUT) == RTCSessionDescription(
            "offer", SDP
        )
        await asyncio.wait_for(sending, TIMEOUT)
        await connector.send(ours.BYE)
        assert await asyncio.wait_for(receiving, TIMEOUT) is ours.BYE
    finally:
        await listener.close()
        await connector.close()
    assert not os.path.exists(path)  # the listener removed its socket file


async def test_connecting_gives_up_after_its_timeout(tmp_path: Path) -> None:
    channel = ours.UnixSocketSignaling(str(tmp_path / "nobody.sock"), connect_timeout=0)
    with pytest.raises(FileNotFoundError):
        await asyncio.wait_for(channel.receive(), TIMEOUT)
    await channel.close()


# -- copy and paste --------------------------------------------------------------------


async def test_copy_and_paste_writes_lines_and_reads_a_pipe() -> None:
    read_fd, write_fd = os.pipe()
    output, prompts = io.StringIO(), io.StringIO()
    with open(read_fd, encoding="utf-8") as input_pipe, open(write_fd, "w") as writer:
        channel = ours.CopyAndPasteSignaling(input_pipe, output, prompts)
        await channel.connect()
        assert channel.trickle is False  # one pasted line: wait for gathering
        await channel.send(RTCSessionDescription("offer", SDP))
        await channel.send(None)  # end-of-candidates: nothing to paste
        offer_line = theirs.object_to_string(aiortc.RTCSessionDescription(SDP, "offer"))
        assert output.getvalue() == offer_line + "\n"  # nothing but the message
        assert "send this message" in prompts.getvalue()
        answer_line = theirs.object_to_string(aiortc.RTCSessionDescription(SDP, "answer"))
        writer.write("\n" + answer_line + "\n")
        writer.flush()
        got = await asyncio.wait_for(channel.receive(), TIMEOUT)
        assert got == RTCSessionDescription("answer", SDP)
        writer.close()
        assert await asyncio.wait_for(channel.receive(), TIMEOUT) is None  # end of input
        await channel.close()
    assert output.getvalue().endswith('{"type": "bye"}\n')


async def test_messages_leave_in_the_order_send_was_called(tmp_path: Path) -> None:
    """A description, then candidates sent without waiting: they arrive in that order."""
    path = str(tmp_path / "order.sock")
    listener = ours.UnixSocketSignaling(path, connect_timeout=TIMEOUT)
    connector = ours.UnixSocketSignaling(path, connect_timeout=TIMEOUT)
    ports = list(range(5000, 5010))
    messages: list[ours.Sendable] = [RTCSessionDescription("offer", SDP)]
    messages += [
        RTCIceCandidate(
            {**W3C_CANDIDATE, "candidate": f"candidate:1 1 udp 1 127.0.0.1 {port} typ host"}
        )
        for port in ports
    ]
    try:
        sends = [asyncio.ensure_future(listener.send(message)) for message in messages]
        received = [await asyncio.wait_for(connector.receive(), TIMEOUT) for _ in messages]
        await asyncio.wait_for(asyncio.gather(*sends), TIMEOUT)
    finally:
        await listener.close()
        await connector.close()
    assert received == messages
