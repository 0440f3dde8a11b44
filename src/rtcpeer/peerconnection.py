"""RTCPeerConnection: the configuration part of the W3C interface.

This is the class later layers extend with JSEP, ICE and transports. For
now it owns what webrtc-pc's constructor, getConfiguration(),
setConfiguration() and close() do with the configuration, and the state
attributes' initial values.
"""

from __future__ import annotations

from pyee.asyncio import AsyncIOEventEmitter

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
from rtcpeer.errors import InvalidStateError


class RTCPeerConnection(AsyncIOEventEmitter):
    """A WebRTC peer connection (W3C names, asyncio style, pyee events).

    ``RTCPeerConnection(configuration)`` accepts an :class:`RTCConfiguration`
    or a W3C dictionary (camelCase keys, e.g. parsed JSON). It raises
    TypeError for ill-typed input, InvalidAccessError for an expired
    certificate or bad TURN credentials, and SyntaxError/NotSupportedError
    for a bad ICE server URL -- as a browser does.
    """

    def __init__(self, configuration: ConfigurationLike | None = None) -> None:
        super().__init__()
        config = RTCConfiguration.from_dict(configuration)
        check_certificates(config)
        applied = set_configuration(config, None)
        self._is_closed = False
        #: Set by setLocalDescription(); freezes iceCandidatePoolSize.
        self._local_description_set = False
        self._generated_certificates: tuple[RTCCertificate, ...] = ()
        self._signaling_state = "stable"
        self._ice_connection_state = "new"
        self._ice_gathering_state = "new"
        self._connection_state = "new"
        self._store(applied)

    # -- W3C attributes -----------------------------------------------------

    @property
    def signalingState(self) -> str:
        """The signalling state: ``stable`` initially, ``closed`` after close()."""
        return self._signaling_state

    @property
    def iceConnectionState(self) -> str:
        """``new`` initially; ``closed`` after close()."""
        return self._ice_connection_state

    @property
    def iceGatheringState(self) -> str:
        """``new`` initially (close() leaves it, as the spec does)."""
        return self._ice_gathering_state

    @property
    def connectionState(self) -> str:
        """``new`` initially; ``closed`` after close()."""
        return self._connection_state

    # -- configuration --------------------------------------------------------

    def getConfiguration(self) -> RTCConfiguration:
        """The stored configuration (immutable; what was last set)."""
        return self._configuration

    def setConfiguration(self, configuration: ConfigurationLike | None = None) -> None:
        """Replace the configuration (no merging: absent members take defaults).

        Raises InvalidStateError when closed, InvalidModificationError for a
        member that may not change, and otherwise what the constructor raises.
        On any error the current configuration is kept unchanged.
        """
        if self._is_closed:
            raise InvalidStateError("the RTCPeerConnection is closed")
        applied = set_configuration(
            configuration,
            self._configuration,
            local_description_set=self._local_description_set,
            target_peer_identity=self._target_peer_identity,
        )
        self._store(applied)

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
        """Hook for the ICE layer (new servers, policy, candidate pool size)."""

    @property
    def _certificates(self) -> tuple[RTCCertificate, ...]:
        """The certificates DTLS uses: the configured ones, or one generated lazily.

        The spec lets the default certificate be generated asynchronously and
        keeps ``certificates`` empty in the stored configuration; generating on
        first use keeps constructing connections cheap.
        """
        if self._configuration.certificates:
            return self._configuration.certificates
        if not self._generated_certificates:
            self._generated_certificates = (RTCCertificate.generate("ECDSA"),)
        return self._generated_certificates

    @staticmethod
    async def generateCertificate(keygenAlgorithm: AlgorithmIdentifier) -> RTCCertificate:
        """webrtc-pc's static RTCPeerConnection.generateCertificate()."""
        return await RTCCertificate.generateCertificate(keygenAlgorithm)

    # -- closing --------------------------------------------------------------

    async def close(self) -> None:
        """Close the connection; later calls do nothing. No events fire."""
        if self._is_closed:
            return
        self._is_closed = True
        self._signaling_state = "closed"
        self._ice_connection_state = "closed"
        self._connection_state = "closed"


__all__ = ["RTCPeerConnection"]
