"""Acceptance: both built-in walkthroughs run end to end as `nav walk NAME --auto` on CPU.

The timm-normalize walkthrough also uses `nav timm-stats`, `nav trace` and its verify script,
which are built on other branches. Where one of them is not in this checkout yet, its step
must fail and say so, and every other step must pass; once all are present, the whole run
must pass.
"""
from __future__ import annotations

from pathlib import Path

from navigator.cli import COMMANDS
from navigator.walk.format import load_walkthrough
from tests.helpers import run_nav, summary


def test_vision_learner_anatomy_auto_passes(installed_cache: Path) -> None:
    done = run_nav("walk", "vision-learner-anatomy", "--auto", "--device", "cpu", cache=installed_cache)
    assert done.returncode == 0, done.stdout + done.stderr
    verdicts = summary(done.stdout)
    assert list(verdicts) == [step.id for step in load_walkthrough("vision-learner-anatomy").steps]
    assert set(verdicts.values()) == {"ok"}
    for line in ("body features                   (2, 512, 7, 7)", "pooled (AdaptiveConcatPool2d)   (2, 1024, 1, 1)",
                 "flattened                       (2, 1024)", "head output                     (2, 10)"):
        assert line in done.stdout


def missing_pieces() -> dict[str, str]:
    """Steps whose tool is not in this checkout yet -> the reason their failure must give."""
    walk = load_walkthrough("timm-normalize")
    missing = {}
    if "timm-stats" not in COMMANDS:
        missing["timm-stats"] = "invalid choice: 'timm-stats'"
    if "trace" not in COMMANDS:
        missing["trace-add-tfms"] = missing["trace-live"] = "invalid choice: 'trace'"
    if not (walk.folder / "verify.py").is_file():
        missing["verify"] = "verify.py does not exist"
    return missing


def test_timm_normalize_auto_quick(installed_cache: Path, release_env: dict) -> None:
    done = run_nav("walk", "timm-normalize", "--auto", "--quick", "--device", "cpu", cache=installed_cache,
                   timeout=1200, env=release_env)  # the upstream-diff step reads fastai 2.7.4 and 2.7.5
    out = done.stdout + done.stderr
    verdicts = summary(done.stdout)
    assert list(verdicts) == [step.id for step in load_walkthrough("timm-normalize").steps]
    missing = missing_pieces()
    failed = {step: verdict for step, verdict in verdicts.items() if verdict != "ok" and not verdict.startswith("PASS")}
    assert failed.keys() == missing.keys(), out
    for step, reason in missing.items():
        assert reason in out, f"step {step} failed without saying why:\n{out}"
    assert done.returncode == (1 if missing else 0), out
    # the story the narrative tells, seen in the output: the bug, then the fix with each model's stats
    bug = out.split("The bug, live")[1].split("Apply the refactor")[0]
    assert "resnet18: no Normalize in after_batch" in bug and "vit_tiny_patch16_224: no Normalize" in bug
    fix = out.split("The fix, live")[1]
    assert "resnet18: Normalize mean=[0.485, 0.456, 0.406] std=[0.229, 0.224, 0.225]" in fix
    assert "vit_tiny_patch16_224: Normalize mean=[0.5, 0.5, 0.5] std=[0.5, 0.5, 0.5]" in fix
    upstream = out.split("The codemod against the change fastai really shipped")[1].split("The fix, live")[0]
    assert "+        if normalize: _timm_norm(dls, cfg, pretrained)" in upstream
    assert "5 of 5 definitions: the codemod's change is the change fastai shipped" in upstream
