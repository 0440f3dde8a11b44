"""The W3C transport objects of the data-channel session (webrtc-pc §5.5, §5.6, §6.1.1).

``pc.sctp`` is an :class:`RTCSctpTransport`, its ``transport`` an
:class:`RTCDtlsTransport`, whose ``iceTransport`` is an :class:`RTCIceTransport`
-- the chain browsers expose, with their attributes, methods and events
(pyee, no arguments for state changes, as on the peer connection).

They are thin views over the :class:`~.transport_stack.TransportStack`: every
attribute reads our IceTransport or aiortc's DTLS/SCTP objects when asked,
so they hold no state of their own beyond what the spec makes
``[SameObject]``. The peer connection builds them the first time ``sctp``
is read (a connection nobody asks pays nothing) and forwards state changes
to them before firing its own events, in the spec's order. An ICE restart
is a new generation inside the same IceTransport, so every object stays the
same across restarts; ``selectedcandidatepairchange`` fires when a restart
moves the pair. Once the peer connection is closed every state reads
``closed`` and nothing fires.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from rtcpeer.emitter import EventEmitter
from rtcpeer.ice import Candidate
from rtcpeer.ice.runtime import IceTransport
from rtcpeer.jsep import RTCError, RTCIceCandidate
from rtcpeer.peerconnection.events import RTCErrorEvent
from rtcpeer.transport import CountingSctpTransport, ObservedDtlsTransport


@dataclass(frozen=True)
class RTCIceParameters:
    """An ICE ufrag and password (webrtc-pc §5.6.4)."""

    usernameFragment: str
    password: str


@dataclass(frozen=True)
class RTCIceCandidatePair:
    """The selected pair: the same object until the selection changes (``[SameObject]``)."""

    local: RTCIceCandidate
    remote: RTCIceCandidate


@dataclass(frozen=True)
class TransportContext:
    """What the views need from their peer connection."""

    #: True once the peer connection is closed.
    is_closed: Callable[[], bool]
    #: Our candidate as an RTCIceCandidate (``local``: ours, else the peer's).
    describe: Callable[[Candidate, bool], RTCIceCandidate]
    #: The peer's a=max-message-size in force (0: any size).
    remote_max_message_size: Callable[[], int]


class RTCIceTransport(EventEmitter):
    """The ICE transport of the session, across every restart.

    Events: ``statechange``, ``gatheringstatechange``, ``selectedcandidatepairchange``.
    """

    def __init__(self, ice: IceTransport, context: TransportContext) -> None:
        super().__init__()
        self._ice = ice
        self._context = context
        self._pair: RTCIceCandidatePair | None = None
        self._pair_of: tuple[Candidate, Candidate] | None = None
        ice.on("selectedcandidatepairchange", self._selected_changed)

    @property
    def role(self) -> str:
        """``controlling`` or ``controlled``."""
        return self._ice.role

    @property
    def component(self) -> str:
        """Always ``rtp``: the session is rtcp-mux and BUNDLE, one component."""
        return "rtp"

    @property
    def state(self) -> str:
        """RTCIceTransportState."""
        return "closed" if self._context.is_closed() else self._ice.state

    @property
    def gatheringState(self) -> str:
        """RTCIceGathererState of the current generation."""
        return self._ice.gathering_state

    def getLocalCandidates(self) -> list[RTCIceCandidate]:
        """The current generation's gathered candidates."""
        return [self._context.describe(c, True) for c in self._ice.local_candidates]

    def getRemoteCandidates(self) -> list[RTCIceCandidate]:
        """The peer's signalled candidates (peer-reflexive ones were never signalled)."""
        remote = self._ice.agent.generation.remote
        return [self._context.describe(c, False) for c in remote if c.type != "prflx"]

    def getSelectedCandidatePair(self) -> RTCIceCandidatePair | None:
        """The pair data goes over, or None (none yet, or consent lost)."""
        selected = self._ice.selected_pair
        if selected is None:
            return None
        if selected != self._pair_of or self._pair is None:
            local, remote = selected
            describe = self._context.describe
            self._pair = RTCIceCandidatePair(describe(local, True), describe(remote, False))
            self._pair_of = selected
        return self._pair

    def getLocalParameters(self) -> RTCIceParameters:
        """Our ufrag and password in force (a rolled-back restart's are not)."""
        return RTCIceParameters(self._ice.local_ufrag, self._ice.local_pwd)

    def getRemoteParameters(self) -> RTCIceParameters | None:
        """The peer's ufrag and password in force, once known."""
        generation = self._ice.agent.generation
        if generation.remote_ufrag is None or generation.remote_pwd is None:
            return None
        return RTCIceParameters(generation.remote_ufrag, generation.remote_pwd)

    # -- told by the peer connection / the IceTransport ---------------------------
    def _state_changed(self) -> None:
        if not self._context.is_closed():
            self.emit("statechange")

    def _gathering_state_changed(self) -> None:
        if not self._context.is_closed():
            self.emit("gatheringstatechange")

    def _selected_changed(self, _pair: tuple[Candidate, Candidate]) -> None:
        if not self._context.is_closed():
            self.emit("selectedcandidatepairchange")


class RTCDtlsTransport(EventEmitter):
    """The DTLS transport (aiortc's underneath). Events: ``statechange``, ``error``."""

    def __init__(
        self, dtls: ObservedDtlsTransport, ice: RTCIceTransport, context: TransportContext
    ) -> None:
        super().__init__()
        self._dtls = dtls
        self._ice = ice
        self._context = context
        self._certificates: tuple[bytes, ...] | None = None

    @property
    def iceTransport(self) -> RTCIceTransport:
        return self._ice

    @property
    def state(self) -> str:
        """RTCDtlsTransportState."""
        return "closed" if self._context.is_closed() else str(self._dtls.state)

    def getRemoteCertificates(self) -> list[bytes]:
        """The peer's certificate chain, DER-encoded, once DTLS has connected."""
        if self._certificates is None and self._dtls.state == "connected":
            self._certificates = self._dtls.peer_certificates()
        return list(self._certificates or ())

    def _state_changed(self) -> None:
        """webrtc-pc: a failure fires ``error`` (an RTCErrorEvent) before ``statechange``."""
        if self._context.is_closed():
            return
        state = self._dtls.state
        if state == "connected" and self._certificates is None:
            self._certificates = self._dtls.peer_certificates()
        if state == "failed":
            # aiortc checks the fingerprint after a successful handshake.
            detail = "fingerprint-failure" if self._dtls.encrypted else "dtls-failure"
            self.emit("error", RTCErrorEvent(RTCError(detail, f"DTLS failed ({detail})")))
        self.emit("statechange")


class RTCSctpTransport(EventEmitter):
    """The SCTP association of every data channel (aiortc's). Event: ``statechange``."""

    def __init__(
        self, sctp: CountingSctpTransport, dtls: RTCDtlsTransport, context: TransportContext
    ) -> None:
        super().__init__()
        self._sctp = sctp
        self._dtls = dtls
        self._context = context
        sctp.on_statechange = self._state_changed

    @property
    def transport(self) -> RTCDtlsTransport:
        return self._dtls

    @property
    def state(self) -> str:
        """RTCSctpTransportState: ``connecting`` until the association is up."""
        if self._context.is_closed():
            return "closed"
        state = str(self._sctp.state)
        return "connecting" if state == "new" else state

    @property
    def maxMessageSize(self) -> float:
        """The largest message send() takes: the peer's limit (aiortc sends any size).

        webrtc-pc "update the data max message size": with no limit on either
        side it is infinity.
        """
        remote = self._context.remote_max_message_size()
        return math.inf if remote == 0 else remote

    @property
    def maxChannels(self) -> int | None:
        """Channels usable at once; None until the association is up."""
        channels: int | None = self._sctp.maxChannels
        return channels

    def _state_changed(self) -> None:
        if not self._context.is_closed():
            self.emit("statechange")


@dataclass(frozen=True)
class W3CTransports:
    """The three objects of one session, built together."""

    ice: RTCIceTransport
    dtls: RTCDtlsTransport
    sctp: RTCSctpTransport


def build_transports(
    ice: IceTransport,
    dtls: ObservedDtlsTransport,
    sctp: CountingSctpTransport,
    context: TransportContext,
) -> W3CTransports:
    """The W3C chain over one TransportStack's objects."""
    ice_view = RTCIceTransport(ice, context)
    dtls_view = RTCDtlsTransport(dtls, ice_view, context)
    return W3CTransports(ice_view, dtls_view, RTCSctpTransport(sctp, dtls_view, context))


__all__ = [
    "RTCDtlsTransport",
    "RTCIceCandidatePair",
    "RTCIceParameters",
    "RTCIceTransport",
    "RTCSctpTransport",
    "TransportContext",
    "W3CTransports",
    "build_transports",
]
