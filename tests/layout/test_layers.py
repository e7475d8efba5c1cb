"""The import contracts of pyproject.toml: `lint-imports` keeps them, and they catch a breach."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """`lint-imports` on the packages under `root`, with the contracts of this repository."""
    env = {**os.environ, "PYTHONPATH": str(root), "NO_COLOR": "1"}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_every_contract_is_kept() -> None:
    done = lint_imports(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 5 kept, 0 broken." in done.stdout


def copy_packages(target: Path) -> Path:
    for package in ("navigator", "tags", "walkthroughs"):
        shutil.copytree(REPO / package, target / package, ignore=shutil.ignore_patterns("__pycache__", "results"))
    return target


def test_an_upward_import_from_tags_breaks_the_layers(tmp_path: Path) -> None:
    root = copy_packages(tmp_path)
    store = root / "tags" / "store.py"
    store.write_text(store.read_text() + "\n\ndef _upward():\n    from navigator.queries import find\n")
    done = lint_imports(root)
    assert done.returncode == 1
    assert "tags.store -> navigator.queries" in done.stdout


def test_a_cycle_between_siblings_is_found(tmp_path: Path) -> None:
    root = copy_packages(tmp_path)
    static = root / "navigator" / "trace" / "static.py"
    static.write_text(static.read_text() + "\n\ndef _back():\n    from navigator.trace.live import compare\n")
    done = lint_imports(root)
    assert done.returncode == 1
    assert "No import cycles anywhere BROKEN" in done.stdout
