"""nbdev: `nbs/21_vision.learner.ipynb` gets the same change as the module, in its exported cells.

The notebooks are built from a release's module: one exported code cell per nbdev cell of the
module, between markdown cells and non-exported test cells with outputs.
"""
from __future__ import annotations

import ast
import copy
import json
import re
import shutil
from pathlib import Path

import pytest

from navigator.codemod import apply as patching
from tests.helpers import code_of, release_dir, release_file
from walkthroughs.timm_normalize.codemod import transform as outcome_of

NOTEBOOK = "nbs/21_vision.learner.ipynb"
LEARNER = "fastai/vision/learner.py"
STYLES = {  # release -> (cell marker in its module, export directive of its notebooks)
    "2.7.4": (r"^# Cell\n", "#export"),
    "2.8.12": (r"^# %% .*\n", "#| export"),
}


def code_cell(source: str, outputs: list | None = None) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": outputs or [],
            "source": source.splitlines(keepends=True)}


def notebook_from_module(module: str, marker: str, directive: str) -> dict:
    sections = [s.strip("\n") for s in re.split(marker, module, flags=re.M)[1:]]
    cells: list[dict] = [{"cell_type": "markdown", "metadata": {}, "source": ["# Vision learner ✓"]}]
    for number, section in enumerate(sections):
        cells.append(code_cell(f"{directive}\n{section}"))
        cells.append(code_cell(f"%time test_eq({number}, {number})",
                               [{"name": "stdout", "output_type": "stream", "text": [f"cell {number}\n"]}]))
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 4}


def dump(notebook: dict) -> str:
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def exported(notebook: dict, directive: str) -> str:
    """What nbdev exports: the exported cells' code, joined (an independent re-implementation)."""
    sources = ["".join(c["source"]) for c in notebook["cells"] if "".join(c["source"]).startswith(directive)]
    return "\n\n".join(sources) + "\n"


def same_ast(a: str, b: str) -> bool:
    return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))


def module_cells(module: str, version_style: str) -> str:
    """The part of `module` that comes from notebook cells (not the generated header)."""
    marker, directive = STYLES[version_style]
    return exported(notebook_from_module(module, marker, directive), directive)


def checkout(version: str, tmp_path: Path) -> tuple[Path, dict]:
    """A fastai 'checkout': the release's package plus a notebook built from its module."""
    root = Path(shutil.copytree(release_dir(version), tmp_path / f"fastai-{version}"))
    marker, directive = STYLES[version]
    notebook = notebook_from_module((root / LEARNER).read_text(), marker, directive)
    (root / "nbs").mkdir()
    (root / NOTEBOOK).write_text(dump(notebook), encoding="utf-8")
    return root, notebook


def changed_cells(before: dict, after: dict) -> list[int]:
    assert len(before["cells"]) == len(after["cells"])
    return [i for i, (a, b) in enumerate(zip(before["cells"], after["cells"])) if a != b]


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAV_CACHE_DIR", str(tmp_path / "cache"))


def test_forward_patches_the_nbdev1_notebook_like_the_module(tmp_path: Path) -> None:
    root, before = checkout("2.7.4", tmp_path)
    original = (root / NOTEBOOK).read_bytes()
    result = patching.apply_codemod("timm-normalize", root)
    assert sorted(c.path.name for c in result.changes) == ["21_vision.learner.ipynb", "learner.py"]
    after = json.loads((root / NOTEBOOK).read_text())
    assert same_ast(exported(after, "#export"), module_cells(release_file("2.7.5", LEARNER).read_text(), "2.7.4"))
    changed = changed_cells(before, after)
    assert all("".join(before["cells"][i]["source"]).startswith("#export") for i in changed)
    # create_body, create_vision_model, TimmBody, create_timm_model, _add_norm (+ _timm_norm),
    # vision_learner, create_unet_model
    assert len(changed) == 7
    expected = copy.deepcopy(before)
    for i in changed:
        expected["cells"][i]["source"] = after["cells"][i]["source"]
    assert (root / NOTEBOOK).read_text() == dump(expected)  # same layout, nothing else touched
    patching.undo_codemod(root)
    assert (root / NOTEBOOK).read_bytes() == original


def test_reverse_patches_the_nbdev2_notebook_and_drops_the_timm_norm_cell(tmp_path: Path) -> None:
    root, before = checkout("2.8.12", tmp_path)
    patching.apply_codemod("timm-normalize", root, revert=True)
    after = json.loads((root / NOTEBOOK).read_text())
    reverted = code_of(outcome_of(release_file("2.8.12", LEARNER).read_text(), revert=True))
    assert (root / LEARNER).read_text() == reverted
    assert same_ast(exported(after, "#| export"), module_cells(reverted, "2.8.12"))
    timm_norm_cell = next(c for c in before["cells"] if "def _timm_norm" in "".join(c["source"]))
    assert timm_norm_cell not in after["cells"] and len(after["cells"]) == len(before["cells"]) - 1

    def others(notebook: dict) -> list[dict]:
        return [c for c in notebook["cells"] if not "".join(c["source"]).startswith("#| export")]
    assert others(after) == others(before)  # markdown and test cells, with their outputs
    patching.apply_codemod("timm-normalize", root)
    again = json.loads((root / NOTEBOOK).read_text())
    assert same_ast(exported(again, "#| export"), module_cells(release_file("2.8.12", LEARNER).read_text(), "2.8.12"))


def test_a_notebook_alone_can_be_patched(tmp_path: Path) -> None:
    root, _ = checkout("2.7.4", tmp_path)
    result = patching.apply_codemod("timm-normalize", root / NOTEBOOK, dry_run=True)
    assert result.status == "dry run" and '+    "def _timm_norm(dls, cfg, pretrained):\\n",' in result.diff


def test_an_already_patched_notebook_is_left_alone(tmp_path: Path) -> None:
    root, _ = checkout("2.8.12", tmp_path)
    result = patching.apply_codemod("timm-normalize", root)
    assert result.status == "already applied" and len(result.already_applied) == 2
