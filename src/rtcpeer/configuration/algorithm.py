"""The spec's "set a configuration" algorithm, as pure functions.

The RTCPeerConnection calls :func:`set_configuration` from its constructor
and from setConfiguration(); the ``rtcpeer check-config`` command calls
:func:`find_problems`, which runs the same checks but keeps going so that a
user sees every bad URL at once. Nothing here holds state: the caller
passes the previous configuration and the flags the algorithm reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from rtcpeer.errors import (
    DOMException,
    DOMSyntaxError,
    InvalidAccessError,
    InvalidModificationError,
)

from .certificate import RTCCertificate
from .configuration import ConfigurationLike, RTCConfiguration, configuration_members
from .credentials import PrecisError, opaque_string, stun_username
from .ice_server import RTCIceServer
from .urls import IceServerUrl, parse_ice_server_url
from .webidl import convert_sequence

#: "Truncate iceServers to the maximum number of supported elements" -- the
#: spec requires this implementation-defined limit to be at least 32.
MAX_ICE_SERVERS = 32


@dataclass(frozen=True)
class AppliedConfiguration:
    """A configuration that passed the algorithm, and what the ICE agent uses.

    ``configuration`` is what getConfiguration() returns (as given, not
    truncated); ``ice_server_urls`` are the parsed URLs of the first
    :data:`MAX_ICE_SERVERS` servers, in order.
    """

    configuration: RTCConfiguration
    ice_server_urls: tuple[IceServerUrl, ...]
    target_peer_identity: str | None


@dataclass(frozen=True)
class Problem:
    """One reason a configuration is rejected (for check-config).

    ``error`` is ``"TypeError"`` or the DOMException name; ``where`` is the
    member path (``iceServers[1].urls[0]``) and ``url`` the URL concerned.
    """

    error: str
    message: str
    where: str = ""
    url: str | None = None

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready form."""
        result = {"error": self.error, "message": self.message, "where": self.where}
        if self.url is not None:
            result["url"] = self.url
        return result


def _check_credentials(url: str, server: RTCIceServer) -> tuple[str, str]:
    """The TURN credential step; returns the enforced username and credential."""
    if server.username is None or server.credential is None:
        missing = "username" if server.username is None else "credential"
        raise InvalidAccessError(f"{url!r}: a TURN server needs a {missing}")
    try:
        username = stun_username(server.username)
    except PrecisError as exc:
        raise InvalidAccessError(
            f"{url!r}: username does not conform to RFC 8489 §14.3: {exc}"
        ) from None
    try:
        credential = opaque_string(server.credential)
    except PrecisError as exc:
        raise InvalidAccessError(
            f"{url!r}: credential does not conform to the OpaqueString profile: {exc}"
        ) from None
    return username, credential


def validate_ice_server_url(url: str, server: RTCIceServer) -> IceServerUrl:
    """The spec's "validate an ICE server URL" for one URL of ``server``.

    SyntaxError/NotSupportedError for the URL come before InvalidAccessError
    for the server's credentials.
    """
    parsed = parse_ice_server_url(url)
    username: str | None = None
    credential: str | None = None
    if parsed.scheme in ("turn", "turns"):
        username, credential = _check_credentials(url, server)
    return IceServerUrl(
        url=url,
        scheme=parsed.scheme,
        host=parsed.host,
        port=parsed.port,
        transport=parsed.transport,
        secure=parsed.secure,
        username=username,
        credential=credential,
    )


def _validate_servers(servers: tuple[RTCIceServer, ...]) -> tuple[IceServerUrl, ...]:
    result: list[IceServerUrl] = []
    for index, server in enumerate(servers[:MAX_ICE_SERVERS]):
        if not server.url_list:
            raise DOMSyntaxError(f"iceServers[{index}].urls: the list of URLs is empty")
        result.extend(validate_ice_server_url(url, server) for url in server.url_list)
    return tuple(result)


def ice_server_urls(configuration: ConfigurationLike | None) -> tuple[IceServerUrl, ...]:
    """Validate a configuration's ICE servers and return their parsed URLs.

    Raises exactly what the algorithm raises for the servers (TypeError,
    SyntaxError, NotSupportedError, InvalidAccessError).
    """
    return _validate_servers(RTCConfiguration.from_dict(configuration).iceServers)


def check_certificates(configuration: RTCConfiguration, now_ms: float | None = None) -> None:
    """The constructor's certificate step: an expired one is InvalidAccessError."""
    for index, certificate in enumerate(configuration.certificates):
        if certificate.is_expired(now_ms):
            raise InvalidAccessError(f"certificates[{index}] expired at {certificate.expires:.0f}")


def _modification_problem(
    configuration: RTCConfiguration,
    old: RTCConfiguration,
    local_description_set: bool,
    target_peer_identity: str | None,
) -> str | None:
    """Why setConfiguration may not change ``old`` into ``configuration``."""
    # webrtc-identity runs its step before the webrtc-pc steps.
    identity = configuration.peerIdentity
    if identity is not None and identity != target_peer_identity:
        return "peerIdentity cannot change once set"
    if len(configuration.certificates) != len(old.certificates) or any(
        new is not current
        for new, current in zip(configuration.certificates, old.certificates, strict=True)
    ):
        return "certificates cannot change"
    if configuration.bundlePolicy != old.bundlePolicy:
        return "bundlePolicy cannot change"
    if configuration.rtcpMuxPolicy != old.rtcpMuxPolicy:
        return "rtcpMuxPolicy cannot change"
    if configuration.iceCandidatePoolSize != old.iceCandidatePoolSize and local_description_set:
        return "iceCandidatePoolSize cannot change after setLocalDescription"
    return None


def set_configuration(
    configuration: ConfigurationLike | None,
    old: RTCConfiguration | None = None,
    *,
    local_description_set: bool = False,
    target_peer_identity: str | None = None,
) -> AppliedConfiguration:
    """Run "set a configuration"; returns what to store, or raises.

    ``old`` is the connection's [[Configuration]] (``None`` in the
    constructor, where peerIdentity establishes the target peer identity).
    Nothing is stored by this function, so a failure changes nothing.
    """
    config = RTCConfiguration.from_dict(configuration)
    if old is None:
        target = config.peerIdentity
    else:
        target = target_peer_identity
        problem = _modification_problem(config, old, local_description_set, target)
        if problem is not None:
            raise InvalidModificationError(problem)
    urls = _validate_servers(config.iceServers)
    return AppliedConfiguration(config, urls, target)


def _type_error_where(message: str) -> str:
    head = message.split(":", 1)[0]
    return head if " " not in head else ""


def find_problems(
    configuration: object, now_ms: float | None = None
) -> tuple[RTCConfiguration | None, list[Problem]]:
    """Every reason ``RTCPeerConnection(configuration)`` would throw.

    A TypeError stops conversion (there is no configuration to look at);
    otherwise each expired certificate, each server with empty ``urls``,
    and each URL are checked separately. The list is empty exactly when the
    constructor succeeds, and its first entry is what the constructor raises.
    """
    try:
        config = RTCConfiguration.from_dict(configuration)
    except TypeError as exc:
        return None, _every_type_problem(configuration, exc, now_ms)
    except DOMException as exc:  # an aiortc option with no equivalent
        return None, [Problem(exc.name, exc.message, _type_error_where(exc.message))]
    problems: list[Problem] = []
    _check_members(config.certificates, enumerate(config.iceServers), problems, now_ms)
    return config, problems


def _check_members(
    certificates: Sequence[RTCCertificate],
    servers: Iterable[tuple[int, RTCIceServer]],
    problems: list[Problem],
    now_ms: float | None,
) -> None:
    """Append every DOMException the certificates and the servers' URLs raise."""

    def record(where: str, url: str | None, check: Callable[[], object]) -> None:
        try:
            check()
        except DOMException as exc:
            problems.append(Problem(exc.name, exc.message, where, url))

    for index, certificate in enumerate(certificates):
        single = RTCConfiguration(certificates=[certificate])
        record(f"certificates[{index}]", None, partial(check_certificates, single, now_ms))
    for index, server, url_index, url in _each_url(servers):
        where = f"iceServers[{index}].urls"
        if url is None:
            record(where, None, partial(_raise_empty, index))
        else:
            check = partial(validate_ice_server_url, url, server)
            record(f"{where}[{url_index}]", url, check)


def _every_type_problem(
    configuration: object, first: TypeError, now_ms: float | None
) -> list[Problem]:
    """Each member converted on its own, so one run reports every problem.

    The constructor stops at the first TypeError (WebIDL converts members in
    lexicographic order); converting member by member in the same order
    finds that one first, then the others, and the servers and certificates
    that did convert are checked as usual.
    """
    try:
        members = configuration_members(configuration)
    except TypeError:
        return [Problem("TypeError", str(first), _type_error_where(str(first)))]
    problems: list[Problem] = []

    def type_problem(exc: TypeError) -> None:
        problems.append(Problem("TypeError", str(exc), _type_error_where(str(exc))))

    servers: list[tuple[int, RTCIceServer]] = []
    certificates: Sequence[RTCCertificate] = ()
    for name in sorted(str(key) for key in members if isinstance(key, str)):
        value = members[name]
        if name == "iceServers":
            try:  # the constructor's own test of a sequence (bytes is not one)
                items = convert_sequence(value, name)
            except TypeError as exc:
                type_problem(exc)
                continue
            for index, item in enumerate(items):
                try:
                    servers.append((index, RTCIceServer.from_dict(item, f"iceServers[{index}]")))
                except TypeError as exc:
                    type_problem(exc)
            continue
        try:
            converted = RTCConfiguration.from_dict({name: value})
        except TypeError as exc:
            type_problem(exc)
            continue
        if name == "certificates":
            certificates = converted.certificates
    _check_members(certificates, servers, problems, now_ms)
    return problems


def _raise_empty(index: int) -> None:
    raise DOMSyntaxError(f"iceServers[{index}].urls: the list of URLs is empty")


def _each_url(
    servers: Iterable[tuple[int, RTCIceServer]],
) -> Iterator[tuple[int, RTCIceServer, int, str | None]]:
    for index, server in servers:
        if index >= MAX_ICE_SERVERS:
            break
        if not server.url_list:
            yield index, server, 0, None
        for url_index, url in enumerate(server.url_list):
            yield index, server, url_index, url


__all__ = [
    "MAX_ICE_SERVERS",
    "AppliedConfiguration",
    "Problem",
    "check_certificates",
    "find_problems",
    "ice_server_urls",
    "set_configuration",
    "validate_ice_server_url",
]
