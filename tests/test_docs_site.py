"""The documentation site (mkdocs.yml, docs/): the guide covers what issue 18 asks, its
Python snippets compile and import only what rtcpeer has, and the logging page names
loggers that exist. (``mkdocs build --strict`` itself runs in scripts/test.)"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NAV = re.findall(r":\s*([\w/.-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), flags=re.M)
GUIDE_PAGES = sorted([DOCS / "index.md", *(DOCS / "guide").glob("*.md")])
SNIPPETS = [
    (page.relative_to(DOCS).as_posix(), index, source)
    for page in GUIDE_PAGES
    for index, source in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), re.S))
]


def test_nav_lists_every_page_and_the_pages_exist() -> None:
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert set(NAV) == pages


@pytest.mark.parametrize(
    "topic",
    [
        "guide/configuration.md",
        "guide/ice-servers.md",
        "guide/region-moves.md",
        "guide/trickle.md",
        "guide/data-channels.md",
        "guide/media.md",
        "guide/events.md",
        "guide/stats.md",
        "guide/turn-server.md",
        "guide/signalling.md",
        "coming-from-aiortc.md",
        "decisions.md",
    ],
)
def test_the_guide_covers(topic: str) -> None:
    assert topic in NAV


def test_reference_pages_document_the_public_api() -> None:
    import rtcpeer

    pages = "".join(page.read_text() for page in (DOCS / "reference").glob("*.md"))
    documented = set(re.findall(r"^::: ([\w.]+)$", pages, re.M))

    def covered(name: str) -> bool:
        module = getattr(getattr(rtcpeer, name), "__module__", None)
        return f"rtcpeer.{name}" in documented or module in documented

    missing = [name for name in rtcpeer.__all__ if not name.startswith("_") and not covered(name)]
    assert not missing


def test_there_are_snippets() -> None:
    assert len(SNIPPETS) >= 12


@pytest.mark.parametrize(("page", "index", "source"), SNIPPETS, ids=lambda v: str(v)[:30])
def test_snippet_compiles_and_its_rtcpeer_imports_exist(page: str, index: int, source: str) -> None:
    name = f"{page} snippet {index}"
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    tree = compile(source, name, "exec", flags)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rtcpeer"):
            module = importlib.import_module(node.module or "")
            for alias in node.names:
                assert hasattr(module, alias.name), f"{name}: {node.module}.{alias.name}"


def test_logging_page_names_loggers_that_exist() -> None:
    named = set(re.findall(r"`(rtcpeer(?:\.[a-z_]+)*)`", (DOCS / "guide/logging.md").read_text()))
    layers = named - {"rtcpeer"}
    assert len(layers) >= 6
    modules_logging = {
        ".".join(path.relative_to(ROOT / "src").with_suffix("").parts)
        for path in (ROOT / "src/rtcpeer").rglob("*.py")
        if "getLogger(__name__)" in path.read_text()
    }
    for layer in layers:
        assert any(m == layer or m.startswith(layer + ".") for m in modules_logging), layer
