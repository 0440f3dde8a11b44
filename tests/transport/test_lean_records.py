"""A message at a time, leaner still: DTLS records through OpenSSL's own
calls, and SCTP's usual packet read from its bytes.

- Every application-data record is sealed and opened with one OpenSSL call
  each way (``rtcpeer.transport.dtls_records``), not through pyOpenSSL's
  ``send``/``bio_read``/``bio_write``/``recv`` wrappers; what cannot be
  opened, and the peer's close_notify, come out as before.
- A packet of a plain SACK, a DATA chunk, or both (every packet of a
  message at a time) is read without aiortc's ``parse_packet`` and its chunk
  objects; any other packet, and a bad one, still goes aiortc's way.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest
from aiortc.rtcsctptransport import DataChunk, SackChunk, serialize_packet
from OpenSSL import SSL
from tests.transport.test_lean_data_path import Session, _messages, certificates, session

import rtcpeer.transport.sctp as sctp_module
from rtcpeer.transport.dtls_records import open_record, seal_packets

__all__ = ["certificates", "session"]  # fixtures, shared with test_lean_data_path


def _refuse(name: str) -> Any:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"pyOpenSSL's Connection.{name} on the data path")

    return refused


async def test_records_are_sealed_and_opened_without_pyopenssls_wrappers(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("send", "recv", "bio_read", "bio_write"):
        monkeypatch.setattr(SSL.Connection, name, _refuse(name))
    for _ in range(5):  # a message at a time: SACKs go back, some delayed
        assert await session.exchange([b"one"]) == [b"one"]
    messages = _messages(30, 1000)  # a burst: several records per transmit
    assert await session.exchange(messages) == messages


async def test_an_unreadable_record_comes_out_as_before(session: Session) -> None:
    """A record that does not decrypt gives b"" (pyOpenSSL raised an SSL.Error,
    which aiortc drops) and leaves the session working; failures other than a
    successful read go through pyOpenSSL's own error handling (close_notify:
    None, its ZeroReturnError)."""
    sender, receiver = session.dtls[0]._ssl, session.dtls[1]._ssl
    (record,) = seal_packets(sender, [b"x" * 40])
    tampered = record[:-1] + bytes([record[-1] ^ 1])
    assert open_record(receiver, tampered) == b""
    (record,) = seal_packets(sender, [b"y" * 40])
    assert open_record(receiver, record) == b"y" * 40  # the session goes on


async def test_a_message_at_a_time_is_read_without_aiortcs_parse(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[int] = []
    parse = sctp_module.parse_packet  # type: ignore[attr-defined]

    def counting_parse(data: bytes) -> Any:
        parsed.append(len(data))
        return parse(data)

    monkeypatch.setattr(sctp_module, "parse_packet", counting_parse)
    for _ in range(6):  # DATA one way, SACKs (every second packet) the other
        assert await session.exchange([b"small"]) == [b"small"]
    assert parsed == []
    assert session.sctp[0].counters_for(session.channel).messages_sent == 6
    # A message in three fragments: the first two are read from their bytes,
    # the last (it completes the message) takes aiortc's reassembly.
    message = _messages(1, 3000)
    assert await session.exchange(message) == message
    assert len(parsed) == 1, parsed


def _packet(sctp: Any, *chunks: bytes, checksum_ok: bool = True) -> bytes:
    packet = serialize_packet(
        sctp._remote_port,
        sctp._local_port,
        sctp._local_verification_tag,
        b"".join(chunks),  # type: ignore[arg-type]
    )
    if not checksum_ok:
        packet = packet[:8] + bytes([packet[8] ^ 1]) + packet[9:]
    return packet


def _data(sctp: Any, stream_id: int, user_data: bytes) -> bytes:
    chunk = DataChunk(flags=0x03)  # a whole message
    chunk.tsn = (sctp._last_received_tsn + 1) % 2**32
    chunk.stream_id = stream_id
    chunk.stream_seq = sctp._inbound_streams[stream_id].sequence_number
    chunk.protocol = 53  # binary
    chunk.user_data = user_data
    return bytes(chunk)


async def test_only_the_usual_packet_is_read_from_its_bytes(session: Session) -> None:
    """``_lean_packet`` reads a plain SACK and/or a DATA chunk it can take;
    a bad checksum, a SACK with gap blocks, two DATA chunks, or a DATA chunk
    that is not next in its stream go to aiortc's parse (which drops the bad one)."""
    receiver = session.sctp[1]
    assert session.channel is not None and session.remote is not None
    stream_id = session.remote.id
    assert stream_id is not None
    plain_sack = struct.pack("!BBHLLHH", SackChunk.type, 0, 16, receiver._last_sacked_tsn, 1, 0, 0)
    gap_sack = struct.pack(
        "!BBHLLHHHH", SackChunk.type, 0, 20, receiver._last_sacked_tsn, 1, 1, 0, 2, 2
    )
    data = _data(receiver, stream_id, b"payload")
    assert receiver._lean_packet(_packet(receiver, data)) == (None, 12)
    assert receiver._lean_packet(_packet(receiver, plain_sack)) is not None
    assert receiver._lean_packet(_packet(receiver, plain_sack, data)) is not None
    assert receiver._lean_packet(_packet(receiver, data, checksum_ok=False)) is None
    assert receiver._lean_packet(_packet(receiver, gap_sack)) is None
    assert receiver._lean_packet(_packet(receiver, data, data)) is None
    out_of_order = bytearray(data)
    out_of_order[10:12] = (receiver._inbound_streams[stream_id].sequence_number + 1).to_bytes(
        2, "big"
    )
    assert receiver._lean_packet(_packet(receiver, bytes(out_of_order))) is None

    got: list[bytes] = []
    session.remote.on("message", got.append)
    await receiver._handle_data(_packet(receiver, data, checksum_ok=False))
    assert got == []  # dropped, as aiortc drops it
    await receiver._handle_data(_packet(receiver, data))
    assert got == [b"payload"]
