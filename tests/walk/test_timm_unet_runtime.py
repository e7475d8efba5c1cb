"""timm U-Nets running in a patched copy of the installed fastai (tests/timm_unet_runtime_check.py).

The copy gets `vision/learner.py` = timm-unet(installed) and the installed module as the sibling
`learner_orig`, so one subprocess can build a U-Net with each and compare them.
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

from tests.helpers import code_of
from walkthroughs.timm_unet.codemod import transform

CHECK = Path(__file__).with_name("timm_unet_runtime_check.py")
SHAPES = Path(__file__).resolve().parents[2] / "walkthroughs" / "timm_unet"
CFG_STATS = [[0.25, 0.5, 0.75], [0.2, 0.3, 0.4]]


@pytest.fixture(scope="module")
def patched_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a copy of the installed fastai, patched, with the original as learner_orig."""
    spec = importlib.util.find_spec("fastai")
    assert spec and spec.submodule_search_locations
    root = tmp_path_factory.mktemp("fastai-unet")
    vision = shutil.copytree(spec.submodule_search_locations[0], root / "fastai",
                             ignore=shutil.ignore_patterns("__pycache__")) / "vision"
    source = (vision / "learner.py").read_text(encoding="utf-8")
    (vision / "learner_orig.py").write_text(source, encoding="utf-8")
    (vision / "learner.py").write_text(code_of(transform(source)), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def results(patched_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root, vision = patched_root, patched_root / "fastai" / "vision"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(SHAPES)]), "CUDA_VISIBLE_DEVICES": "",
           "HF_HUB_OFFLINE": "1"}
    work = tmp_path_factory.mktemp("images")
    proc = subprocess.run([sys.executable, "-W", "ignore", str(CHECK), str(work)], capture_output=True,
                          text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    assert data["file"] == str(vision / "learner.py") and data["orig_file"] == str(vision / "learner_orig.py")
    return data


@pytest.mark.parametrize("arch, reductions, hooked", [
    ("resnet18", [2, 4, 8, 16, 32], [[2, 2], [4, 4], [8, 8], [16, 16]]),
    ("convnext_atto", [4, 8, 16, 32], [[2, 2], [4, 4], [8, 8]]),
])
def test_timm_arch_trains_one_batch(results: dict, arch: str, reductions: list, hooked: list) -> None:
    trained = results["trained"][arch]
    assert trained["encoder"] == "TimmUnetEncoder"
    assert trained["reductions"] == reductions
    assert trained["hooked"] == hooked  # skip connections at timm's feature maps, deepest first (32 px input)
    assert len(trained["losses"]) == 1 and 0 < trained["losses"][0] < 100
    assert trained["changed"] > trained["params"] // 2  # the step updated encoder and decoder
    assert trained["out_shape"] == [2, 2, 32, 32]


def test_local_pretrained_checkpoint_brings_its_cfg_stats(results: dict) -> None:
    pretrained = results["pretrained"]
    flat = [v for stats in pretrained["normalize"] for pair in stats for v in pair]
    assert len(pretrained["normalize"]) == 1
    assert flat == pytest.approx([v for pair in CFG_STATS for v in pair])
    assert pretrained["loaded"]  # the encoder holds the checkpoint's weights
    assert pretrained["frozen"] == [False, True, True]  # pretrained: learn.freeze() on timm's encoder


def test_torchvision_archs_build_exactly_as_before(results: dict) -> None:
    tv = results["torchvision"]
    assert tv == dict(same_repr=True, same_shapes=True, same_values=True, same_learner=True,
                      same_after_batch=True, groups=tv["groups"], encoder="Sequential")
    assert tv["groups"][0] == tv["groups"][1] == 3


def test_vit_and_torchvision_only_arguments_are_refused(results: dict) -> None:
    refusals = results["refusals"]
    assert refusals["vit"].startswith("timm model 'vit_tiny_patch16_224' has no feature maps at decreasing "
                                      "resolutions (reductions [16, 16, 16])")
    assert "use a CNN such as resnet" in refusals["vit"]
    assert refusals["cut"].startswith("`weights` and `cut` are for torchvision archs, not timm's 'resnet18'")

