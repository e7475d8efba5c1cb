"""`nav find`, `nav show`, `nav open` on the installed fastai and timm: real paths and lines."""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, line_of, run_nav, site_file


def first_hit(output: str) -> tuple[str, int, int, str]:
    location, _, description = output.splitlines()[0].partition(": ")
    path, line, col = location.rsplit(":", 3)[:3]
    return path, int(line), int(col.rstrip(":")), description


def test_find_normalize_points_at_the_class(installed_cache: Path) -> None:
    done = run_nav("find", "Normalize", cache=installed_cache, check=True)
    transforms = site_file("fastai", "data/transforms.py")
    assert first_hit(done.stdout) == (str(transforms), line_of(transforms, "class Normalize("), 1,
                                      "class Normalize(DisplayedTransform)")


def test_patched_method_is_found_as_class_dot_method(installed_cache: Path) -> None:
    done = run_nav("find", "Learner.fine_tune", cache=installed_cache, check=True)
    schedule = site_file("fastai", "callback/schedule.py")
    path, line, _, description = first_hit(done.stdout)
    assert (path, line) == (str(schedule), line_of(schedule, "def fine_tune("))
    assert description.startswith("method Learner.fine_tune(self:Learner, epochs")


def test_dotted_module_path(installed_cache: Path) -> None:
    done = run_nav("find", "fastai.vision.learner._add_norm", cache=installed_cache, check=True)
    learner = site_file("fastai", "vision/learner.py")
    assert done.stdout.splitlines() == [f"{learner}:{line_of(learner, 'def _add_norm(')}:1: "
                                        "function _add_norm(dls, meta, pretrained, n_in=3)"]


def test_timm_models_have_their_own_kind(installed_cache: Path) -> None:
    done = run_nav("find", "convnext_tiny", "--kind", "model", cache=installed_cache, check=True)
    convnext = site_file("timm", "models/convnext.py")
    path, line, _, description = first_hit(done.stdout)
    assert (path, line) == (str(convnext), line_of(convnext, "def convnext_tiny("))
    assert description.startswith("model convnext_tiny(")
    assert all(" model " in f" {row.split(': ', 1)[1]}" for row in done.stdout.splitlines())


def test_ranking_exact_then_prefix_then_fuzzy_public_first(installed) -> None:
    from navigator.queries import find
    from navigator.session import query

    hits = query(lambda index: find(index, "add_norm", limit=200))
    tiers = [h.tier for h in hits]
    assert tiers == sorted(tiers)
    fuzzy = [h for h in hits if h.tier == 3]
    assert any(h.symbol.name == "_add_norm" for h in fuzzy), "`_add_norm` contains the letters in order"
    hits = query(lambda index: find(index, "Normalize", limit=100))
    prefix = [h for h in hits if h.tier == 2]
    public = [h.symbol.name.startswith("_") for h in prefix]
    assert public == sorted(public), "public names before _private ones within a tier"


def test_json_output_has_the_documented_fields(installed_cache: Path) -> None:
    done = run_nav("find", "vision_learner", "--json", "--limit", "3", cache=installed_cache, check=True)
    hits = json.loads(done.stdout)
    learner = site_file("fastai", "vision/learner.py")
    assert hits[0] | {"path": hits[0]["path"]} == hits[0]
    assert {k: hits[0][k] for k in ("name", "qualname", "kind", "path", "line", "col")} == {
        "name": "vision_learner", "qualname": "vision_learner", "kind": "function", "path": str(learner),
        "line": line_of(learner, "def vision_learner("), "col": 1}
    assert hits[0]["signature"].startswith("(dls, arch, normalize=True")
    assert len(hits) <= 3


def test_no_match_exits_1_with_suggestions(installed_cache: Path) -> None:
    done = run_nav("find", "vision_leanrerq", cache=installed_cache)
    assert done.returncode == 1 and done.stdout == ""
    assert "did you mean: vision_learner" in done.stderr
    done = run_nav("find", "Normalzie", cache=installed_cache)  # loose (subsequence) hits only
    assert done.returncode == 0 and "did you mean: Normalize" in done.stderr


def test_vim_quickfix_format(installed_cache: Path, tmp_path: Path) -> None:
    """Every line parses as vim's default errorformat `%f:%l:%c: %m`."""
    done = run_nav("find", "add_tfms", cache=installed_cache, check=True)
    for row in done.stdout.splitlines():
        path, line, col, message = row.split(":", 3)
        assert Path(path).is_file() and int(line) > 0 and int(col) > 0 and message.startswith(" ")


def test_show_prints_the_source_with_a_header(installed_cache: Path) -> None:
    done = run_nav("show", "_add_norm", cache=installed_cache, check=True)
    learner = site_file("fastai", "vision/learner.py")
    start = line_of(learner, "def _add_norm(")
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{learner}:{start}")
    body = "\n".join(lines[1:])
    assert f"{start} def _add_norm(dls, meta, pretrained, n_in=3):" in body.replace("│", "").replace("  ", " ")
    assert "Normalize.from_stats" in body


def test_show_includes_decorators(installed_cache: Path) -> None:
    done = run_nav("show", "Learner.fine_tune", cache=installed_cache, check=True)
    assert "@patch" in done.stdout and "@delegates(Learner.fit_one_cycle)" in done.stdout


def test_open_runs_the_editor_at_the_line(installed_cache: Path, tmp_path: Path) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path / 'args'}\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    run_nav("open", "Normalize", cache=installed_cache, check=True, env={"EDITOR": str(editor), "VISUAL": ""})
    transforms = site_file("fastai", "data/transforms.py")
    assert (tmp_path / "args").read_text().split() == [f"+{line_of(transforms, 'class Normalize(')}", str(transforms)]


@pytest.mark.parametrize(("editor", "error"), [
    ("vim '+set ft=python", "cannot read the editor command \"vim '+set ft=python\" (No closing quotation); fix "
                            "$VISUAL or $EDITOR"),
    ("   ", "the editor command '   ' is blank; set $VISUAL or $EDITOR"),
    ("/dev/null", "cannot start the editor '/dev/null' (Permission denied); set $VISUAL or $EDITOR"),  # was a traceback
    ("/no/such/editor -w", "cannot start the editor '/no/such/editor -w' (No such file or directory); set $VISUAL or $EDITOR"),
])
def test_open_with_an_editor_command_it_cannot_run_says_why(installed_cache: Path, editor: str, error: str) -> None:
    """An unclosed quote in $EDITOR was a ValueError traceback out of shlex."""
    done = run_nav("open", "Normalize", cache=installed_cache, env={"EDITOR": editor, "VISUAL": ""})
    assert done.returncode != 0 and done.stderr.strip().splitlines() == [f"nav: error: {error}"]


def test_hot_path_imports_nothing_heavy(installed_cache: Path) -> None:
    heavy = ["torch", "fastai", "timm", "textual", "libcst", "tree_sitter", "rich", "dataclasses", "typing"]
    for command in (["find", "Normalize"], ["show", "Normalize"]):
        code = (f"import sys; sys.argv = ['nav', *{command!r}]; from navigator.cli import main; main();"
                f"print('LOADED', sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))")
        env = {**os.environ, "NAV_CACHE_DIR": str(installed_cache), "PYTHONPATH": str(REPO)}
        import subprocess

        # the first query from another Python checks the roots against it (tags.indexer), once
        subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, check=True)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout
        loaded = eval(out.rsplit("LOADED", 1)[1])
        allowed = {"rich", "dataclasses", "typing"} if command[0] == "show" else set()
        assert set(loaded) <= allowed, f"nav {command[0]} imported {loaded}"


def test_path_and_line_name_one_of_two_roots_with_the_same_modules(tmp_path: Path) -> None:
    """A checkout indexed beside the installed package: every name, dotted ones too, means two
    definitions, and `nav trace` refused them all. `PATH:LINE`, as the lists print it, picks one."""
    for copy in ("checkout", "installed"):
        package = tmp_path / copy / "toy"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "core.py").write_text("def helper():\n    pass\n\ndef outer():\n    x = 1\n    helper()\n")
    cache = tmp_path / "cache"
    run_nav("index", str(tmp_path / "checkout"), str(tmp_path / "installed"), cache=cache, check=True)
    checkout = (tmp_path / "checkout" / "toy" / "core.py").resolve()
    refused = run_nav("trace", "toy.core.outer", cache=cache)
    assert refused.returncode == 1 and "or PATH:LINE as listed" in refused.stderr
    assert f"{checkout}:4: function toy.core.outer" in refused.stderr
    traced = run_nav("trace", f"{checkout}:5", cache=cache, check=True)  # a line inside `outer`
    assert traced.stdout.splitlines()[0] == f"outer  {checkout}:4"
    assert traced.stdout.splitlines()[1] == f"└─ helper  {checkout}:6  exact"  # the call site's line
    shown = run_nav("show", f"{checkout}:1:1", cache=cache, check=True)
    assert shown.stdout.startswith(f"{checkout}:1  function toy.core.helper")
    missing = run_nav("show", f"{checkout}:99", cache=cache)
    assert missing.returncode == 1 and missing.stderr == f"nav: error: {checkout}:99: no definition holds that line\n"
    huge = run_nav("show", f"{checkout}:{10**20}", cache=cache)  # past SQLite's integers: was an OverflowError traceback
    assert huge.returncode == 1 and huge.stderr == f"nav: error: {checkout}:{10**20}: no definition holds that line\n"
    outside = run_nav("show", str(tmp_path / "elsewhere.py") + ":3", cache=cache)
    assert outside.returncode == 1 and "elsewhere.py: not an indexed file" in outside.stderr
