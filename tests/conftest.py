"""Shared fixtures: a private cache dir per test, an index of the installed fastai and timm
shared by the session, and a way to run `nav` as a real process."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_nav(*args: str, cache: Path, check: bool = False, env: dict | None = None,
            timeout: float = 600, cwd: Path | None = None, input_text: str | None = None) -> subprocess.CompletedProcess:
    """`nav ARGS` in a subprocess with its own cache dir; text output captured, `input_text` on stdin."""
    environment = {**os.environ, "NAV_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO), "NO_COLOR": "1",
                   "COLUMNS": "200", **(env or {})}
    done = subprocess.run([sys.executable, "-m", "navigator", *args], capture_output=True, text=True,
                          env=environment, timeout=timeout, cwd=cwd, input=input_text)
    if check and done.returncode != 0:
        raise AssertionError(f"nav {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, private index location for one test."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("NAV_CACHE_DIR", str(directory))
    return directory


@pytest.fixture(scope="session")
def installed_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index of the installed fastai and timm, built once for the whole session."""
    directory = tmp_path_factory.mktemp("installed-cache")
    run_nav("index", cache=directory, check=True)
    return directory


@pytest.fixture
def installed(installed_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point in-process calls at the shared index of the installed fastai and timm."""
    monkeypatch.setenv("NAV_CACHE_DIR", str(installed_cache))
    return installed_cache


def site_file(package: str, relative: str) -> Path:
    """The path of a file of an installed package, found without importing it."""
    from importlib.util import find_spec

    spec = find_spec(package)
    assert spec is not None and spec.submodule_search_locations, f"{package} is not installed"
    return Path(next(iter(spec.submodule_search_locations))).resolve() / relative


def line_of(path: Path, text: str) -> int:
    """The 1-based line where `text` first starts a line (stripped), read from the file itself."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.lstrip().startswith(text):
            return number
    raise AssertionError(f"{text!r} not found in {path}")
