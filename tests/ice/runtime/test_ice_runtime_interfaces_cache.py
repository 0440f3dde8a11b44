"""Host addresses come from one interface enumeration per second and namespace."""

from __future__ import annotations

import time
from typing import Any

import ifaddr
import pytest

from rtcpeer.ice.runtime import interfaces


def _adapter(*ips: str) -> Any:
    return ifaddr.Adapter("x", "x", [ifaddr.IP(ip, 8, "x") for ip in ips])


def test_enumeration_is_reused_briefly_and_per_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    adapters = [_adapter("127.0.0.1", "192.0.2.7")]

    def get_adapters() -> list[Any]:
        calls.append(1)
        return list(adapters)

    clock = [100.0]
    namespace = [1]
    # ``interfaces.ifaddr`` and ``interfaces.time`` are these very module objects.
    monkeypatch.setattr(ifaddr, "get_adapters", get_adapters)
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(interfaces, "_network_namespace", lambda: namespace[0])
    monkeypatch.setattr(interfaces, "_cache", None)

    assert interfaces.host_addresses() == ["192.0.2.7"]
    assert interfaces.host_addresses(include_loopback=True) == ["127.0.0.1", "192.0.2.7"]
    assert len(calls) == 1  # the second call, with other filters, reused the enumeration
    adapters.append(_adapter("198.51.100.9"))
    clock[0] += interfaces.INTERFACE_CACHE_SECONDS / 2
    assert interfaces.host_addresses() == ["192.0.2.7"]
    clock[0] += interfaces.INTERFACE_CACHE_SECONDS
    assert interfaces.host_addresses() == ["192.0.2.7", "198.51.100.9"]  # seen after a second
    assert len(calls) == 2
    namespace[0] = 2  # another network namespace never sees this one's addresses
    interfaces.host_addresses()
    assert len(calls) == 3
