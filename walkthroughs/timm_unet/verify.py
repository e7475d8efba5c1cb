"""Verify timm U-Nets: a segmentation fine-tune and a memory comparison with torchvision.

Run with the patched workspace (a fastai with the timm-unet codemod) first on sys.path; exit 0
means pass. Two checks:
1. train `unet_learner(dls, ARCH)` for a timm CNN on generated shapes (shapes.py) and report
   pixel accuracy and dice (shape vs background) on the validation set; pass when the model beats the
   "all background" answer by 3 points and dice clears a floor.
2. peak memory of one forward+backward at batch 8, 128 px, for the timm-resnet34 U-Net (this
   workspace) and the torchvision-resnet34 U-Net built by the unmodified installed fastai, each
   in its own process (`python -I`, so the workspace is not on its path): CUDA's
   max_memory_allocated when on CUDA, else the peak resident-set growth over the process's
   size before the step. Pass when timm's figure is within 1.5x of torchvision's.
Usage: verify.py [--quick] [--device auto|cpu|cuda] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import Tensor

MEMORY_RATIO = 1.5
MEMORY_BATCH, MEMORY_SIZE, N_CLASSES = 8, 128, 2
# A small timm CNN: DynamicUnet's decoder widths follow the encoder's channels, so a light
# encoder keeps the whole U-Net cheap enough to train from scratch on a CPU.
FULL = dict(arch="mobilenetv3_small_050", count=256, size=64, bs=8, epochs=8, lr=1e-2, dice=0.7)
QUICK = dict(arch="mobilenetv3_small_050", count=64, size=48, bs=8, epochs=5, lr=1e-2, dice=0.5)


def pick_device(choice: str) -> str:
    """`auto` is CUDA when present (as fastai does), else CPU; `cuda` without a GPU is an error."""
    import torch

    if choice == "cuda" and not torch.cuda.is_available():
        raise SystemExit("verify: --device cuda but no CUDA device is available")
    return "cuda" if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()) else "cpu"


def workspace_fastai() -> Path:
    """The fastai package this process imports (the patched workspace), found without importing it."""
    from tags.discovery import package_dir

    path = package_dir("fastai")
    if path is None:
        raise SystemExit("verify: fastai is not importable")
    return path


# --- 1. segmentation fine-tune -----------------------------------------------------------------

def pixel_accuracy(inp: Tensor, targ: Tensor) -> Tensor:
    """Share of pixels whose predicted class is the true one."""
    return (inp.argmax(dim=1) == targ).float().mean()


def fine_tune(settings: dict, device: str, out: Path) -> dict:
    """Train the timm U-Net on generated shapes; metrics on the validation set."""
    from fastai.vision.all import Dice, set_seed, unet_learner
    from shapes import segmentation_dls

    set_seed(0)
    dls = segmentation_dls(out / "shapes", settings["count"], settings["size"], settings["bs"], device)
    masks = [y for _, y in dls.valid]
    background = float(sum((m == 0).sum() for m in masks) / sum(m.numel() for m in masks))
    learn = unet_learner(dls, settings["arch"], pretrained=False, metrics=[pixel_accuracy, Dice()])
    print(f"fine-tune: timm {settings['arch']} U-Net, {settings['count']} images of {settings['size']} px, "
          f"{settings['epochs']} epochs on {device}")
    learn.fit_one_cycle(settings["epochs"], settings["lr"])
    _, accuracy, dice = learn.validate()
    learn.show_results(max_n=4, figsize=(6, 12))
    import matplotlib.pyplot as plt
    plt.savefig(out / "predictions.png")
    result = dict(arch=settings["arch"], pixel_accuracy=float(accuracy), dice=float(dice),
                  background_share=background, dice_floor=settings["dice"])
    result["passed"] = result["pixel_accuracy"] > background + 0.03 and result["dice"] >= settings["dice"]
    return result


# --- 2. memory of one forward+backward -------------------------------------------------------

def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(kind: str, device: str) -> dict:
    """Peak memory of forward+backward of a resnet34 U-Net (`kind` timm or torchvision), in bytes."""
    import resource

    import torch
    import torch.nn.functional as F
    from fastai.vision.learner import create_unet_model
    from torchvision.models import resnet34

    torch.manual_seed(0)
    arch = "resnet34" if kind == "timm" else resnet34
    model = create_unet_model(arch, N_CLASSES, (MEMORY_SIZE, MEMORY_SIZE), pretrained=False).to(device).train()
    x = torch.randn(MEMORY_BATCH, 3, MEMORY_SIZE, MEMORY_SIZE, device=device)
    y = torch.randint(0, N_CLASSES, (MEMORY_BATCH, MEMORY_SIZE, MEMORY_SIZE), device=device)
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        base = _rss_bytes()
    F.cross_entropy(model(x), y).backward()
    if device == "cuda":
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() - base
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
    import fastai
    return dict(kind=kind, fastai=str(Path(fastai.__file__).parent), peak_bytes=int(peak),
                params=sum(p.numel() for p in model.parameters()), method="cuda max_memory_allocated"
                if device == "cuda" else "peak RSS growth")


def measure_in_subprocess(kind: str, device: str, fastai_root: Path | None) -> dict:
    """`measure` in a fresh isolated process: fastai from `fastai_root` if given, else the installed one."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    command = [sys.executable, "-I", "-W", "ignore", __file__, "--measure", kind, "--device", device]
    if fastai_root is not None:
        command += ["--fastai-root", str(fastai_root)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"verify: the {kind} memory measurement failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory_check(device: str) -> dict:
    """timm-resnet34 U-Net (workspace) vs torchvision-resnet34 U-Net (installed fastai), each alone."""
    timm_side = measure_in_subprocess("timm", device, workspace_fastai().parent)
    torchvision_side = measure_in_subprocess("torchvision", device, None)
    ratio = timm_side["peak_bytes"] / max(torchvision_side["peak_bytes"], 1)
    for side in (timm_side, torchvision_side):
        print(f"memory: {side['kind']:<11} resnet34 U-Net, batch {MEMORY_BATCH} at {MEMORY_SIZE} px: "
              f"{side['peak_bytes'] / 2**20:7.1f} MiB ({side['method']}, {side['params']:,} parameters, "
              f"fastai from {side['fastai']})")
    print(f"memory: timm / torchvision = {ratio:.2f} (pass when <= {MEMORY_RATIO})")
    return dict(timm=timm_side, torchvision=torchvision_side, ratio=ratio, passed=ratio <= MEMORY_RATIO)


# --- entry point ----------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data and few epochs (CI, about a minute)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--out", type=Path, default=None, help="where data, predictions.png and verify.json go")
    parser.add_argument("--measure", choices=("timm", "torchvision"), help=argparse.SUPPRESS)
    parser.add_argument("--fastai-root", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.measure:  # child process of the memory check
        if args.fastai_root is not None:
            sys.path.insert(0, str(args.fastai_root))
        print(json.dumps(measure(args.measure, args.device)))
        return 0
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(Path(__file__).parent))
    from fastai.vision import learner
    if not hasattr(learner, "create_timm_unet_model"):
        print(f"verify: {learner.__file__} has no timm U-Nets: apply the timm-unet codemod first")
        return 1
    device = pick_device(args.device)
    out = args.out or Path(tempfile.mkdtemp(prefix="timm-unet-verify-"))
    out.mkdir(parents=True, exist_ok=True)
    trained = fine_tune(QUICK if args.quick else FULL, device, out)
    print(f"fine-tune: pixel accuracy {trained['pixel_accuracy']:.3f} (all-background answer: "
          f"{trained['background_share']:.3f}), dice {trained['dice']:.3f} (floor {trained['dice_floor']})")
    memory = memory_check(device)
    report = dict(device=device, quick=args.quick, fine_tune=trained, memory=memory)
    (out / "verify.json").write_text(json.dumps(report, indent=2))
    passed = trained["passed"] and memory["passed"]
    print(f"verify: {'PASS' if passed else 'FAIL'} (details in {out / 'verify.json'})")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
