"""MkDocs hook: render the Sphinx roles rtcpeer's docstrings use as plain code.

The docstrings are written for ``help()`` and Sphinx alike (``:class:`Foo```,
``:meth:`~pkg.Foo.bar```); mkdocstrings leaves the role name in front of the
code span. This drops it (and the ``~`` that means "show the last part").
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const):(<code>)(~?)([^<]*)")


def _replace(match: re.Match[str]) -> str:
    target = match.group(3)
    if match.group(2):
        target = target.rsplit(".", 1)[-1]
    return f"{match.group(1)}{target}"


def on_page_content(html: str, **_: Any) -> str:
    return _ROLE.sub(_replace, html)
