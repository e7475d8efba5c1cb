"""The verification experiment's mechanics (walkthroughs/timm_normalize/verify.py), never who wins.

One tiny end-to-end run (smaller than --quick: 1 epoch per phase, 2 seeds, 60 images per task)
in a subprocess with the installed (refactored) fastai first, exactly as the walkthrough runs it.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from timm.models import get_pretrained_cfg

from tests.helpers import REPO
from walkthroughs.timm_normalize import report, verify
from walkthroughs.timm_normalize.experiment import PRESETS, REGIMES

SCRIPT = REPO / "walkthroughs" / "timm_normalize" / "verify.py"
TINY = ("--quick", "--seeds", "2", "--epochs", "1", "--limit", "60", "--device", "cpu")


def run_verify(out: Path, *args: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "HF_HUB_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": ""}
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([sys.executable, str(SCRIPT), *args, "--out", str(out)], capture_output=True,
                          text=True, env=env, timeout=900)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("verify")
    return run_verify(out, *TINY), out


@pytest.fixture(scope="module")
def metrics(tiny: tuple[subprocess.CompletedProcess, Path]) -> dict:
    done, out = tiny
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((out / "metrics.json").read_text())


def test_passes_with_a_verdict_table_and_reading(tiny: tuple[subprocess.CompletedProcess, Path]) -> None:
    done, out = tiny
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "VERDICT: PASS" in done.stdout
    assert "Error rate on digits 5-9" in done.stdout
    assert "Next to the live-coding claim" in done.stdout
    assert "epoch" in done.stdout and "error_rate" in done.stdout  # fastai's own progress/metrics output


def test_metrics_hold_every_condition_and_seed(metrics: dict) -> None:
    settings = metrics["settings"]
    assert settings["archs"] == list(PRESETS["quick"].archs) and settings["seeds"] == [0, 1]
    got = sorted((r["code"], r["arch"], r["regime"], r["seed"]) for r in metrics["runs"])
    assert got == sorted((c, a, r, s) for c in ("before", "after") for a in settings["archs"]
                         for r in REGIMES for s in settings["seeds"])
    for run in metrics["runs"]:
        epochs = settings["head_epochs"] if run["regime"] == "head" else settings["freeze_epochs"] + settings["full_epochs"]
        assert len(run["errors"]) == epochs
        assert all(0 <= e <= 1 for e in run["errors"])
    assert len(metrics["summary"]) == 2 * len(settings["archs"]) * len(REGIMES)
    assert metrics["problems"] == []


def test_normalize_from_cfg_after_and_none_before(metrics: dict) -> None:
    installed = Path(importlib.util.find_spec("fastai").submodule_search_locations[0]).resolve()
    for run in metrics["runs"]:
        cfg = get_pretrained_cfg(run["arch"])
        assert run["cfg"] == [pytest.approx(list(cfg.mean)), pytest.approx(list(cfg.std))]
        if run["code"] == "after":
            assert Path(run["fastai"]).resolve() == installed
            assert len(run["normalize"]) == 1
            assert run["normalize"][0] == [pytest.approx(list(cfg.mean)), pytest.approx(list(cfg.std))]
        else:
            assert Path(run["fastai"]).resolve() != installed
            assert run["normalize"] == []
    means = {tuple(r["normalize"][0][0]) for r in metrics["runs"] if r["code"] == "after"}
    assert len(means) == 2  # ImageNet stats for one arch, 0.5 for the other


def test_checkpoints_are_cached_by_settings_and_loaded_via_the_overlay(metrics: dict) -> None:
    for arch, ckpt in metrics["checkpoints"].items():
        assert Path(ckpt).is_file() and Path(ckpt).name.startswith(f"{arch}-px32-ep1-")
    assert all(run["loaded_checkpoint"] for run in metrics["runs"])


def test_plot_is_a_valid_png(tiny: tuple[subprocess.CompletedProcess, Path], metrics: dict) -> None:
    with Image.open(tiny[1] / "curves.png") as image:
        image.verify()
        assert image.format == "PNG" and image.width > 400 and image.height > 400


def test_fails_with_a_reason_on_an_unpatched_fastai(tmp_path: Path) -> None:
    installed = Path(importlib.util.find_spec("fastai").submodule_search_locations[0])
    old = verify.before_copy(installed, tmp_path)
    assert "def _timm_norm(" not in (old / "fastai" / "vision" / "learner.py").read_text()
    done = run_verify(tmp_path / "out", *TINY, pythonpath=old)
    assert done.returncode == 1
    assert f"VERDICT: FAIL: the fastai at {(old / 'fastai').resolve()} is NOT refactored" in done.stdout
    assert "_timm_norm" in done.stdout and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "metrics.json").exists()


def test_verdict_names_a_learner_without_normalize() -> None:
    run = {"code": "after", "arch": "test_resnet", "regime": "head", "seed": 0, "normalize": [],
           "cfg": [[0.5] * 3, [0.5] * 3], "loaded_checkpoint": True, "errors": [0.5]}
    settings = {"archs": ["test_resnet"], "seeds": [0]}
    problems = report.verdict_problems([run], settings)
    assert any("got Normalize none, not its cfg stats" in p and "not refactored" in p for p in problems)
    assert any("run(s) missing" in p for p in problems)  # before runs and the fine_tune regime
    fixed = {**run, "normalize": [[[0.5] * 3, [0.5] * 3]]}
    assert not any("after-refactor" in p for p in report.verdict_problems([fixed], settings))
