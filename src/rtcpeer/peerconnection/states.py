"""The aggregate states of webrtc-pc (§4.3.3, §4.3.4), as pure functions.

rtcpeer has one ICE transport and one DTLS transport (a single BUNDLE
group with one data section), so the "any/all transports" rules of the
spec reduce to these two inputs.
"""

from __future__ import annotations

_ICE_STATES = frozenset(
    {"new", "checking", "connected", "completed", "disconnected", "failed", "closed"}
)


def ice_connection_state(ice_state: str | None, *, closed: bool = False) -> str:
    """RTCIceConnectionState: the ICE transport's state (``new`` before there is one)."""
    if closed:
        return "closed"
    if ice_state is None:
        return "new"
    if ice_state not in _ICE_STATES:
        raise ValueError(f"unknown RTCIceTransportState {ice_state!r}")
    return ice_state


def connection_state(ice_state: str | None, dtls_state: str | None, *, closed: bool) -> str:
    """RTCPeerConnectionState from the ICE and DTLS transport states.

    ``closed`` if the connection is closed; ``failed`` if either failed;
    ``disconnected`` if ICE is; ``new`` while both are new (or closed);
    ``connected`` when ICE is connected/completed and DTLS connected;
    otherwise ``connecting``. An ICE restart keeps ICE ``connected``, so
    the aggregate stays ``connected`` through it.
    """
    if closed:
        return "closed"
    ice = ice_state or "new"
    dtls = dtls_state or "new"
    if ice == "failed" or dtls == "failed":
        return "failed"
    if ice == "disconnected":
        return "disconnected"
    if ice in ("new", "closed") and dtls in ("new", "closed"):
        return "new"
    if ice in ("connected", "completed", "closed") and dtls in ("connected", "closed"):
        return "connected"
    return "connecting"


__all__ = ["connection_state", "ice_connection_state"]
