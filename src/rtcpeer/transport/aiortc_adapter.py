"""The one place where aiortc meets rtcpeer's ICE transport.

aiortc's ``RTCDtlsTransport`` expects an aiortc ``RTCIceTransport``, but it
only ever touches three members of it: ``role``, ``await _recv()`` and
``await _send(data)`` (:data:`AIORTC_ICE_SURFACE`). This adapter presents
any :class:`DatagramTransport` — rtcpeer's ICE transport, or an in-memory
pair in tests — through exactly that surface, so DTLS, SCTP and data
channels run unchanged above an ICE layer that restarts underneath them.
``tests/transport/test_aiortc_contract.py`` fails loudly if an aiortc
upgrade starts relying on anything else.

Once DTLS is connected, a transport that has a ``deliver`` hook hands each
application-data record to the adapter as it arrives, and aiortc's
per-datagram step (what ``_recv_next`` does: decrypt, then SCTP, then the
data channel's ``message`` event) runs right there, without its coroutine
hops, instead of one loop iteration later in the DTLS task
(:mod:`rtcpeer.transport.eager`). Handshake records, alerts and anything
arriving while datagrams are still queued go the usual way, so the order of
datagrams never changes. The other way, SCTP hands DTLS its packets a burst
at a time (``send_burst``), and a transport that has ``send_burst`` too (the
ICE transport) takes the resulting datagrams in one call. On both ways an
application-data record is sealed or opened with one OpenSSL call each
(:mod:`rtcpeer.transport.dtls_records`), not through pyOpenSSL's wrappers.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from collections.abc import Set as AbstractSet
from typing import Any, Protocol, cast

from aiortc.rtcdtlstransport import X509_DIGEST_ALGORITHMS, State
from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL
from OpenSSL.crypto import FILETYPE_ASN1, dump_certificate

from rtcpeer.configuration import RTCCertificate
from rtcpeer.transport.dtls_context import SharedContextCertificate
from rtcpeer.transport.dtls_records import open_record, seal_packets
from rtcpeer.transport.eager import run_now
from rtcpeer.transport.srtp import SrtpDtlsTransport

logger = logging.getLogger(__name__)

#: Every attribute aiortc's RTCDtlsTransport reads from its ICE transport.
AIORTC_ICE_SURFACE = frozenset({"role", "_recv", "_send"})

#: The DTLS record content type of application data (RFC 6347 §4.1, RFC 5246 §6.2.1).
APPLICATION_DATA = 23
#: A DTLS 1.2 record's header: type, version, epoch, sequence number, then
#: the length of what follows in its last two bytes (RFC 6347 §4.1).
DTLS_RECORD_HEADER_LENGTH = 13
#: hashlib's constructor for each a=fingerprint algorithm aiortc accepts
#: (its X509_DIGEST_ALGORITHMS: "sha-256" -> hashlib.sha256, ...).
FINGERPRINT_HASHES: dict[str, Callable[[bytes], Any]] = {
    name: getattr(hashlib, name.replace("-", "")) for name in X509_DIGEST_ALGORITHMS
}
#: The suspended deliveries of every adapter that has none: one shared empty set.
_NONE_UNFINISHED: frozenset[asyncio.Task[None]] = frozenset()


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
        self._dtls: ObservedDtlsTransport | None = None
        #: The datagram :meth:`deliver` is handing to aiortc's ``_recv_next``.
        self._delivering: bytes | None = None
        #: Deliveries that suspended after all (never seen with aiortc 1.16):
        #: a set of its own only once one did.
        self._unfinished: AbstractSet[asyncio.Task[None]] = _NONE_UNFINISHED
        #: The handshake was seen finished (it never becomes unfinished again).
        self._handshake_done = False

    @property
    def role(self) -> str:
        return self._transport.role

    def _recv(self) -> Awaitable[bytes]:
        """The next datagram, as aiortc awaits it (``await _recv()``, or under
        ``asyncio.wait_for`` during the handshake).

        A transport with ``receive_soon`` (the ICE transport) hands out a plain
        future: no coroutine per datagram, and under ``wait_for`` no task
        (``wait_for`` wraps a coroutine in one). A datagram :meth:`deliver`
        is handing over comes as a done future, which ``await`` takes without
        suspending.
        """
        data = self._delivering
        if data is not None:
            self._delivering = None
            done: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
            done.set_result(data)
            return done
        receive_soon = getattr(self._transport, "receive_soon", None)
        if receive_soon is not None:
            return cast("Awaitable[bytes]", receive_soon())
        return self._transport.receive()

    def receive_future(self) -> asyncio.Future[bytes | None] | None:
        """:meth:`_recv` as a future the caller may resolve (with None) itself;
        None, asking nothing, when the transport has no ``receive_soon``."""
        if self._delivering is None and getattr(self._transport, "receive_soon", None) is None:
            return None
        return cast("asyncio.Future[bytes | None]", self._recv())

    def deliver(self, data: bytes) -> bool:
        """Process an arriving datagram now; False: queue it for the DTLS task.

        Only application data of a connected, finished handshake qualifies
        (its ``_recv_next`` then waits for no timer), only when nothing else
        is being delivered or still running, and the caller only offers a
        datagram when none is queued before it.
        """
        dtls = self._dtls
        if (
            dtls is None
            or self._delivering is not None
            or self._unfinished
            or data[0] != APPLICATION_DATA
        ):
            return False
        if self._handshake_done:  # the per-packet case: only the state can change
            if dtls._state is not State.CONNECTED:
                return False
        elif dtls.handshake_finished:
            self._handshake_done = True
        else:
            return False
        self._delivering = data
        try:
            task = dtls.receive_application_data(data)
        except Exception:  # an established session outlives one bad datagram
            logger.exception("DTLS/SCTP failed on an incoming datagram; dropped")
            task = None
        finally:
            self._delivering = None
        if task is not None:
            unfinished = self._unfinished
            if not isinstance(unfinished, set):
                unfinished = self._unfinished = set()
            unfinished.add(task)
            task.add_done_callback(unfinished.discard)
        return True

    async def _send(self, data: bytes) -> None:
        self._transport.send(data)

    def send(self, data: bytes) -> None:
        """:meth:`_send` without its coroutine: one datagram, now."""
        self._transport.send(data)

    def send_burst(self, datagrams: list[bytes]) -> None:
        """Datagrams that go out together, in order, in one call where the
        transport takes a burst (rtcpeer's ICE transport does)."""
        send_burst = getattr(self._transport, "send_burst", None)
        if send_burst is not None:
            send_burst(datagrams)
            return
        for data in datagrams:
            self._transport.send(data)


class ObservedDtlsTransport(SrtpDtlsTransport):
    """aiortc's RTCDtlsTransport that tells its owner about state changes
    directly, and whose SSL connection comes from a shared context.

    ``on_statechange`` runs before the pyee listeners of ``statechange``: an
    attribute instead of a pyee handler table (an OrderedDict) per connection.
    aiortc's ``start()`` builds the SSL connection from the certificate's
    context, one per certificate and thread shared by every connection that
    presents it (:mod:`rtcpeer.transport.dtls_context`). SRTP keys are
    exported and libsrtp sessions made only once media is in use
    (:mod:`rtcpeer.transport.srtp`).
    """

    #: The owner's handler (None: pyee listeners only).
    on_statechange: Callable[[], object] | None = None

    def __init__(self, transport: Any, certificate: SharedContextCertificate) -> None:
        super().__init__(transport, [certificate])

    def set_role(self, role: str) -> None:
        """Take the DTLS role the negotiated ``a=setup`` gives: ``"client"`` or
        ``"server"`` (before ``start()``; WebRTC, not ORTC's pick by ICE role)."""
        if role not in ("client", "server"):
            raise ValueError(f"dtls_role must be 'client' or 'server', not {role!r}")
        self._set_role(role)

    def receive_application_data(self, data: bytes) -> asyncio.Task[None] | None:
        """aiortc's ``_recv_next`` for an application-data datagram of a
        finished handshake, minus its coroutine hops: decrypt it, send what
        OpenSSL has to send, and hand the plaintext to SCTP now (a task
        carries on should SCTP ever suspend; None if it did not).

        ConnectionError when the peer closed DTLS (close_notify), as
        ``_recv_next`` raises it; a record that does not decrypt is dropped.
        A datagram that is exactly one application-data record cannot make
        OpenSSL send anything, so its outgoing buffer is not looked at.
        """
        counters = vars(self)  # aiortc's own (name-mangled) counters, for its getStats
        counters["_RTCDtlsTransport__rx_bytes"] += len(data)
        counters["_RTCDtlsTransport__rx_packets"] += 1
        connection = self._ssl
        assert connection is not None  # connected
        plain = open_record(connection, data)  # (bio_write, recv: OpenSSL's calls, once each)
        # Reading one application-data record never makes OpenSSL send
        # anything (DTLS 1.2: no renegotiation, no alert for a bad record);
        # anything else (records of another kind behind it, an error) may: look.
        if not plain or len(data) != DTLS_RECORD_HEADER_LENGTH + (data[11] << 8 | data[12]):
            try:
                record = connection.bio_read(1500)
            except SSL.Error:
                pass  # nothing to send: the usual case
            else:
                counters["_RTCDtlsTransport__tx_bytes"] += len(record)
                counters["_RTCDtlsTransport__tx_packets"] += 1
                cast(AiortcIceTransportAdapter, self.transport).send_burst([record])
        if plain is None:
            raise ConnectionError("DTLS shut down by the remote party")
        receiver = self._data_receiver
        if not plain or receiver is None:
            return None
        return run_now(receiver._handle_data(plain))

    async def _do_handshake(self) -> None:
        """aiortc's handshake loop, each read without ``asyncio.wait_for``.

        aiortc waits for the peer's next flight under ``asyncio.wait_for``
        (a waiter future, a callback and one more event-loop turn for every
        flight that arrives) and sends each of ours through two coroutines.
        Here the same steps run with the transport's own future and a timer
        handle (:meth:`_read_handshake`), and our flights go out at once
        (:meth:`_send_records`); the outcomes -- connected, FAILED on an SSL
        error or a closed transport -- are aiortc's.
        """
        connection = self._ssl
        assert connection is not None  # start() made it
        try:
            while not self.encrypted:
                try:
                    connection.do_handshake()
                except SSL.WantReadError:
                    self._send_records()
                    await self._read_handshake()
                except SSL.Error as exc:
                    logger.debug("DTLS handshake failed (error %s)", exc)
                    self._set_state(State.FAILED)
                    return
                else:
                    self.encrypted = True
        except ConnectionError:
            logger.debug("DTLS handshake failed (connection error)")
            self._set_state(State.FAILED)

    def _send_records(self) -> None:
        """aiortc's ``_write_ssl`` without its coroutines: what OpenSSL has to
        send (one read of up to 1500 bytes, as aiortc reads it) goes out now."""
        connection = self._ssl
        assert connection is not None
        try:
            data = connection.bio_read(1500)
        except SSL.Error:
            return  # nothing to send
        if data:
            counters = vars(self)  # aiortc's own (name-mangled) counters, for its getStats
            counters["_RTCDtlsTransport__tx_bytes"] += len(data)
            counters["_RTCDtlsTransport__tx_packets"] += 1
            cast(AiortcIceTransportAdapter, self.transport).send(data)

    async def _read_handshake(self) -> None:
        """aiortc's receive step (``_recv_next``) during the handshake.

        While DTLS's retransmission timer runs, the transport's own future is
        awaited and a timer handle resolves it with None if DTLS's timer
        fires first; what then happens -- to the datagram, or on the timeout
        -- is what aiortc's step does. Anything else (no timer running, an
        SRTP session, a transport without futures) is aiortc's own step.
        """
        connection = self._ssl
        assert connection is not None
        timeout = None if self._rx_srtp is not None else connection.DTLSv1_get_timeout()
        waiting = None
        if timeout is not None:
            waiting = cast(AiortcIceTransportAdapter, self.transport).receive_future()
        if waiting is None:
            await self._recv_next()
            return
        assert timeout is not None
        if timeout <= 0:  # as wait_for: only a datagram already there comes in time
            _timed_out(waiting)
        timer = asyncio.get_running_loop().call_later(timeout, _timed_out, waiting)
        try:
            data = await waiting
        finally:
            timer.cancel()
        if data is None:  # DTLS's timer fired first (aiortc: asyncio.TimeoutError)
            logger.debug("DTLS handshake timer fired: retransmitting")
            connection.DTLSv1_handle_timeout()
            self._send_records()
            return
        counters = vars(self)  # aiortc's own (name-mangled) counters, for its getStats
        counters["_RTCDtlsTransport__rx_bytes"] += len(data)
        counters["_RTCDtlsTransport__rx_packets"] += 1
        if not 19 < data[0] < 64:
            return  # not DTLS, and no SRTP session yet: dropped, as aiortc drops it
        connection.bio_write(data)
        try:
            plain: bytes | None = connection.recv(1500)
        except SSL.ZeroReturnError:
            plain = None
        except SSL.Error:
            plain = b""
        self._send_records()
        if plain is None:
            raise ConnectionError("DTLS shut down by the remote party")
        receiver = self._data_receiver
        if plain and receiver is not None:
            await receiver._handle_data(plain)

    def send_burst(self, packets: list[bytes]) -> None:
        """aiortc's ``_send_data`` for several packets (SCTP's) at once.

        Each packet becomes a record in a datagram of its own, exactly as
        ``_send_data`` makes it; the datagrams then go to the ICE transport in
        one call instead of one coroutine chain per packet.
        """
        if self._state != State.CONNECTED:
            raise ConnectionError("Cannot send encrypted data, not connected")
        connection = self._ssl
        assert connection is not None  # connected
        records = seal_packets(connection, packets)  # (send, bio_read: OpenSSL's calls, once each)
        counters = vars(self)  # aiortc's own (name-mangled) counters, for its getStats
        counters["_RTCDtlsTransport__tx_bytes"] += sum(map(len, records))
        counters["_RTCDtlsTransport__tx_packets"] += len(records)
        cast(AiortcIceTransportAdapter, self.transport).send_burst(records)

    def peer_certificates(self) -> tuple[bytes, ...] | None:
        """The certificates the peer presented, DER-encoded, leaf first (None: none yet)."""
        connection = self._ssl
        if connection is None:
            return None
        leaf = connection.get_peer_certificate(as_cryptography=True)
        if leaf is None:
            return None
        chain = connection.get_peer_cert_chain(as_cryptography=True) or []
        ders = [leaf.public_bytes(Encoding.DER)]
        ders += [c.public_bytes(Encoding.DER) for c in chain if c != leaf]
        return tuple(ders)

    @property
    def handshake_finished(self) -> bool:
        """Connected, and aiortc's receive step no longer waits on a handshake timer."""
        return self._state is State.CONNECTED and bool(
            getattr(self, "_RTCDtlsTransport__handshake_done", False)
        )

    def emit(self, event: str, *args: Any, **kwargs: Any) -> bool:
        callback = self.on_statechange
        if callback is not None and event == "statechange":
            callback()
        return bool(super().emit(event, *args, **kwargs))

    def _validate_peer_identity(self, remoteParameters: Any) -> None:
        """The peer's certificate must match one of its ``a=fingerprint`` lines.

        JSEP (RFC 9429 §5.2.1) lists one fingerprint per certificate of the
        endpoint and DTLS presents one of them, so any match of a supported
        algorithm will do (RFC 8122 §5). aiortc demands that every listed
        fingerprint match, which fails against a peer with two certificates.
        """
        ssl = self._ssl
        certificate = None if ssl is None else ssl.get_peer_certificate()
        # The certificate's DER once, hashed by hashlib into a=fingerprint's
        # form (upper-case hex pairs, colons): pyOpenSSL's digest() costs
        # twice as much, most of it formatting the hex byte by byte.
        der = None if certificate is None else dump_certificate(FILETYPE_ASN1, certificate)
        listed = [(f.algorithm.lower(), f.value.upper()) for f in remoteParameters.fingerprints]
        if der is None or not any(
            value == FINGERPRINT_HASHES[algorithm](der).digest().hex(":").upper()
            for algorithm, value in listed
            if algorithm in FINGERPRINT_HASHES
        ):
            logger.debug("DTLS handshake failed: no a=fingerprint matches the peer's certificate")
            self._set_state(State.FAILED)


def _timed_out(waiting: asyncio.Future[bytes | None]) -> None:
    """A handshake wait's timer: the wait ends with None (no datagram in time)."""
    if not waiting.done():
        waiting.set_result(None)


def create_dtls_transport(
    transport: DatagramTransport,
    certificate: RTCCertificate,
    *,
    dtls_role: str,
    media: bool = False,
) -> ObservedDtlsTransport:
    """An aiortc RTCDtlsTransport over ``transport``.

    ``dtls_role`` is ``"client"`` or ``"server"``, from the negotiated
    ``a=setup`` (WebRTC), not from the ICE role as ORTC would pick it.
    ``media``: set up SRTP at the handshake; without it, SRTP waits for the
    first RTP sender or receiver (``enable_media()``), and a data-only
    connection never builds libsrtp sessions.
    """
    adapter = AiortcIceTransportAdapter(transport)
    dtls = ObservedDtlsTransport(adapter, SharedContextCertificate(certificate))
    dtls.set_role(dtls_role)
    if media:
        dtls.enable_media()
    if hasattr(transport, "deliver"):
        adapter._dtls = dtls
        transport.deliver = adapter.deliver
    return dtls
