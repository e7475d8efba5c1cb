"""Shared fixtures: a private cache dir per test, and an index of the installed fastai, timm,
fastcore and fasttransform (nav's default roots) shared by the session. Helper functions are in `tests/helpers.py`."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_nav


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, private index location for one test."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("NAV_CACHE_DIR", str(directory))
    return directory


@pytest.fixture(scope="session")
def installed_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index of the installed fastai, timm, fastcore and fasttransform, built once for the whole session."""
    directory = tmp_path_factory.mktemp("installed-cache")
    run_nav("index", cache=directory, check=True)
    return directory


@pytest.fixture
def installed(installed_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point in-process calls at the shared index of the default roots."""
    monkeypatch.setenv("NAV_CACHE_DIR", str(installed_cache))
    return installed_cache


@pytest.fixture(scope="session")
def release_env() -> dict[str, str]:
    """Environment for `nav` commands that read past releases: the wheels tests/helpers.py
    downloads, and the releases' indexes, both kept in the shared test cache between runs."""
    from tests.helpers import cache_dir

    shared = cache_dir()
    return {"NAV_RELEASE_ARCHIVES": str(shared / "wheels"), "NAV_RELEASES_DIR": str(shared / "nav-releases")}

