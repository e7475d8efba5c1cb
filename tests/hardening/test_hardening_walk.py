"""Walkthroughs shared by several `nav walk` processes (issue 15, items 17-18)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from navigator.walk.format import load_folder
from navigator.walk.runner import run_step
from navigator.walk.workspace import workspace_lock
from tests.helpers import REPO, write_walk

SAVER = """
import sys
from navigator.walk.progress import save_progress
for i in range(int(sys.argv[2])):
    save_progress(f"{sys.argv[1]}-{i}", i, f"step-{i}")
"""


def test_progress_saved_by_three_processes_at_once_loses_nothing(tmp_path: Path) -> None:
    """Item 17: without a lock, concurrent read-modify-writes lost saves (297 and 288 of 299).
    Whether main loses any in one run depends on scheduling; here every one must survive."""
    env = {**os.environ, "NAV_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    savers = [subprocess.Popen([sys.executable, "-c", SAVER, name, "150"], env=env) for name in "abc"]
    assert [p.wait(timeout=300) for p in savers] == [0, 0, 0]
    saved = json.loads((tmp_path / "cache" / "walk_progress.json").read_text())
    assert len(saved) == 450
    assert saved["b-149"] == {"done": 149, "step_id": "step-149"}


@pytest.fixture
def walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NAV_CACHE_DIR", str(tmp_path / "cache"))
    return load_folder(write_walk(tmp_path / "walks", "shared", '[[step]]\nkind = "narrative"\ntitle = "a"\ntext = "x"\n'))


def test_a_step_refuses_a_workspace_in_use_and_names_the_holder(walk) -> None:
    """Item 18: a second `nav walk` rebuilt the shared fastai copy under a running step."""
    with workspace_lock(walk.name, "step 3 (train) of nav walk shared"):
        result = run_step(walk, 0)
    assert not result.ok
    assert result.output.startswith(f"the workspace of walkthrough shared is in use by nav (pid {os.getpid()}, "
                                    "step 3 (train) of nav walk shared, since ")
    assert result.output.endswith("wait for that step to finish, or stop it")
    assert not (Path(os.environ["NAV_CACHE_DIR"]) / "walk" / "shared" / "site").exists()  # nothing rebuilt


def test_the_lock_is_released_after_the_step(walk) -> None:
    assert run_step(walk, 0).ok
    with workspace_lock(walk.name, "a later step"):
        pass
