"""A few real images (scikit-learn's handwritten digits, 32 px, 3 channels) as fastai DataLoaders.

Walkthrough snippets need a `dls` to build learners on; what they show (which transforms run
after each batch) does not depend on the data, so a dozen images are enough.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image


def digit_folder(count: int = 12) -> Path:
    """`count` digit images saved as PNGs in class folders under the step's scratch dir."""
    from sklearn.datasets import load_digits

    root = Path(os.environ.get("NAV_SCRATCH", ".")) / "digits"
    digits = load_digits()
    for index in range(count):
        image = (digits.images[index] * 255 / 16).astype(np.uint8)
        folder = root / str(digits.target[index])
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).convert("RGB").resize((32, 32)).save(folder / f"{index}.png")
    return root


def tiny_dls():
    """Fresh DataLoaders (no Normalize yet): each learner gets its own, as in real use."""
    from fastai.vision.all import ImageDataLoaders, Resize

    return ImageDataLoaders.from_folder(digit_folder(), valid_pct=0.25, bs=4, item_tfms=Resize(32),
                                        num_workers=0, seed=0)
