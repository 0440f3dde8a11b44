"""The asyncio runtime of the ICE agent: sockets, DNS/mDNS, timers and stats.

:class:`IceTransport` drives the sans-IO :class:`~rtcpeer.ice.IceAgent` over
real UDP/TCP/TLS/DTLS sockets and is the transport aiortc's DTLS runs over.
"""

from rtcpeer.ice.runtime.driver import IceTransport, IceTransportCallbacks, IceTransportHandlers
from rtcpeer.ice.runtime.interfaces import host_addresses
from rtcpeer.ice.runtime.resolver import MdnsResolver, resolve_server, resolve_servers
from rtcpeer.ice.servers import ResolvedServer

__all__ = [
    "IceTransport",
    "IceTransportCallbacks",
    "IceTransportHandlers",
    "MdnsResolver",
    "ResolvedServer",
    "host_addresses",
    "resolve_server",
    "resolve_servers",
]
