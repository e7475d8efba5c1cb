"""Acceptance: `nav walk timm-unet --auto --quick` runs end to end on CPU and tells its story.

Its trace step uses `nav trace` from another branch: while that is not in this checkout, the
step must fail and say so, and every other step must pass.
"""
from __future__ import annotations

from pathlib import Path

from navigator.cli import COMMANDS
from navigator.walk_format import load_walkthrough
from tests.conftest import run_nav
from tests.test_walkthroughs import summary


def test_timm_unet_auto_quick(installed_cache: Path) -> None:
    done = run_nav("walk", "timm-unet", "--auto", "--quick", "--device", "cpu", cache=installed_cache,
                   timeout=1200)
    out = done.stdout + done.stderr
    verdicts = summary(done.stdout)
    assert list(verdicts) == [step.id for step in load_walkthrough("timm-unet").steps]
    missing = {} if "trace" in COMMANDS else {"trace-build": "invalid choice: 'trace'"}
    failed = {step: verdict for step, verdict in verdicts.items() if verdict != "ok" and not verdict.startswith("PASS")}
    assert failed.keys() == missing.keys(), out
    for step, reason in missing.items():
        assert reason in out, f"step {step} failed without saying why:\n{out}"
    assert done.returncode == (1 if missing else 0), out
    gap = out.split("The gap, live")[1].split("What timm reports")[0]
    assert "TypeError: 'str' object is not callable" in gap  # unpatched: a timm arch cannot build a U-Net
    fixed = out.split("U-Nets on four timm CNN families")[1]
    for arch in ("resnet34", "convnext_atto", "efficientnet_b0", "regnetx_002"):
        assert f"{arch}: TimmUnetEncoder, timm reductions" in fixed and f"{arch}: skip connections" in fixed
    assert "vit_tiny_patch16_224: ValueError: timm model 'vit_tiny_patch16_224' has no feature maps" in fixed
    assert "memory: timm / torchvision =" in fixed and "verify: PASS" in fixed
