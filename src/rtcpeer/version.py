"""The installed rtcpeer's version, for ``--version`` and ``rtcpeer.__version__``."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rtcpeer")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
