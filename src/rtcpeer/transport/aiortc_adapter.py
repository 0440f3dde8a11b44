"""The one place where aiortc meets rtcpeer's ICE transport.

aiortc's ``RTCDtlsTransport`` expects an aiortc ``RTCIceTransport``, but it
only ever touches three members of it: ``role``, ``await _recv()`` and
``await _send(data)`` (:data:`AIORTC_ICE_SURFACE`). This adapter presents
any :class:`DatagramTransport` — rtcpeer's ICE transport, or an in-memory
pair in tests — through exactly that surface, so DTLS, SCTP and data
channels run unchanged above an ICE layer that restarts underneath them.
``tests/transport/test_aiortc_contract.py`` fails loudly if an aiortc
upgrade starts relying on anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from aiortc.rtcdtlstransport import RTCDtlsTransport

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport.dtls_context import SharedContextCertificate, install_identity

#: Every attribute aiortc's RTCDtlsTransport reads from its ICE transport.
AIORTC_ICE_SURFACE = frozenset({"role", "_recv", "_send"})


class DatagramTransport(Protocol):
    """What the adapter needs from an ICE transport.

    ``receive()`` returns the next application datagram (DTLS or SRTP) and
    raises ConnectionError only once the transport is closed for good —
    never for a failed or restarting ICE state, so DTLS survives restarts.
    ``send()`` hands a datagram to the selected pair, or drops it (as UDP
    would) while there is none.
    """

    @property
    def role(self) -> str:
        """``"controlling"`` or ``"controlled"``."""
        ...

    async def receive(self) -> bytes: ...

    def send(self, data: bytes) -> None: ...


class AiortcIceTransportAdapter:
    """Looks like aiortc's RTCIceTransport to aiortc's RTCDtlsTransport."""

    def __init__(self, transport: DatagramTransport) -> None:
        self._transport = transport

    @property
    def role(self) -> str:
        return self._transport.role

    async def _recv(self) -> bytes:
        return await self._transport.receive()

    async def _send(self, data: bytes) -> None:
        self._transport.send(data)


class ObservedDtlsTransport(RTCDtlsTransport):
    """aiortc's RTCDtlsTransport that tells its owner about state changes
    directly, and whose SSL connection comes from a shared context.

    ``on_statechange`` runs before the pyee listeners of ``statechange``: an
    attribute instead of a pyee handler table (an OrderedDict) per connection.
    aiortc's ``start()`` builds the SSL connection from the certificate's
    context and then enters ``connecting`` before the first handshake step;
    that state change is where the connection gets its own certificate and
    key (:mod:`rtcpeer.transport.dtls_context`). rtcpeer carries data
    channels only, so no SRTP keys are exported and no libsrtp sessions made.
    """

    #: The owner's handler (None: pyee listeners only).
    on_statechange: Callable[[], object] | None = None

    def __init__(self, transport: Any, certificate: SharedContextCertificate) -> None:
        super().__init__(transport, [certificate])
        self._identity = certificate if certificate.shares_context else None

    def emit(self, event: str, *args: Any, **kwargs: Any) -> bool:
        identity = self._identity
        if identity is not None and event == "statechange" and self._ssl is not None:
            self._identity = None
            install_identity(self._ssl, identity)
        callback = self.on_statechange
        if callback is not None and event == "statechange":
            callback()
        return bool(super().emit(event, *args, **kwargs))

    def _setup_srtp(self) -> None:
        """No RTP here: aiortc drops SRTP-looking datagrams while ``_rx_srtp`` is None."""


def create_dtls_transport(
    transport: DatagramTransport, certificate: RTCCertificate, *, dtls_role: str
) -> Any:
    """An aiortc RTCDtlsTransport over ``transport``.

    ``dtls_role`` is ``"client"`` or ``"server"``, from the negotiated
    ``a=setup`` (WebRTC), not from the ICE role as ORTC would pick it.
    """
    if dtls_role not in ("client", "server"):
        raise ValueError(f"dtls_role must be 'client' or 'server', not {dtls_role!r}")
    dtls = ObservedDtlsTransport(
        AiortcIceTransportAdapter(transport),
        # aiortc types the key as EC only; an RSA key builds (see RTCCertificate._to_aiortc).
        SharedContextCertificate(key=certificate.private_key, cert=certificate.x509),  # type: ignore[arg-type]
    )
    dtls._set_role(dtls_role)
    return dtls
