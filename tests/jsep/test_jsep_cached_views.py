"""Transport attributes read right, and values worked out once survive trickle."""

from __future__ import annotations

from tests.support.jsep import read_sample

from rtcpeer.jsep import RTCSdpType, add_candidate, locate_remote_candidate
from rtcpeer.jsep.remote import parse_remote_description
from rtcpeer.jsep.restart import section_credentials
from rtcpeer.peerconnection.negotiation import Negotiation
from rtcpeer.sdp import Attribute, MediaSection, SessionDescription, parse_sdp
from rtcpeer.sdp.model import TransportAttributes

SAMPLES = (
    "chrome_av_data_offer.sdp",
    "firefox_datachannel_offer.sdp",
    "aiortc_datachannel_offer.sdp",
)
CAND = "candidate:77 1 udp 1686052607 203.0.113.8 50000 typ srflx raddr 0.0.0.0 rport 0"


def _fresh(description: SessionDescription, section: MediaSection) -> TransportAttributes:
    """The media-level-wins rule, read straight from the lines."""
    return TransportAttributes(
        ice_ufrag=section.ice_ufrag if section.ice_ufrag is not None else description.ice_ufrag,
        ice_pwd=section.ice_pwd if section.ice_pwd is not None else description.ice_pwd,
        ice_options=section.ice_options or description.ice_options,
        fingerprints=section.fingerprints or description.fingerprints,
        setup=section.setup if section.setup is not None else description.setup,
    )


def test_transport_attributes_equal_a_fresh_reading_for_every_section() -> None:
    for name in SAMPLES:
        description = parse_sdp(read_sample(name))
        for index, section in enumerate(description.media):
            assert description.transport_attributes(index) == _fresh(description, section)


def test_a_changed_copy_is_read_afresh_not_from_the_original() -> None:
    description = parse_sdp(read_sample("chrome_datachannel_offer.sdp"))
    before = description.transport_attributes(0)
    section = description.media[0].without_attributes("ice-ufrag", "ice-pwd")
    changed = description.with_media(
        0, section.with_attributes(Attribute("ice-ufrag", "new1"), Attribute("ice-pwd", "p" * 22))
    )
    assert changed.transport_attributes(0).ice_ufrag == "new1"
    assert description.transport_attributes(0) == before  # the original is untouched
    assert changed != description


def test_credentials_and_data_section_carry_over_a_recorded_candidate() -> None:
    offer = parse_remote_description(
        {"type": RTCSdpType.OFFER.value, "sdp": read_sample("chrome_datachannel_offer.sdp")}
    )
    negotiation = Negotiation()
    applied = negotiation.apply_remote(offer)
    credentials, index, ufrags = applied.credentials(), applied.data_section(), applied.ufrags
    assert credentials is not None and index is not None
    located = locate_remote_candidate(
        applied.description, {"candidate": CAND, "sdpMLineIndex": index}
    )
    negotiation.record_remote_candidate(add_candidate(applied.description, located))
    recorded = negotiation.remote
    assert recorded is not None and recorded is not applied
    assert recorded.description.media[index].candidates[-1] == CAND[len("candidate:") :]
    # The carried-over values are the ones a fresh reading of the new description gives.
    assert recorded.credentials() == credentials == section_credentials(recorded.description, index)
    assert recorded.data_section() == index
    assert recorded.ufrags == ufrags
