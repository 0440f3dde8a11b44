"""The import rules of ARCHITECTURE.md hold: every layer imports only what its row allows.

The table "The layers" in ARCHITECTURE.md is the one statement of the rules;
this test reads it, so the document and the code cannot drift apart. Every
module of the package is parsed (imports inside functions and under
``TYPE_CHECKING`` count too) and every ``rtcpeer.<layer>`` it imports must be
its own layer or one its row lists. The sans-IO modules must not import the
event loop, sockets (beyond address conversion), threads, processes or the
clock. aiortc's boundary has its own test (tests/transport/test_aiortc_boundary.py).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "rtcpeer"
ARCHITECTURE = ROOT / "ARCHITECTURE.md"

#: Modules that may import anything in the package: the public API and ``python -m rtcpeer``.
ENTRY_POINTS = frozenset({"__init__.py", "__main__.py"})

#: Program entry points inside a layer (``rtcpeer turn-server`` is also
#: ``python -m rtcpeer.turn.server``): besides their layer's row they may import
#: what a command needs, as ``cli`` does (ARCHITECTURE.md says so under the table).
COMMANDS: dict[str, frozenset[str]] = {
    "turn/server/command.py": frozenset({"logs", "testing", "version"}),
}

#: The asyncio/socket drivers inside protocol layers; everything else in those
#: layers is a sans-IO machine or its data.
DRIVERS = (
    "ice/runtime/",
    "turn/client/links.py",
    "turn/client/runtime.py",
    "turn/client/tls_sessions.py",
    "turn/server/__main__.py",
    "turn/server/command.py",
    "turn/server/dtls_listener.py",
    "turn/server/listeners.py",
    "turn/server/relay_sockets.py",
    "turn/server/runtime.py",
    "turn/server/stream_listener.py",
    "turn/trust.py",
)
#: Layers holding protocol machines (all of ``sansio``, ``sdp``, ``jsep``,
#: ``stun``, ``simnet``; ``ice`` and ``turn`` outside :data:`DRIVERS`).
SANS_IO_LAYERS = ("sansio", "sdp", "jsep", "stun", "simnet", "ice", "turn")
#: What a sans-IO module must not import: the event loop, TLS, threads,
#: processes, the clock.
IO_MODULES = frozenset({"asyncio", "selectors", "ssl", "threading", "subprocess", "time"})
#: ``socket`` members a sans-IO module may use: address text <-> bytes only.
SOCKET_ADDRESS_HELPERS = frozenset({"inet_pton", "inet_ntop", "AF_INET", "AF_INET6"})


def _read_table(text: str) -> dict[str, frozenset[str]]:
    """Layer -> the layers it may import, from the markdown table of ARCHITECTURE.md."""
    section = text.split("## The layers", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \|[^\n]*\| ([^|\n]*) \|$", section, re.M)
    layers = [name for name, _ in rows]
    table: dict[str, frozenset[str]] = {}
    for name, allowed in rows:
        if allowed.strip() == "every layer above":
            table[name] = frozenset(layers[: layers.index(name)])
        else:
            table[name] = frozenset(re.findall(r"`(\w+)`", allowed))
    return table


TABLE = _read_table(ARCHITECTURE.read_text(encoding="utf-8"))


def _modules() -> list[Path]:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50, "the package layout changed: update this test"
    return modules


def _layer(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imports(tree: ast.AST, package: str) -> Iterator[tuple[int, str]]:
    """Every module an import statement names, resolved (``package`` for relative ones)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:  # ``from rtcpeer import ice`` imports rtcpeer.ice
                yield node.lineno, f"{module}.{alias.name}"


def _package_of(path: Path) -> str:
    parts = ("rtcpeer", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts if path.name == "__init__.py" else parts[:-1]).removesuffix(".__init__")


def _layer_violations(path: Path, layer: str, tree: ast.AST) -> list[str]:
    relative = path.relative_to(PACKAGE).as_posix()
    found: list[str] = []
    for line, module in _imports(tree, _package_of(path)):
        parts = module.split(".")
        if parts[0] != "rtcpeer" or len(parts) < 2:
            continue
        target = parts[1]
        if not (PACKAGE / target).is_dir() and not (PACKAGE / f"{target}.py").is_file():
            # ``from rtcpeer import RTCPeerConnection``: a name of the public API,
            # which imports every layer; only the entry points may use it.
            found.append(f"{relative}:{line} imports rtcpeer's public API ({target})")
            continue
        if target == layer or target in TABLE.get(layer, frozenset()):
            continue
        if target in COMMANDS.get(relative, frozenset()):
            continue
        found.append(f"{relative}:{line} imports rtcpeer.{target}")
    return sorted(set(found))


def _is_sans_io(path: Path) -> bool:
    relative = path.relative_to(PACKAGE).as_posix()
    return _layer(path) in SANS_IO_LAYERS and not relative.startswith(DRIVERS)


def _io_uses(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name in IO_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in IO_MODULES:
                found.append(f"{node.lineno}: from {node.module}")
            elif node.module == "socket":
                found += [
                    f"{node.lineno}: from socket import {a.name}"
                    for a in node.names
                    if a.name not in SOCKET_ADDRESS_HELPERS
                ]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "socket"
            and node.attr not in SOCKET_ADDRESS_HELPERS
        ):
            found.append(f"{node.lineno}: socket.{node.attr}")
    return found


def test_the_table_names_every_layer_of_the_package() -> None:
    layers = {_layer(path) for path in _modules()} - {"__init__", "__main__"}
    assert set(TABLE) == layers
    for name, allowed in TABLE.items():
        assert allowed <= set(TABLE), f"{name} may import an unknown layer: {allowed - set(TABLE)}"


def test_every_module_imports_only_the_layers_its_row_allows() -> None:
    offenders: list[str] = []
    for path in _modules():
        if path.relative_to(PACKAGE).as_posix() in ENTRY_POINTS:
            continue
        offenders += _layer_violations(path, _layer(path), ast.parse(path.read_text(), str(path)))
    assert offenders == []


def test_the_commands_exist() -> None:
    """A COMMANDS entry for a module that is gone must be deleted (it could excuse a new one)."""
    assert [name for name in COMMANDS if not (PACKAGE / name).is_file()] == []


def test_sans_io_modules_import_no_event_loop_socket_thread_or_clock() -> None:
    checked = [path for path in _modules() if _is_sans_io(path)]
    assert len(checked) > 40, "fewer sans-IO modules than expected: update DRIVERS"
    offenders = {
        path.relative_to(PACKAGE).as_posix(): uses
        for path in checked
        if (uses := _io_uses(ast.parse(path.read_text(), str(path))))
    }
    assert offenders == {}


def test_the_headline_rules_are_in_the_table() -> None:
    assert "peerconnection" not in TABLE["ice"]
    assert "ice" not in TABLE["jsep"]
    assert {layer for layer, allowed in TABLE.items() if "testing" in allowed} == {"demo", "cli"}
    assert all(allowed <= {"logs", "testing", "version"} for allowed in COMMANDS.values())
    assert TABLE["sansio"] == TABLE["sdp"] == frozenset()


UP, TESTING = "imports rtcpeer.peerconnection", "imports rtcpeer.testing"
FACADE = "imports rtcpeer's public API (__version__)"


@pytest.mark.parametrize(
    ("relative", "source", "expected"),
    [
        ("ice/x.py", "from rtcpeer.peerconnection import X\n", [UP]),
        ("jsep/x.py", "def f():\n    import rtcpeer.ice.config\n", ["imports rtcpeer.ice"]),
        ("jsep/x.py", "from rtcpeer import ice\n", ["imports rtcpeer.ice"]),
        ("jsep/x.py", "from rtcpeer.sdp import parse_sdp\n", []),
        ("ice/x.py", "from ..peerconnection import connection\n", [UP]),
        ("ice/x.py", "from .candidate import Candidate\n", []),
        ("stun/x.py", "from rtcpeer.testing.pki import CertificateFiles\n", [TESTING]),
        ("cli/x.py", "from rtcpeer.testing.pki import make_certificates\n", []),
        ("turn/server/command.py", "from rtcpeer.testing.pki import CertificateFiles\n", []),
        ("turn/server/runtime.py", "from rtcpeer.testing.pki import CertificateFiles\n", [TESTING]),
        ("turn/server/command.py", "from rtcpeer import __version__\n", [FACADE]),
        (
            "cli/x.py",
            "from rtcpeer import RTCPeerConnection\n",
            ["imports rtcpeer's public API (RTCPeerConnection)"],
        ),
        ("turn/server/command.py", "from rtcpeer.version import __version__\n", []),
    ],
)
def test_the_layer_check_catches_what_it_is_for(
    relative: str, source: str, expected: list[str]
) -> None:
    path = PACKAGE / relative
    found = _layer_violations(path, _layer(path), ast.parse(source))
    assert [f.split(" ", 1)[1] for f in found] == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import asyncio\n", 1),
        ("from time import monotonic\n", 1),
        ("import socket\nsocket.socket()\n", 1),
        ("from socket import socket\n", 1),
        ("import socket\nsocket.inet_ntop(socket.AF_INET, b'')\n", 0),
        ("import random\n", 0),
    ],
)
def test_the_sans_io_check_catches_what_it_is_for(source: str, expected: int) -> None:
    assert len(_io_uses(ast.parse(source))) == expected
