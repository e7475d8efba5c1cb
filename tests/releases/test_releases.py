"""Past releases: `nav index fastai==X`, `--release`, `nav diff` and `nav history`, checked against
the wheels' own files read with `ast` (an independent reading from nav's tree-sitter index)."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from tests.helpers import cache_dir, line_of, release_file, run_nav

LEARNER = "fastai/vision/learner.py"


def definition(path: Path, qualname: str) -> tuple[tuple[str, ...], int] | None:
    """The source lines (decorators included) and `def` line of `qualname` in `path`, by `ast`."""
    text = path.read_text()
    scope: list[ast.stmt] = ast.parse(text).body
    node = None
    for part in qualname.split("."):
        node = next((n for n in scope if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and n.name == part), None)
        if node is None:
            return None
        scope = node.body
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return tuple(text.splitlines()[start - 1: node.end_lineno]), node.lineno


def top_level_texts(path: Path) -> dict[str, tuple[str, ...]]:
    """Top-level functions and classes of a file (not `@patch`ed ones: those belong to a class)."""
    lines = path.read_text().splitlines()
    found = {}
    for node in ast.parse("\n".join(lines)).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not any(
                isinstance(d, ast.Name) and d.id == "patch" for d in node.decorator_list):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            found[node.name] = tuple(lines[start - 1: node.end_lineno])
    return found


def test_index_a_release_and_query_it(tmp_path: Path, release_env: dict) -> None:
    cache = tmp_path / "cache"
    done = run_nav("index", "fastai==2.7.4", cache=cache, env=release_env, check=True)
    assert re.search(r"^fastai 2\.7\.4: \d+ files", done.stdout, re.M), done.stdout
    found = run_nav("find", "vision_learner", "--release", "fastai==2.7.4", "--json", cache=cache,
                    env=release_env, check=True)
    hit = json.loads(found.stdout)[0]
    assert hit["path"].endswith("fastai-2.7.4/src/" + LEARNER)
    assert hit["line"] == line_of(release_file("2.7.4", LEARNER), "def vision_learner(")
    shown = run_nav("show", "_add_norm", "--release", "fastai 2.7.4", cache=cache, env=release_env, check=True)
    assert "if normalize" not in shown.stdout and "def _add_norm(dls, meta, pretrained):" in shown.stdout
    assert not (cache / "index.sqlite3").exists()  # the installed packages' index was never touched


def test_diff_shows_the_timm_norm_branch(installed_cache: Path, release_env: dict) -> None:
    done = run_nav("diff", "vision_learner", "--from", "2.7.4", "--to", "2.7.5", cache=installed_cache,
                   env=release_env, check=True)
    lines = done.stdout.splitlines()
    old_file, new_file = release_file("2.7.4", LEARNER), release_file("2.7.5", LEARNER)
    assert lines[0] == f"--- {_unpacked('2.7.4')}:{line_of(old_file, 'def vision_learner(')}\tfastai 2.7.4"
    assert lines[1] == f"+++ {_unpacked('2.7.5')}:{line_of(new_file, 'def vision_learner(')}\tfastai 2.7.5"
    assert "+        if normalize: _timm_norm(dls, cfg, pretrained)" in lines
    assert "-    if normalize: _add_norm(dls, meta, pretrained)" in lines
    hunk = next(line for line in lines if line.startswith("@@"))
    old_start, new_start = map(int, re.match(r"@@ -(\d+),\d+ \+(\d+),\d+ @@", hunk).groups())
    context = lines[lines.index(hunk) + 1][1:]  # hunk line numbers are the files' own
    assert old_file.read_text().splitlines()[old_start - 1] == context
    assert new_file.read_text().splitlines()[new_start - 1] == context


def _unpacked(version: str) -> str:
    import os

    return os.path.join(os.environ.get("NAV_TEST_RELEASES") or str(Path.home() / ".cache" / "nav-test-releases"),
                        "nav-releases", f"fastai-{version}", "src", LEARNER)


def test_module_summary_matches_the_files(installed_cache: Path, release_env: dict) -> None:
    done = run_nav("diff", "fastai.vision.learner", "--from", "2.7.4", "--to", "2.7.5", "--summary", "--json",
                   cache=installed_cache, env=release_env, check=True)
    changes = json.loads(done.stdout)["changes"]
    top = {c["qualname"]: c["status"] for c in changes if "." not in c["qualname"] and c["kind"] in ("function", "class")}
    old, new = (top_level_texts(release_file(v, LEARNER)) for v in ("2.7.4", "2.7.5"))
    truth = {name: "added" for name in new.keys() - old.keys()}
    truth |= {name: "removed" for name in old.keys() - new.keys()}
    truth |= {name: "changed" for name in old.keys() & new.keys() if old[name] != new[name]}
    assert top == truth
    assert top["_timm_norm"] == "added"
    assert {top[n] for n in ("create_timm_model", "TimmBody", "create_body", "vision_learner")} == {"changed"}


@pytest.mark.parametrize("name", ["_add_norm", "vision_learner"])
def test_history_lists_exactly_the_releases_that_changed_it(name: str, installed_cache: Path,
                                                              release_env: dict) -> None:
    done = run_nav("history", name, "--since", "2.7.0", "--json", cache=installed_cache, env=release_env,
                   check=True, timeout=900)
    result = json.loads(done.stdout)
    releases = result["releases"]
    assert releases[0] == "2.7.0" and "2.8.12" in releases
    texts = {v: definition(release_file(v, LEARNER), name) for v in releases}
    assert all(texts.values()), "the definition left learner.py; this test assumes it stays there"
    changed = [v for before, v in zip(releases, releases[1:]) if texts[v][0] != texts[before][0]]
    entries = result["entries"]
    assert [e["version"] for e in entries] == ["2.7.0", *changed]
    assert [e["status"] for e in entries] == ["first"] + ["changed"] * len(changed)
    assert all(e["line"] == texts[e["version"]][1] for e in entries)
    assert changed, "nothing changed: the comparison would pass vacuously"


def test_bad_input(installed_cache: Path, release_env: dict, tmp_path: Path) -> None:
    absent = run_nav("diff", "_timm_norm", "--from", "2.7.4", "--to", "2.7.5", cache=installed_cache, env=release_env)
    assert absent.returncode == 1 and "not in fastai 2.7.4; added in fastai 2.7.5" in absent.stderr
    assert "+def _timm_norm(dls, cfg, pretrained):" in absent.stdout
    unknown = run_nav("diff", "vision_learner", "--from", "2.7.99", "--to", "2.7.5", cache=installed_cache,
                      env=release_env)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("nav: error: fastai==2.7.99: no such release of fastai"), unknown.stderr
    for command in (("diff", "", "--from", "2.7.4"), ("history", " ")):  # was "no definition named ''", exit 1
        empty = run_nav(*command, cache=installed_cache, env=release_env)
        assert (empty.returncode, empty.stderr) == (2, "nav: error: empty query\n")
    package = run_nav("index", "nav-no-such-package-zz==1.0", cache=tmp_path / "c", env=release_env)
    assert package.returncode == 1 and "no package named 'nav-no-such-package-zz'" in package.stderr
    offline = {**release_env, "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_EXTRA_INDEX_URL": "",
               "PIP_FIND_LINKS": "", "PIP_CONFIG_FILE": "/dev/null"}
    cached = run_nav("find", "_add_norm", "--release", "fastai==2.7.4", cache=tmp_path / "c", env=offline)
    assert cached.returncode == 0 and "fastai-2.7.4/src/fastai/vision/learner.py" in cached.stdout
    fresh = {**offline, "NAV_RELEASE_ARCHIVES": str(tmp_path / "a"), "NAV_RELEASES_DIR": str(tmp_path / "r")}
    gone = run_nav("index", "fastai==2.7.4", cache=tmp_path / "c", env=fresh)
    assert gone.returncode == 3 and gone.stderr.count("\n") == 1
    assert "fastai==2.7.4: cannot reach the package index" in gone.stderr


@pytest.mark.parametrize("source", ["sound", "damaged"])
def test_a_damaged_cached_archive_is_downloaded_again(tmp_path: Path, source: str) -> None:
    """A cached wheel that went bad (truncated) was a `shutil.ReadError` traceback on every later
    query of that release. It is fetched again, here from a local folder standing for PyPI."""
    release_file("2.7.4", LEARNER)  # downloads the wheel into the shared test cache
    wheel = next((cache_dir() / "wheels").glob("fastai-2.7.4-*.whl"))
    archives, index = tmp_path / "archives", tmp_path / "index"
    archives.mkdir()
    index.mkdir()
    (archives / wheel.name).write_bytes(wheel.read_bytes()[:10_000])
    (index / wheel.name).write_bytes(wheel.read_bytes() if source == "sound" else _bad_member(wheel, LEARNER))
    env = {"NAV_RELEASE_ARCHIVES": str(archives), "NAV_RELEASES_DIR": str(tmp_path / "releases"),
           "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(index), "PIP_CONFIG_FILE": "/dev/null"}
    done = run_nav("find", "_add_norm", "--release", "fastai==2.7.4", cache=tmp_path / "c", env=env)
    first, *rest = done.stderr.strip().splitlines()
    assert first == (f"nav: the cached {archives / wheel.name} is damaged (not a zip or tar archive); "
                     "downloading it again")
    if source == "sound":
        assert done.returncode == 0 and "fastai-2.7.4/src/fastai/vision/learner.py" in done.stdout
        assert (archives / wheel.name).read_bytes() == wheel.read_bytes()
    else:
        assert done.returncode != 0 and len(rest) == 1, done.stderr
        assert rest[0].startswith(f"nav: error: fastai==2.7.4: its archive {archives / wheel.name} is damaged (")
        assert rest[0].endswith("), also when downloaded again")
    assert not list((tmp_path / "releases").glob("*/.src-*"))  # no half-unpacked folder left


def _bad_member(wheel: Path, member: str) -> bytes:
    """The wheel with bytes of one member's compressed data overwritten: pip still reads its
    metadata and takes it; unpacking fails on that member's checksum."""
    import zipfile

    data = bytearray(wheel.read_bytes())
    with zipfile.ZipFile(wheel) as archive:
        info = archive.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 100
    data[start:start + 64] = bytes(64)
    return bytes(data)
