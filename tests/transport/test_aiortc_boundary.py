"""aiortc is reached only through rtcpeer.transport (DESIGN.md: one adapter).

Every module of the package outside ``rtcpeer/transport`` is parsed: none
may import aiortc (at any depth, under ``TYPE_CHECKING`` included), and
every other mention of aiortc must be prose -- a docstring, another string,
or a comment -- which is exactly what
``grep -rn aiortc src/rtcpeer | grep -v src/rtcpeer/transport/`` may show.
The private members of aiortc's classes that the adapter uses must not be
reached from outside it either.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "rtcpeer"
ADAPTER = PACKAGE / "transport"

#: aiortc internals the adapter uses (pinned by test_aiortc_contract.py),
#: each the name of a member of an aiortc object that rtcpeer never gives one
#: of its own classes. Reaching one from outside the adapter is a leak.
AIORTC_PRIVATE_MEMBERS = frozenset(
    {
        "_set_role",
        "_setReadyState",
        "_ssl",
        "_data_channel_send",
        "_data_channel_receive",
        "_data_channel_flush",
        "_data_channels",
        "_send_sack",
        "_sack_needed",
        "_sack_misordered",
        "_last_received_tsn",
        "_sent_queue",
        "_forward_tsn_chunk",
        "_inbound_streams",
        "_reconfig_deferred",
        "_association_state",
        "_data_receiver",
        "_handle_data",
        "_rx_srtp",
        "_rtp_router",
        "_handle_rtp_packet",
        "_handle_rtcp_packet",
        "_next_encoded_frame",
        "_enabled",
        "_rtx_ssrc",
        "_set_rtcp_ssrc",
    }
)


def _modules_outside_the_adapter() -> list[Path]:
    modules = [path for path in sorted(PACKAGE.rglob("*.py")) if ADAPTER not in path.parents]
    assert len(modules) > 50, "the package layout changed: update this test"
    return modules


def _aiortc_imports(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "aiortc"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            if node.module.split(".")[0] == "aiortc":
                found.append(node.module)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if name in ("__import__", "import_module") and any(
                isinstance(arg, ast.Constant) and str(arg.value).split(".")[0] == "aiortc"
                for arg in node.args
            ):
                found.append(str(getattr(node.args[0], "value", "?")))
    return found


def _non_prose_mentions(source: str) -> list[int]:
    """Lines where ``aiortc`` occurs in code, not in a string or comment."""
    lines: list[int] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.STRING, tokenize.COMMENT):
            continue
        if "aiortc" in token.string.lower():
            lines.append(token.start[0])
    return lines


def _private_member_uses(tree: ast.AST) -> list[tuple[int, str]]:
    return [
        (node.lineno, node.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in AIORTC_PRIVATE_MEMBERS
    ]


def test_no_module_outside_rtcpeer_transport_imports_aiortc() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): names
        for path in _modules_outside_the_adapter()
        if (names := _aiortc_imports(ast.parse(path.read_text(), str(path))))
    }
    assert offenders == {}


def test_outside_rtcpeer_transport_aiortc_is_only_named_in_prose() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): lines
        for path in _modules_outside_the_adapter()
        if (lines := _non_prose_mentions(path.read_text()))
    }
    assert offenders == {}


def test_no_module_outside_rtcpeer_transport_reaches_an_aiortc_internal() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): uses
        for path in _modules_outside_the_adapter()
        if (uses := _private_member_uses(ast.parse(path.read_text(), str(path))))
    }
    assert offenders == {}


def test_the_adapter_does_use_the_members_this_test_watches_for() -> None:
    """The watch list is aiortc's, not stale: each name is used inside the adapter."""
    used: set[str] = set()
    for path in ADAPTER.rglob("*.py"):
        used |= {attr for _, attr in _private_member_uses(ast.parse(path.read_text()))}
    assert AIORTC_PRIVATE_MEMBERS - used == set()


@pytest.mark.parametrize(
    ("source", "imports", "code_lines", "members"),
    [
        ("import aiortc.rtcsctptransport\n", ["aiortc.rtcsctptransport"], [1], []),
        ("from aiortc import RTCDataChannel\n", ["aiortc"], [1], []),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from aiortc import X\n",
            ["aiortc"],
            [3],
            [],
        ),
        ("m = __import__('aiortc')\n", ["aiortc"], [], []),
        ('"""Reuses aiortc."""\n# aiortc too\nx = 1\n', [], [], []),
        ("def f(dtls):\n    dtls._set_role('client')\n", [], [], [(2, "_set_role")]),
    ],
)
def test_the_checks_catch_what_they_are_for(
    source: str, imports: list[str], code_lines: list[int], members: list[tuple[int, str]]
) -> None:
    tree = ast.parse(source)
    assert _aiortc_imports(tree) == imports
    assert _non_prose_mentions(source) == code_lines
    assert _private_member_uses(tree) == members
