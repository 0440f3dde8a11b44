"""RTCPeerConnection: the W3C interface, wiring JSEP to the transports.

The class is the W3C surface and the glue; the parts live next to it:
:mod:`.negotiation` (descriptions, created offers/answers, restart
credentials), :mod:`.operations` (the operations chain), :mod:`.transports`
(ICE + DTLS + SCTP), :mod:`.datachannels`, :mod:`.rtp` (transceivers,
senders, receivers, the track event) and :mod:`.transceivers` (their JSEP
bookkeeping and RTP runtime), :mod:`.states` and :mod:`.stats`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from rtcpeer.configuration import (
    AlgorithmIdentifier,
    AppliedConfiguration,
    ConfigurationLike,
    IceServerUrl,
    RTCCertificate,
    RTCConfiguration,
    check_certificates,
    set_configuration,
)
from rtcpeer.emitter import EventEmitter
from rtcpeer.errors import InvalidAccessError, InvalidStateError, OperationError
from rtcpeer.ice import Candidate, CandidateError, IceAgentConfig
from rtcpeer.jsep import (
    CandidateLike,
    IceCredentials,
    RemoteDescription,
    RTCIceCandidate,
    RTCIceCandidateInit,
    RTCSdpType,
    RTCSessionDescription,
    SignalingStateMachine,
    Source,
    add_candidate,
    generate_ice_credentials,
    implicit_local_type,
    local_description_init,
    locate_remote_candidate,
    parse_remote_description,
)
from rtcpeer.jsep.codecs import MediaCapabilities
from rtcpeer.jsep.description import DescriptionInit
from rtcpeer.jsep.dtls_role import dtls_role
from rtcpeer.jsep.media import RemoteMedia, remote_media
from rtcpeer.jsep.remote import DEFAULT_REMOTE_MAX_MESSAGE_SIZE, RemoteTransport
from rtcpeer.logs import logs_as_self, logs_as_self_async, next_log_name
from rtcpeer.peerconnection.candidates import (
    HeldCandidates,
    candidate_events,
    remote_candidate,
    w3c_candidate,
)
from rtcpeer.peerconnection.datachannels import DataChannelRegistry, data_channel_parameters
from rtcpeer.peerconnection.events import (
    RTCDataChannelEvent,
    RTCPeerConnectionIceErrorEvent,
)
from rtcpeer.peerconnection.negotiation import Applied, Negotiation
from rtcpeer.peerconnection.network_monitor import NetworkMonitor
from rtcpeer.peerconnection.operations import OperationsChain
from rtcpeer.peerconnection.rtp import (
    MEDIA_KINDS,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCRtpTransceiverInit,
    RTCTrackEvent,
    stream_ids,
)
from rtcpeer.peerconnection.states import connection_state, ice_connection_state
from rtcpeer.peerconnection.stats import (
    RTCStatsReport,
    add_rtp_entries,
    build_report,
    check_selector,
    select,
)
from rtcpeer.peerconnection.transceivers import Transceivers
from rtcpeer.peerconnection.transport_stack import DtlsStart, IceSettings, TransportStack
from rtcpeer.peerconnection.transport_views import (
    RTCSctpTransport,
    TransportContext,
    W3CTransports,
    build_transports,
)
from rtcpeer.sdp import Fingerprint, SessionDescription
from rtcpeer.transport import MediaStreamTrack, RTCDataChannel, open_data_channel
from rtcpeer.transport.media_capabilities import all_local_capabilities
from rtcpeer.turn.trust import TurnTls

logger = logging.getLogger(__name__)

#: The attribute each state-change event reports, for its log line.
_STATE_ATTRIBUTES = {
    "signalingstatechange": "signalingState",
    "icegatheringstatechange": "iceGatheringState",
    "iceconnectionstatechange": "iceConnectionState",
    "connectionstatechange": "connectionState",
}


class RTCPeerConnection(EventEmitter):
    """A WebRTC peer connection (W3C names, asyncio style, pyee events).

    ``RTCPeerConnection(configuration)`` accepts an :class:`RTCConfiguration`
    or a W3C dictionary (camelCase keys, e.g. parsed JSON). It raises
    TypeError for ill-typed input, InvalidAccessError for an expired
    certificate or bad TURN credentials, and SyntaxError/NotSupportedError
    for a bad ICE server URL -- as a browser does.

    Events (pyee): ``icecandidate`` (:class:`RTCPeerConnectionIceEvent`),
    ``icecandidateerror`` (:class:`RTCPeerConnectionIceErrorEvent`),
    ``datachannel`` (:class:`RTCDataChannelEvent`), ``track``
    (:class:`~rtcpeer.peerconnection.rtp.RTCTrackEvent`), and with no argument
    ``negotiationneeded``, ``signalingstatechange``,
    ``icegatheringstatechange``, ``iceconnectionstatechange``,
    ``connectionstatechange``. None fires after close().

    ``turn_tls`` (rtcpeer-specific, not part of the W3C configuration): a
    :class:`~rtcpeer.turn.trust.TurnTls` saying how ``turns:`` servers are
    authenticated -- a private CA file, an :class:`ssl.SSLContext`, and/or
    SPKI pins -- instead of the system trust store.

    ``network_monitor`` (rtcpeer-specific, off by default): once connected,
    list the interfaces again whenever netlink announces a link or address
    change (every second by polling where there is no netlink); a new address
    gets a host candidate, trickled (``icecandidate``; ``iceGatheringState``
    goes ``gathering``, then ``complete``), and every change fires ``networkchange``
    with a :class:`~rtcpeer.peerconnection.network_monitor.NetworkChange`
    whose ``restart_advisable`` says the selected pair's address vanished.
    """

    #: Test hook: offer loopback host candidates (tests on this machine). Not W3C.
    _include_loopback_default = False

    # Our state lives in slots: with pyee's attributes a connection's __dict__
    # would hold more than the 30 keys CPython shares between instances, a
    # ~1.6 KiB dict per connection (the __dict__ stays, for pyee and users).
    __slots__ = (
        "_chain",
        "_channels",
        "_configuration",
        "_connection_state",
        "_described",
        "_generated_certificates",
        "_held",
        "_host_addresses",
        "_ice_config",
        "_ice_connection_state",
        "_ice_gathering_state",
        "_ice_server_urls",
        "_include_loopback",
        "_is_closed",
        "_last_ice_settings",
        "_local_description_set",
        "_log_name",
        "_negotiation",
        "_negotiation_needed",
        "_network_monitor",
        "_remote_dtls",
        "_rtp",
        "_signaling",
        "_target_peer_identity",
        "_transports",
        "_turn_tls",
        "_w3c",
    )

    def __init__(
        self,
        configuration: ConfigurationLike | None = None,
        *,
        turn_tls: TurnTls | None = None,
        network_monitor: bool = False,
        _include_loopback: bool | None = None,
        _cafile: str | None = None,
        _ice_config: IceAgentConfig | None = None,
        _host_addresses: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__()
        self._log_name = next_log_name()
        config = RTCConfiguration.from_dict(configuration)
        check_certificates(config)
        applied = set_configuration(config, None)
        self._is_closed = False
        self._network_monitor = (
            NetworkMonitor(self, lambda: None if self._transports is None else self._transports.ice)
            if network_monitor
            else None
        )
        #: Set by setLocalDescription(); freezes iceCandidatePoolSize.
        self._local_description_set = False
        self._generated_certificates: tuple[RTCCertificate, ...] = ()
        self._include_loopback = (
            self._include_loopback_default if _include_loopback is None else _include_loopback
        )
        if turn_tls is not None and not isinstance(turn_tls, TurnTls):
            raise TypeError(f"turn_tls must be a TurnTls, not {type(turn_tls).__name__}")
        if turn_tls is None and _cafile is not None:
            turn_tls = TurnTls(cafile=_cafile)
        #: How turns: servers are authenticated (rtcpeer-specific, not W3C).
        self._turn_tls = turn_tls
        self._ice_config = _ice_config
        #: Test/benchmark hook: gather host candidates on exactly these addresses.
        self._host_addresses = _host_addresses
        self._signaling = SignalingStateMachine()
        self._negotiation = Negotiation()
        #: The last description with candidates: (applied, candidates, complete, its SDP).
        self._described: tuple[Applied, tuple[str, ...], bool, str] | None = None
        self._chain = OperationsChain(on_empty=self._update_negotiation_needed)
        self._channels = DataChannelRegistry()
        #: [[Transceivers]] (audio/video), with their RTP senders and receivers.
        self._rtp = Transceivers(self)
        self._transports: TransportStack | None = None
        #: pc.sctp and the chain under it, built when first asked for.
        self._w3c: W3CTransports | None = None
        self._last_ice_settings: IceSettings | None = None
        self._remote_dtls: tuple[tuple[Fingerprint, ...], int | None, int] | None = None
        self._negotiation_needed = False
        #: Local candidates waiting for a local description with their ufrag.
        self._held = HeldCandidates()
        self._ice_connection_state = "new"
        self._ice_gathering_state = "new"
        self._connection_state = "new"
        self._store(applied)

    @property
    def log_name(self) -> str:
        """rtcpeer-specific: this connection's name in log records, ``pc1``, ``pc2``, ...
        in creation order (``record.peer_connection``; see :mod:`rtcpeer.logs`)."""
        return self._log_name

    # -- W3C attributes ---------------------------------------------------------
    @property
    def signalingState(self) -> str:
        """The signalling state: ``stable`` initially, ``closed`` after close()."""
        return self._signaling.state.value

    @property
    def iceConnectionState(self) -> str:
        """RTCIceConnectionState; ``closed`` after close()."""
        return self._ice_connection_state

    @property
    def iceGatheringState(self) -> str:
        """RTCIceGatheringState (close() leaves it, as the spec does)."""
        return self._ice_gathering_state

    @property
    def connectionState(self) -> str:
        """RTCPeerConnectionState: the aggregate of the ICE and DTLS states."""
        return self._connection_state

    @property
    def localDescription(self) -> RTCSessionDescription | None:
        """The pending local description, else the current one, with candidates so far."""
        return self._with_candidates(self._negotiation.local)

    def _with_candidates(self, applied: Applied | None) -> RTCSessionDescription | None:
        """``applied`` as W3C object, with the candidates gathered so far for its ufrag."""
        if applied is None:
            return None
        description = applied.description
        index = applied.transport_section()
        credentials = applied.credentials()
        stack = self._transports
        if index is not None and stack is not None and credentials is not None:
            ice = stack.ice
            if credentials.ufrag == ice.local_ufrag:
                values = self._candidate_values()
                complete = ice.gathering_state == "complete"
                cached = self._described
                if (
                    cached is not None
                    and cached[0] is applied  # identity: Applied compares by value
                    and cached[1] == values
                    and cached[2] == complete
                ):
                    return RTCSessionDescription(applied.type.value, cached[3])
                section = description.media[index]
                section = section.with_candidates(values, end_of_candidates=complete)
                sdp = description.with_media(index, section).to_sdp()
                self._described = (applied, values, complete, sdp)  # read often
                return RTCSessionDescription(applied.type.value, sdp)
        return RTCSessionDescription(applied.type.value, description.to_sdp())

    @property
    def currentLocalDescription(self) -> RTCSessionDescription | None:
        return self._with_candidates(self._negotiation.current_local)

    @property
    def pendingLocalDescription(self) -> RTCSessionDescription | None:
        return self._with_candidates(self._negotiation.pending_local)

    @property
    def remoteDescription(self) -> RTCSessionDescription | None:
        """The pending remote description, else the current one (with added candidates)."""
        remote = self._negotiation.remote
        return None if remote is None else remote.to_w3c()

    @property
    def currentRemoteDescription(self) -> RTCSessionDescription | None:
        current = self._negotiation.current_remote
        return None if current is None else current.to_w3c()

    @property
    def pendingRemoteDescription(self) -> RTCSessionDescription | None:
        pending = self._negotiation.pending_remote
        return None if pending is None else pending.to_w3c()

    @property
    def canTrickleIceCandidates(self) -> bool | None:
        """Whether the peer trickles (a=ice-options:trickle); None before a remote description."""
        remote = self._negotiation.remote
        if remote is None or remote.remote is None:
            return None
        return remote.remote.supports_trickle

    @property
    def sctp(self) -> RTCSctpTransport | None:
        """The W3C RTCSctpTransport once data channels are negotiated, else None.

        ``sctp.transport`` is the RTCDtlsTransport and ``sctp.transport.iceTransport``
        the RTCIceTransport: the same objects for the life of the connection.
        (aiortc's own SCTP object stays private, in ``_transports.sctp``.)
        """
        if self._transports is None or not self._negotiation.has_negotiated_data():
            return None
        return self._w3c_views().sctp

    def _w3c_views(self) -> W3CTransports:
        """The W3C transport objects, built the first time one is asked for."""
        stack = self._transports
        assert stack is not None
        if self._w3c is None:
            context = TransportContext(
                is_closed=lambda: self._is_closed,
                describe=self._describe_candidate,
                remote_max_message_size=self._remote_max_message_size,
            )
            self._w3c = build_transports(stack.ice, stack.dtls, stack.sctp, context)
        return self._w3c

    def _describe_candidate(self, candidate: Candidate, local: bool) -> RTCIceCandidate:
        negotiation, stack = self._negotiation, self._transports
        if local:
            ufrag = stack.ice.local_ufrag if stack is not None else None
            url = self._candidate_url(candidate)
            return w3c_candidate(candidate, negotiation.local, ufrag, url=url, local=True)
        remote = negotiation.remote
        credentials = None if remote is None else remote.credentials()
        ufrag = None if credentials is None else credentials.ufrag
        return w3c_candidate(candidate, remote, ufrag, local=False)

    def _remote_max_message_size(self) -> int:
        remote = self._negotiation.remote
        data = None if remote is None or remote.remote is None else remote.remote.data_channel
        return DEFAULT_REMOTE_MAX_MESSAGE_SIZE if data is None else data.max_message_size

    # -- configuration --------------------------------------------------------------
    def getConfiguration(self) -> RTCConfiguration:
        """The stored configuration (immutable; what was last set)."""
        return self._configuration

    @logs_as_self
    def setConfiguration(self, configuration: ConfigurationLike | None = None) -> None:
        """Replace the configuration (no merging: absent members take defaults).

        Raises InvalidStateError when closed, InvalidModificationError for a
        member that may not change, and otherwise what the constructor raises.
        On any error the current configuration is kept unchanged. New ICE
        servers and policy are used from the next gathering (an ICE restart);
        a candidate pool is gathered again at once. A changed
        ``iceTransportPolicy`` also restarts ICE at the next offer, as
        restartIce() does (libwebrtc's behaviour, which WPT tests).
        """
        if self._is_closed:
            raise InvalidStateError("the RTCPeerConnection is closed")
        previous_policy = self._configuration.iceTransportPolicy
        applied = set_configuration(
            configuration,
            self._configuration,
            local_description_set=self._local_description_set,
            target_peer_identity=self._target_peer_identity,
        )
        self._store(applied)
        logger.info(  # the URLs' count and the policy: never a username or credential
            "setConfiguration(): %d ICE server URL(s), iceTransportPolicy %s",
            len(applied.ice_server_urls),
            applied.configuration.iceTransportPolicy,
        )
        if applied.configuration.iceTransportPolicy != previous_policy:
            # As libwebrtc (WPT RTCConfiguration-iceTransportPolicy.html): a
            # new policy restarts ICE at our next offer; answers keep theirs.
            self.restartIce()

    def _store(self, applied: AppliedConfiguration) -> None:
        previous = getattr(self, "_configuration", None)
        self._configuration = applied.configuration
        #: The parsed ICE server URLs the ICE agent gathers from.
        self._ice_server_urls: tuple[IceServerUrl, ...] = applied.ice_server_urls
        self._target_peer_identity = applied.target_peer_identity
        self._configuration_applied(previous, applied)

    def _configuration_applied(
        self, previous: RTCConfiguration | None, applied: AppliedConfiguration
    ) -> None:
        """Hand servers, policy and pool size to ICE (a pool starts gathering now)."""
        config = applied.configuration
        if self._transports is not None:
            if previous is not None and self._ice_settings() != self._last_ice_settings:
                self._last_ice_settings = self._ice_settings()
                self._transports.update_servers(
                    applied.ice_server_urls,
                    str(config.iceTransportPolicy),
                    config.iceCandidatePoolSize,
                )
            return
        self._last_ice_settings = self._ice_settings()
        if config.iceCandidatePoolSize > 0 and _loop_running():
            stack = self._ensure_transports(controlling=True)
            stack.update_servers(
                applied.ice_server_urls, str(config.iceTransportPolicy), config.iceCandidatePoolSize
            )

    def _ice_settings(self) -> IceSettings:
        config = self._configuration
        return IceSettings(
            servers=self._ice_server_urls,
            policy=str(config.iceTransportPolicy),
            pool_size=config.iceCandidatePoolSize,
            include_loopback=self._include_loopback,
            turn_tls=self._turn_tls,
            config=self._ice_config,
            addresses=self._host_addresses,
        )

    @property
    def _certificates(self) -> tuple[RTCCertificate, ...]:
        """The certificates DTLS uses: the configured ones, or the process's default.

        The spec lets the default certificate be generated asynchronously and
        keeps ``certificates`` empty in the stored configuration; generating on
        first use keeps constructing connections cheap.
        """
        if self._configuration.certificates:
            return self._configuration.certificates
        if not self._generated_certificates:
            self._generated_certificates = _process_default_certificates()
        return self._generated_certificates

    @staticmethod
    async def generateCertificate(keygenAlgorithm: AlgorithmIdentifier) -> RTCCertificate:
        """webrtc-pc's static RTCPeerConnection.generateCertificate()."""
        return await RTCCertificate.generateCertificate(keygenAlgorithm)

    # -- data channels -------------------------------------------------------------
    @logs_as_self
    def createDataChannel(
        self,
        label: str,
        ordered: bool = True,
        maxPacketLifeTime: int | None = None,
        maxRetransmits: int | None = None,
        protocol: str = "",
        negotiated: bool = False,
        id: int | None = None,
    ) -> RTCDataChannel:
        """A new aiortc RTCDataChannel; the first one makes negotiation needed."""
        self._check_open()
        parameters = data_channel_parameters(
            label,
            ordered=ordered,
            maxPacketLifeTime=maxPacketLifeTime,
            maxRetransmits=maxRetransmits,
            protocol=protocol,
            negotiated=negotiated,
            id=id,
        )
        stack = self._ensure_transports(controlling=True)
        channel = open_data_channel(stack.sctp, parameters)
        self._channels.add(channel)
        self._update_negotiation_needed()
        return channel

    # -- media: tracks and transceivers ------------------------------------------------
    @logs_as_self
    def addTrack(self, track: MediaStreamTrack, *streams: object) -> RTCRtpSender:
        """Send ``track`` (an aiortc MediaStreamTrack) in ``streams``; negotiation is needed.

        Reuses a transceiver of the track's kind that never sent and has no
        track (webrtc-pc §5.1), else adds a ``sendrecv`` one. InvalidAccessError
        when a sender of ours already has the track.
        """
        self._check_open()
        if not isinstance(track, MediaStreamTrack):
            raise TypeError(f"addTrack needs a MediaStreamTrack, not {track!r}")
        ids = stream_ids(streams)
        if any(t.sender.track is track and not t._stopped for t in self._rtp):
            raise InvalidAccessError("a sender of this connection already has the track")
        transceiver = self._rtp.reusable_for(track)
        if transceiver is not None:
            sender = transceiver.sender
            sender._track, sender._stream_ids = track, ids
            sender._msid_track_id = track.id
            transceiver._added_by_track = True  # a rollback keeps it (webrtc-pc §4.4.1.5)
            direction = transceiver._direction
            if direction == "recvonly":
                transceiver._direction = "sendrecv"
            elif direction == "inactive":
                transceiver._direction = "sendonly"
        else:
            stack = self._ensure_transports(controlling=True)
            transceiver = self._rtp.add(
                stack.dtls, track.kind, track, "sendrecv", ids, added_by_track=True
            )
        self._update_negotiation_needed()
        return transceiver.sender

    @logs_as_self
    def removeTrack(self, sender: RTCRtpSender) -> None:
        """Stop sending ``sender``'s track: its direction drops ``send``; negotiation is needed."""
        self._check_open()
        if not isinstance(sender, RTCRtpSender):
            raise TypeError(f"removeTrack needs an RTCRtpSender, not {sender!r}")
        transceiver = next((t for t in self._rtp if t.sender is sender), None)
        if transceiver is None:
            raise InvalidAccessError("the sender does not belong to this connection")
        if transceiver._stopping or sender.track is None:
            return
        sender._track = None
        sender._media.replace_track(None)
        direction = transceiver._direction
        if direction == "sendrecv":
            transceiver._direction = "recvonly"
        elif direction == "sendonly":
            transceiver._direction = "inactive"
        self._update_negotiation_needed()

    @logs_as_self
    def addTransceiver(
        self, trackOrKind: MediaStreamTrack | str, init: object = None
    ) -> RTCRtpTransceiver:
        """A new transceiver for a track or a kind (``audio``/``video``).

        ``init`` is an RTCRtpTransceiverInit or its dictionary: ``direction``,
        ``streams``, ``sendEncodings`` (the first entry is used: aiortc sends
        one encoding, and honours its ``active``).
        """
        self._check_open()
        if isinstance(trackOrKind, str):
            if trackOrKind not in MEDIA_KINDS:
                raise TypeError(f"kind must be 'audio' or 'video', not {trackOrKind!r}")
            kind, track = trackOrKind, None
        elif isinstance(trackOrKind, MediaStreamTrack):
            kind, track = trackOrKind.kind, trackOrKind
        else:
            raise TypeError(f"addTransceiver needs a track or a kind, not {trackOrKind!r}")
        options = RTCRtpTransceiverInit.from_value(init)
        ids = stream_ids(options.streams)
        encoding = options.sendEncodings[0] if options.sendEncodings else None
        stack = self._ensure_transports(controlling=True)
        transceiver = self._rtp.add(stack.dtls, kind, track, options.direction, ids, encoding)
        self._update_negotiation_needed()
        return transceiver

    def getTransceivers(self) -> list[RTCRtpTransceiver]:
        """Every transceiver, in creation order."""
        return list(self._rtp)

    def getSenders(self) -> list[RTCRtpSender]:
        """The senders of every transceiver not stopped."""
        return [t.sender for t in self._rtp if not t._stopped]

    def getReceivers(self) -> list[RTCRtpReceiver]:
        """The receivers of every transceiver not stopped."""
        return [t.receiver for t in self._rtp if not t._stopped]

    # RtpOwner: what the transceivers, senders and receivers ask of us.
    def _rtp_closed(self) -> bool:
        return self._is_closed

    def _rtp_transport(self) -> object:
        return None if self._transports is None else self._w3c_views().dtls

    async def _rtp_stats(self, selector: object) -> RTCStatsReport:
        return await self.getStats(selector)

    def _rtp_negotiation_changed(self) -> None:
        self._update_negotiation_needed()

    # -- offers and answers ---------------------------------------------------------
    @logs_as_self_async
    async def createOffer(self, iceRestart: bool = False) -> RTCSessionDescription:
        """An offer: a section per transceiver, and a data section when there are data
        channels or no transceivers (trickle, actpass, everything in one BUNDLE group).

        New ICE credentials when ``iceRestart`` or after restartIce(); a later
        offer before that restart is negotiated keeps offering them.
        """
        self._check_open()
        return await self._chain.run(lambda: self._create_offer(iceRestart))

    async def _create_offer(self, ice_restart: bool) -> RTCSessionDescription:
        self._check_open()
        stack = self._ensure_transports(controlling=True)
        ice = stack.ice
        credentials = IceCredentials(ice.local_ufrag, ice.local_pwd)
        negotiation = self._negotiation
        fresh = None
        has_gathered = ice.gathering_state != "new"
        if has_gathered and (ice_restart or credentials in negotiation.to_replace):
            fresh = generate_ice_credentials()
        plans = self._rtp.offer_plans(self._mids_in_use()) if self._rtp else []
        return negotiation.create_offer(
            self._certificates,
            credentials,
            self._candidate_values(),
            ice.gathering_state == "complete",
            bundle_policy=str(self._configuration.bundlePolicy),
            fresh=fresh,
            plans=plans,
            data=bool(self._channels.channels) or not self._rtp,
        )

    def _mids_in_use(self) -> set[str | None]:
        negotiation = self._negotiation
        mids: set[str | None] = set()
        for applied in (
            negotiation.current_local,
            negotiation.pending_local,
            negotiation.current_remote,
            negotiation.pending_remote,
        ):
            if applied is not None:
                mids.update(s.mid for s in applied.description.media)
        return mids

    @logs_as_self_async
    async def createAnswer(self) -> RTCSessionDescription:
        """Our answer to the remote offer: its data section and its audio/video
        sections (``recvonly`` where we have no track; port 0 only when stopped, not
        on our BUNDLE transport, or with no codec in common)."""
        self._check_open()
        return await self._chain.run(self._create_answer)

    async def _create_answer(self) -> RTCSessionDescription:
        self._check_open()
        if self.signalingState not in ("have-remote-offer", "have-local-pranswer"):
            raise InvalidStateError(
                f"createAnswer is not allowed in signaling state {self.signalingState!r}"
            )
        stack = self._ensure_transports(controlling=False)
        ice = stack.ice
        return self._negotiation.create_answer(
            self._certificates,
            IceCredentials(ice.local_ufrag, ice.local_pwd),
            self._candidate_values(),
            ice.gathering_state == "complete",
            bundle_policy=str(self._configuration.bundlePolicy),
            plans=self._rtp.answer_plans(),
            capabilities=_capabilities(),
        )

    def _candidate_values(self) -> tuple[str, ...]:
        """``a=candidate`` values of the current generation's surfaced candidates."""
        if self._transports is None:
            return ()
        ice = self._transports.ice
        return tuple(
            c.to_sdp().removeprefix("candidate:")
            for c in ice.local_candidates
            if c.ufrag in (None, ice.local_ufrag)
        )

    # -- setLocalDescription --------------------------------------------------------
    @logs_as_self_async
    async def setLocalDescription(self, description: DescriptionInit | None = None) -> None:
        """Apply an offer/answer we created (or create one: the implicit form), or roll back."""
        self._check_open()
        sdp_type, sdp = local_description_init(description)
        await self._chain.run(lambda: self._set_local(sdp_type, sdp))

    async def _set_local(self, sdp_type: RTCSdpType | None, sdp: str) -> None:
        self._check_open()
        implicit = sdp_type is None
        if sdp_type is None:
            sdp_type = implicit_local_type(self._signaling.state)
        if sdp_type is RTCSdpType.ROLLBACK:
            self._signaling.apply(Source.LOCAL, sdp_type)
            self._roll_back()
            self._emit_state("signalingstatechange")
            return
        self._signaling.check(Source.LOCAL, sdp_type)
        description = None if implicit else self._negotiation.created(sdp_type, sdp)
        if description is None:
            created = await (
                self._create_offer(False) if sdp_type is RTCSdpType.OFFER else self._create_answer()
            )
            description = self._negotiation.created(sdp_type, created.sdp)
            assert description is not None
        state, before = self._signaling.state, self._negotiation.snapshot()
        needed, was_set = self._negotiation_needed, self._local_description_set
        self._signaling.apply(Source.LOCAL, sdp_type)
        applied = self._negotiation.apply_local(sdp_type, description)
        self._local_description_set = True
        self._stable_clears_negotiation_needed()
        # Candidates surface after the operation resolves, as in a browser: the
        # caller can signal the description before any of its candidates.
        self._held.holding = True
        try:
            await self._apply_local_to_transports(applied)
            await self._apply_local_media(applied)
        except BaseException:
            # Atomic: a description that fails to apply changes nothing.
            self._signaling.restore(state)
            self._negotiation.restore(before)
            self._negotiation_needed, self._local_description_set = needed, was_set
            raise
        finally:
            self._held.holding = False
        self._emit_state("signalingstatechange")
        self._rtp.fire_remote_track_changes()
        self._surface_candidates()

    async def _apply_local_to_transports(self, applied: Applied) -> None:
        credentials = applied.credentials()
        if credentials is None:
            return  # we rejected the only section: nothing to run
        stack = self._ensure_transports(controlling=applied.type is RTCSdpType.OFFER)
        ice = stack.ice
        await stack.servers_settled()
        self._check_open()
        if ice.gathering_state == "new":
            await ice.gather()
        if (credentials.ufrag, credentials.pwd) != (ice.local_ufrag, ice.local_pwd):
            await ice.refresh_host_sockets()  # a restart gathers on today's addresses
            self._check_open()
            ice.restart((credentials.ufrag, credentials.pwd))
        if applied.type is not RTCSdpType.OFFER:
            self._transports_negotiated(local_setup=applied.setup())

    async def _apply_local_media(self, applied: Applied) -> None:
        """Our offer gives transceivers their mids; our answer completes their negotiation."""
        if not self._rtp:
            return
        if applied.type is RTCSdpType.OFFER:
            self._rtp.local_offer_applied(applied.description)
        else:  # an answer or a pranswer: media as it says (webrtc-pc, RFC 9429 §4.1.10)
            final = applied.type is RTCSdpType.ANSWER
            self._rtp.local_answer_applied(self._negotiation.answered_media, final=final)
            await self._rtp.start_media()

    def _roll_back(self) -> None:
        """Back to the last stable state: descriptions, and ICE's credentials with them.

        A pending description that restarted ICE (ours with new credentials, or
        the peer's) leaves a generation nobody will negotiate: it is dropped, and
        the credentials of the current local description are in force again,
        with the session still on their pair (RFC 9429 §5.7). restartIce()'s
        [[LocalIceCredentialsToReplace]] is untouched, as webrtc-pc says, so the
        next offer still restarts if it asked for one.
        """
        self._negotiation.rollback()
        self._rtp.rolled_back()
        self._stable_clears_negotiation_needed()
        stack, current = self._transports, self._negotiation.current_local
        credentials = None if current is None else current.credentials()
        if stack is None or credentials is None:
            return
        ice = stack.ice
        if (credentials.ufrag, credentials.pwd) != (ice.local_ufrag, ice.local_pwd):
            ice.roll_back_restart()

    # -- setRemoteDescription -------------------------------------------------------
    @logs_as_self_async
    async def setRemoteDescription(self, description: DescriptionInit) -> None:
        """Apply the peer's offer/answer (object or ``{"type", "sdp"}`` dict), or roll back."""
        self._check_open()
        desc = (
            description
            if isinstance(description, RTCSessionDescription)
            else RTCSessionDescription(description)
        )
        await self._chain.run(lambda: self._set_remote(desc))

    async def _set_remote(self, desc: RTCSessionDescription) -> None:
        self._check_open()
        if desc.type is RTCSdpType.ROLLBACK:
            self._signaling.apply(Source.REMOTE, desc.type)
            self._roll_back()
            self._emit_state("signalingstatechange")
            self._rtp.fire_remote_track_changes()
            return
        self._signaling.check(Source.REMOTE, desc.type)
        pending = self._negotiation.pending_local
        offer = (
            pending.description
            if pending is not None and desc.type is not RTCSdpType.OFFER
            else None
        )
        remote = parse_remote_description(desc, offer=offer)
        media = _remote_media(remote, desc.sdp)
        if self._transports is not None:
            # A restart this description starts gathers with the configuration
            # set before it, even one set just now (its servers still resolving).
            await self._transports.servers_settled()
            self._check_open()
            self._check_remote_ice(remote)
        state, before = self._signaling.state, self._negotiation.snapshot()
        remote_dtls, needed = self._remote_dtls, self._negotiation_needed
        transition = self._signaling.apply(Source.REMOTE, desc.type)
        try:
            if transition.implicit_rollback:
                self._roll_back()
            first_offer = self._negotiation.current_local is None and desc.type is RTCSdpType.OFFER
            applied = self._negotiation.apply_remote(remote)
            self._stable_clears_negotiation_needed()
            await self._apply_remote_to_transports(applied, first_offer=first_offer)
            tracks = await self._apply_remote_media(applied, media, offer)
        except BaseException:
            # Atomic, as webrtc-pc requires: a description that fails to apply
            # leaves the state and every description as they were.
            self._signaling.restore(state)
            self._negotiation.restore(before)
            self._remote_dtls, self._negotiation_needed = remote_dtls, needed
            raise
        self._emit_state("signalingstatechange")
        self._rtp.fire_remote_track_changes()
        for event in tracks:
            self._emit_track(event)

    async def _apply_remote_media(
        self,
        applied: Applied,
        media: tuple[RemoteMedia | None, ...],
        offer: SessionDescription | None,
    ) -> list[RTCTrackEvent]:
        """Associate/create transceivers for a remote offer; negotiate from an answer."""
        if not media and not self._rtp:
            return []
        if applied.type is RTCSdpType.OFFER:
            stack = self._ensure_transports(controlling=False)
            return self._rtp.remote_offer_applied(stack.dtls, media)
        if offer is None:
            return []
        events = self._rtp.remote_answer_applied(offer, applied.description)
        await self._rtp.start_media()  # an answer or a pranswer
        return events

    def _emit_track(self, event: RTCTrackEvent) -> None:
        if not self._is_closed:
            self.emit("track", event)

    def _check_remote_ice(self, remote: RemoteDescription) -> None:
        """OperationError, before anything changes, for ICE credentials ICE would refuse."""
        transport = _transport_of(remote)
        if transport is None or self._transports is None:
            return
        credentials = transport.credentials
        try:
            self._transports.ice.check_remote_parameters(credentials.ufrag, credentials.pwd)
        except ValueError as error:
            raise OperationError(f"cannot apply the remote ICE credentials: {error}") from None

    async def _apply_remote_to_transports(self, applied: Applied, *, first_offer: bool) -> None:
        remote = applied.remote
        assert remote is not None
        data = remote.data_channel
        transport = _transport_of(remote)
        if transport is None:
            return
        is_offer = applied.type is RTCSdpType.OFFER
        stack = self._ensure_transports(controlling=not is_offer)
        if first_offer:
            stack.set_controlled()
        ice = stack.ice
        try:
            ice.set_remote_parameters(
                transport.credentials.ufrag, transport.credentials.pwd, lite=remote.ice_lite
            )
        except ValueError as error:
            raise OperationError(f"cannot apply the remote ICE credentials: {error}") from None
        for value in transport.candidates:
            candidate = remote_candidate(value, transport.credentials.ufrag)
            if candidate is not None:
                ice.add_remote_candidate(candidate)
        if transport.end_of_candidates:
            ice.add_remote_candidate(None)
        if data is None:
            self._remote_dtls = (transport.fingerprints, None, DEFAULT_REMOTE_MAX_MESSAGE_SIZE)
        else:
            self._remote_dtls = (transport.fingerprints, data.sctp_port, data.max_message_size)
        if not is_offer:
            local = self._negotiation.current_local or self._negotiation.pending_local
            self._transports_negotiated(
                local_setup=local.setup() if local else None, remote_setup=transport.setup
            )

    def _transports_negotiated(
        self, *, local_setup: str | None, remote_setup: str | None = None
    ) -> None:
        """An answer (or pranswer) is in force: DTLS role and remote parameters are known."""
        stack = self._transports
        remote_dtls = self._remote_dtls
        if stack is None or remote_dtls is None:
            return
        role = dtls_role(local_setup, remote_setup)
        fingerprints, sctp_port, max_message_size = remote_dtls
        stack.negotiated(DtlsStart(role, fingerprints, sctp_port, max_message_size))

    # -- candidates -----------------------------------------------------------------
    @logs_as_self_async
    async def addIceCandidate(self, candidate: CandidateLike = None) -> None:
        """Add a remote candidate (object or browser JSON), or end-of-candidates.

        Candidates of an earlier remote ICE generation are ignored; an
        unknown ufrag, mid or index is an OperationError (webrtc-pc).
        """
        self._check_open()
        init = RTCIceCandidateInit.from_value(candidate)
        if init.sdpMid is None and init.sdpMLineIndex is None and not init.is_end_of_candidates:
            raise TypeError("sdpMid and sdpMLineIndex are both null")
        await self._chain.run(lambda: self._add_candidate(init))

    async def _add_candidate(self, init: RTCIceCandidateInit) -> None:
        self._check_open()
        remote = self._negotiation.remote
        if remote is None:
            raise InvalidStateError("addIceCandidate needs a remote description")
        current = remote.credentials()
        ufrag = init.usernameFragment
        if (
            ufrag is not None
            and ufrag in self._negotiation.remote_ufrags
            and (current is None or ufrag != current.ufrag)
        ):
            return  # a candidate of a previous remote generation: ignored
        located = locate_remote_candidate(remote.description, init)
        recorded = add_candidate(remote.description, located)
        if recorded is not remote.description:
            self._negotiation.record_remote_candidate(recorded)
        if self._transports is None or current is None:
            return
        if located.value is None:
            self._transports.ice.add_remote_candidate(None)
            return
        candidate = remote_candidate(located.value, ufrag or current.ufrag, located.fields)
        if candidate is None:
            raise OperationError(f"cannot parse candidate {located.value!r}")
        self._transports.ice.add_remote_candidate(candidate)

    # -- ICE restart and negotiation-needed ------------------------------------------
    @logs_as_self
    def restartIce(self) -> None:
        """Replace our ICE credentials at the next offer ([[LocalIceCredentialsToReplace]])."""
        if self._is_closed:
            return
        logger.info("restartIce(): new ICE credentials at the next offer")
        self._negotiation.restart_ice()
        self._update_negotiation_needed()

    def _stable_clears_negotiation_needed(self) -> None:
        """webrtc-pc: a description that makes the state stable clears the flag;
        the update when the operation ends sets it (and fires) again if still needed."""
        if self._signaling.state.value == "stable":
            self._negotiation_needed = False

    def _is_negotiation_needed(self) -> bool:
        if self._negotiation.to_replace:
            return True
        # Any data channel, negotiated out of band or not, needs an m=application.
        if self._channels.channels and not self._negotiation.has_negotiated_data():
            return True
        if not self._rtp:
            return False
        local = self._negotiation.current_local
        return self._rtp.negotiation_needed(local.description if local is not None else None)

    def _update_negotiation_needed(self) -> None:
        """webrtc-pc "update the negotiation-needed flag"."""
        if self._is_closed or not self._chain.empty:
            return  # the chain's on_empty calls again
        if self._signaling.state.value != "stable":
            return
        if not self._is_negotiation_needed():
            self._negotiation_needed = False
            return
        if self._negotiation_needed:
            return
        if not _loop_running():
            return  # re-checked when the next operation empties the chain
        self._negotiation_needed = True
        asyncio.get_running_loop().call_soon(self._fire_negotiation_needed)

    def _fire_negotiation_needed(self) -> None:
        if self._is_closed or not self._negotiation_needed:
            return
        if not self._chain.empty:
            # An operation started meanwhile (e.g. a trickled candidate): its end
            # updates the flag again, and must find it clear to queue the event.
            self._negotiation_needed = False
            return
        if self._signaling.state.value != "stable":
            return
        self.emit("negotiationneeded")

    # -- transports and their events ---------------------------------------------------
    def _ensure_transports(self, *, controlling: bool) -> TransportStack:
        if self._transports is None:
            stack = TransportStack(
                controlling=controlling,
                certificate=self._certificates[0],
                settings=self._ice_settings(),
                on_dtls_state=self._on_dtls_state,
            )
            ice = stack.ice
            ice.set_callbacks(_IceHandlers(self, stack))
            stack.sctp.on_datachannel = self._on_remote_channel
            stack.sctp.on_channel_state = self._channels.channel_state
            self._transports = stack
            if self._network_monitor is not None:
                self._network_monitor.start()
        return self._transports

    def _on_ice_candidate(self, candidate: Candidate | None) -> None:
        if self._is_closed or self._transports is None:
            return
        ufrag = candidate.ufrag if candidate is not None and candidate.ufrag else None
        self._held.add(ufrag or self._transports.ice.local_ufrag, candidate)
        self._surface_candidates()

    def _surface_candidates(self) -> None:
        """Queue the events of every candidate whose local description is in force."""
        if self._transports is None:
            return
        ready = self._held.release(
            self._negotiation.local_ufrags(), self._transports.ice.local_ufrag
        )
        loop = asyncio.get_running_loop()
        for ufrag, candidate in ready:
            loop.call_soon(self._emit_candidate, ufrag, candidate)

    def _emit_candidate(self, ufrag: str, candidate: Candidate | None) -> None:
        local = self._negotiation.local
        if self._is_closed or local is None:
            return
        url = None if candidate is None else self._candidate_url(candidate)
        for event in candidate_events(ufrag, candidate, local, url):
            self.emit("icecandidate", event)

    def _candidate_url(self, candidate: Candidate) -> str | None:
        if self._transports is None or candidate.type == "host":
            return None
        urls = getattr(self._transports.ice.stats, "candidate_urls", {})
        url = urls.get((candidate.type, candidate.transport, candidate.address))
        return None if url is None else str(url)

    def _on_ice_candidate_error(self, error: CandidateError) -> None:
        if self._is_closed:
            return
        self.emit(
            "icecandidateerror",
            RTCPeerConnectionIceErrorEvent(
                address=error.address,
                port=error.port,
                url=error.url,
                errorCode=error.error_code,
                errorText=error.error_text,
            ),
        )

    def _on_gathering_state(self, state: str) -> None:
        if self._is_closed:
            return
        if self._w3c is not None:
            self._w3c.ice._gathering_state_changed()
        if state == self._ice_gathering_state:
            return
        self._ice_gathering_state = state
        self._emit_state("icegatheringstatechange")

    def _on_ice_state(self, state: str) -> None:
        if self._is_closed:
            return
        if self._w3c is not None:
            self._w3c.ice._state_changed()
        new = ice_connection_state(state)
        if new != self._ice_connection_state:
            self._ice_connection_state = new
            self._emit_state("iceconnectionstatechange")
        if self._transports is not None:
            self._transports.maybe_start()
        self._update_connection_state()
        if self._transports is not None:
            self._transports.ice_state_changed(state)

    def _on_dtls_state(self, state: str) -> None:
        if self._is_closed:
            return
        if self._w3c is not None:
            self._w3c.dtls._state_changed()
        self._update_connection_state()

    def _update_connection_state(self) -> None:
        stack = self._transports
        new = connection_state(
            stack.ice.state if stack else None,
            stack.dtls_state if stack else None,
            closed=self._is_closed,
        )
        if new != self._connection_state:
            self._connection_state = new
            self._emit_state("connectionstatechange")

    def _on_remote_channel(self, channel: RTCDataChannel) -> None:
        if self._is_closed:
            return
        self._channels.add(channel, already_open=True)
        self.emit("datachannel", RTCDataChannelEvent(channel))

    def _emit_state(self, name: str) -> None:
        if not self._is_closed:
            logger.info("%s: %s", name, getattr(self, _STATE_ATTRIBUTES[name]))
            self.emit(name)

    # -- stats ----------------------------------------------------------------------
    @logs_as_self_async
    async def getStats(self, selector: object | None = None) -> RTCStatsReport:
        """W3C stats: peer-connection, transport, candidate-pair, candidates,
        data-channel, and per sender/receiver outbound-rtp, inbound-rtp,
        remote-inbound-rtp, remote-outbound-rtp, codec and media-source.

        ``selector``: None gives the whole report; an RTCRtpSender or
        RTCRtpReceiver (or the MediaStreamTrack of exactly one of them) gives
        its RTP entries and everything they link to. A track no sender or
        receiver has is InvalidAccessError, anything else a TypeError.
        """
        target = check_selector(selector, self._rtp.all)
        stack = self._transports
        report = build_report(
            ice_entries=stack.ice.get_stats() if stack is not None else (),
            dtls_state=stack.dtls_state if stack is not None else None,
            channels=self._channels,
            sctp=stack.sctp if stack is not None else None,
        )
        if self._rtp:
            add_rtp_entries(report, await self._rtp.stats_groups("T01", report["P"]["timestamp"]))
        return report if target is None else select(report, target)

    # -- closing --------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._is_closed:
            raise InvalidStateError("the RTCPeerConnection is closed")

    @logs_as_self_async
    async def close(self) -> None:
        """Close channels, DTLS and ICE, releasing every socket and TURN allocation.

        States become ``closed`` at once; no event fires afterwards. Later
        calls do nothing.
        """
        if self._is_closed:
            return
        self._is_closed = True
        self._signaling.close()
        self._ice_connection_state = "closed"
        self._connection_state = "closed"
        self._negotiation_needed = False
        self._held.clear()
        if self._network_monitor is not None:
            await self._network_monitor.stop()
        self._channels.close_all()
        if self._rtp:
            await self._rtp.close()
        if self._transports is not None:
            await self._transports.close()


#: The process's default certificate as a connection's certificates: one
#: tuple for every connection that took the same default (not one each).
_default_certificates: tuple[RTCCertificate] | None = None


def _process_default_certificates() -> tuple[RTCCertificate]:
    """``(RTCCertificate.process_default(),)``, the same tuple while that stays the default."""
    global _default_certificates
    certificate = RTCCertificate.process_default()
    cached = _default_certificates
    if cached is None or cached[0] is not certificate:
        cached = _default_certificates = (certificate,)
    return cached


class _IceHandlers:
    """A connection's direct handlers of its ICE transport's events
    (:class:`~rtcpeer.ice.runtime.IceTransportHandlers`).

    One small object per connection where five bound methods and their tuple
    would be: all kept for the connection's life, and walked by every full
    garbage collection of a process holding many connections.
    """

    __slots__ = ("_pc", "_stack")

    def __init__(self, pc: RTCPeerConnection, stack: TransportStack) -> None:
        self._pc = pc
        self._stack = stack

    @property
    def icecandidate(self) -> Callable[[Candidate | None], None]:
        return self._pc._on_ice_candidate

    @property
    def icecandidateerror(self) -> Callable[[CandidateError], None]:
        return self._pc._on_ice_candidate_error

    @property
    def statechange(self) -> Callable[[str], None]:
        return self._pc._on_ice_state

    @property
    def gatheringstatechange(self) -> Callable[[str], None]:
        return self._pc._on_gathering_state

    @property
    def selectedcandidatepairchange(self) -> Callable[[tuple[Candidate, Candidate]], None]:
        return self._stack.ice_pair_selected


def _remote_media(remote: RemoteDescription, sdp: str) -> tuple[RemoteMedia | None, ...]:
    """The remote audio/video sections; a malformed RTP attribute is RTCError
    (sdp-syntax-error, with its line number) before anything changes."""
    if not any(section.is_rtp for section in remote.description.media):
        return ()
    return remote_media(remote.description, sdp)


def _transport_of(remote: RemoteDescription) -> RemoteTransport | None:
    """The one transport we run: the data section's, else the first live section's."""
    data = remote.data_channel
    if data is not None:
        return data.transport
    return remote.transports[0] if remote.transports else None


_CAPABILITIES: dict[str, MediaCapabilities] = {}


def _capabilities() -> dict[str, MediaCapabilities]:
    """aiortc's capabilities by kind, read once."""
    if not _CAPABILITIES:
        _CAPABILITIES.update(all_local_capabilities())
    return _CAPABILITIES


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


__all__ = ["RTCPeerConnection"]
