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


@pytest.mark.skipif(subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode != 0,
                    reason="unshare -rm (user namespaces) unavailable")
def test_a_passing_step_whose_progress_cannot_be_saved_says_so(tmp_path: Path) -> None:
    """The progress file on a read-only mount (as on a full disk): `save_progress` raised out of
    the runner, a traceback after a step that had passed."""
    import shlex

    from navigator.walk.format import PATH_VARIABLE

    walks, cache = tmp_path / "walks", tmp_path / "cache"
    write_walk(walks, "two", "".join(f'[[step]]\nid = "s{n}"\nkind = "python"\ntitle = "Step {n}"\n'
                                     f"code = 'print({n})'\n" for n in (1, 2)))
    cache.mkdir()
    progress = cache / "walk_progress.json"
    progress.write_text("{}")
    quoted = shlex.quote(str(progress))
    nav = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "navigator", "walk", "two", "--auto"))
    script = (f"mount --bind {quoted} {quoted} && mount -o remount,bind,ro {quoted} && "
              f"NAV_CACHE_DIR={shlex.quote(str(cache))} PYTHONPATH={shlex.quote(str(REPO))} "
              f"{PATH_VARIABLE}={shlex.quote(str(walks))} NO_COLOR=1 COLUMNS=200 {nav}")
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout.count(f"nav: its progress could not be saved in {progress} (") == 2, done.stdout
    assert progress.read_text() == "{}"
