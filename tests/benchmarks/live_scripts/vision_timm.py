"""Vision with a timm architecture on synthetic images: `vision_learner` with a timm model name,
fit, predict, show nothing. No downloads (pretrained=False); a few seconds on a CPU."""
import tempfile
from pathlib import Path

import numpy as np
from fastai.vision.all import (
    ImageDataLoaders,
    Resize,
    accuracy,
    get_image_files,
    vision_learner,
)
from PIL import Image

with tempfile.TemporaryDirectory() as scratch:
    rng = np.random.default_rng(0)
    for label in ("cat", "dog"):
        (Path(scratch) / label).mkdir()
        for n in range(12):
            pixels = rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(Path(scratch) / label / f"{n}.png")
    files = get_image_files(scratch)
    dls = ImageDataLoaders.from_path_func(scratch, files, lambda p: p.parent.name, valid_pct=0.25, seed=0,
                                          item_tfms=Resize(32), bs=8, num_workers=0)
    learn = vision_learner(dls, "resnet10t", pretrained=False, metrics=accuracy)
    learn.fit(1, lr=1e-3)
    learn.predict(files[0])
