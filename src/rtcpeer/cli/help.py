"""What every subcommand's ``--help`` shares: its module docstring as the
description, without reStructuredText markup, and each option's default."""

from __future__ import annotations

import argparse
import re

#: ``literal`` and :role:`target` (Sphinx cross-references) in docstrings.
_LITERAL = re.compile(r"``([^`]+)``")
_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions laid out as written, and "(default: ...)" after each option's help."""


def command_description(docstring: str | None) -> str | None:
    """A subcommand module's docstring after its title line, as plain text."""
    if not docstring or "\n\n" not in docstring:
        return None
    body = docstring.split("\n\n", 1)[1]
    return _ROLE.sub(r"\1", _LITERAL.sub(r"\1", body))


__all__ = ["HelpFormatter", "command_description"]
