"""The package installs as documented: a built wheel in a clean virtualenv runs the
README's quickstart, says its version, and carries its licence and metadata."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _run(*argv: str | Path, cwd: Path | None = None) -> str:
    # The clean venv sees nothing of the source tree, even when the suite runs with it
    # on PYTHONPATH (pip would take a source checkout's metadata for an installed rtcpeer).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=600, cwd=cwd, env=env
    )
    assert result.returncode == 0, f"{argv}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


#: rtcpeer's wheel and its dependencies', collected by scripts/test before the tests
#: enter their private network namespace (no package index is reachable there).
WHEELHOUSE = Path(sys.prefix) / "wheelhouse"


@pytest.fixture(scope="module")
def wheel() -> Path:
    built = sorted(WHEELHOUSE.glob("rtcpeer-*.whl"))
    assert built, f"no rtcpeer wheel in {WHEELHOUSE}: run bash scripts/test, which builds it"
    return built[-1]


def test_metadata_is_true(wheel: Path) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_name).decode()
    assert any(n.endswith("licenses/LICENSE") for n in names), names
    assert "License-Expression: BSD-3-Clause" in metadata
    assert "Requires-Python: >=3.11" in metadata
    assert "Classifier: Programming Language :: Python :: 3.11" in metadata
    # aiohttp serves only examples/browser: an extra, not a dependency.
    assert not any(d.startswith("aiohttp") for d in project["dependencies"])
    assert re.search(r"Requires-Dist: aiohttp.*extra == \"examples\"", metadata)
    # The lowest Python the metadata admits is the one the aioice pin needs.
    assert sys.version_info[:2] >= (3, 11)
    assert "BSD 3-Clause License" in (ROOT / "LICENSE").read_text()
    assert "## Unreleased" in (ROOT / "CHANGELOG.md").read_text()


def test_wheel_in_a_clean_venv_runs_the_quickstart(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    _run(
        python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
        "--no-index", "--find-links", WHEELHOUSE, wheel,
    )  # fmt: skip
    version = _run(venv / "bin" / "rtcpeer", "--version").strip()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert version == f"rtcpeer {project['version']}"
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    out = _run(python, "-c", blocks[0], cwd=tmp_path)  # not the source tree
    assert out.strip().endswith("InvalidModificationError")
    where = _run(python, "-c", "import rtcpeer; print(rtcpeer.__file__, rtcpeer.__version__)")
    assert str(venv) in where and project["version"] in where
    readme = README.read_text()
    assert "pip install" in readme
