"""Notebook origins (`notebook`, `cell`) of nbdev-exported definitions, in all three marker styles:
the installed fastai 2.8.12 (cell ids), and the 2.7.13 (cell indexes) and 2.7.4 (nbdev 1 `# Cell`)
wheels indexed as directories. Expected cells are read from the module text itself."""
from __future__ import annotations

import json
import re
from pathlib import Path

from tests.helpers import line_of, release_dir, run_nav, site_file

NOTEBOOK = "nbs/21_vision.learner.ipynb"


def marker_above(path: Path, line: int) -> str:
    """The last `# %% ...` or `# Cell` line above `line`."""
    lines = path.read_text().splitlines()[: line - 1]
    return next(text for text in reversed(lines) if text.startswith("# %% ") or re.fullmatch(r"# (Internal )?Cell", text))


def vision_learner_hit(cache: Path, path: Path) -> dict:
    hits = json.loads(run_nav("find", "vision_learner", "--json", "--kind", "function", cache=cache, check=True).stdout)
    return next(h for h in hits if h["path"] == str(path))


def test_installed_fastai_gives_notebook_and_cell_id(installed_cache: Path) -> None:
    learner = site_file("fastai", "vision/learner.py")
    hit = vision_learner_hit(installed_cache, learner)
    marker = marker_above(learner, line_of(learner, "def vision_learner("))
    assert marker == f"# %% ../../{NOTEBOOK} #{hit['cell']}"
    assert (hit["notebook"], hit["cell_kind"]) == (NOTEBOOK, "id")
    show = run_nav("show", "fastai.vision.learner.vision_learner", cache=installed_cache, check=True).stdout
    assert show.splitlines()[1] == f"exported from {NOTEBOOK} cell #{hit['cell']}"


def test_not_exported_modules_have_no_origin(installed_cache: Path) -> None:
    hits = json.loads(run_nav("find", "resnet50", "--json", "--kind", "model", cache=installed_cache, check=True).stdout)
    assert hits and all("notebook" not in h and "cell" not in h for h in hits)


def test_old_marker_styles_in_release_wheels(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    releases = {version: release_dir(version) / "fastai" for version in ("2.7.13", "2.7.4")}
    run_nav("index", *map(str, releases.values()), cache=cache, check=True)

    learner = releases["2.7.13"] / "vision" / "learner.py"  # `# %% ../../nbs/21_vision.learner.ipynb 42`
    hit = vision_learner_hit(cache, learner)
    assert marker_above(learner, line_of(learner, "def vision_learner(")) == f"# %% ../../{NOTEBOOK} {hit['cell']}"
    assert (hit["notebook"], hit["cell_kind"], type(hit["cell"])) == (NOTEBOOK, "index", int)

    learner = releases["2.7.4"] / "vision" / "learner.py"  # header `File to edit: nbs/...`, then `# Cell`
    hit = vision_learner_hit(cache, learner)
    lines = learner.read_text().splitlines()[: line_of(learner, "def vision_learner(") - 1]
    cells_before = sum(1 for text in lines if re.fullmatch(r"# (Internal )?Cell", text))
    assert (hit["notebook"], hit["cell_kind"], hit["cell"]) == (NOTEBOOK, "exported", cells_before - 1)


def test_comes_from_marker_names_the_other_notebook(tmp_path: Path) -> None:
    """nbdev 1 writes `# Comes from 13b_metrics.ipynb, cell` for a cell exported from another notebook."""
    torch_core = release_dir("2.7.4") / "fastai" / "torch_core.py"
    text = torch_core.read_text().splitlines()
    at = next(i for i, line in enumerate(text) if line.startswith("# Comes from 13b_metrics.ipynb"))
    name = next(re.match(r"(?:def|class) (\w+)", line)[1] for line in text[at:] if re.match(r"(def|class) ", line))
    cache = tmp_path / "cache"
    run_nav("index", str(torch_core.parent), cache=cache, check=True)
    hits = json.loads(run_nav("find", f"fastai.torch_core.{name}", "--json", cache=cache, check=True).stdout)
    assert (hits[0]["notebook"], hits[0]["cell"]) == ("nbs/13b_metrics.ipynb", 0)
