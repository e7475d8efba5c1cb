"""Faults around the index and the command line (issue 15, items 7-11): a one-line error and a
non-zero exit, never a traceback. The read-only file and the full disk are real: a read-only
bind mount and a 600 KB tmpfs inside a private user+mount namespace (`unshare -rm`)."""
from __future__ import annotations

import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, run_nav


def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0


needs_namespaces = pytest.mark.skipif(not _unshare_works(), reason="unshare -rm (user namespaces) unavailable")


def _in_namespace(setup: str, cache: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `setup` (mounts) then `nav ARGS` in a private mount namespace."""
    nav = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "navigator", *args))
    script = f"{setup} && NAV_CACHE_DIR={shlex.quote(str(cache))} PYTHONPATH={shlex.quote(str(REPO))} {nav}"
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=300)


def _source_tree(tmp_path: Path, files: int = 1) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(files):
        body = "".join(f"def fn_{i}_{j}(a, b):\n    \"\"\"Adds a and b, number {j}.\"\"\"\n    return a + b\n\n"
                       for j in range(40))
        (src / f"m{i}.py").write_text(body)
    return src


def _one_line_error(done: subprocess.CompletedProcess, phrase: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    assert phrase in done.stderr, done.stderr


@needs_namespaces
def test_read_only_index_file_after_a_source_changed(tmp_path: Path) -> None:
    """Item 7."""
    src, cache = _source_tree(tmp_path), tmp_path / "cache"
    run_nav("index", str(src), cache=cache, check=True)
    (src / "m0.py").write_text("def changed():\n    pass\n")
    db = shlex.quote(str(cache / "index.sqlite3"))
    done = _in_namespace(f"mount --bind {db} {db} && mount -o remount,bind,ro {db}", cache, "find", "changed")
    _one_line_error(done, "is read-only; make it writable, or set NAV_CACHE_DIR")


@needs_namespaces
def test_disk_full_mid_index(tmp_path: Path) -> None:
    """Item 8: 300 files do not fit a 600 KB tmpfs."""
    src, cache = _source_tree(tmp_path, files=300), tmp_path / "cache"
    cache.mkdir()
    done = _in_namespace(f"mount -t tmpfs -o size=600k tmpfs {shlex.quote(str(cache))}", cache, "index", str(src))
    _one_line_error(done, "is full; free some space and run the command again")


def test_index_locked_longer_than_the_wait(tmp_path: Path) -> None:
    """Item 9: another process holds the write lock throughout (NAV_INDEX_TIMEOUT shortens the 60 s wait)."""
    src, cache = _source_tree(tmp_path), tmp_path / "cache"
    run_nav("index", str(src), cache=cache, check=True)
    (src / "m0.py").write_text("def changed():\n    pass\n")
    holder = sqlite3.connect(cache / "index.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        done = run_nav("find", "changed", cache=cache, env={"NAV_INDEX_TIMEOUT": "0.2"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _one_line_error(done, "stayed locked by another nav process for over 0.2 s")


@pytest.mark.parametrize("args", [("find", "\udcff\udcfe"), ("show", "\udcff")])
def test_non_utf8_arguments(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Item 10: `nav find $'\\xff\\xfe'`; the surrogates are how Python passes those bytes on."""
    done = run_nav(*args, cache=tmp_path / "cache")
    _one_line_error(done, "is not valid UTF-8 text")
    assert done.returncode == 2


def test_a_long_query_is_not_echoed_in_full(tmp_path: Path) -> None:
    """A pasted 100,000-character query came back whole in the "no definition matches" line."""
    src, cache = _source_tree(tmp_path), tmp_path / "cache"
    run_nav("index", str(src), cache=cache, check=True)
    text = "q" * 50_000 + "z" * 50_000
    done = run_nav("find", text, cache=cache)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"nav: no definition matches {'q' * 30!r}...{'z' * 30!r} (100,000 characters)\n"
    shown = run_nav("show", text, cache=cache)
    assert shown.returncode == 1 and len(shown.stderr) < 200 and "(100,000 characters)" in shown.stderr


def test_huge_limit_means_all(tmp_path: Path) -> None:
    """Item 11: `--limit 99999999999999999999` overflowed SQLite's integers."""
    src, cache = _source_tree(tmp_path), tmp_path / "cache"
    run_nav("index", str(src), cache=cache, check=True)
    done = run_nav("find", "fn_0", "--limit", "99999999999999999999", cache=cache)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 40
