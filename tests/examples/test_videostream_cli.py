"""examples/videostream-cli: two processes stream the test pattern to each other, signalled
over a TCP socket or by copy-and-paste (the test pastes); one records what it receives."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import av
import pytest
from tests.support.examples import EXAMPLES

from rtcpeer import ListenSettings, TurnServer, TurnServerConfig

CLI = EXAMPLES / "videostream-cli" / "cli.py"
TIMEOUT = 30.0

pytestmark = pytest.mark.interop


@pytest.fixture
async def config_file(tmp_path: Path) -> AsyncIterator[Path]:
    """An RTCConfiguration with a TURN server on loopback (rtcpeer offers no loopback hosts)."""
    server = TurnServer(
        TurnServerConfig(realm="example.test", users={"u": "p"}, allow_loopback_peers=True),
        ListenSettings(host="127.0.0.1", port=0, tls_port=None),
    )
    await server.start()
    host, port = server.addresses["udp"]
    path = tmp_path / "config.json"
    server_entry = {"urls": f"turn:{host}:{port}", "username": "u", "credential": "p"}
    path.write_text(json.dumps({"iceServers": [server_entry]}))
    yield path
    await server.close()


async def spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(CLI),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def finish(process: asyncio.subprocess.Process) -> str:
    """The rest of the process's output once it exits; it must exit 0."""
    assert process.stdout is not None
    try:
        output = await asyncio.wait_for(process.stdout.read(), TIMEOUT)
        code = await asyncio.wait_for(process.wait(), TIMEOUT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    text = output.decode()
    assert code == 0, text
    return text


async def test_tcp_signalling_streams_and_records(config_file: Path, tmp_path: Path) -> None:
    recording = tmp_path / "received.mp4"
    common = ("--signaling", "tcp-socket", "--signaling-port", "0", "--config", str(config_file))
    # Port 0 cannot be shared: the answerer listens on a free port it prints.
    answer = await spawn("answer", *common, "--frames", "60", "--record-to", str(recording))
    assert answer.stdout is not None
    line = (await asyncio.wait_for(answer.stdout.readline(), TIMEOUT)).decode()
    assert line.startswith("signalling: listening on 127.0.0.1:"), line
    port = line.strip().rsplit(":", 1)[1]
    offer = await spawn(
        "offer", "--signaling", "tcp-socket", "--signaling-port", port, "--config", str(config_file)
    )
    answer_out, offer_out = await asyncio.gather(finish(answer), finish(offer))

    assert "received 60 video frames; sent " in answer_out, answer_out
    assert "received 60 video frames" in answer_out and "(320x240)" in answer_out
    assert "bye from the remote party; sent " in offer_out, offer_out
    with av.open(str(recording)) as container:
        frames = [frame for frame in container.decode(video=0)]
    assert len(frames) >= 50, len(frames)
    assert (frames[0].width, frames[0].height) == (320, 240)


async def _message(process: asyncio.subprocess.Process) -> bytes:
    """The JSON line a copy-and-paste side asks the user to send."""
    assert process.stdout is not None
    seen = b""
    while True:
        line = await asyncio.wait_for(process.stdout.readline(), TIMEOUT)
        assert line, seen.decode()
        seen += line
        if line.startswith(b"{"):
            return line


async def test_copy_and_paste_signalling(config_file: Path) -> None:
    offer = await spawn("offer", "--config", str(config_file), "--frames", "30")
    answer = await spawn("answer", "--config", str(config_file), "--frames", "1000000")
    try:
        assert offer.stdin is not None and answer.stdin is not None
        offered = await _message(offer)
        assert json.loads(offered)["type"] == "offer"
        answer.stdin.write(offered)
        answered = await _message(answer)
        assert json.loads(answered)["type"] == "answer"
        assert "a=candidate:" in json.loads(answered)["sdp"]  # gathered before it was sent
        offer.stdin.write(answered)
        bye = await _message(offer)  # after 30 frames the offerer says bye
        assert json.loads(bye) == {"type": "bye"}
        answer.stdin.write(bye)
        offer_out, answer_out = await asyncio.gather(finish(offer), finish(answer))
    finally:
        for process in (offer, answer):
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
    assert "received 30 video frames" in offer_out, offer_out
    assert "bye from the remote party" in answer_out and "(320x240)" in answer_out, answer_out
