"""Pins the seam between aiortc and rtcpeer's ICE layer.

If an aiortc upgrade makes RTCDtlsTransport read anything from its ICE
transport beyond ``role``, ``_recv`` and ``_send``, the first test fails
and names the new member. The others run aiortc's real DTLS, SCTP and data
channels over the adapter and show that an interruption of the path below
(an ICE restart switching pairs) costs neither a new handshake nor a
re-opened channel, and loses no reliable message.

Versions verified (December 2026; pyproject pins ``aiortc>=1.16,<1.17``): in
a scratch venv per version (aioice 0.13.0, rtcpeer's src on ``sys.path``),
``pytest tests/transport tests/peerconnection/test_pc_media.py
tests/peerconnection/test_pc_connect.py tests/interop/test_aiortc.py``
inside ``unshare --net``. 1.16.0 passes. 1.15.0 and 1.14.0 fail at import
(``rtcsctptransport.SCTP_DATA_CHUNK_HEADER_LENGTH`` is new in 1.16); with
that constant supplied, four tests still fail on both: ``_t3_expired``
clears ``_flight_size`` wholesale instead of ``_flight_size_decrease(chunk)``
per chunk (the SCTP flight accounting resume_on_new_path mirrors), and
``RTCDtlsTransport._recv_next`` has no ``__handshake_done`` flag, so the
eager data path never takes over (tests/transport/test_eager_data_path.py).
1.13.0 also lacks ``aiortc.rtp.RTCP_PSFB_FIR``.
"""

from __future__ import annotations

import asyncio
import inspect
import re

import aiortc.rtcdtlstransport
import pytest
from aiortc import RTCDataChannel, RTCSctpTransport
from aiortc.rtcdtlstransport import RTCDtlsTransport
from tests.support.aiortc_stack import open_channel_over
from tests.support.memory_path import MemoryPath, MemoryTransport

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport import AIORTC_ICE_SURFACE, create_dtls_transport

TIMEOUT = 10.0


def test_aiortc_reads_only_the_adapter_surface_from_its_ice_transport() -> None:
    source = inspect.getsource(aiortc.rtcdtlstransport.RTCDtlsTransport)
    used = set(re.findall(r"self\.(?:_)?transport\.(\w+)", source))
    assert used, "the pattern found no use of the ICE transport: update this test"
    assert used <= AIORTC_ICE_SURFACE, f"aiortc now also uses {used - AIORTC_ICE_SURFACE}"


@pytest.fixture(scope="module")
def certificates() -> tuple[RTCCertificate, RTCCertificate]:
    return RTCCertificate.generate("ECDSA"), RTCCertificate.generate("ECDSA")


async def _connected_channels(
    certificates: tuple[RTCCertificate, RTCCertificate], path: MemoryPath
) -> tuple[list[RTCDtlsTransport], RTCDataChannel, asyncio.Queue[RTCDataChannel]]:
    left, right = MemoryTransport("controlling", path), MemoryTransport("controlled", path)
    left.peer, right.peer = right, left
    return await open_channel_over(left, right, certificates)


def test_adapter_rejects_an_unknown_dtls_role(
    certificates: tuple[RTCCertificate, RTCCertificate],
) -> None:
    with pytest.raises(ValueError, match="dtls_role"):
        create_dtls_transport(
            MemoryTransport("controlling", MemoryPath()), certificates[0], dtls_role="auto"
        )


async def test_data_channel_survives_a_path_interruption_without_a_new_handshake(
    certificates: tuple[RTCCertificate, RTCCertificate],
) -> None:
    path = MemoryPath()
    dtls, channel, incoming = await _connected_channels(certificates, path)
    ssl_sessions = [transport._ssl for transport in dtls]
    remote = await asyncio.wait_for(incoming.get(), TIMEOUT)
    received: list[str] = []
    all_arrived = asyncio.get_running_loop().create_future()

    def on_message(message: str | bytes) -> None:
        received.append(str(message))
        if len(received) == 60 and not all_arrived.done():
            all_arrived.set_result(None)

    remote.on("message", on_message)
    for index in range(20):
        channel.send(f"m{index}")
    await asyncio.sleep(0)  # let SCTP hand the first batch to the path
    path.up = False  # the old pair goes away while the new one is being checked
    for index in range(20, 40):
        channel.send(f"m{index}")
    await asyncio.sleep(0.3)
    path.up = True  # the new generation selected a pair
    for index in range(40, 60):
        channel.send(f"m{index}")
    await asyncio.wait_for(all_arrived, TIMEOUT)

    assert path.dropped > 0, "the interruption dropped nothing: the test proved nothing"
    assert received == [f"m{index}" for index in range(60)]
    assert [transport._ssl for transport in dtls] == ssl_sessions
    assert all(transport.state == "connected" for transport in dtls)
    assert channel.readyState == remote.readyState == "open"
    for transport in dtls:
        await transport.stop()


def test_the_sctp_internals_delayed_sack_relies_on_are_still_there() -> None:
    """rtcpeer.transport.sctp overrides ``_send_sack`` and reads the
    SACK bookkeeping; an aiortc that renames them must fail here, not silently
    fall back to a SACK per packet (or never acknowledge)."""
    source = inspect.getsource(RTCSctpTransport)
    assert "async def _send_sack(self)" in source
    # _handle_data sends the SACK through the overridable method, when needed.
    handle = inspect.getsource(RTCSctpTransport._handle_data)
    assert "if self._sack_needed:" in handle and "await self._send_sack()" in handle
    for member in ("_sack_needed", "_sack_misordered", "_sack_duplicates", "_association_state"):
        assert f"self.{member}" in source, member
    assert RTCSctpTransport.State.ESTABLISHED
    # Bundling a SACK with DATA frames the packet as aiortc's _send_chunk does.
    send_chunk = inspect.getsource(RTCSctpTransport._send_chunk)
    for member in ("_local_port", "_remote_port", "_remote_verification_tag", "serialize_packet"):
        assert member in send_chunk, member
    build_sack = inspect.getsource(RTCSctpTransport._send_sack)
    assert "await self._send_chunk(sack)" in build_sack  # the SACK goes through _send_chunk


def test_the_peer_identity_check_we_override_is_still_called_the_same_way() -> None:
    """ObservedDtlsTransport._validate_peer_identity accepts any matching
    a=fingerprint (one per certificate, RFC 9429 §5.2.1); aiortc must still
    call it after the handshake and read the FAILED state it sets."""
    from aiortc.rtcdtlstransport import RTCDtlsTransport

    start = inspect.getsource(RTCDtlsTransport.start)
    assert "self._validate_peer_identity(remoteParameters)" in start
    assert "if self._state == State.FAILED:" in start.split("_validate_peer_identity")[1]
    own = inspect.signature(RTCDtlsTransport._validate_peer_identity)
    assert list(own.parameters) == ["self", "remoteParameters"]


# -- the media path (rtcpeer.transport.srtp, rtcpeer.transport.media) ------------------


def _has(code: object, *fragments: str) -> None:
    """Every fragment occurs in ``code``'s source; the assertion names the first missing."""
    source = inspect.getsource(code)  # type: ignore[arg-type]
    for fragment in fragments:
        assert fragment in source, f"{getattr(code, '__qualname__', code)}: {fragment!r}"


def test_the_srtp_internals_srtp_on_demand_relies_on_are_still_there() -> None:
    """SrtpDtlsTransport overrides ``_setup_srtp`` (called once, between the
    handshake's identity check and ``connected``), calls aiortc's own later,
    wraps ``_rx_srtp`` (only ``unprotect``/``unprotect_rtcp`` are called on
    it, and a None session drops SRTP), and reads ``_srtp_profiles``."""
    from aiortc.rtcdtlstransport import RTCDtlsTransport as Dtls

    start = inspect.getsource(Dtls.start)
    order = [
        start.index("self._validate_peer_identity(remoteParameters)"),
        start.index("self._setup_srtp()"),
        start.index("self._set_state(State.CONNECTED)"),
    ]
    assert order == sorted(order) and start.count("self._setup_srtp()") == 1
    _has(
        Dtls._setup_srtp,
        "self._ssl.get_selected_srtp_profile()",
        "for srtp_profile in self._srtp_profiles:",
        "srtp_profile.openssl_profile == openssl_profile",
        "self._ssl.export_keying_material(",
        "self._rx_srtp = Session(rx_policy)",
        "self._tx_srtp = Session(tx_policy)",
    )
    source = inspect.getsource(Dtls)
    assert source.count("self._rx_srtp.") == 2, "aiortc uses the receive session some other way"
    _has(
        Dtls._recv_next,
        "first_byte > 127 and first_byte < 192 and self._rx_srtp",
        "data = self._rx_srtp.unprotect_rtcp(data)",
        "await self._handle_rtcp_data(data)",
        "data = self._rx_srtp.unprotect(data)",
        "await self._handle_rtp_data(data, arrival_time_ms=arrival_time_ms)",
        "except pylibsrtp.Error",
    )
    _has(
        Dtls._send_rtp,
        "if self._state != State.CONNECTED:",
        "raise ConnectionError",
        "self._tx_srtp.protect_rtcp(data)",
        "self._tx_srtp.protect(data)",
    )


def test_the_rtp_demux_rtcpeer_replaces_is_still_aiortcs_shape() -> None:
    """SrtpDtlsTransport re-implements ``_handle_rtp_data``/``_handle_rtcp_data``
    (to count drops and survive handlers that raise) and installs its own
    router; aiortc's versions must still do just parse, route, hand on."""
    from aiortc.rtcdtlstransport import RTCDtlsTransport as Dtls
    from aiortc.rtcdtlstransport import RtpRouter

    _has(Dtls.__init__, "self._rtp_router = RtpRouter()", "self._rtp_header_extensions_map")
    _has(
        Dtls._handle_rtp_data,
        "packet = RtpPacket.parse(data, self._rtp_header_extensions_map)",
        "receiver = self._rtp_router.route_rtp(packet)",
        "await receiver._handle_rtp_packet(packet, arrival_time_ms=arrival_time_ms)",
    )
    _has(
        Dtls._handle_rtcp_data,
        "packets = RtcpPacket.parse(data)",
        "for recipient in self._rtp_router.route_rtcp(packet):",
        "await recipient._handle_rtcp_packet(packet)",
    )
    for method in (Dtls._handle_rtp_data, Dtls._handle_rtcp_data):
        lines = [line for line in inspect.getsource(method).splitlines() if line.strip()]
        assert len(lines) == 10, f"aiortc's {method.__name__} changed: compare with srtp.py"
    _has(
        Dtls._register_rtp_receiver,
        "self._rtp_header_extensions_map.configure(parameters)",
        "self._rtp_router.register_receiver(",
        "mid=parameters.muxId",
    )
    _has(Dtls._register_rtp_sender, "self._rtp_router.register_sender(sender, ssrc=sender._ssrc)")
    router = RtpRouter()
    for table in ("ssrc_table", "mid_table", "payload_type_table", "senders", "receivers"):
        assert hasattr(router, table), table
    _has(
        RtpRouter.route_rtp,
        "ssrc_receiver = self.ssrc_table.get(packet.ssrc)",
        "pt_receivers = self.payload_type_table.get(packet.payload_type, set())",
        "if ssrc_receiver is not None and ssrc_receiver in pt_receivers:",
    )


def test_the_sender_internals_media_sender_relies_on_are_still_there() -> None:
    """MediaSender sets ``_ssrc``/``_rtx_ssrc`` before ``send()``, defers
    ``send()`` until DTLS is connected (a ConnectionError ends aiortc's RTP
    loop for good), and its subclass counts ``_next_encoded_frame`` results
    and ``_handle_rtcp_packet`` feedback; ``active`` is aiortc's ``_enabled``."""
    from aiortc.rtcrtpsender import RTCRtpSender

    _has(RTCRtpSender.__init__, "self._ssrc = random32()", "self._rtx_ssrc = random32()")
    _has(
        RTCRtpSender.send,
        "if not self.__started:",
        "self.__cname = parameters.rtcp.cname",
        "self.__mid = parameters.muxId",
        "self.__transport._register_rtp_sender(self, parameters)",
        'codec.parameters["apt"] == parameters.codecs[0].payloadType',
        "self._run_rtp(parameters.codecs[0])",
    )
    _has(
        RTCRtpSender._run_rtp,
        "enc_frame = await self._next_encoded_frame(codec)",
        "except (asyncio.CancelledError, ConnectionError, MediaStreamError):",
    )
    _has(RTCRtpSender._retransmit, "ssrc=self._rtx_ssrc")
    _has(RTCRtpSender._next_encoded_frame, "async def _next_encoded_frame(", "return None")
    # MediaSender.active (RTCRtpEncodingParameters.active) toggles this flag.
    _has(RTCRtpSender.__init__, "self._enabled = True")
    _has(RTCRtpSender._next_encoded_frame, "if not self._enabled:")
    assert list(inspect.signature(RTCRtpSender._handle_rtcp_packet).parameters) == [
        "self",
        "packet",
    ]


def test_the_receiver_internals_media_receiver_relies_on_are_still_there() -> None:
    """MediaReceiver gives aiortc's receiver its remote track (``_track``, whose
    ``_queue`` it swaps for a counting one before ``receive()`` hands it to
    the decoder thread) and its RTCP SSRC; the subclass sees every packet in
    ``_handle_rtp_packet`` and every feedback message in ``_send_rtcp``."""
    import aiortc.rtcrtpreceiver
    from aiortc.rtcrtpreceiver import RemoteStreamTrack, RTCRtpReceiver

    _has(RTCRtpReceiver.__init__, "self._track: Optional[RemoteStreamTrack] = None")
    _has(vars(RTCRtpReceiver)["track"].fget, "return self._track")
    _has(RTCRtpReceiver.receive, "self._track._queue", "self.__rtx_ssrc[encoding.rtx.ssrc]")
    _has(RTCRtpReceiver._set_rtcp_ssrc, "self.__rtcp_ssrc = ssrc")
    _has(aiortc.rtcrtpreceiver.decoder_worker, "output_q.put(frame)", "output_q.put(None)")
    _has(RemoteStreamTrack.__init__, "self._queue: asyncio.Queue = asyncio.Queue()")
    assert list(inspect.signature(RemoteStreamTrack).parameters) == ["kind", "id"]
    source = inspect.getsource(RTCRtpReceiver)
    assert source.count("await self._send_rtcp(") == source.count("self._send_rtcp(") == 4
    assert "await self.transport._send_rtp(" in inspect.getsource(RTCRtpReceiver._send_rtcp)
    assert list(inspect.signature(RTCRtpReceiver._handle_rtp_packet).parameters) == [
        "self",
        "packet",
        "arrival_time_ms",
    ]


def test_the_aiortc_values_media_and_parameters_build_are_still_there() -> None:
    """Constructors and dataclass fields rtcpeer.transport builds or reads."""
    import dataclasses

    from aiortc import codecs, rtcrtpparameters, sdp, stats, utils
    from aiortc.rtcdtlstransport import RTCDtlsFingerprint, RTCDtlsParameters
    from aiortc.rtcsctptransport import RTCSctpCapabilities

    def fields(cls: type) -> set[str]:
        return {field.name for field in dataclasses.fields(cls)}

    assert fields(rtcrtpparameters.RTCRtpCodecParameters) >= {
        "mimeType",
        "clockRate",
        "channels",
        "payloadType",
        "rtcpFeedback",
        "parameters",
    }
    assert fields(rtcrtpparameters.RTCRtpSendParameters) >= {
        "codecs",
        "headerExtensions",
        "muxId",
        "rtcp",
        "encodings",
    }
    assert fields(rtcrtpparameters.RTCRtpReceiveParameters) >= {"encodings", "muxId", "rtcp"}
    assert fields(rtcrtpparameters.RTCRtcpParameters) == {"cname", "mux", "ssrc"}
    assert fields(rtcrtpparameters.RTCRtpCodingParameters) == {"ssrc", "payloadType", "rtx"}
    assert fields(rtcrtpparameters.RTCRtpHeaderExtensionParameters) == {"id", "uri"}
    assert fields(rtcrtpparameters.RTCRtcpFeedback) == {"type", "parameter"}
    assert set(codecs.CODECS) == set(codecs.HEADER_EXTENSIONS) == {"audio", "video"}
    assert "apt" in sdp.FMTP_INT_PARAMETERS
    assert 0 <= utils.random32() < 2**32
    assert fields(stats.RTCOutboundRtpStreamStats) >= {
        "timestamp",
        "type",
        "id",
        "ssrc",
        "kind",
        "transportId",
        "packetsSent",
        "bytesSent",
    }
    assert fields(stats.RTCInboundRtpStreamStats) >= {"packetsReceived", "packetsLost", "jitter"}
    assert fields(stats.RTCRemoteInboundRtpStreamStats) >= {"roundTripTime", "fractionLost"}
    assert fields(stats.RTCRemoteOutboundRtpStreamStats) >= {"remoteTimestamp"}
    assert fields(RTCDtlsParameters) >= {"fingerprints"}
    assert fields(RTCDtlsFingerprint) == {"algorithm", "value"}
    assert fields(RTCSctpCapabilities) == {"maxMessageSize"}


# -- the data-channel and DTLS seam (rtcpeer.transport.datachannel, aiortc_adapter) ----


def _parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_data_channel_internals_counting_sctp_relies_on_are_still_there() -> None:
    """CountingSctpTransport counts in ``_data_channel_send`` (every
    ``channel.send()`` goes through it) and ``_data_channel_receive`` (every
    incoming message, looked up in ``_data_channels`` by stream id), and
    reports state changes from ``_set_state`` (the only place the association
    reaches ``connected`` or ``closed``)."""
    from aiortc.rtcdatachannel import RTCDataChannel as Channel

    _has(Channel.send, "self.transport._data_channel_send(self, data)")
    assert _parameters(RTCSctpTransport._data_channel_send) == ["self", "channel", "data"]
    assert _parameters(RTCSctpTransport._data_channel_receive) == [
        "self",
        "stream_id",
        "pp_id",
        "data",
    ]
    _has(RTCSctpTransport._receive, "await self._data_channel_receive(stream_id, pp_id, data)")
    _has(RTCSctpTransport.__init__, "self._data_channels: dict[int, RTCDataChannel] = {}")
    source = inspect.getsource(RTCSctpTransport)
    set_state = inspect.getsource(RTCSctpTransport._set_state)
    for assignment in ('self.__state = "connected"', 'self.__state = "closed"'):
        assert source.count(assignment) == set_state.count(assignment) == 1, assignment
    _has(vars(RTCSctpTransport)["state"].fget, "return self.__state")


def test_a_data_channel_can_still_be_closed_without_events() -> None:
    """close_data_channel_quietly sets the state with ``_setReadyState``, the
    setter aiortc's ``readyState`` reads."""
    from aiortc.rtcdatachannel import RTCDataChannel as Channel

    assert _parameters(Channel._setReadyState) == ["self", "state"]
    _has(Channel._setReadyState, "self.__readyState = state")
    _has(vars(Channel)["readyState"].fget, "return self.__readyState")


def test_the_dcep_internals_an_early_open_relies_on_are_still_there() -> None:
    """CountingSctpTransport opens an ordered channel once ``_send`` has taken its
    DATA_CHANNEL_OPEN (the flush hands DCEP to ``_send`` with the stream id it
    registered in ``_data_channels``), and the ACK arriving later must not open
    it again (aiortc opens only a channel still ``connecting``)."""
    assert _parameters(RTCSctpTransport._send)[:4] == ["self", "stream_id", "pp_id", "user_data"]
    _has(
        RTCSctpTransport._data_channel_flush,
        "self._data_channels[stream_id] = channel",
        "if protocol == WEBRTC_DCEP:",
        "await self._send(stream_id, protocol, user_data)",
    )
    _has(
        RTCSctpTransport._data_channel_receive,
        "elif msg_type == DATA_CHANNEL_ACK:",
        'if channel.readyState == "connecting":',
    )


def test_the_dtls_internals_the_role_and_certificates_rely_on_are_still_there() -> None:
    """ObservedDtlsTransport.set_role calls ``_set_role`` (aiortc's ``start()``
    reads ``_role``), and ``peer_certificates`` reads the pyOpenSSL
    connection aiortc keeps in ``_ssl``."""
    from OpenSSL import SSL

    _has(RTCDtlsTransport._set_role, "self._role = role")
    _has(RTCDtlsTransport.start, 'if self._role == "server":', "self._ssl = SSL.Connection(")
    _has(RTCDtlsTransport.__init__, "self._ssl: Optional[SSL.Connection] = None")
    for method in ("get_peer_certificate", "get_peer_cert_chain"):
        assert "as_cryptography" in inspect.signature(getattr(SSL.Connection, method)).parameters


def test_the_sctp_internals_resume_on_new_path_relies_on_are_still_there() -> None:
    """rtcpeer.transport.sctp's ``resume_on_new_path`` redoes what aiortc's T3
    expiry does (mark outstanding chunks for retransmission, take them out of
    the flight) without its congestion cut, and resets the RTO from aiortc's
    smoothed RTT; an aiortc that renames any of this must fail here."""
    from aiortc import rtcsctptransport

    for constant in ("SCTP_RTO_INITIAL", "SCTP_RTO_MIN", "SCTP_RTO_MAX", "USERDATA_MAX_LENGTH"):
        assert hasattr(rtcsctptransport, constant), constant
    _has(
        RTCSctpTransport._t3_expired,
        "self._sent_queue",
        "self._maybe_abandon(chunk)",
        "chunk._retransmit = True",
        "self._flight_size_decrease(chunk)",
        "self._update_advanced_peer_ack_point()",
        "self._fast_recovery_exit = None",
        "self._partial_bytes_acked = 0",
        "self._cwnd",
    )
    _has(RTCSctpTransport._update_rto, "self._srtt", "self._rttvar", "self._rto =")
    _has(RTCSctpTransport._transmit, "if chunk._retransmit:", "self._t3_restart()")
    _has(RTCSctpTransport._t3_cancel, "self._t3_handle")


def test_the_sctp_internals_the_lazy_t3_timer_relies_on_are_still_there() -> None:
    """rtcpeer.transport.sctp replaces aiortc's T3 start, restart and cancel
    (one timer per RTO, not per message): aiortc must still start, restart
    and cancel T3 only through them, tell whether it runs only by
    ``_t3_handle`` being set, clear it when it expires, and keep the RTO in
    ``_rto``."""
    source = inspect.getsource(RTCSctpTransport)
    timer_calls = source.count("call_later(") + source.count("call_at(")
    assert source.count("self._t3_expired)") == 2, "T3 armed outside _t3_start/_t3_restart"
    assert timer_calls == 8, "a new timer in aiortc's SCTP: check it against the lazy T3"
    _has(RTCSctpTransport._transmit, "if not self._t3_handle:", "self._t3_start()")
    _has(RTCSctpTransport._receive_sack_chunk, "self._t3_cancel()", "self._t3_restart()")
    _has(RTCSctpTransport._t3_expired, "self._t3_handle = None")
    _has(RTCSctpTransport._t3_start, "self._loop.call_later(self._rto, self._t3_expired)")
    _has(RTCSctpTransport._set_state, "self._t3_cancel()")


def test_the_sctp_internals_the_whole_message_shortcut_relies_on_are_still_there() -> None:
    """rtcpeer.transport.sctp delivers a whole in-order message as aiortc's
    DATA handling would: mark the TSN, advance the stream's sequence number
    by ``uint16_add`` when the message is the one expected, hand it to
    ``_receive``; deferred stream resets only matter while one is pending."""
    from aiortc.rtcsctptransport import InboundStream

    _has(
        RTCSctpTransport._receive_data_chunk,
        "self._mark_received(chunk.tsn)",
        "inbound_stream.pop_messages()",
        "await self._receive(*message)",
        "await self._reset_deferred_streams()",
    )
    _has(
        InboundStream.pop_messages,
        "chunk.stream_seq == self.sequence_number",
        "uint16_add(self.sequence_number, 1)",
        "yield (chunk.stream_id, chunk.protocol, user_data)",
    )
    _has(InboundStream.__init__, "self.reassembly", "self.sequence_number")
    _has(RTCSctpTransport._reset_deferred_streams, "request = self._reconfig_deferred")
    _has(
        RTCSctpTransport._data_channel_flush,
        "self._data_channel_queue",
        "self._outbound_queue",
    )


def test_the_sctp_internals_packing_relies_on_are_still_there() -> None:
    """rtcpeer.transport.sctp packs what aiortc's ``_transmit`` and
    ``_data_channel_flush`` release: both must hand every chunk to
    ``_send_chunk`` (the flush through ``_send`` and ``_transmit``), and a
    chunk's bytes must carry their padding, so that chunks joined end to end
    parse back as the same chunks."""
    from aiortc.rtcsctptransport import DataChunk, SackChunk, parse_packet, serialize_packet

    _has(RTCSctpTransport._transmit, "await self._send_chunk(chunk)")
    _has(RTCSctpTransport._transmit, "await self._send_chunk(self._forward_tsn_chunk)")
    _has(RTCSctpTransport._send, "await self._transmit()")
    _has(RTCSctpTransport._data_channel_flush, "await self._send(")
    first, second = DataChunk(), DataChunk()
    first.user_data, second.user_data = b"x", b"yz"
    first.tsn, second.tsn = 1, 2
    sack = SackChunk()
    sack.cumulative_tsn = 7

    class Joined:
        def __bytes__(self) -> bytes:
            return bytes(sack) + bytes(first) + bytes(second)

    assert len(bytes(first)) % 4 == 0
    packet = serialize_packet(5000, 5000, 1, Joined())  # type: ignore[arg-type]
    chunks = parse_packet(packet)[3]
    assert [type(c) for c in chunks] == [SackChunk, DataChunk, DataChunk]
    assert [c.user_data for c in chunks[1:]] == [b"x", b"yz"]  # type: ignore[attr-defined]
    # Chunk bytes joined are framed as they are (serialize_packet takes bytes() of its chunk).
    _has(serialize_packet, "data = bytes(chunk)")
    joined = bytes(sack) + bytes(first) + bytes(second)
    assert serialize_packet(5000, 5000, 1, joined) == packet  # type: ignore[arg-type]


def test_the_receiver_statistics_we_read_per_ssrc_are_still_there() -> None:
    """MediaReceiver.stats reads aiortc's per-SSRC StreamStatistics, because
    aiortc's own report gives every SSRC's inbound-rtp entry one id."""
    from aiortc.rtcrtpreceiver import RTCRtpReceiver, StreamStatistics

    source = inspect.getsource(RTCRtpReceiver)
    assert "self.__remote_streams[packet.ssrc] = StreamStatistics(" in source
    assert 'id="inbound-rtp_" + str(id(self))' in source  # why we rebuild the entries
    assert hasattr(StreamStatistics(90000), "packets_received")
    for name in ("packets_lost", "jitter"):  # properties (computed from the packets seen)
        assert isinstance(getattr(StreamStatistics, name), property), name


def test_the_receiver_internals_the_video_jitter_buffer_and_key_frames_rely_on() -> None:
    """MediaReceiver replaces the video receiver's ``__jitter_buffer`` (whose
    ``add()`` calls the ``_remove_frame`` rtcpeer.transport.jitter overrides,
    over ``_origin``/``_packets``/``_capacity``/``remove``) and its
    ``__decoder_queue`` before ``receive()`` hands that to the decoder thread;
    key frames are matched to decoded frames by the timestamp the decoders
    stamp their output with; RTX unwrapping keeps the marker bit."""
    import aiortc.codecs.h264
    import aiortc.codecs.vpx
    import aiortc.rtp
    from aiortc.jitterbuffer import JitterBuffer, JitterFrame
    from aiortc.rtcrtpreceiver import RTCRtpReceiver

    _has(
        RTCRtpReceiver.__init__,
        "self.__decoder_queue: queue.Queue = queue.Queue()",
        "self.__jitter_buffer = JitterBuffer(capacity=512, is_video=True)",
    )
    _has(RTCRtpReceiver.receive, "self.__decoder_queue,")
    _has(
        RTCRtpReceiver._handle_rtp_packet,
        "packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)",
        "packet._data = depayload(codec, packet.payload)",
        "pli_flag, encoded_frame = self.__jitter_buffer.add(packet)",
        "encoded_frame.timestamp = self.__timestamp_mapper.map(",
        "self.__decoder_queue.put((codec, encoded_frame))",
    )
    _has(JitterBuffer.add, "return pli_flag, self._remove_frame(packet.sequence_number)")
    _has(JitterBuffer.__init__, "self._capacity = capacity", "self._origin", "self._packets")
    _has(JitterBuffer.remove, "self._origin = uint16_add(self._origin, 1)")
    assert list(inspect.signature(JitterFrame).parameters) == ["data", "timestamp"]
    _has(aiortc.codecs.vpx.Vp8Decoder.decode, "packet.pts = encoded_frame.timestamp")
    _has(aiortc.codecs.h264.H264Decoder.decode, "packet.pts = encoded_frame.timestamp")
    _has(aiortc.rtp.unwrap_rtx, "marker=rtx.marker", "payload=rtx.payload[2:]")


def test_the_sender_internals_inline_audio_encoding_relies_on_are_still_there() -> None:
    """_CountingRtpSender encodes audio itself, as aiortc's
    ``_next_encoded_frame`` does (through its name-mangled ``__encoder``) but
    without the thread pool; video still goes through aiortc's."""
    from aiortc.codecs.base import Encoder
    from aiortc.rtcrtpsender import RTCEncodedFrame, RTCRtpSender

    _has(
        RTCRtpSender._next_encoded_frame,
        "data = await self.__track.recv()",
        "if self.__encoder is None:",
        "self.__encoder = get_encoder(codec)",
        "audio_level = rtp.compute_audio_level_dbov(data)",
        "None, self.__encoder.encode, data, force_keyframe",
        "payloads, timestamp = self.__encoder.pack(data)",
        "return RTCEncodedFrame(payloads, timestamp, audio_level)",
    )
    assert list(inspect.signature(Encoder.encode).parameters) == [
        "self",
        "frame",
        "force_keyframe",
    ]
    assert list(inspect.signature(RTCEncodedFrame).parameters) == [
        "payloads",
        "timestamp",
        "audio_level",
    ]


def test_the_sender_internals_a_codec_switch_relies_on_are_still_there() -> None:
    """MediaSender.renegotiate changes the codec of a running sender between two
    frames: the codec object ``send()`` hands to ``_run_rtp`` is read for every
    packet (so it is changed in place), the encoder is made again from it once
    ``__encoder`` is None, and retransmissions use ``__rtx_payload_type``."""
    from aiortc.rtcrtpsender import RTCRtpSender

    _has(RTCRtpSender.send, "self._run_rtp(parameters.codecs[0])")
    _has(
        RTCRtpSender._run_rtp,
        "enc_frame = await self._next_encoded_frame(codec)",
        "payload_type=codec.payloadType,",
    )
    _has(RTCRtpSender._next_encoded_frame, "self.__encoder = get_encoder(codec)")
    _has(RTCRtpSender.__init__, "self.__encoder: Optional[Encoder] = None")
    _has(RTCRtpSender.__init__, "self.__rtx_payload_type: Optional[int] = None")
    _has(RTCRtpSender._retransmit, "payload_type=self.__rtx_payload_type,")


def test_a_finished_handshake_stays_finished() -> None:
    """The adapter's per-datagram check remembers the handshake finished and
    then reads only ``_state``: aiortc sets ``__handshake_done`` to False
    once (in ``__init__``) and only ever to True afterwards."""
    source = inspect.getsource(RTCDtlsTransport)
    assert source.count("self.__handshake_done = False") == 1
    _has(RTCDtlsTransport.__init__, "self.__handshake_done = False")
    assert source.count("self.__handshake_done = ") == 2, "a new write to __handshake_done"
    _has(RTCDtlsTransport._recv_next, "self.__handshake_done = True")


def test_the_dtls_steps_the_lean_data_path_redoes_are_still_aiortcs() -> None:
    """``ObservedDtlsTransport.receive_application_data`` redoes ``_recv_next``
    for application data and ``send_burst`` redoes ``_send_data`` per packet:
    the same OpenSSL calls, counters, close signal and hand-off to SCTP."""
    _has(
        RTCDtlsTransport._recv_next,
        "self.__rx_bytes += len(data)",
        "self.__rx_packets += 1",
        "self._ssl.bio_write(data)",
        "data = self._ssl.recv(1500)",
        "except SSL.ZeroReturnError:",
        "except SSL.Error:",
        "await self._write_ssl()",
        "raise ConnectionError",
        "await self._data_receiver._handle_data(data)",
    )
    _has(
        RTCDtlsTransport._send_data,
        "if self._state != State.CONNECTED:",
        "self._ssl.send(data)",
        "await self._write_ssl()",
    )
    _has(
        RTCDtlsTransport._write_ssl,
        "data = self._ssl.bio_read(1500)",
        "await self.transport._send(data)",
        "self.__tx_bytes += len(data)",
        "self.__tx_packets += 1",
    )
    _has(RTCDtlsTransport.__init__, "self._data_receiver", "self.__rx_bytes = 0")


def test_the_handshake_loop_we_redo_is_still_aiortcs() -> None:
    """``ObservedDtlsTransport._do_handshake`` redoes aiortc's loop and, while
    a handshake timer runs, its receive step: the timer read, the timeout's
    handling, DTLS's byte range (SRTP only with a session), the outcomes."""
    _has(
        RTCDtlsTransport._recv_next,
        "if not self.__handshake_done:",
        "timeout = self._ssl.DTLSv1_get_timeout()",
        "if timeout is None and self.encrypted:",
        "except asyncio.TimeoutError:",
        "self._ssl.DTLSv1_handle_timeout()",
        "first_byte > 19 and first_byte < 64",
        "first_byte > 127 and first_byte < 192 and self._rx_srtp",
    )
    _has(
        RTCDtlsTransport._do_handshake,
        "while not self.encrypted:",
        "self._ssl.do_handshake()",
        "except SSL.WantReadError:",
        "await self._write_ssl()",
        "await self._recv_next()",
        "except SSL.Error as exc:",
        "self._set_state(State.FAILED)",
        "self.encrypted = True",
        "except ConnectionError:",
    )
    _has(RTCDtlsTransport.start, "await self._do_handshake()")


def test_the_sctp_internals_the_lean_transmit_relies_on_are_still_there() -> None:
    """rtcpeer's ``_transmit`` sets the sent queue aside unless a chunk may be
    marked for retransmission: aiortc's ``_transmit`` must read the sent
    queue only to retransmit marked chunks and append what it sends anew;
    only a SACK with gaps and a T3 expiry may mark chunks. Its
    ``_mark_received`` step for the next TSN in order must still amount to
    advancing ``_last_received_tsn``; its ``_send_chunk`` must frame a chunk
    alone in a packet as ``serialize_packet`` does."""
    transmit = inspect.getsource(RTCSctpTransport._transmit)
    assert transmit.count("self._sent_queue") == 2, "aiortc's transmit reads the sent queue anew"
    _has(RTCSctpTransport._transmit, "for chunk in self._sent_queue:", "if chunk._retransmit:")
    _has(RTCSctpTransport._transmit, "self._sent_queue.append(chunk)")
    source = inspect.getsource(RTCSctpTransport)
    assert source.count("._retransmit = True") == 2, "a new place marks chunks for retransmission"
    _has(RTCSctpTransport._receive_sack_chunk, "if chunk.gaps:", "schunk._retransmit = True")
    _has(RTCSctpTransport._t3_expired, "chunk._retransmit = True")
    _has(
        RTCSctpTransport._mark_received,
        "self._sack_misordered.add(tsn)",
        "if tsn == tsn_plus_one(self._last_received_tsn):",
        "self._sack_duplicates = list(filter(is_obsolete, self._sack_duplicates))",
    )
    _has(
        RTCSctpTransport._send_chunk,
        "serialize_packet(",
        "self._local_port,",
        "self._remote_port,",
        "self._remote_verification_tag,",
    )
    _has(RTCSctpTransport._receive_data_chunk, "if self._mark_received(chunk.tsn):")


def test_the_sctp_receive_steps_the_lean_handlers_redo_are_still_aiortcs() -> None:
    """rtcpeer's ``_handle_data`` hands DATA and SACK chunks of an established
    association to their handlers itself: aiortc's dispatch must do only that
    for them, and its packet handling only parse, check the tag, dispatch and
    SACK. Its ``_receive_data_chunk`` for a chunk after every waiting chunk
    that ends no message must amount to: SACK needed, mark received,
    append, shrink the window (reassembly completes only on a LAST fragment
    or a gap filled)."""
    from aiortc.rtcsctptransport import InboundStream

    _has(
        RTCSctpTransport._receive_chunk,
        "if isinstance(chunk, DataChunk):\n            await self._receive_data_chunk(chunk)",
        "elif isinstance(chunk, SackChunk):\n            await self._receive_sack_chunk(chunk)",
    )
    _has(
        RTCSctpTransport._handle_data,
        "parse_packet(data)",
        "expected_tag = self._local_verification_tag",
        "await self._receive_chunk(chunk)",
        "if self._sack_needed:\n            await self._send_sack()",
    )
    _has(
        RTCSctpTransport._receive_data_chunk,
        "self._sack_needed = True",
        "if self._mark_received(chunk.tsn):",
        "inbound_stream = self._get_inbound_stream(chunk.stream_id)",
        "inbound_stream.add_chunk(chunk)",
        "self._advertised_rwnd -= len(chunk.user_data)",
        "for message in inbound_stream.pop_messages():",
        "await self._reset_deferred_streams()",
    )
    _has(
        InboundStream.add_chunk,
        "if not self.reassembly or uint32_gt(chunk.tsn, self.reassembly[-1].tsn):",
        "self.reassembly.append(chunk)",
    )
    _has(InboundStream.pop_messages, "if chunk.flags & SCTP_DATA_LAST_FRAG:")
    _has(RTCSctpTransport._reset_deferred_streams, "request = self._reconfig_deferred")
    _has(RTCSctpTransport.__init__, "self._inbound_streams", "self._reconfig_deferred")


def test_the_packet_layout_the_lean_read_redoes_is_still_aiortcs() -> None:
    """rtcpeer's ``_lean_packet`` reads a packet of a plain SACK and/or a DATA
    chunk from its bytes: aiortc's ``parse_packet`` must check the same
    checksum and lengths and walk chunks the same way, its DATA and SACK
    chunks must read the same fields, and a DATA chunk must still be built
    from ``(flags, body)`` (a fragment is queued as one)."""
    from aiortc.rtcsctptransport import DataChunk, SackChunk, parse_packet

    _has(
        parse_packet,
        "if length < SCTP_PACKET_MINIMUM_LENGTH:",
        'checksum = unpack_from("<L", data, 8)[0]',
        'if checksum != crc32c(data[0:8] + b"\\x00\\x00\\x00\\x00" + data[12:]):',
        "while pos <= length - SCTP_CHUNK_HEADER_LENGTH:",
        "if chunk_length < SCTP_CHUNK_HEADER_LENGTH or pos + chunk_length > length:",
        "pos += chunk_length + padl(chunk_length)",
    )
    _has(DataChunk.__init__, '"!LHHL", body', "self.user_data = body[12:]")
    _has(SackChunk.__init__, '= unpack_from("!LLHH", body)')
    assert (DataChunk.type, SackChunk.type) == (0, 3)


def test_the_sctp_queues_an_idle_association_drops_are_still_plain_attributes() -> None:
    """rtcpeer.transport.sctp replaces aiortc's empty send queues and stream
    reset sets of an idle association by shared empty placeholders (a tuple,
    a frozenset) that aiortc reads as plain attributes, and gives the real
    ones back before aiortc adds to one. That holds only while aiortc makes
    them empty in ``__init__``, reaches them through ``self.<name>`` each time
    (never keeping one in a local name, which would outlive a drop), and adds
    to or removes from them only where rtcpeer wakes the association first
    or where one of the queues is non-empty (so it is awake): the table
    below, one entry per aiortc method and (container, operation)."""
    import ast

    from aiortc import rtcsctptransport

    from rtcpeer.transport.sctp import IDLE_QUEUES, IDLE_SETS, DelayedSackSctpTransport

    init = inspect.getsource(RTCSctpTransport.__init__)
    for name in IDLE_QUEUES:
        assert re.search(rf"self\.{name}(: [^=]+)? = deque\(\)", init), name
    for name in IDLE_SETS:
        _has(RTCSctpTransport.__init__, f"self.{name}: set[int] = set()")
    source = inspect.getsource(rtcsctptransport)
    names = "|".join(IDLE_QUEUES + IDLE_SETS)
    aliases = re.findall(rf"^\s*[\w, ]+=\s*self\.({names})\s*$", source, re.MULTILINE)
    assert aliases == [], aliases
    changes: set[tuple[str, str, str]] = set()
    tree = ast.parse(inspect.getsource(RTCSctpTransport))
    for method in ast.walk(tree):
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(method):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Attribute)
                and isinstance(node.func.value.value, ast.Name)
                and node.func.value.value.id == "self"
                and node.func.value.attr in IDLE_QUEUES + IDLE_SETS
                and node.func.attr not in ("index",)
            ):
                changes.add((method.name, node.func.value.attr, node.func.attr))
    woken = {  # rtcpeer overrides each to wake the association first
        ("_data_channel_send", "_data_channel_queue", "append"),
        ("_data_channel_open", "_data_channel_queue", "append"),
        ("_data_channel_receive", "_data_channel_queue", "append"),  # the DCEP ACK: _receive
        ("_receive_reconfig_param", "_data_channel_outbound_reset", "add"),
        ("_reset_deferred_streams", "_data_channel_inbound_reset", "add"),
        ("_data_channel_closed", "_data_channel_inbound_reset", "discard"),
        ("_data_channel_closed", "_data_channel_outbound_reset", "discard"),
    }
    awake = {  # only after taking from, or finding, a non-empty queue
        ("_send", "_outbound_queue", "append"),  # from the flush, a message taken
        ("_transmit", "_outbound_queue", "popleft"),
        ("_transmit", "_sent_queue", "append"),
        ("_receive_sack_chunk", "_sent_queue", "popleft"),
        ("_update_advanced_peer_ack_point", "_outbound_queue", "popleft"),
        ("_update_advanced_peer_ack_point", "_sent_queue", "append"),
        ("_update_advanced_peer_ack_point", "_sent_queue", "popleft"),
        ("_data_channel_flush", "_data_channel_queue", "popleft"),
    }
    assert changes == woken | awake, changes ^ (woken | awake)
    for overridden, _, _ in woken:
        overridden = {"_data_channel_receive": "_receive"}.get(overridden, overridden)
        assert overridden in vars(DelayedSackSctpTransport), overridden
    assert source.count("self._data_channel_receive(") == 1  # from _receive only
    _has(RTCSctpTransport._receive, "await self._data_channel_receive(stream_id, pp_id, data)")
    (receive,) = ast.parse(inspect.getsource(RTCSctpTransport._receive).strip()).body
    assert isinstance(receive, ast.AsyncFunctionDef)
    assert len(receive.body) == 2, "aiortc's _receive (replaced) does more than hand on"
    assert source.count("self._send(") == source.count("await self._send(") == 2
    _has(RTCSctpTransport._data_channel_flush, "await self._send(")  # its only caller
    _has(RTCSctpTransport._reset_deferred_streams, "request = self._reconfig_deferred")


def test_the_advanced_peer_ack_point_step_is_still_aiortcs() -> None:
    """rtcpeer.transport.sctp does aiortc's ``_update_advanced_peer_ack_point``
    in one step when nothing is abandoned and no stream waits for a FORWARD
    TSN: aiortc's must still only follow the cumulative TSN then, skip
    abandoned chunks at the head of its queues, keep a stream in
    ``_forward_tsn_streams`` only until acknowledged, and send a FORWARD TSN
    only while the point is past the cumulative TSN acknowledged."""
    _has(
        RTCSctpTransport._update_advanced_peer_ack_point,
        "if uint32_gt(self._last_sacked_tsn, self._advanced_peer_ack_tsn):",
        "self._advanced_peer_ack_tsn = self._last_sacked_tsn",
        "while self._outbound_queue and self._outbound_queue[0]._abandoned:",
        "while self._sent_queue and self._sent_queue[0]._abandoned:",
        "for stream_id, (stream_seq, tsn) in self._forward_tsn_streams.items()",
        "if uint32_gt(tsn, self._last_sacked_tsn)",
        "if uint32_gt(self._advanced_peer_ack_tsn, self._last_sacked_tsn):",
        "self._forward_tsn_chunk = ForwardTsnChunk()",
    )
    body = inspect.getsource(RTCSctpTransport._update_advanced_peer_ack_point)
    assert body.count("self._") == 23, "aiortc's step changed: check rtcpeer's shortcut"


def test_the_sack_aiortc_builds_is_still_the_plain_one_rtcpeer_writes() -> None:
    """rtcpeer.transport.sctp writes a SACK with no gap and no duplicate
    itself (``_plain_sack``; tests/transport/test_lean_data_path.py compares
    the bytes with aiortc's): aiortc's must still report gaps only from
    ``_sack_misordered`` and duplicates only from ``_sack_duplicates``, take
    the cumulative TSN and window from ``_last_received_tsn`` and
    ``_advertised_rwnd``, and clear only the duplicates and ``_sack_needed``."""
    from aiortc.rtcsctptransport import SackChunk

    assert SackChunk.type == 3
    _has(
        RTCSctpTransport._send_sack,
        "for tsn in sorted(self._sack_misordered):",
        "sack.cumulative_tsn = self._last_received_tsn",
        "sack.advertised_rwnd = max(0, self._advertised_rwnd)",
        "sack.duplicates = self._sack_duplicates[:]",
        "self._sack_duplicates.clear()",
        "self._sack_needed = False",
    )
    assert inspect.getsource(RTCSctpTransport._send_sack).count("self._") == 8


def test_the_data_channel_internals_counted_channels_rely_on_are_still_there() -> None:
    """rtcpeer.transport.datachannel's CountedDataChannel hears every
    readyState change in ``_setReadyState`` (aiortc's SCTP transport changes
    it only through that method), reaches its SCTP transport through
    ``transport``, and turns the channels aiortc makes for the peer into its
    own class, which needs aiortc's class to have no slots of its own."""
    from aiortc import rtcsctptransport

    source = inspect.getsource(rtcsctptransport)
    assert "__readyState" not in source  # the transport never sets it directly
    assert source.count("channel._setReadyState(") >= 5
    _has(RTCDataChannel._setReadyState, 'self.emit("open")', 'self.emit("close")')
    assert isinstance(inspect.getattr_static(RTCDataChannel, "transport"), property)
    assert "__slots__" not in vars(RTCDataChannel)


def test_aiortc_only_awaits_what_the_adapters_recv_returns() -> None:
    """``AiortcIceTransportAdapter._recv`` returns a plain future, not a
    coroutine (no task per handshake read under ``asyncio.wait_for``): aiortc
    must only ever await it, directly or through ``wait_for``."""
    from aiortc import rtcdtlstransport

    source = inspect.getsource(rtcdtlstransport)
    calls = source.count("self.transport._recv()")
    assert calls == 2, calls
    _has(
        rtcdtlstransport.RTCDtlsTransport._recv_next,
        "await asyncio.wait_for(self.transport._recv(), timeout=timeout)",
        "data = await self.transport._recv()",
    )


def test_the_sctp_internals_the_once_parsed_packet_and_the_shortcuts_rely_on() -> None:
    """rtcpeer.transport.sctp redoes aiortc's ``_handle_data`` after its parse
    (INIT alone with tag 0, else our tag; ``_receive_chunk`` per chunk; a SACK
    if due), sends a whole small message as aiortc's flush, ``_send`` and
    ``_transmit`` would, handles a SACK without gaps as aiortc's does, and
    delivers a message as aiortc's ``_data_channel_receive`` emits it."""
    _has(
        RTCSctpTransport._handle_data,
        "parse_packet(data)",
        "isinstance(x, InitChunk)",
        "assert len(chunks) == 1",
        "expected_tag = 0",
        "expected_tag = self._local_verification_tag",
        "await self._receive_chunk(chunk)",
    )
    _has(
        RTCSctpTransport._data_channel_send,
        'pp_id, user_data = WEBRTC_STRING, data.encode("utf8")',
        "pp_id, user_data = WEBRTC_BINARY, data",
        "channel._addBufferedAmount(len(user_data))",
    )
    _has(
        RTCSctpTransport._data_channel_flush,
        "expiry = time.time() + (channel.maxPacketLifeTime / 1000)",
        "max_retransmits=channel.maxRetransmits",
        "channel._addBufferedAmount(-len(user_data))",
        "await self._transmit_reconfig()",
    )
    _has(
        RTCSctpTransport._send,
        "chunk._book_size = len(chunk.user_data)",
        "self._local_tsn = tsn_plus_one(self._local_tsn)",
        "self._outbound_stream_seq[stream_id] = uint16_add(stream_seq, 1)",
    )
    _has(
        RTCSctpTransport._transmit,
        "cwnd = min(self._flight_size + burst_size, self._cwnd)",
        "chunk._sent_time = time.time()",
        "if not self._t3_handle:",
    )
    _has(
        RTCSctpTransport._receive_sack_chunk,
        "if uint32_gt(self._last_sacked_tsn, chunk.cumulative_tsn):",
        "if done == 1 and schunk._sent_count == 1:",
        "self._cwnd += min(done_bytes, USERDATA_MAX_LENGTH)",
        "self._partial_bytes_acked += done_bytes",
        "self._update_advanced_peer_ack_point()",
        "await self._data_channel_flush()",
        "await self._transmit()",
    )
    _has(
        RTCSctpTransport._data_channel_receive,
        'self._data_channels[stream_id].emit("message", data.decode("utf8"))',
        'self._data_channels[stream_id].emit("message", "")',
        'self._data_channels[stream_id].emit("message", data)',
        'self._data_channels[stream_id].emit("message", b"")',
    )
