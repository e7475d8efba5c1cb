"""A walkthrough's private copy of the installed fastai package, under the cache dir.

Walkthroughs rewrite fastai with codemods and run code against the result; doing that in
site-packages would break the user's fastai. Each walkthrough gets its own copy (found with
importlib specs, never imported), and a small state file remembering which of its codemod
steps have been applied, so that jumping to any step can put the copy in the right shape.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Iterator

from tags.atomic import write_json_atomic
from tags.discovery import package_dir
from tags.errors import NavError
from tags.store import cache_dir

STATE_FILE = "state.json"
LOCK_FILE = "lock"


@dataclass(frozen=True)
class Workspace:
    """Where a walkthrough's code runs: `site` goes first on sys.path, `scratch` holds its files."""

    root: Path
    applied: tuple[str, ...]  # ids of the codemod steps applied to the copy, in order
    source: str  # the installed fastai package that was copied
    fastai_version: str

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def package(self) -> Path:
        return self.site / "fastai"

    @property
    def scratch(self) -> Path:
        return self.root / "scratch"


def installed_fastai() -> Path:
    """The installed fastai package folder, located without importing fastai."""
    path = package_dir("fastai")
    if path is None:
        raise NavError("fastai is not installed in this environment: pip install fastai")
    return path


def workspace_root(name: str) -> Path:
    return Path(cache_dir()) / "walk" / name


@contextmanager
def workspace_lock(name: str, doing: str) -> Iterator[None]:
    """Hold walkthrough `name`'s workspace for one step: a second `nav walk` rebuilding the copy
    under a running step would make it fail for no real reason. Refused at once, naming the holder."""
    from tags.locks import LockHeld, file_lock

    try:
        with file_lock(workspace_root(name) / LOCK_FILE, wait=False, doing=doing):
            yield
    except LockHeld as held:
        raise NavError(f"the workspace of walkthrough {name} is in use by {held.holder}; "
                       "wait for that step to finish, or stop it") from None


def open_workspace(name: str, reset: bool = False) -> Workspace:
    """The workspace of walkthrough `name`, built on first use or when `reset` asks for it."""
    root = workspace_root(name)
    state = _read_state(root)
    stale = state is None or (state["source"], state["version"]) != (str(installed_fastai()), _installed_version())
    if reset or stale or not (root / "site" / "fastai" / "__init__.py").is_file():
        return build_workspace(name, clear_scratch=reset)  # first use, or fastai changed since the copy
    return Workspace(root, tuple(state["applied"]), state["source"], state["version"])


def build_workspace(name: str, clear_scratch: bool = False) -> Workspace:
    """Copy the installed fastai afresh; the old copy is replaced only once the new one is whole.

    The scratch folder (checkpoints, experiment caches) survives unless `clear_scratch`: going
    back past a codemod step needs a fresh copy of fastai, not a new pretraining run.
    """
    source = installed_fastai()
    root = workspace_root(name)
    root.mkdir(parents=True, exist_ok=True)
    for leftover in [*root.glob(".site-*"), *root.glob(".old-*")]:  # from a build that was interrupted
        shutil.rmtree(leftover, ignore_errors=True)
    fresh = Path(tempfile.mkdtemp(dir=root, prefix=".site-"))
    shutil.copytree(source, fresh / "fastai", ignore=shutil.ignore_patterns("__pycache__"))
    old = root / "site"
    if old.exists():
        trash = Path(tempfile.mkdtemp(dir=root, prefix=".old-"))
        old.rename(trash / "site")
        shutil.rmtree(trash, ignore_errors=True)
    fresh.rename(old)
    from navigator.codemod.apply import forget_records

    forget_records(old / "fastai")  # undo records of codemods applied to the copy just replaced
    if clear_scratch:
        shutil.rmtree(root / "scratch", ignore_errors=True)
    (root / "scratch").mkdir(exist_ok=True)
    workspace = Workspace(root, (), str(source), _installed_version())
    save_state(workspace)
    return workspace


def _installed_version() -> str:
    try:
        return version("fastai")
    except PackageNotFoundError:
        return "unknown"


def save_state(workspace: Workspace) -> None:
    write_json_atomic(workspace.root / STATE_FILE, {
        "applied": list(workspace.applied), "source": workspace.source, "version": workspace.fastai_version})


def _read_state(root: Path) -> dict | None:
    try:
        state = json.loads((root / STATE_FILE).read_text())
    except (OSError, ValueError, RecursionError):
        return None
    keys = {"applied", "source", "version"}
    return state if isinstance(state, dict) and keys <= state.keys() else None
