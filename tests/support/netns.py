"""Run part of a test process in a private network namespace with only ``lo``.

Chromium pairs *every* local interface with each remote candidate, so on
this machine it checks from (and selects) 192.0.2.2 or fd00::2 even when only
loopback candidates are signalled, and its TURN sockets bind to those
interfaces too. Interop tests therefore move the test process's main thread
(and with it every process it starts afterwards: Playwright, Chromium,
coturn) into a new network namespace where loopback is the only network.
``lan=True`` adds a veth pair carrying 198.18.0.1/24 (an address inside the
namespace we made) with the default route on it: a "LAN" interface on which
Chromium gathers mDNS-named host candidates.

Namespaces are per thread on Linux; ``unshare(CLONE_NEWNET)`` and ``setns``
act on the calling (main) thread and the original namespace is restored on
exit. Needs root (CAP_SYS_ADMIN), as the test command runs here and in CI;
without it this raises (the tests fail, they do not skip).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
import threading
from collections.abc import Iterator

CLONE_NEWNET = 0x40000000
LAN_ADDRESS = "198.18.0.1"
_libc = ctypes.CDLL(None, use_errno=True)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@contextlib.contextmanager
def private_network(*, lan: bool = False) -> Iterator[None]:
    """Inside: the main thread is in a fresh network namespace (``lo`` up)."""
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("private_network() must be entered on the main thread")
    original = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        if _libc.unshare(CLONE_NEWNET) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"unshare(CLONE_NEWNET) failed (needs root): {os.strerror(error)}")
        try:
            _ip("link", "set", "lo", "up")
            if lan:
                _ip("link", "add", "rtcpeer0", "type", "veth", "peer", "name", "rtcpeer1")
                _ip("addr", "add", f"{LAN_ADDRESS}/24", "dev", "rtcpeer0")
                _ip("link", "set", "rtcpeer0", "up")
                _ip("link", "set", "rtcpeer1", "up")
                _ip("route", "add", "default", "via", "198.18.0.2")
            yield
        finally:
            if _libc.setns(original, CLONE_NEWNET) != 0:
                error = ctypes.get_errno()
                raise OSError(error, f"setns back failed: {os.strerror(error)}")
    finally:
        os.close(original)
