"""apply-codemod under hostile input and faults (issue 15, items 12, 13, 15, 16): refused or
recovered, with the checkout left exactly as it was."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from navigator.codemod import apply as patching
from navigator.codemod.registry import CodemodError
from tags.errors import NavError
from tests.codemod.test_codemod_notebook import LEARNER, NOTEBOOK, checkout
from tests.helpers import REPO


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NAV_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _snapshot(root: Path) -> dict[str, bytes | str]:
    """Every file's bytes (a link as its target), so "left as it was" is checked exactly."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(root))] = "-> " + os.readlink(path)
        elif path.is_file():
            found[str(path.relative_to(root))] = path.read_bytes()
    return found


@pytest.mark.parametrize("cell", [
    {"cell_type": "code", "source": None, "metadata": {}, "outputs": [], "execution_count": None},
    "a cell that is a string",
    {"cell_type": "code", "source": [1, 2], "metadata": {}, "outputs": [], "execution_count": None},
])
def test_malformed_notebook_cells_are_refused_and_nothing_written(tmp_path: Path, cell) -> None:
    """Item 12: these cells raised TypeError/AttributeError from the hand-written JSON reading."""
    root, notebook = checkout("2.7.4", tmp_path)
    notebook["cells"].insert(1, cell)
    (root / NOTEBOOK).write_text(json.dumps(notebook, indent=1))
    before = _snapshot(root)
    result = patching.apply_codemod("timm-normalize", root)
    assert result.status == "refused"
    assert result.refused[0].reason.startswith(f"{NOTEBOOK}: not a valid notebook (at cells/1")
    assert _snapshot(root) == before


@pytest.mark.parametrize("deep", ["1+" * 2000 + "1", "-" * 100_000 + "1"], ids=["2000-chained-plus", "100000-minus"])
def test_a_module_nested_too_deeply_is_refused_in_one_line(tmp_path: Path, cache_dir: Path, deep: str) -> None:
    """A learner.py ending in `x = 1+1+...` (2,000 terms) was a RecursionError traceback from libcst's
    visitors, and `x = ------...1` (100,000) killed nav with SIGSEGV in libcst's native parser; both
    are refused, nothing written. Run as a process: the crash would take pytest with it."""
    from tests.helpers import run_nav

    root, _ = checkout("2.7.4", tmp_path)
    with (root / LEARNER).open("a") as handle:
        handle.write(f"\nx = {deep}\n")
    before = _snapshot(root)
    done = run_nav("apply-codemod", "timm-normalize", str(root), cache=cache_dir)
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])
    assert done.stderr == (f"nav: error: {LEARNER}: the module nests too deeply to rewrite (an expression thousands "
                           "of levels deep); nothing written\n")
    assert _snapshot(root) == before


def _applied(tmp_path: Path) -> tuple[Path, dict]:
    root, _ = checkout("2.7.4", tmp_path)
    before = _snapshot(root)
    patching.apply_codemod("timm-normalize", root)
    assert _snapshot(root) != before
    return root, before


def _record(cache: Path) -> Path:
    (record,) = [p for p in (cache / "codemods").glob("*/[0-9]*")]
    return record


def test_undo_with_a_broken_manifest_is_refused_and_restores_nothing(tmp_path: Path, cache_dir: Path) -> None:
    """Item 13."""
    root, _ = _applied(tmp_path)
    (_record(cache_dir) / "manifest.json").write_text('{"files": [')
    patched = _snapshot(root)
    with pytest.raises(CodemodError, match=r"undo record .* is damaged \(JSONDecodeError"):
        patching.undo_codemod(root)
    assert _snapshot(root) == patched


def test_undo_with_a_missing_backup_is_refused_and_restores_nothing(tmp_path: Path, cache_dir: Path) -> None:
    """Item 13: one backup gone; restoring the other file alone would break all-or-nothing."""
    root, _ = _applied(tmp_path)
    (_record(cache_dir) / "1.orig").unlink()
    patched = _snapshot(root)
    with pytest.raises(CodemodError, match=r"lacks its backup .*1\.orig; nothing restored"):
        patching.undo_codemod(root)
    assert _snapshot(root) == patched


def test_symlinked_learner_is_refused_and_the_link_kept(tmp_path: Path) -> None:
    """Item 15: the link was replaced by a regular file, and undo did not bring it back.
    Decision: refuse (as git would not write through a link either); patch the target itself."""
    root, _ = checkout("2.7.4", tmp_path)
    real = tmp_path / "real_learner.py"
    (root / LEARNER).rename(real)
    (root / LEARNER).symlink_to(real)
    before, target_bytes = _snapshot(root), real.read_bytes()
    result = patching.apply_codemod("timm-normalize", root)
    assert result.status == "refused"
    assert result.refused[0].reason.startswith(f"{LEARNER}: is a symbolic link (to {real})")
    assert _snapshot(root) == before and real.read_bytes() == target_bytes
    direct = patching.apply_codemod("timm-normalize", real)  # the target, named explicitly
    assert direct.status == "applied" and (root / LEARNER).is_symlink()
    patching.undo_codemod(real)
    assert real.read_bytes() == target_bytes and (root / LEARNER).is_symlink()


def test_a_symlink_loop_fifo_or_device_as_the_path_is_one_clear_error(tmp_path: Path) -> None:
    """A symlink loop as PATH was a RuntimeError traceback (pathlib's resolve on Python 3.11); a
    FIFO or a device was called "no such file or directory". Neither is opened."""
    loop, fifo = tmp_path / "loop", tmp_path / "learner.py"
    loop.symlink_to(loop)
    os.mkfifo(fifo)
    for call in (lambda: patching.apply_codemod("timm-normalize", loop), lambda: patching.undo_codemod(loop)):
        with pytest.raises(NavError, match=r"loop: cannot be followed \(a symlink loop\?\)"):
            call()
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(NavError, match=f"^{path}: not a regular file or directory"):
            patching.apply_codemod("timm-normalize", path)


def test_kill_9_between_the_two_renames_is_rolled_back_by_the_next_run(tmp_path: Path, cache_dir: Path) -> None:
    """Item 16: killed after the module was replaced and before the notebook: the next run rolls
    the journal back (all or nothing), temporaries are gone, and a clean apply then works."""
    root, _ = checkout("2.7.4", tmp_path)
    before = _snapshot(root)
    marker = tmp_path / "paused"
    env = {**os.environ, "NAV_CACHE_DIR": str(cache_dir), "PYTHONPATH": str(REPO),
           "NAV_TEST_PAUSE_AFTER_RENAMES": "1", "NAV_TEST_PAUSE_MARKER": str(marker)}
    nav = subprocess.Popen([sys.executable, "-m", "navigator", "apply-codemod", "timm-normalize", str(root), "--force"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():  # waiting for the event, not racing it
            assert nav.poll() is None and time.monotonic() < deadline, "apply-codemod did not reach the pause"
            time.sleep(0.05)
    finally:
        nav.send_signal(signal.SIGKILL)
        nav.wait()
    torn = _snapshot(root)
    assert torn != before  # one file replaced, the other not: the state this test is about
    assert any(name.endswith(".nav-tmp") for name in torn)

    rolled = patching.recover_interrupted(root)
    assert len(rolled) == 1
    assert _snapshot(root) == before  # byte for byte, no temporaries
    with pytest.raises(CodemodError, match="no codemod applied"):
        patching.undo_codemod(root)
    result = patching.apply_codemod("timm-normalize", root, force=True)
    assert result.status == "applied"
    patching.undo_codemod(root)
    assert _snapshot(root) == before



def test_a_second_apply_waits_for_the_first_instead_of_rolling_it_back(tmp_path: Path, cache_dir: Path) -> None:
    """Two applies to one checkout at once: the second took the first one's journal, still being
    written, for an interrupted apply, rolled its files back and deleted it under it. Now it waits
    for the first to finish (here: to be killed), saying for whom, and then does its work."""
    root, _ = checkout("2.7.4", tmp_path)
    before = _snapshot(root)
    marker = tmp_path / "paused"
    env = {**os.environ, "NAV_CACHE_DIR": str(cache_dir), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "navigator", "apply-codemod", "timm-normalize", str(root), "--force"]
    first = subprocess.Popen(command, env={**env, "NAV_TEST_PAUSE_AFTER_RENAMES": "1", "NAV_TEST_PAUSE_MARKER": str(marker)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    second = None
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():  # the first is between its two renames, its journal pending
            assert first.poll() is None and time.monotonic() < deadline, "apply-codemod did not reach the pause"
            time.sleep(0.05)
        second = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        said = second.stderr.readline()  # blocks until the second says something: the wait, or (before) the rollback
        assert said == f"nav: waiting for nav (pid {first.pid}, applying timm-normalize, since " + said.split("since ")[-1]
        assert said.endswith(f") to finish with {root}\n") and second.poll() is None
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert "an interrupted apply of timm-normalize" in err and "timm-normalize: changed" in out  # rolled back, then applied
    patching.undo_codemod(root)
    assert _snapshot(root) == before

@pytest.mark.skipif(subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode != 0,
                    reason="unshare -rm (user namespaces) unavailable")
@pytest.mark.parametrize(("options", "fill", "why"), [
    ("size=64k", True, "No space left on device"),
    ("ro,size=64k", False, "Read-only file system"),  # the checkout's lock could not be made: a traceback
])
def test_a_full_or_read_only_cache_dir_stops_before_the_checkout_is_touched(
        tmp_path: Path, cache_dir: Path, options: str, fill: bool, why: str) -> None:
    """The undo record did not fit the cache dir: a traceback, and a half-written `.new-*`
    record left behind. Now one line, no record, and the checkout as it was."""
    import shlex

    root, _ = checkout("2.7.4", tmp_path)
    before = _snapshot(root)
    cache_dir.mkdir()
    quoted = shlex.quote(str(cache_dir))
    nav = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "navigator", "apply-codemod", "timm-normalize",
                                            str(root)))
    filling = f"(dd if=/dev/zero of={quoted}/fill bs=1k count=200 2>/dev/null; true) && " if fill else ""
    script = (f"mount -t tmpfs -o {options} tmpfs {quoted} && {filling}NAV_CACHE_DIR={quoted} "
              f"PYTHONPATH={shlex.quote(str(REPO))} {nav}; echo left: $(find {quoted} -name '.new-*')")
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().startswith("nav: error: cannot save the undo record under ")
    assert done.stderr.strip().endswith(f"({why}); nothing was changed in {root}")
    assert done.stdout.strip() == "left:" and _snapshot(root) == before
