"""ICE restart detection and [[LocalIceCredentialsToReplace]]."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from tests.support.jsep import LOCAL_CREDENTIALS, local_parameters, read_sample

from rtcpeer.jsep import (
    IceCredentials,
    LocalParameters,
    create_answer,
    create_offer,
    credentials_in,
    credentials_to_replace,
    detect_ice_restart,
    generate_ice_credentials,
    still_to_replace,
)
from rtcpeer.jsep.credentials import credentials_problem
from rtcpeer.sdp import parse_sdp

CHROME = read_sample("chrome_av_data_offer.sdp")


def test_no_previous_description_is_no_restart() -> None:
    assert detect_ice_restart(None, parse_sdp(CHROME)) == ()


def test_same_description_is_no_restart() -> None:
    assert detect_ice_restart(parse_sdp(CHROME), parse_sdp(CHROME)) == ()


def test_changed_ufrag_and_pwd_is_a_restart_of_every_section() -> None:
    restarted = CHROME.replace("ice-ufrag:Ly0K", "ice-ufrag:N3w1").replace(
        "ice-pwd:lcVbG2e9S/nXq1t+Hk3pWd8Z", "ice-pwd:Fresh0Password0Fresh000"
    )
    changes = detect_ice_restart(parse_sdp(CHROME), parse_sdp(restarted))
    assert [(c.index, c.mid) for c in changes] == [(0, "0"), (1, "1"), (2, "2")]
    assert changes[0].previous == IceCredentials("Ly0K", "lcVbG2e9S/nXq1t+Hk3pWd8Z")
    assert changes[0].current == IceCredentials("N3w1", "Fresh0Password0Fresh000")


def test_pwd_alone_counts() -> None:
    firefox = read_sample("firefox_datachannel_offer.sdp")
    changed = firefox.replace("a=ice-pwd:0d8c", "a=ice-pwd:ffff")
    (change,) = detect_ice_restart(parse_sdp(firefox), parse_sdp(changed))
    assert change.previous.ufrag == change.current.ufrag == "5e9a1b7c"


def test_session_level_credentials_are_followed() -> None:
    firefox = read_sample("firefox_datachannel_offer.sdp")
    moved = firefox.replace("a=ice-ufrag:5e9a1b7c\n", "").replace(
        "t=0 0\n", "t=0 0\na=ice-ufrag:5e9a1b7c\n"
    )
    assert detect_ice_restart(parse_sdp(firefox), parse_sdp(moved)) == ()
    changed = moved.replace("a=ice-ufrag:5e9a1b7c", "a=ice-ufrag:77777777")
    assert len(detect_ice_restart(parse_sdp(firefox), parse_sdp(changed))) == 1


def test_new_and_rejected_sections_are_not_restarts() -> None:
    data_only = read_sample("chrome_datachannel_offer.sdp")
    second = data_only[data_only.index("m=application") :].replace("a=mid:0", "a=mid:1")
    grown = data_only + second.replace("ice-ufrag:Hx9s", "ice-ufrag:Diff")
    assert detect_ice_restart(parse_sdp(data_only), parse_sdp(grown)) == ()
    rejected = data_only.replace("m=application 56143", "m=application 0").replace(
        "ice-ufrag:Hx9s", "ice-ufrag:Diff"
    )
    assert detect_ice_restart(parse_sdp(data_only), parse_sdp(rejected)) == ()


def test_answerer_restarts_its_side(params: LocalParameters) -> None:
    old_offer = parse_sdp(CHROME)
    old_answer = create_answer(old_offer, params)
    new_offer = parse_sdp(CHROME.replace("ice-ufrag:Ly0K", "ice-ufrag:Nu2K"))
    changes = detect_ice_restart(old_offer, new_offer)
    assert {c.mid for c in changes} == {"0", "1", "2"}
    fresh = generate_ice_credentials()
    new_answer = create_answer(new_offer, local_parameters(credentials=fresh, version=2))
    (ours,) = detect_ice_restart(old_answer, new_answer)  # rejected sections don't count
    assert ours.mid == "2" and ours.current == fresh


def test_generated_credentials_are_valid_and_distinct() -> None:
    minted = [generate_ice_credentials() for _ in range(20)]
    assert len(set(minted)) == 20
    assert all(credentials_problem(c.ufrag, c.pwd) is None for c in minted)
    assert "pwd=<24 chars>" in repr(minted[0]) and minted[0].pwd not in repr(minted[0])


# -- [[LocalIceCredentialsToReplace]] ----------------------------------------------


def counter_mint() -> tuple[list[IceCredentials], Callable[[], IceCredentials]]:
    numbers = itertools.count(1)
    made: list[IceCredentials] = []

    def mint() -> IceCredentials:
        n = next(numbers)
        made.append(IceCredentials(f"new{n}", f"freshpassword{n:09d}"))
        return made[-1]

    return made, mint


def test_credentials_to_replace_collects_current_and_pending(params: LocalParameters) -> None:
    current = create_offer(params).description
    other = IceCredentials("pend", "pendingpasswordpending0")
    pending = create_offer(local_parameters(credentials=other)).description
    assert credentials_in(current) == {LOCAL_CREDENTIALS}
    assert credentials_to_replace(current, pending) == {LOCAL_CREDENTIALS, other}
    assert credentials_to_replace(None, None) == frozenset()


def test_offer_replaces_exactly_the_recorded_credentials(params: LocalParameters) -> None:
    made, mint = counter_mint()
    current = create_offer(params).description
    to_replace = credentials_to_replace(current, None)
    # restartIce() then createOffer(): fresh credentials for that transport
    offer = create_offer(params, previous=current, credentials_to_replace=to_replace, mint=mint)
    assert offer.restarted and offer.credentials == made[0]
    assert offer.description.media[0].ice_ufrag == "new1"
    # after setLocalDescription(offer) the pending description carries the new
    # credentials; a later createOffer keeps offering them
    later_params = local_parameters(credentials=offer.credentials)
    later = create_offer(
        later_params, previous=current, credentials_to_replace=to_replace, mint=mint
    )
    assert not later.restarted and later.credentials == made[0] and len(made) == 1
    # credentials not in the set are kept
    unrelated = frozenset({IceCredentials("othr", "otherpasswordotherpass")})
    kept = create_offer(params, credentials_to_replace=unrelated, mint=mint)
    assert not kept.restarted and kept.credentials == LOCAL_CREDENTIALS
    # createOffer({iceRestart: true}) always mints
    forced = create_offer(later_params, ice_restart=True, mint=mint)
    assert forced.restarted and forced.credentials == made[1]


def test_replacement_set_empties_once_negotiated(params: LocalParameters) -> None:
    old = create_offer(params).description
    to_replace = credentials_to_replace(old, None)
    restarted = create_offer(params, credentials_to_replace=to_replace)
    assert still_to_replace(to_replace, old) == to_replace
    assert still_to_replace(to_replace, restarted.description) == frozenset()
