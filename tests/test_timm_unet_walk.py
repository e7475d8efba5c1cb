"""Acceptance: `nav walk timm-unet --auto --quick` runs end to end on CPU and tells its story:
DynamicUnet read and traced live, the gap, the codemod, four timm CNN families, verify."""
from __future__ import annotations

from pathlib import Path

from navigator.walk_format import load_walkthrough
from tests.conftest import run_nav
from tests.test_walkthroughs import summary


def test_timm_unet_auto_quick(installed_cache: Path) -> None:
    done = run_nav("walk", "timm-unet", "--auto", "--quick", "--device", "cpu", cache=installed_cache,
                   timeout=1200)
    out = done.stdout + done.stderr
    verdicts = summary(done.stdout)
    assert list(verdicts) == [step.id for step in load_walkthrough("timm-unet").steps]
    failed = {step: verdict for step, verdict in verdicts.items() if verdict != "ok" and not verdict.startswith("PASS")}
    assert failed == {} and done.returncode == 0, out
    assert "UnetBlock.__init__" in out.split("Building one, traced live")[1].split("create_unet_model: torchvision")[0]
    gap = out.split("The gap, live")[1].split("What timm reports")[0]
    assert "TypeError: 'str' object is not callable" in gap  # unpatched: a timm arch cannot build a U-Net
    fixed = out.split("U-Nets on four timm CNN families")[1]
    for arch in ("resnet34", "convnext_atto", "efficientnet_b0", "regnetx_002"):
        assert f"{arch}: TimmUnetEncoder, timm reductions" in fixed and f"{arch}: skip connections" in fixed
    assert "vit_tiny_patch16_224: ValueError: timm model 'vit_tiny_patch16_224' has no feature maps" in fixed
    assert "memory: timm / torchvision =" in fixed and "verify: PASS" in fixed
