"""Fixtures of the TUI tests: the small sample package indexed once per test module (so one
module's recorded walkthrough progress never leaks into another's screens)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tags.store import Index
from tests.helpers import index_sample


@pytest.fixture(scope="module")
def sample_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_sample(tmp_path_factory.mktemp("tui-sample"))


@pytest.fixture
def index(sample_cache: Path):
    opened = Index.open(str(sample_cache))
    yield opened
    opened.close()
