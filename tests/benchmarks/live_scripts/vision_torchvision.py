"""Vision with a torchvision architecture on synthetic images: DataBlock, `vision_learner(resnet18)`,
fine_tune, get_preds, interpretation. No downloads (pretrained=False); a few seconds on a CPU."""
import tempfile
from pathlib import Path

import numpy as np
from fastai.vision.all import (
    CategoryBlock,
    ClassificationInterpretation,
    DataBlock,
    ImageBlock,
    RandomSplitter,
    Resize,
    error_rate,
    get_image_files,
    parent_label,
    resnet18,
    vision_learner,
)
from PIL import Image

with tempfile.TemporaryDirectory() as scratch:
    rng = np.random.default_rng(1)
    for label in ("red", "blue"):
        (Path(scratch) / label).mkdir()
        for n in range(12):
            pixels = rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(Path(scratch) / label / f"{n}.jpg")
    block = DataBlock(blocks=(ImageBlock, CategoryBlock), get_items=get_image_files, get_y=parent_label,
                      splitter=RandomSplitter(0.25, seed=0), item_tfms=Resize(32))
    dls = block.dataloaders(scratch, bs=8, num_workers=0)
    learn = vision_learner(dls, resnet18, pretrained=False, metrics=error_rate)
    learn.fine_tune(1, freeze_epochs=1)
    preds, targs = learn.get_preds()
    ClassificationInterpretation.from_learner(learn).confusion_matrix()
