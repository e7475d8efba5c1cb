"""Shared fixtures: a private cache dir per test, and an index of the installed fastai, timm,
fastcore and fasttransform (nav's default roots) shared by the session. Helper functions are in `tests/helpers.py`."""
from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest

from tests.helpers import run_nav


def _share_the_cores() -> None:
    """Give each pytest-xdist worker, and every process it starts, its share of the cores.

    torch's OpenMP threads spin while they wait: two workers each training with two threads on
    two cores ran 4x slower than with one thread each (28 s against 7 s for the same 300 steps).
    An OMP_NUM_THREADS set by the caller is kept.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    if workers <= 1 or "OMP_NUM_THREADS" in os.environ:
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1  # Linux; others
    threads = str(max(1, cores // workers))
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = threads
    if "torch" in sys.modules:  # read at torch's import: too late for this process
        sys.modules["torch"].set_num_threads(int(threads))


_share_the_cores()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Leave what the test modules imported (torch, timm, fastai, textual: about 800,000 objects)
    out of the garbage collector's full passes: each took 0.3 s, about 60 per worker and run."""
    gc.freeze()


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

