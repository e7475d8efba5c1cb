"""`nav trace` / `nav callers` on the installed fastai and timm, and on fastai 2.7.4's source."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import line_of, release_dir, run_nav, site_file

LEARNER = site_file("fastai", "vision/learner.py")
CORE = site_file("fastai", "data/core.py")


def _paths_json(cache: Path, *args: str) -> list[list[dict]]:
    done = run_nav("trace", *args, "--json", cache=cache, check=True)
    return json.loads(done.stdout)["paths"]


def _expected_path(learner: Path, core: Path, norm: str, norm_call: str, add_call: str) -> list[tuple]:
    """(qualname, path, definition line, call line) per step, every line read from the sources."""
    return [
        ("vision_learner", str(learner), line_of(learner, "def vision_learner("), line_of(learner, norm_call)),
        (norm, str(learner), line_of(learner, f"def {norm}("), line_of(learner, add_call)),
        ("DataLoaders.add_tfms", str(core), line_of(core, "def add_tfms("), None),
    ]


def _steps(path: list[dict]) -> list[tuple]:
    return [(s["qualname"], s["path"], s["line"], s["call_line"]) for s in path]


def test_vision_learner_reaches_add_tfms_through_add_norm_and_timm_norm(installed_cache: Path) -> None:
    paths = [_steps(p) for p in _paths_json(installed_cache, "vision_learner", "--to", "add_tfms")]
    assert _expected_path(LEARNER, CORE, "_add_norm", "if normalize: _add_norm(", "dls.add_tfms([Normalize") in paths
    assert _expected_path(LEARNER, CORE, "_timm_norm", "if normalize: _timm_norm(", "dls.add_tfms([tfm]") in paths
    assert all(len(p) == 3 for p in paths[:2]), "the two three-step paths come first"


def test_text_output_prints_each_call_site(installed_cache: Path) -> None:
    out = run_nav("trace", "vision_learner", "--to", "add_tfms", cache=installed_cache, check=True).stdout
    assert f"vision_learner  {LEARNER}:{line_of(LEARNER, 'if normalize: _add_norm(')}" in out
    assert f"_add_norm  {LEARNER}:{line_of(LEARNER, 'dls.add_tfms([Normalize')}" in out
    assert f"DataLoaders.add_tfms  {CORE}:{line_of(CORE, 'def add_tfms(')}" in out


def test_fastai_2_7_4_source_has_the_add_norm_path(tmp_path: Path) -> None:
    source = release_dir("2.7.4") / "fastai"
    cache = tmp_path / "cache"
    run_nav("index", str(source), cache=cache, check=True)
    paths = [_steps(p) for p in _paths_json(cache, "vision_learner", "--to", "add_tfms")]
    learner, core = source / "vision" / "learner.py", source / "data" / "core.py"
    assert _expected_path(learner, core, "_add_norm", "if normalize: _add_norm(",
                          "dls.add_tfms([Normalize") in paths
    assert not any("_timm_norm" in str(p) for p in paths), "2.7.4 has no _timm_norm"


def test_callers_of_add_tfms_include_both_normalizers(installed_cache: Path) -> None:
    tree = json.loads(run_nav("callers", "add_tfms", "--json", cache=installed_cache, check=True).stdout)
    assert tree["qualname"] == "DataLoaders.add_tfms"
    callers = {(c["qualname"], c["call_line"]) for c in tree["children"]}
    assert ("_add_norm", line_of(LEARNER, "dls.add_tfms([Normalize")) in callers
    assert ("_timm_norm", line_of(LEARNER, "dls.add_tfms([tfm]")) in callers
    second = {c["qualname"] for child in tree["children"] for c in child["children"]}
    assert "vision_learner" in second, "depth 2 reaches the callers of the callers"


def test_a_depth_past_the_graph_grows_the_whole_tree_and_stops(installed_cache: Path) -> None:
    """`--depth 99999999999999999999` (clamped to 2**63 - 1) ran an empty loop for ever once every
    caller was in the tree; now the tree is grown to its end and printed, as deep as it goes."""
    tree = json.loads(run_nav("callers", "add_tfms", "--depth", "99999999999999999999", "--json",
                              cache=installed_cache, check=True, timeout=120).stdout)

    def depth(node: dict) -> int:
        return 1 + max((depth(child) for child in node["children"]), default=0)

    assert depth(tree) > 3 and "vision_learner" in json.dumps(tree)
    deeper = json.loads(run_nav("callers", "add_tfms", "--depth", str(depth(tree) + 5), "--json",
                                cache=installed_cache, check=True).stdout)
    assert deeper == tree


def test_callee_tree_shows_class_instantiation_with_its_init(installed_cache: Path) -> None:
    tree = json.loads(run_nav("trace", "create_timm_model", "--depth", "1", "--json",
                              cache=installed_cache, check=True).stdout)
    children = {(c["qualname"], c["call_line"], c["how"]) for c in tree["children"]}
    line = line_of(LEARNER, "body = TimmBody(")
    assert {("TimmBody", line, "exact"), ("TimmBody.__init__", line, "exact")} <= children
    assert all(c["children"] == [] for c in tree["children"])


def test_dot_mermaid_and_svg(installed_cache: Path, tmp_path: Path) -> None:
    dot = run_nav("trace", "vision_learner", "--to", "add_tfms", "--format", "dot", cache=installed_cache,
                  check=True).stdout
    assert dot.startswith("digraph") and '"_add_norm"' in dot and f'"learner.py:{line_of(LEARNER, "if normalize: _add_norm(")}"' in dot
    mermaid = run_nav("callers", "add_tfms", "--format", "mermaid", cache=installed_cache, check=True).stdout
    assert mermaid.startswith("flowchart LR") and '"_timm_norm"' in mermaid
    if shutil.which("dot"):
        image = tmp_path / "paths.svg"
        run_nav("trace", "vision_learner", "--to", "add_tfms", "-o", str(image), cache=installed_cache, check=True)
        assert "<svg" in image.read_text() and "_add_norm" in image.read_text()


def test_missing_graphviz_says_how_to_install_it(installed_cache: Path, tmp_path: Path) -> None:
    done = run_nav("trace", "vision_learner", "--to", "add_tfms", "-o", str(tmp_path / "x.png"),
                   cache=installed_cache, env={"PATH": str(tmp_path)})
    assert done.returncode == 2 and "apt-get install graphviz" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(("args", "code", "message"), [
    (("trace", "vision_learnr"), 1, "did you mean: vision_learner"),
    (("callers", "add_tfm"), 1, "did you mean: add_tfms"),
    (("trace", "vision_learner", "--to", "no_such_thing_xyz"), 1, "no definition named 'no_such_thing_xyz'"),
    (("trace", "forward"), 1, "ambiguous"),
    (("trace", "vision_learner", "--depth", "-1"), 2, "--depth must be 0 or more"),
    (("trace", "vision_learner", "--to", "add_tfms", "--max-paths", "0"), 2, "--max-paths must be at least 1"),
    (("trace",), 2, "give a SYMBOL"),
    (("callers", ""), 2, "give a SYMBOL whose callers to show"),
    (("trace", "vision_learner", "--to", ""), 2, "empty query"),  # was the whole call tree, as if no --to
    (("trace", "vision_learner", "--under", "x"), 2, "--under needs --live"),
    (("trace", "add_tfms", "--to", "vision_learner"), 1, "no call path"),
])
def test_bad_input_is_one_clear_message(installed_cache: Path, args: tuple, code: int, message: str) -> None:
    done = run_nav(*args, cache=installed_cache)
    assert done.returncode == code, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_ambiguous_symbol_lists_the_candidates(installed_cache: Path) -> None:
    done = run_nav("trace", "forward", cache=installed_cache)
    listed = [line for line in done.stderr.splitlines() if line.strip().split(": method ")[-1].endswith(".forward")]
    assert len(listed) == 15 and all(Path(line.split(":")[0].strip()).is_file() for line in listed)
    assert "more" in done.stderr.splitlines()[-1]
    picked = run_nav("trace", "fastai.vision.learner.TimmBody.forward", "--depth", "1", cache=installed_cache, check=True)
    assert picked.stdout.startswith("TimmBody.forward  ")


def test_the_graph_survives_a_forced_rebuild_of_the_index(tmp_path: Path) -> None:
    """`nav index --rebuild` gives every definition a new id while the texts stay the same: the
    stored edges kept naming the old ids, and `nav trace` found no calls at all afterwards."""
    src = tmp_path / "src" / "toy"
    src.mkdir(parents=True)
    (src / "__init__.py").write_text("")
    (src / "a.py").write_text("def helper():\n    pass\n\ndef outer():\n    helper()\n")
    (src / "b.py").write_text("from toy.a import outer\n\ndef top():\n    outer()\n")
    cache = tmp_path / "cache"
    run_nav("index", str(src), cache=cache, check=True)
    before = run_nav("trace", "top", "--to", "helper", cache=cache, check=True).stdout
    assert "-> outer" in before and "-> helper" in before
    run_nav("index", "--rebuild", str(src), cache=cache, check=True)
    after = run_nav("trace", "top", "--to", "helper", cache=cache)
    assert after.returncode == 0 and after.stdout == before, after.stderr
    callers = run_nav("callers", "helper", cache=cache, check=True).stdout
    assert "outer" in callers and "top" in callers
