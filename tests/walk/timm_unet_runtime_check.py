"""Run in a subprocess with a copy of the installed fastai first on sys.path (see test_timm_unet_runtime).

`fastai.vision.learner` there has the timm-unet codemod applied; `fastai.vision.learner_orig` is
the installed module, unchanged. Builds U-Nets with both on tiny generated shapes (CPU, no hub)
and prints one JSON object of what happened, for the tests to assert on.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import timm
import torch
from torchvision.models import resnet18

from fastai.vision import learner, learner_orig
from fastai.data.core import DataLoaders
from fastai.vision.all import Normalize
from shapes import segmentation_dls

CFG_STATS = dict(mean=(0.25, 0.5, 0.75), std=(0.2, 0.3, 0.4))  # unlike ImageNet's: only the cfg has them


def tiny_dls(folder: Path) -> DataLoaders:
    """Five 32 px images: one training batch of four, one validation image."""
    return segmentation_dls(folder, 5, 32, 4, "cpu")


def train_one_batch(arch: str, folder: Path) -> dict:
    """`unet_learner(dls, arch, pretrained=False)` trained on one batch: loss and what changed."""
    learn = learner.unet_learner(tiny_dls(folder / arch), arch, pretrained=False)
    before = [p.detach().clone() for p in learn.model.parameters()]
    with learn.no_bar(), learn.no_logging():
        learn.fit(1, 1e-3)
    changed = sum(not torch.equal(a, p) for a, p in zip(before, learn.model.parameters()))
    encoder = learn.model[0]
    return dict(encoder=type(encoder).__name__, losses=[float(x) for x in learn.recorder.losses],
                changed=changed, params=len(before), reductions=encoder.model.feature_info.reduction(),
                hooked=[list(h.stored.shape[-2:]) for h in learn.model.sfs],
                out_shape=list(learn.model(torch.randn(2, 3, 32, 32)).shape))


def pretrained_stats(folder: Path) -> dict:
    """A local resnet18 "checkpoint" with cfg stats of our own: the learner's Normalize and weights."""
    ckpt = folder / "resnet18.pth"
    state = timm.create_model("resnet18").state_dict()
    torch.save(state, ckpt)
    dls = tiny_dls(folder / "pretrained")
    learn = learner.unet_learner(dls, "resnet18", pretrained=True,
                                 pretrained_cfg_overlay=dict(file=str(ckpt), **CFG_STATS))
    norms = [t for t in dls.after_batch.fs if isinstance(t, Normalize)]
    return dict(normalize=[[t.mean.flatten().tolist(), t.std.flatten().tolist()] for t in norms],
                loaded=torch.equal(learn.model[0].model.conv1.weight, state["conv1.weight"]),
                frozen=[learn.model[0].model.layer1[0].conv1.weight.requires_grad,  # encoder conv: frozen
                        learn.model[0].model.layer1[0].bn1.weight.requires_grad,  # its batchnorm: train_bn
                        learn.model[-2][0].weight.requires_grad])  # the final 1x1 conv of the decoder


def torchvision_as_before(folder: Path) -> dict:
    """The same torchvision U-Net and learner from the patched and the installed module."""
    torch.manual_seed(0)
    new = learner.create_unet_model(resnet18, 3, (32, 32), pretrained=False)
    torch.manual_seed(0)
    old = learner_orig.create_unet_model(resnet18, 3, (32, 32), pretrained=False)
    new_dls, old_dls = tiny_dls(folder / "tv_new"), tiny_dls(folder / "tv_old")
    new_learn = learner.unet_learner(new_dls, resnet18, pretrained=False)
    old_learn = learner_orig.unet_learner(old_dls, resnet18, pretrained=False)
    shapes = lambda m: [(n, list(p.shape)) for n, p in m.named_parameters()]
    return dict(same_repr=repr(new) == repr(old), same_shapes=shapes(new) == shapes(old),
                same_values=all(torch.equal(a, b) for a, b in zip(new.state_dict().values(), old.state_dict().values())),
                same_learner=repr(new_learn.model) == repr(old_learn.model),
                same_after_batch=repr(new_dls.after_batch) == repr(old_dls.after_batch),
                groups=[len(new_learn.splitter(new)), len(old_learn.splitter(old))],
                encoder=type(new[0]).__name__)


def refusals(folder: Path) -> dict:
    """The ValueErrors a user gets for a ViT and for torchvision-only arguments."""
    messages = {}
    for name, call in {
        "vit": lambda: learner.unet_learner(tiny_dls(folder / "vit"), "vit_tiny_patch16_224", pretrained=False),
        "cut": lambda: learner.create_unet_model("resnet18", 2, (32, 32), pretrained=False, cut=-2),
    }.items():
        try:
            call()
            messages[name] = None
        except ValueError as err:
            messages[name] = str(err)
    return messages


def main(folder: Path) -> None:
    result = dict(file=learner.__file__, orig_file=learner_orig.__file__,
                  trained={arch: train_one_batch(arch, folder) for arch in ("resnet18", "convnext_atto")},
                  pretrained=pretrained_stats(folder), torchvision=torchvision_as_before(folder),
                  refusals=refusals(folder))
    print(json.dumps(result))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
