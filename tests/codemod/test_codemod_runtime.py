"""reverse(x) and forward(reverse(x)) import and run with the installed fastai, and show the bug / fix.

A copy of the installed fastai package gets `vision/learner.py` = reverse(installed) and, as
sibling modules, forward(reverse(x)) and the 2.8.x releases' variants; one subprocess then
builds learners with each (tests/codemod/runtime_check.py). 2.7.x modules are checked only
statically: they use `@typedispatch`, which today's fastcore no longer has, so even the
releases themselves do not import with the installed fastai.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import code_of, post_refactor_versions, release_file, version_key
from walkthroughs.timm_normalize.codemod import transform as outcome_of

CHECK = Path(__file__).with_name("runtime_check.py")
CFG_STATS = [[0.25, 0.5, 0.75], [0.2, 0.3, 0.4]]  # what the check script sets in the timm cfg


def _installed_fastai() -> Path:
    """The installed fastai package directory, found without importing it (and torch)."""
    spec = importlib.util.find_spec("fastai")
    assert spec and spec.submodule_search_locations, "fastai is not installed"
    return Path(spec.submodule_search_locations[0])


def _flat(normalize: list) -> list[float]:
    return [value for transform in normalize for stats in transform for value in stats]


def _variants() -> dict[str, str]:
    """Module name suffix -> source of each distinct 2.8.x learner.py (the installed one first)."""
    sources = {"installed": (_installed_fastai() / "vision" / "learner.py").read_text(encoding="utf-8")}
    for version in post_refactor_versions():
        source = release_file(version, "fastai/vision/learner.py").read_text(encoding="utf-8")
        if version_key(version) >= (2, 8) and source not in sources.values():
            sources[version.replace(".", "_")] = source
    return sources


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("fastai-copy")
    vision = shutil.copytree(_installed_fastai(), root / "fastai",
                             ignore=shutil.ignore_patterns("__pycache__")) / "vision"
    modules = []
    for suffix, source in _variants().items():
        reverted = code_of(outcome_of(source, revert=True))
        rev_name = "learner" if suffix == "installed" else f"learner_rev_{suffix}"
        (vision / f"{rev_name}.py").write_text(reverted, encoding="utf-8")
        (vision / f"learner_fwd_{suffix}.py").write_text(code_of(outcome_of(reverted)), encoding="utf-8")
        modules += [f"fastai.vision.{rev_name}", f"fastai.vision.learner_fwd_{suffix}"]
    work = tmp_path_factory.mktemp("images")
    env = {**os.environ, "PYTHONPATH": str(root), "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, "-W", "ignore", str(CHECK), str(work), *modules],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    for name, result in data.items():
        assert result["file"].startswith(str(root)), f"{name} ran from {result['file']}"
    return data


def test_reverse_of_the_installed_learner_has_the_bug(results: dict[str, dict]) -> None:
    assert results["fastai.vision.learner"]["normalize"] == []
    assert results["fastai.vision.learner"]["cfg"] == CFG_STATS


def test_forward_of_reverse_normalizes_with_the_model_cfg(results: dict[str, dict]) -> None:
    normalize = results["fastai.vision.learner_fwd_installed"]["normalize"]
    assert len(normalize) == 1
    assert _flat(normalize) == pytest.approx(_flat([CFG_STATS]))


def test_every_2_8_release_variant_behaves_the_same(results: dict[str, dict]) -> None:
    reverted = [name for name in results if "learner_rev_" in name]
    forward = [name for name in results if "learner_fwd_" in name and not name.endswith("installed")]
    assert reverted and len(reverted) == len(forward)
    for name in reverted:
        assert results[name]["normalize"] == [], name
    for name in forward:
        assert _flat(results[name]["normalize"]) == pytest.approx(_flat([CFG_STATS])), name
