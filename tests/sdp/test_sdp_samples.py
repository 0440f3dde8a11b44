"""Every sample parses to the values a browser meant, and round-trips exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtcpeer.sdp import Attribute, Fingerprint, Group, Origin, SessionDescription, parse_sdp

SAMPLES = Path(__file__).parent / "samples"
NAMES = sorted(p.name for p in SAMPLES.glob("*.sdp"))


def read(name: str) -> str:
    with open(SAMPLES / name, encoding="utf-8", newline="") as file:
        return file.read()


def test_there_are_samples_from_each_peer() -> None:
    assert {n.split("_")[0] for n in NAMES} >= {"aiortc", "chrome", "firefox", "legacy"}


@pytest.mark.parametrize("name", NAMES)
def test_round_trip_is_exact_with_crlf(name: str) -> None:
    text = read(name)
    crlf = text.replace("\r\n", "\n").replace("\n", "\r\n")
    description = parse_sdp(text)
    assert description.to_sdp() == crlf
    assert parse_sdp(description.to_sdp()) == description


@pytest.mark.parametrize("name", NAMES)
def test_lf_and_crlf_input_parse_the_same(name: str) -> None:
    lf = read(name).replace("\r\n", "\n")
    assert parse_sdp(lf) == parse_sdp(lf.replace("\n", "\r\n"))


def test_chrome_av_data_offer() -> None:
    d = parse_sdp(read("chrome_av_data_offer.sdp"))
    assert d.origin == Origin("-", 8812467003516820172, 2, "IN", "IP4", "127.0.0.1")
    assert d.bundle_groups == (Group("BUNDLE", ("0", "1", "2")),)
    assert d.has_attribute("extmap-allow-mixed")
    assert d.attribute("msid-semantic") == " WMS 4c1d1f7e-5b7a-4f0e-9d3c-2a8b6e1f0c93"
    audio, video, data = d.media
    assert (audio.kind, audio.port, audio.proto) == ("audio", 9, "UDP/TLS/RTP/SAVPF")
    assert audio.formats == ("111", "63", "9", "0", "8", "13", "110", "126")
    assert [s.mid for s in d.media] == ["0", "1", "2"]
    assert audio.direction == "sendrecv" and audio.rtcp_mux and audio.is_rtp
    assert audio.attribute_values("rtpmap")[0] == "111 opus/48000/2"
    assert audio.attribute_values("fmtp")[0] == "111 minptime=10;useinbandfec=1"
    assert "96 nack pli" in video.attribute_values("rtcp-fb")
    assert video.attribute("ssrc-group") == "FID 1801632150 2437617466"
    assert len(video.attribute_values("ssrc")) == 4
    assert len(video.formats) == 20
    assert data.is_data_channel and not audio.is_data_channel
    assert (data.sctp_port, data.max_message_size) == (5000, 262144)
    for section in d.media:
        assert section.ice_ufrag == "Ly0K"
        assert section.ice_pwd == "lcVbG2e9S/nXq1t+Hk3pWd8Z"
        assert section.ice_options == ("trickle",)
        assert section.setup == "actpass"
        assert section.fingerprints[0].algorithm == "sha-256"
        assert section.connection is not None and section.connection.address == "0.0.0.0"
    assert data.candidates[0] == (
        "2999745851 1 udp 2122260223 e1f2d8a6-4c3b-4b8e-9f21-7a6d5c4b3a21.local 58411 "
        "typ host generation 0 network-id 1 network-cost 10"
    )
    assert not data.end_of_candidates


def test_chrome_datachannel_offer_candidates() -> None:
    d = parse_sdp(read("chrome_datachannel_offer.sdp"))
    (data,) = d.media
    assert data.port == 56143
    assert data.connection is not None and data.connection.address == "203.0.113.7"
    kinds = [c.split()[7] for c in data.candidates]
    assert kinds == ["host", "host", "host", "srflx", "relay"]
    assert "tcptype active" in data.candidates[2]
    assert data.ice_pwd == "3wEt7h0fL/PbQkXcZ+2yM1rN"


def test_firefox_offer_session_level_values_are_inherited() -> None:
    d = parse_sdp(read("firefox_datachannel_offer.sdp"))
    (data,) = d.media
    assert data.fingerprints == ()
    assert d.fingerprints[0].value.startswith("4A:E1:3C")
    assert d.ice_options == ("trickle",) and data.ice_options == ()
    assert d.has_attribute("sendrecv") and data.direction == "sendrecv"
    values = d.transport_attributes(0)
    assert values.fingerprints == d.fingerprints
    assert values.ice_options == ("trickle",)
    assert (values.ice_ufrag, values.setup) == ("5e9a1b7c", "actpass")
    assert data.end_of_candidates and len(data.candidates) == 3
    assert data.max_message_size == 1073741823
    assert d.origin.username == "mozilla...THIS_IS_SDPARTA-128.0"


def test_media_level_wins_over_session_level() -> None:
    text = read("firefox_datachannel_offer.sdp").replace(
        "a=mid:0\n", "a=mid:0\na=fingerprint:sha-1 01:02\na=ice-options:ice2\n"
    )
    values = parse_sdp(text).transport_attributes(0)
    assert values.fingerprints == (Fingerprint("sha-1", "01:02"),)
    assert values.ice_options == ("ice2",)
    text = text.replace("t=0 0\n", "t=0 0\na=ice-ufrag:sessionufrag\n")
    assert parse_sdp(text).transport_attributes(0).ice_ufrag == "5e9a1b7c"
    assert parse_sdp(text).ice_ufrag == "sessionufrag"


def test_aiortc_offer() -> None:
    d = parse_sdp(read("aiortc_datachannel_offer.sdp"))
    (data,) = d.media
    assert [f.algorithm for f in data.fingerprints] == ["sha-256", "sha-384", "sha-512"]
    assert data.setup == "actpass" and data.end_of_candidates
    assert data.ice_ufrag == "azKv" and data.ice_options == ()
    assert d.attribute("msid-semantic") == "WMS *"
    assert [c.split()[4] for c in data.candidates] == ["192.0.2.2", "fd00::2"]


def test_legacy_sctpmap_offer() -> None:
    (data,) = parse_sdp(read("legacy_sctpmap_offer.sdp")).media
    assert data.is_data_channel and data.proto == "DTLS/SCTP"
    assert data.sctp_port == 5000 and data.max_message_size is None
    assert data.mid == "data"


def test_every_other_attribute_is_kept_in_order() -> None:
    d = parse_sdp(read("chrome_av_data_offer.sdp"))
    names = [a.name for a in d.media[0].attributes]
    assert names[:4] == ["rtcp", "candidate", "candidate", "ice-ufrag"]
    assert names.index("extmap") < names.index("sendrecv") < names.index("rtpmap")
    assert d.media[0].attributes[0] == Attribute("rtcp", "9 IN IP4 0.0.0.0")


def test_built_description_serialises_with_crlf() -> None:
    d = SessionDescription(origin=Origin("-", 1, 2))
    assert d.to_sdp() == "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    assert parse_sdp(d.to_sdp()) == d
