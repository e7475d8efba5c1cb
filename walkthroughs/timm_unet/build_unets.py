"""After the codemod: a U-Net for each of four timm CNN families, and a plain ViT refused.

For each arch, what timm reports (`feature_info`: reduction and channels of each feature map)
and what `DynamicUnet` made of it: the sizes of the feature maps its skip connections hook,
deepest first, and one training step on generated shapes. Nothing is downloaded.
"""
from __future__ import annotations

import os
from pathlib import Path

import fastai
from fastai.vision.all import unet_learner
from shapes import segmentation_dls

ARCHS = ("resnet34", "convnext_atto", "efficientnet_b0", "regnetx_002")

print(f"fastai imported from {Path(fastai.__file__).parent}")
dls = segmentation_dls(Path(os.environ.get("NAV_SCRATCH", ".")) / "shapes", 5, 32, 4, "cpu")
for arch in ARCHS:
    learn = unet_learner(dls, arch, pretrained=False)
    encoder = learn.model[0]
    info = encoder.model.feature_info
    hooked = [tuple(h.stored.shape[1:]) for h in learn.model.sfs]
    with learn.no_bar(), learn.no_logging():
        learn.fit(1, 1e-3)
    print(f"{arch}: {type(encoder).__name__}, timm reductions {info.reduction()} channels {info.channels()}")
    print(f"{arch}: skip connections (channels, h, w) at 32 px: {hooked}; one batch trained, "
          f"loss {float(learn.recorder.losses[-1]):.2f}")
try:
    unet_learner(dls, "vit_tiny_patch16_224", pretrained=False)
except ValueError as err:
    print(f"vit_tiny_patch16_224: ValueError: {err}")
