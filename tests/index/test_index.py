"""The on-disk index: incremental refresh, bad input, schema changes, corruption, Ctrl-C, concurrency."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tags.discovery import Root
from tags.extract import parse_file
from tags.indexer import add_targets, fresh_index, refresh, with_index
from tags.store import INDEX_FILE, CorruptIndex, Index, ModuleImport
from tests.helpers import REPO, make_package, run_nav, site_file, with_ctrl_c


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return make_package(tmp_path / "src" / "mypkg", {
        "__init__.py": "from .core import *\n",
        "core.py": "class Core:\n    def run(self): pass\n\ndef helper(x):\n    return Core().run()\n",
        "sub/__init__.py": "",
        "sub/tools.py": "def tool(): pass\n",
    })


def indexed(cache: Path, package: Path) -> Index:
    index = Index.open(str(cache))
    roots = add_targets(index, [Root(str(package.resolve()), package.name, "directory")])
    refresh(index, roots, progress=False)
    return index


def names(index: Index) -> set[tuple[str, str, int]]:
    rows = index.rows("SELECT f.module, d.qualname, d.line FROM defs d JOIN files f ON f.id = d.file_id")
    return set(rows)


def assert_consistent(db_path: Path) -> None:
    """Every row belongs to a file, every file has its module row, and matches a fresh parse."""
    db = sqlite3.connect(db_path)
    orphans = db.execute("SELECT count(*) FROM defs WHERE file_id NOT IN (SELECT id FROM files)").fetchone()[0]
    orphans += db.execute("SELECT count(*) FROM file_sites WHERE file_id NOT IN (SELECT id FROM files)").fetchone()[0]
    assert orphans == 0
    index = Index.open(str(db_path.parent))
    def_ids = {row.id for row in index.definition_rows()}
    assert all(call.def_id in def_ids for call in index.call_sites())
    assert all(row.def_id in def_ids for row in index.import_rows())
    index.close()
    for file_id, path, module, status in db.execute("SELECT id, path, module, status FROM files"):
        count = db.execute("SELECT count(*) FROM defs WHERE file_id=?", (file_id,)).fetchone()[0]
        if status in ("ok", "partial", "syntax-error"):
            expected = len(parse_file(path, module, os.path.getsize(path), 0).definitions)
            assert count == expected, f"{path}: {count} definitions stored, {expected} in the file"
    db.close()


def test_modules_are_named_from_packages(cache: Path, package: Path) -> None:
    index = indexed(cache, package)
    found = names(index)
    assert {("mypkg.core", "Core.run", 2), ("mypkg.core", "helper", 4), ("mypkg.sub.tools", "tool", 1)} <= found
    assert ("mypkg", "mypkg", 1) in found  # the package's own module definition


def call_sites(index: Index) -> set[tuple[str, str, str, int, int]]:
    """(module, enclosing definition, callee, line, col) of every stored call site."""
    defs = {row.id: row.qualname for row in index.definition_rows()}
    modules = {file.id: file.module for file in index.indexed_files()}
    return {(modules[c.file_id], defs[c.def_id], c.callee, c.line, c.col) for c in index.call_sites()}


def test_call_sites_and_imports_are_stored_per_file_and_follow_an_edit(cache: Path, package: Path) -> None:
    """They are kept packed, one value per file: read back they name the file's definitions by id,
    and an edited file's replace its old ones."""
    index = indexed(cache, package)
    assert call_sites(index) == {("mypkg.core", "helper", "Core", 5, 12), ("mypkg.core", "helper", "Core().run", 5, 12)}
    init = next(file.id for file in index.indexed_files() if file.module == "mypkg")
    module_def = next(row.id for row in index.definition_rows() if row.file_id == init and row.kind == "module")
    assert [tuple(row) for row in index.import_rows()] == [(init, module_def, "mypkg.core", "*", "")]
    assert list(index.module_imports()) == [ModuleImport("mypkg.core", "*", "mypkg")]

    core = package / "core.py"
    core.write_text("import os\n\n" + core.read_text().replace("Core().run()", "os.getcwd()"))
    assert refresh(index, progress=False).parsed == 1
    assert call_sites(index) == {("mypkg.core", "helper", "os.getcwd", 7, 12)}
    assert sorted((row.module, row.name, row.importer) for row in index.module_imports()) == [
        ("mypkg.core", "*", "mypkg"), ("os", "", "mypkg.core")]


def test_damaged_call_sites_are_a_corrupt_index_that_is_rebuilt(cache: Path, package: Path) -> None:
    """Bytes that do not unpack are not a crash: the index is rebuilt, as for a damaged page."""
    index = indexed(cache, package)
    with index.transaction():
        index.db.execute("UPDATE file_sites SET calls = x'00ff'")
    with pytest.raises(CorruptIndex):
        list(index.call_sites())
    index.close()

    def sites(index: Index) -> set[tuple[str, str, str, int, int]]:
        fresh_index(index, progress=False)
        return call_sites(index)

    assert ("mypkg.core", "helper", "Core().run", 5, 12) in with_index(sites, str(cache))
    assert (cache / (INDEX_FILE + ".old")).exists()


def test_refresh_parses_only_what_changed(cache: Path, package: Path) -> None:
    index = indexed(cache, package)
    core = package / "core.py"

    os.utime(core, ns=(time.time_ns(), time.time_ns() + 10**9))  # touched, same bytes
    report = refresh(index, progress=False)
    assert (report.parsed, report.removed) == (0, 0)

    core.write_text(core.read_text() + "\ndef added():\n    pass\n")
    report = refresh(index, progress=False)
    assert report.parsed == 1 and ("mypkg.core", "added", 7) in names(index)

    (package / "sub" / "tools.py").unlink()
    (package / "sub" / "new.py").write_text("class New: pass\n")
    report = refresh(index, progress=False)
    assert (report.parsed, report.removed) == (1, 1)
    found = names(index)
    assert ("mypkg.sub.new", "New", 1) in found and not any(m == "mypkg.sub.tools" for m, _, _ in found)
    assert_consistent(cache / INDEX_FILE)


def test_queries_are_never_stale(cache: Path, package: Path) -> None:
    run_nav("index", str(package), cache=cache, check=True)
    (package / "core.py").write_text("def brand_new_function():\n    pass\n")
    done = run_nav("find", "brand_new_function", cache=cache)
    assert done.returncode == 0
    assert done.stdout.startswith(f"{(package / 'core.py').resolve()}:1:1: function brand_new_function()")
    assert run_nav("find", "helper", cache=cache).returncode == 1, "a deleted definition is gone"


def test_roots_lists_counts_and_versions(cache: Path, package: Path) -> None:
    (package / "__init__.py").write_text("__version__ = '1.2.3'\nfrom .core import *\n")
    run_nav("index", str(package), cache=cache, check=True)
    roots = json.loads(run_nav("roots", "--json", cache=cache, check=True).stdout)
    assert roots == [{"name": "mypkg", "version": "1.2.3", "origin": "directory", "path": str(package.resolve()),
                      "files": 4, "definitions": 9, "problems": 0}]


def test_installed_package_by_name_is_found_without_import(cache: Path) -> None:
    done = run_nav("index", "fastai", cache=cache, check=True)
    assert str(site_file("fastai", "")).rstrip("/") in done.stdout
    code = ("import sys; from tags.discovery import installed_package; r = installed_package('fastai');"
            "print(r.version, 'fastai' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO).stdout.split()
    assert out[1:] == ["False", "False"] and out[0][0].isdigit()


def test_an_installed_package_that_moved_is_followed_and_a_vanished_index_starts_again(cache: Path,
                                                                                        tmp_path: Path) -> None:
    """A venv recreated elsewhere (CI's fresh venvs, a user's rebuilt one) must not leave the index
    empty: the package is looked up again by name, and when nothing is left the defaults return."""
    files = {"navmoved/__init__.py": "", "navmoved/core.py": "class Mover:\n    pass\n"}
    old_site, new_site = make_package(tmp_path / "old-venv", files), make_package(tmp_path / "new-venv", files)

    def on_path(site: Path) -> dict[str, str]:
        return {"PYTHONPATH": f"{REPO}{os.pathsep}{site}", "NAV_PACKAGES": "navmoved"}

    run_nav("index", "navmoved", cache=cache, env=on_path(old_site), check=True)
    shutil.rmtree(old_site)

    found = run_nav("find", "Mover", cache=cache, env=on_path(new_site), check=True)
    moved = (new_site / "navmoved").resolve()
    assert f"{moved / 'core.py'}:1:" in found.stdout
    assert f"{(old_site / 'navmoved').resolve()}: no longer exists; navmoved is indexed from {moved} instead" in found.stderr
    roots = json.loads(run_nav("roots", "--json", cache=cache, env=on_path(new_site), check=True).stdout)
    assert [(r["path"], r["origin"], r["files"]) for r in roots] == [(str(moved), "package", 2)]

    other = make_package(tmp_path / "gone", {"gonepkg/__init__.py": "def gone(): pass\n"})
    run_nav("index", "--remove", str(moved), cache=cache, env=on_path(new_site), check=True)
    run_nav("index", str(other / "gonepkg"), cache=cache, env=on_path(new_site), check=True)
    shutil.rmtree(other)
    again = run_nav("find", "Mover", cache=cache, env=on_path(new_site), check=True)
    assert f"{moved / 'core.py'}:1:" in again.stdout and "dropped from the index" in again.stderr


def test_a_package_root_is_the_package_this_python_imports(cache: Path, tmp_path: Path) -> None:
    """One cache, two environments (a second venv, CI's fresh one): a root registered by package name
    follows the Python running nav while the other environment's copy still exists."""
    files = {"navswitch/__init__.py": "", "navswitch/core.py": "class Switcher:\n    pass\n"}
    first, second = make_package(tmp_path / "venv-a", files), make_package(tmp_path / "venv-b", files)
    (second / "navswitch" / "core.py").write_text("\n\nclass Switcher:\n    pass\n")  # line 3 in venv-b
    package_a, package_b = (first / "navswitch").resolve(), (second / "navswitch").resolve()

    def on_path(site: Path | None) -> dict[str, str]:
        return {"PYTHONPATH": f"{REPO}{os.pathsep}{site}" if site else str(REPO), "NAV_PACKAGES": "navswitch"}

    def roots(site: Path | None) -> list[tuple[str, str]]:
        listed = json.loads(run_nav("roots", "--json", cache=cache, env=on_path(site), check=True).stdout)
        return [(r["path"], r["origin"]) for r in listed]

    run_nav("index", "navswitch", cache=cache, env=on_path(first), check=True)
    found = run_nav("find", "Switcher", cache=cache, env=on_path(second), check=True)
    assert f"{package_b / 'core.py'}:3:" in found.stdout and str(package_a) not in found.stdout
    assert f"{package_a}: not the navswitch this Python imports; navswitch is indexed from {package_b} instead" \
        in found.stderr
    assert roots(second) == [(str(package_b), "package")]
    again = run_nav("find", "Switcher", cache=cache, env=on_path(second), check=True)
    assert "this Python imports" not in again.stderr, "looked up once per environment"

    elsewhere = run_nav("find", "Switcher", cache=cache, env=on_path(None), check=True)  # not installed there
    assert f"{package_b / 'core.py'}:3:" in elsewhere.stdout and "this Python imports" not in elsewhere.stderr

    indexed = run_nav("index", "navswitch", cache=cache, env=on_path(first), check=True)
    assert f"{package_b}: not the navswitch this Python imports; replacing that root with {package_a}" in indexed.stderr
    assert roots(first) == [(str(package_a), "package")]
    assert f"{package_a / 'core.py'}:1:" in run_nav("find", "Switcher", cache=cache, env=on_path(first), check=True).stdout


def test_a_vanished_index_with_no_default_package_installed_says_what_vanished(cache: Path, tmp_path: Path) -> None:
    other = make_package(tmp_path / "gone", {"gonepkg/__init__.py": "def gone(): pass\n"})
    env = {"NAV_PACKAGES": "navnotinstalled"}
    run_nav("index", str(other / "gonepkg"), cache=cache, env=env, check=True)
    shutil.rmtree(other)
    done = run_nav("find", "gone", cache=cache, env=env)
    assert done.returncode != 0 and done.stdout == ""
    expected = (f"nav: error: every indexed folder is gone ({(other / 'gonepkg').resolve()}); none of "
                "navnotinstalled is installed here; give a directory: nav index DIR (or set NAV_PACKAGES)")
    assert done.stderr.strip().splitlines() == [expected]


def test_a_run_killed_while_following_a_moved_package_loses_neither_root(cache: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The move is two writes; a run killed after the first must leave the package findable."""
    import tags.discovery

    files = {"navmoved/__init__.py": "", "navmoved/core.py": "class Mover:\n    pass\n"}
    old = make_package(tmp_path / "old-venv", files) / "navmoved"
    new = (make_package(tmp_path / "new-venv", files) / "navmoved").resolve()
    index = Index.open(str(cache))
    refresh(index, index.add_roots([Root(str(old.resolve()), "navmoved", "package")]), progress=False)
    shutil.rmtree(old.parent)
    monkeypatch.setattr(tags.discovery, "installed_package", lambda name: Root(str(new), name, "package"))

    class Killed(BaseException):
        pass

    real_save = Index.save_roots_file

    def save_then_die(self: Index) -> None:  # the first committed write of the move, then the kill
        real_save(self)
        raise Killed

    monkeypatch.setattr(Index, "save_roots_file", save_then_die)
    with pytest.raises(Killed):
        refresh(index, progress=False)
    monkeypatch.setattr(Index, "save_roots_file", real_save)
    index.close()

    index = Index.open(str(cache))
    report = refresh(index, progress=False)
    assert [(r.path, r.origin) for r in index.roots()] == [(str(new), "package")]
    assert f"{old.resolve()}: no longer exists; dropped from the index" in report.notes
    assert (str(new / "core.py"), "Mover") in set(index.rows(
        "SELECT f.path, d.qualname FROM defs d JOIN files f ON f.id = d.file_id WHERE d.name = 'Mover'"))
    index.close()


def test_bad_targets_give_one_line_errors(cache: Path, tmp_path: Path) -> None:
    for target, expected in ((str(tmp_path / "missing"), "no such directory"), ("no_such_package_xyz", "no such directory")):
        done = run_nav("index", target, cache=cache)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert done.stderr.count("\n") == 1 and expected in done.stderr
    (tmp_path / "file.py").write_text("x = 1\n")
    done = run_nav("index", str(tmp_path / "file.py"), cache=cache)
    assert done.returncode == 2 and "not a directory" in done.stderr


def test_awkward_files_are_indexed_or_noted_never_a_traceback(cache: Path, tmp_path: Path) -> None:
    root = make_package(tmp_path / "odd", {
        "__init__.py": "",
        "empty.py": "",
        "broken.py": "def fine():\n    pass\n\ndef broken(:\n    pass\n\nclass StillFound:\n    pass\n",
    })
    (root / "latin.py").write_bytes("def caf\u00e9(): return 1\n".encode("latin-1"))
    (root / "huge.py").write_bytes(b"x = 1\n" * 800_000)  # 4.8 MB
    (root / "loop").symlink_to(root)
    (root / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    done = run_nav("index", str(root), cache=cache)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    messages = done.stderr
    assert "broken.py: syntax error at line 4" in messages
    assert "latin.py: not UTF-8" in messages
    assert "huge.py: skipped: 4.8 MB is over the 4 MB limit" in messages
    assert "dangling.py: unreadable" in messages
    assert "symlink loop" in messages
    found = run_nav("find", "StillFound", cache=cache, check=True).stdout
    assert found.startswith(f"{root.resolve() / 'broken.py'}:7:1: class StillFound")
    assert run_nav("find", "café", cache=cache, check=True).stdout.startswith(f"{root.resolve() / 'latin.py'}:1:1:")


def test_a_target_given_twice_is_indexed_once_and_removing_an_unindexed_one_says_so(cache: Path, package: Path,
                                                                                    tmp_path: Path) -> None:
    """`nav index DIR DIR` parsed every file twice; `--remove` of a directory never indexed said nothing."""
    done = run_nav("index", str(package), str(package), cache=cache, check=True)
    assert done.stdout.splitlines() == [f"mypkg: 4 files  ({package.resolve()})"]
    assert done.stderr.startswith("parsed 4, removed 0")
    other = tmp_path / "elsewhere"
    other.mkdir()
    removed = run_nav("index", "--remove", str(other), str(package), cache=cache)
    assert removed.returncode == 1 and removed.stdout == f"removed mypkg ({package.resolve()})\n"
    assert removed.stderr == f"nav: {other.resolve()} is not an indexed root (`nav roots` lists them); nothing removed\n"


def test_remove_without_a_target_is_refused_and_keeps_the_roots(cache: Path, package: Path) -> None:
    """`nav index --remove` alone dropped the default roots (fastai and timm) from the index."""
    run_nav("index", str(package), cache=cache, check=True)
    refused = run_nav("index", "--remove", cache=cache)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == "nav: error: --remove needs the roots to drop (`nav roots` lists them)\n"
    assert str(package.resolve()) in run_nav("roots", "--json", cache=cache, check=True).stdout


def test_schema_change_rebuilds_with_a_message(cache: Path, package: Path) -> None:
    run_nav("index", str(package), cache=cache, check=True)
    db = sqlite3.connect(cache / INDEX_FILE)
    db.execute("UPDATE meta SET value='0' WHERE key='schema_version'")
    db.commit()
    db.close()
    done = run_nav("find", "helper", cache=cache)
    assert done.returncode == 0 and "index format changed (version 0 -> " in done.stderr
    assert "core.py:4:1: function helper(x)" in done.stdout


def test_a_rebuild_after_the_venv_moved_follows_the_packages(cache: Path, tmp_path: Path) -> None:
    """A new index format rebuilds from the saved roots; those of a venv that is gone (CI's fresh
    venv each run) were dropped, the rebuilt index was empty and `nav find` found nothing."""
    files = {"navmoved/__init__.py": "", "navmoved/core.py": "class Mover:\n    pass\n"}
    old_site, new_site = make_package(tmp_path / "old-venv", files), make_package(tmp_path / "new-venv", files)
    run_nav("index", "navmoved", cache=cache, check=True,
            env={"PYTHONPATH": f"{REPO}{os.pathsep}{old_site}", "NAV_PACKAGES": "navmoved"})
    shutil.rmtree(old_site)
    db = sqlite3.connect(cache / INDEX_FILE)
    db.execute("UPDATE meta SET value='0' WHERE key='schema_version'")
    db.commit()
    db.close()
    found = run_nav("find", "Mover", cache=cache, env={"PYTHONPATH": f"{REPO}{os.pathsep}{new_site}"})  # not a default package
    assert found.returncode == 0 and "index format changed (version 0 -> " in found.stderr, found.stderr
    assert f"{(new_site / 'navmoved' / 'core.py').resolve()}:1:" in found.stdout


def damaged_tables(path: Path) -> bytes:
    """The index with the root page of every table but `meta` overwritten: it opens (the schema
    and its version read fine), and the first query that reads a table finds the damage."""
    db = sqlite3.connect(path)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    roots = [page for (page,) in db.execute("SELECT rootpage FROM sqlite_master WHERE type='table' "
                                            "AND name NOT IN ('meta', 'sqlite_sequence') AND rootpage > 1")]
    db.close()
    data = bytearray(path.read_bytes())
    for page in roots:
        start = (page - 1) * page_size
        data[start:start + page_size] = b"\xde\xad" * (page_size // 2)
    return bytes(data)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "tables"])
def test_corrupted_index_is_rebuilt_with_a_message(cache: Path, package: Path, damage: str) -> None:
    run_nav("index", str(package), cache=cache, check=True)
    path = cache / INDEX_FILE
    run_nav("find", "helper", cache=cache, check=True)  # folds the WAL into the main file
    data = path.read_bytes()
    damaged = {"garbage": b"this is not a database" * 100, "truncated": data[: len(data) // 3]}
    path.write_bytes(damaged[damage] if damage in damaged else damaged_tables(path))
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    done = run_nav("find", "helper", cache=cache)
    assert done.returncode == 0, done.stderr
    assert "unreadable" in done.stderr and "rebuilding" in done.stderr and "Traceback" not in done.stderr
    assert "core.py:4:1: function helper(x)" in done.stdout


def copy_of_timm(tmp_path: Path, copies: int) -> Path:
    """A large tree to index: several copies of the installed timm."""
    base = tmp_path / "big"
    for i in range(copies):
        shutil.copytree(site_file("timm", ""), base / f"copy{i}" / "timm", ignore=shutil.ignore_patterns("__pycache__"))
    return base


def test_ctrl_c_leaves_a_consistent_index_that_the_next_run_completes(cache: Path, tmp_path: Path) -> None:
    tree = copy_of_timm(tmp_path, 3)
    total = sum(1 for _ in tree.rglob("*.py"))
    env = {**os.environ, "NAV_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    marker = tmp_path / "paused"
    env = {**env, "NAV_TEST_PAUSE_AFTER": "40", "NAV_TEST_PAUSE_MARKER": str(marker)}
    process = subprocess.Popen(with_ctrl_c([sys.executable, "-m", "navigator", "index", str(tree)]), env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db_path = cache / INDEX_FILE
    while not marker.exists() and process.poll() is None:  # the run says when 40 files are committed
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    with sqlite3.connect(db_path) as db:
        stored = db.execute("SELECT count(*) FROM files").fetchone()[0]
    assert stored == 40 < total
    assert_consistent(db_path)

    run_nav("index", str(tree), cache=cache, check=True)
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT count(*) FROM files").fetchone()[0] == total
    assert_consistent(db_path)


def test_processes_creating_the_index_together_all_open_it(tmp_path: Path) -> None:
    """Three processes opening a cache with no index yet, started at the same instant: one in eight
    of them failed with `cannot open the index ...: database is locked`. Switching a new database
    to WAL needs it alone, and SQLite answers two processes that both ask with `locked` at once,
    without the wait it gives other writes; the open now waits for its turn."""
    script = ("import sys, time\nfrom tags.store import Index\n"
              "while time.time() < float(sys.argv[2]): pass\nIndex.open(sys.argv[1]).close()\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for attempt in range(12):
        start = str(time.time() + 0.5)  # after the three have started their interpreters
        folder = tmp_path / f"cache{attempt}"
        runs = [subprocess.Popen([sys.executable, "-c", script, str(folder), start], env=env, stderr=subprocess.PIPE,
                                 text=True) for _ in range(3)]
        failed = [err for err in (p.communicate(timeout=120)[1] for p in runs) if err]
        assert not failed, failed
        with sqlite3.connect(folder / INDEX_FILE) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_new_index_waits_while_sqlite_says_locked_and_gives_up_at_the_timeout(tmp_path: Path, monkeypatch) -> None:
    """What the race above meets, made certain: the journal-mode change answered `locked` twice, then
    done; answered `locked` past NAV_INDEX_TIMEOUT, the error is raised (and said in one line by `open`)."""
    from tags.store import _use_wal

    class Locked:
        def __init__(self, times: int) -> None:
            self.db, self.times, self.tries = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None), times, 0

        def execute(self, statement: str):
            self.tries += 1
            if self.tries <= self.times:
                raise sqlite3.OperationalError("database is locked")
            return self.db.execute(statement)

    twice = Locked(2)
    _use_wal(twice)
    assert twice.tries == 3 and twice.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    monkeypatch.setenv("NAV_INDEX_TIMEOUT", "0.05")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _use_wal(Locked(10_000))


def test_two_index_runs_at_once_both_finish_consistently(cache: Path, tmp_path: Path) -> None:
    tree = copy_of_timm(tmp_path, 1)
    env = {**os.environ, "NAV_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    runs = [subprocess.Popen([sys.executable, "-m", "navigator", "index", str(tree)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in runs]
    assert [code for code, _ in results] == [0, 0], results
    with sqlite3.connect(cache / INDEX_FILE) as db:
        assert db.execute("SELECT count(*) FROM files").fetchone()[0] == sum(1 for _ in tree.rglob("*.py"))
        assert db.execute("SELECT count(*) FROM roots").fetchone()[0] == 1
    assert_consistent(cache / INDEX_FILE)
