"""Build a timm learner for two architectures and print what `dls.after_batch` holds.

Run once with the workspace rewound (the bug: no `Normalize` for timm models) and once after
the forward codemod (the fix: `Normalize` with each model's own `default_cfg` stats). No
download: each "pretrained" checkpoint is a locally saved randomly initialised model, passed
with `pretrained_cfg_overlay=dict(file=...)`, so `pretrained=True` takes fastai's real path.
"""
from __future__ import annotations

import os
from pathlib import Path

import timm
import torch

import fastai
from fastai.vision.all import Normalize, vision_learner
from tiny_data import tiny_dls

ARCHS = {"resnet18": {}, "vit_tiny_patch16_224": {"img_size": 32}}  # ImageNet stats / 0.5 stats


def checkpoint(arch: str) -> Path:
    """A local stand-in for the hub's weights, made once per workspace."""
    path = Path(os.environ.get("NAV_SCRATCH", ".")) / f"{arch}-local.pth"
    if not path.exists():
        torch.save(timm.create_model(arch, pretrained=False).state_dict(), path)
    return path


def describe(arch: str, extra: dict) -> None:
    learn = vision_learner(tiny_dls(), arch, pretrained=True,
                           pretrained_cfg_overlay=dict(file=str(checkpoint(arch))), **extra)
    cfg = learn.model[0].model.default_cfg if hasattr(learn.model[0], "model") else {}
    print(f"{arch}: timm default_cfg mean={cfg.get('mean')} std={cfg.get('std')}")
    print(f"{arch}: dls.after_batch = {[type(t).__name__ for t in learn.dls.after_batch.fs]}")
    norms = [t for t in learn.dls.after_batch.fs if isinstance(t, Normalize)]
    for norm in norms:
        mean = [round(v, 3) for v in norm.mean.flatten().tolist()]
        std = [round(v, 3) for v in norm.std.flatten().tolist()]
        print(f"{arch}: Normalize mean={mean} std={std}")
    if not norms:
        print(f"{arch}: no Normalize in after_batch: inputs reach the model unnormalized")


if __name__ == "__main__":
    print(f"fastai imported from {Path(fastai.__file__).parent}")
    for arch, extra in ARCHS.items():
        describe(arch, extra)
