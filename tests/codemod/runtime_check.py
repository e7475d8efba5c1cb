"""Run in a subprocess with a patched copy of fastai first on sys.path (see test_codemod_runtime).

For each module named on the command line (variants of fastai.vision.learner placed in the
copied package), builds learners on a few generated images, CPU only, with "pretrained" timm
weights from a local file (no hub), and prints JSON: module -> the file that ran, the Normalize
transforms the timm learner got, and the model's own default_cfg stats.
"""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import timm
import torch
from PIL import Image

from fastai.vision.all import ImageDataLoaders, Normalize, resnet18

# Stats unlike ImageNet's, so a Normalize carrying them can only come from the model's cfg.
CFG_STATS = dict(mean=(0.25, 0.5, 0.75), std=(0.2, 0.3, 0.4))


def image_dls(folder: Path):
    """Eight random 32x32 PNGs in two classes."""
    files, labels = [], []
    for i in range(8):
        pixels = (np.random.RandomState(i).rand(32, 32, 3) * 255).astype("uint8")
        Image.fromarray(pixels).save(folder / f"img{i}.png")
        files.append(folder / f"img{i}.png")
        labels.append("ab"[i % 2])
    return ImageDataLoaders.from_lists(folder, files, labels, valid_pct=0.25, seed=0, bs=4,
                                       num_workers=0, device="cpu")


def fit(learn) -> None:
    with learn.no_bar(), learn.no_logging():
        learn.fit(1, 1e-3)


def check(module_name: str, folder: Path, ckpt: Path) -> dict:
    """Learners built with `module_name`'s functions: a timm arch string, then torchvision."""
    module = importlib.import_module(module_name)
    dls = image_dls(folder)
    learn = module.vision_learner(dls, "resnet18", pretrained=True,
                                  pretrained_cfg_overlay=dict(file=str(ckpt), **CFG_STATS))
    fit(learn)
    cfg = learn.model[0].model.default_cfg
    norms = [t for t in dls.after_batch.fs if isinstance(t, Normalize)]
    fit(module.vision_learner(image_dls(folder), resnet18, pretrained=False))  # via create_body
    module.create_unet_model(resnet18, 2, (32, 32), pretrained=False)  # create_body, unet path
    return {"file": module.__file__,
            "normalize": [[t.mean.flatten().tolist(), t.std.flatten().tolist()] for t in norms],
            "cfg": [list(cfg["mean"]), list(cfg["std"])]}


def main(folder: Path, module_names: list[str]) -> None:
    ckpt = folder / "resnet18.pth"
    torch.save(timm.create_model("resnet18").state_dict(), ckpt)
    print(json.dumps({name: check(name, folder, ckpt) for name in module_names}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
