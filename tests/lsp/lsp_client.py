"""What the `nav lsp` tests share: the user script they open and the server command."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.helpers import run_nav

REPO = Path(__file__).resolve().parents[2]
SERVER_COMMAND = [sys.executable, "-m", "navigator", "lsp"]

TRAINING_SCRIPT = """\
from fastai.vision.all import *

path = untar_data(URLs.PETS)/'images'
dls = ImageDataLoaders.from_name_func(path, get_image_files(path), valid_pct=0.2,
                                      label_func=lambda x: x[0].isupper(), item_tfms=Resize(224))
learn = vision_learner(dls, resnet34, metrics=error_rate)
learn.fine_tune(1)
dls.add_tfms([], 'after_item')
"""


def server_environment(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point servers started from now on at `cache` and at this checkout of nav.

    pytest-lsp starts the server before fixtures of the client fixture run, so the server
    inherits the environment; a module-scoped fixture sets it and puts it back afterwards.
    """
    monkeypatch.setenv("NAV_CACHE_DIR", str(cache))
    monkeypatch.setenv("PYTHONPATH", str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def position_of(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    """(0-based line, character) of `needle`'s first occurrence in `text`, plus `offset` characters."""
    before = text[: text.index(needle)]
    return before.count("\n"), len(before.rpartition("\n")[2]) + offset


def indexed_package(root: Path, name: str, modules: dict[str, str]) -> Path:
    """A package `name` under `root` holding `modules` (file name -> text) and an `__init__.py`,
    indexed into `root / "cache"`, which it returns."""
    (root / name).mkdir()
    for file_name, text in {"__init__.py": "", **modules}.items():
        (root / name / file_name).write_text(text, encoding="utf-8")
    run_nav("index", str(root / name), cache=root / "cache", check=True)
    return root / "cache"
