"""`nav tags` against the real tools: readtags and vim read it, and it covers what `ctags -R` finds."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import line_of, run_nav, site_file

needs_ctags = pytest.mark.skipif(shutil.which("ctags") is None, reason="universal-ctags is not installed")


@pytest.fixture(scope="module")
def tags_file(installed_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("tags") / "tags"
    done = run_nav("tags", "-o", str(target), cache=installed_cache, check=True)
    assert done.stderr.startswith("wrote ")
    return target


def test_headers_and_byte_order(tags_file: Path) -> None:
    lines = tags_file.read_text().splitlines()
    headers = [line for line in lines if line.startswith("!_TAG_")]
    assert "!_TAG_FILE_SORTED\t1\t/0=unsorted, 1=sorted, 2=foldcase/" in headers
    assert any(h.startswith("!_TAG_FILE_FORMAT\t2") for h in headers)
    names = [line.split("\t", 1)[0].encode() for line in lines[len(headers):]]
    assert names == sorted(names)


def test_normalize_and_a_patched_method(tags_file: Path) -> None:
    rows = {}
    for line in tags_file.read_text().splitlines():
        name, path, rest = line.split("\t", 2)
        rows.setdefault(name, []).append((path, rest))
    transforms = site_file("fastai", "data/transforms.py")
    path, rest = next(r for r in rows["Normalize"] if r[1].startswith("/^class Normalize("))
    assert path == str(transforms)
    assert f"kind:class\tline:{line_of(transforms, 'class Normalize(')}" in rest
    path, rest = rows["Learner.fine_tune"][0]
    assert path.endswith("fastai/callback/schedule.py") and "kind:member" in rest and "class:Learner" in rest


@pytest.mark.skipif(shutil.which("readtags") is None, reason="readtags (universal-ctags) is not installed")
def test_readtags_reads_it(tags_file: Path) -> None:
    out = subprocess.run(["readtags", "-t", str(tags_file), "-e", "-n", "Normalize"], capture_output=True, text=True)
    assert out.returncode == 0
    transforms = site_file("fastai", "data/transforms.py")
    assert f"{transforms}\t" in out.stdout and f"line:{line_of(transforms, 'class Normalize(')}" in out.stdout


@pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")
def test_vim_jumps_with_tag(tags_file: Path, tmp_path: Path) -> None:
    result = tmp_path / "where"
    for symbol, file, text in (("Normalize", "data/transforms.py", "class Normalize("),
                               ("Learner.fine_tune", "callback/schedule.py", "def fine_tune(")):
        subprocess.run(["vim", "-u", "NONE", "-i", "NONE", "-es", "-c", f"set tags={tags_file}", "-c", f"tag {symbol}",
                        "-c", f"call writefile([expand('%:p') . ':' . line('.')], '{result}')", "-c", "qa!"],
                       timeout=60, check=False)
        path = site_file("fastai", file)
        assert result.read_text().strip() == f"{path}:{line_of(path, text)}"


def ctags_reference(root: Path) -> set[tuple[str, str, int]]:
    """Every class, function and member `ctags -R` writes for fastai and timm."""
    out = subprocess.run(["ctags", "-R", "--languages=Python", "--fields=+nKz", "--sort=no", "-f", "-", "fastai", "timm"],
                         cwd=root, capture_output=True, text=True, check=True).stdout
    found = set()
    for line in out.splitlines():
        if line.startswith("!_"):
            continue
        parts = line.split("\t")
        fields = dict(p.split(":", 1) for p in parts[3:] if ":" in p)
        if fields.get("kind") in ("class", "function", "member"):
            found.add((parts[0], str(root / parts[1]), int(fields["line"])))
    return found


@needs_ctags
def test_every_ctags_definition_is_in_the_index(installed) -> None:
    from navigator.session import query

    site = site_file("fastai", "").parent
    reference = ctags_reference(site)
    ours = set(query(lambda index: list(index.rows(
        "SELECT d.name, f.path, d.line FROM defs d JOIN files f ON f.id = d.file_id"))))
    missing = sorted(reference - ours)
    assert len(reference) > 5000
    assert missing == [], f"{len(missing)} of {len(reference)} ctags definitions missing, e.g. {missing[:10]}"
