"""A client interface whose addresses the network-change tests add and remove.

Used inside :func:`tests.support.netns.private_network`: ``client_interface``
puts the client's only non-loopback address on a fresh ``veth`` pair
(``rtcpeer-d0``/``rtcpeer-d1``), and ``ip`` changes it from there.
"""

from __future__ import annotations

import subprocess

#: The client's address before a change, the one that replaces it, and one on another subnet.
OLD_ADDRESS = "10.1.0.2"
NEW_ADDRESS = "10.1.0.77"
OTHER_SUBNET = "10.2.0.7"


def ip(*args: str) -> None:
    """Run ``ip ARGS`` (iproute2); a failure raises."""
    subprocess.run(["ip", *args], check=True, capture_output=True)


def client_interface(address: str) -> None:
    """A veth interface carrying ``address`` (the client's only non-loopback address)."""
    ip("link", "add", "rtcpeer-d0", "type", "veth", "peer", "name", "rtcpeer-d1")
    ip("link", "set", "rtcpeer-d0", "up")
    ip("link", "set", "rtcpeer-d1", "up")
    ip("addr", "add", f"{address}/24", "dev", "rtcpeer-d0")
