"""The timm-unet codemod as source text: what it adds, what it leaves byte for byte, refusals."""
from __future__ import annotations

import difflib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from navigator.codemod.registry import AlreadyApplied, Refused
from tests.helpers import code_of, post_refactor_versions, release_file
from walkthroughs.timm_normalize.codemod import transform as timm_normalize_outcome
from walkthroughs.timm_unet.codemod import transform as outcome_of

WORKTREE = Path(__file__).resolve().parents[2]
LEARNER = "fastai/vision/learner.py"


def transform(source: str, revert: bool = False) -> str:
    return code_of(outcome_of(source, revert))


def timm_normalize(source: str, revert: bool = False) -> str:
    return code_of(timm_normalize_outcome(source, revert))


def refused_functions(outcome) -> tuple[str, ...]:
    assert isinstance(outcome, Refused), outcome
    return outcome.functions


def installed_learner() -> Path:
    spec = importlib.util.find_spec("fastai")
    assert spec and spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "vision" / "learner.py"


def distinct_sources() -> dict[str, str]:
    """Each distinct learner.py of 2.7.5 and later, by the first release that has it, and the installed one."""
    sources = {"installed": installed_learner().read_text(encoding="utf-8")}
    for version in post_refactor_versions():
        source = release_file(version, LEARNER).read_text(encoding="utf-8")
        if source not in sources.values():
            sources[version] = source
    return sources


SOURCES = distinct_sources()


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines of a diff."""
    diff = list(difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


@pytest.mark.parametrize("name", list(SOURCES))
def test_forward_only_adds_lines_and_reverts_exactly(name: str) -> None:
    source = SOURCES[name]
    patched = transform(source)
    compile(patched, name, "exec")
    removed, added = changed_lines(source, patched)
    assert removed == []  # every existing line, the torchvision path included, kept byte for byte
    assert "class TimmUnetEncoder(nn.Module):\n" in added
    assert any(line.startswith("def create_timm_unet_model(arch, n_out, img_size,") for line in added)
    branch = [line for line in added if "return create_timm_unet_model(" in line]
    assert len(branch) == 1 and branch[0].startswith("    if isinstance(arch, str): return")
    norm = [line for line in added if "_timm_norm(" in line]
    assert norm == [line for line in added if line.startswith("    if normalize and isinstance(arch, str): _timm_norm(dls, model[0].default_cfg, pretrained")]
    assert transform(patched, revert=True) == source
    assert isinstance(outcome_of(patched), AlreadyApplied)
    assert isinstance(outcome_of(source, revert=True), AlreadyApplied)


def test_the_branch_passes_the_parameters_each_release_has() -> None:
    installed = transform(SOURCES["installed"])
    assert ("return create_timm_unet_model(arch, n_out, img_size, pretrained=pretrained, weights=weights, "
            "cut=cut, n_in=n_in, **kwargs)") in installed
    assert "_timm_norm(dls, model[0].default_cfg, pretrained, n_in)" in installed
    old = transform(release_file("2.7.5", LEARNER).read_text(encoding="utf-8"))
    assert "return create_timm_unet_model(arch, n_out, img_size, pretrained=pretrained, cut=cut, n_in=n_in, **kwargs)" in old
    assert "_timm_norm(dls, model[0].default_cfg, pretrained)\n" in old


def test_new_code_goes_after_create_timm_model_in_its_own_cell_marker_style() -> None:
    source = release_file("2.7.5", LEARNER).read_text(encoding="utf-8")
    patched = transform(source)
    start = patched.index("def create_timm_model(")
    assert patched.index("# Cell\nclass TimmUnetEncoder") > start
    assert patched.index("def create_timm_unet_model(") < patched.index("def _add_norm(")


def test_refuses_a_release_without_timm_normalize_and_applies_after_it() -> None:
    old = release_file("2.7.4", LEARNER).read_text(encoding="utf-8")
    refused = outcome_of(old)
    assert refused_functions(refused) == ("_timm_norm",)
    assert "apply the timm-normalize codemod first" in refused.reason
    both = transform(timm_normalize(old))
    assert "class TimmUnetEncoder" in both
    assert timm_normalize(transform(both, revert=True), revert=True) == old


def test_revert_refuses_hand_edited_additions() -> None:
    patched = transform(SOURCES["installed"])
    edited = patched.replace("use a CNN such as resnet", "try a CNN such as resnet")
    assert refused_functions(outcome_of(edited, revert=True)) == ("create_timm_unet_model",)
    moved = patched.replace("    if normalize and isinstance(arch, str): _timm_norm(dls, model[0].default_cfg, pretrained, n_in)\n", "")
    moved = moved.replace("    splitter = ifnone(splitter, meta['split'])\n",
                          "    splitter = ifnone(splitter, meta['split'])\n"
                          "    if normalize and isinstance(arch, str): _timm_norm(dls, model[0].default_cfg, pretrained, n_in)\n")
    assert refused_functions(outcome_of(moved, revert=True)) == ("unet_learner",)


def test_half_present_additions_are_refused_not_duplicated() -> None:
    patched = transform(SOURCES["installed"])
    start = patched.index("def create_timm_unet_model(")
    end = patched.index("# %%", start)
    half = transform(patched, revert=True).replace("# %% ../../nbs/21_vision.learner.ipynb #0efe32f4",
                                                   patched[start:end] + "# %% ../../nbs/21_vision.learner.ipynb #0efe32f4")
    assert refused_functions(outcome_of(half)) == ("create_timm_unet_model",)


def test_nav_apply_codemod_and_undo_on_a_copy(tmp_path: Path) -> None:
    package = shutil.copytree(installed_learner().parent.parent, tmp_path / "fastai",
                              ignore=shutil.ignore_patterns("__pycache__"))
    target = package / "vision" / "learner.py"
    before = target.read_bytes()
    env = {**os.environ, "NAV_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}

    def nav(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "navigator", *args], cwd=WORKTREE, capture_output=True,
                              text=True, env=env, timeout=120)

    listed = nav("codemods")
    assert listed.returncode == 0 and "timm-unet" in listed.stdout
    done = nav("apply-codemod", "timm-unet", str(package))
    assert done.returncode == 0, done.stderr
    assert target.read_text(encoding="utf-8") == transform(before.decode("utf-8"))
    again = nav("apply-codemod", "timm-unet", str(package))
    assert again.returncode == 0 and "already applied" in again.stdout
    undone = nav("apply-codemod", "--undo", str(package))
    assert undone.returncode == 0, undone.stderr
    assert target.read_bytes() == before
