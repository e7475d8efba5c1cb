"""Acceptance: `nav walk timm-unet --auto --quick` runs end to end on CPU and tells its story:
DynamicUnet read and traced live, the gap, the codemod, four timm CNN families, verify."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from navigator.walk.format import load_walkthrough
from tests.helpers import run_nav, summary


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
    memory = {kind: (float(mib), params, fastai) for kind, mib, params, fastai in re.findall(
        r"^memory: (timm|torchvision) +resnet34 U-Net, batch 8 at 128 px: +([\d.]+) MiB "
        r"\(peak RSS growth, ([\d,]+) parameters, fastai from (\S+)\)$", fixed, re.M)}
    assert memory["timm"][2].endswith("/walk/timm-unet/site/fastai")  # the patched workspace copy
    assert memory["torchvision"][2] == str(Path(importlib.util.find_spec("fastai").origin).parent)  # unmodified
    assert memory["timm"][1] == memory["torchvision"][1]  # resnet34 either way: the same U-Net size
    assert memory["torchvision"][0] > 100  # batch 8 at 128 px: hundreds of MiB, not noise
    assert memory["timm"][0] <= 1.5 * memory["torchvision"][0]
    assert "verify: PASS" in fixed
