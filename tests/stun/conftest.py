"""Make ``tests.support`` and sibling helpers importable under plain ``pytest``
too (``python -m pytest`` already has the repository root on sys.path).
Redundant once pyproject sets ``pythonpath = ["."]`` for pytest."""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
