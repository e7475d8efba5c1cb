"""Generated segmentation data: shapes on textured backgrounds, with their masks.

No data set host is reachable, so the U-Net checks train on pictures made here: each image
has a noisy, striped background in muted random colours and one to three filled shapes
(disc, square, triangle) in saturated colours; its mask labels every pixel 0 (background) or
1 (shape). Two classes keep the task learnable from scratch in the minute a CPU check has.
Deterministic for a seed. Needs numpy and PIL only (fastai brings both).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw

if TYPE_CHECKING:
    from fastai.data.core import DataLoaders

CODES = ("background", "shape")
KINDS = ("disc", "square", "triangle")


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Stripes at a random angle and frequency, in two muted random colours, plus pixel noise."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    angle, period = rng.uniform(0, np.pi), rng.uniform(4, 16)
    wave = 0.5 + 0.5 * np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period)
    a, b = rng.uniform(50, 170, 3), rng.uniform(50, 170, 3)
    pixels = a * wave[..., None] + b * (1 - wave[..., None]) + rng.normal(0, 15, (size, size, 3))
    return np.clip(pixels, 0, 255).astype(np.uint8)


def _saturated(rng: np.random.Generator) -> tuple[int, int, int]:
    """A colour with one channel near full and the others near zero: unlike any background."""
    colour = rng.integers(0, 40, 3)
    colour[rng.integers(0, 3)] = rng.integers(215, 256)
    return tuple(int(c) for c in colour)


def _draw_shape(draw: ImageDraw.ImageDraw, mask: ImageDraw.ImageDraw, kind: str,
                rng: np.random.Generator, size: int) -> None:
    r = rng.uniform(size / 10, size / 4)
    cx, cy = rng.uniform(r, size - r, 2)
    box = [cx - r, cy - r, cx + r, cy + r]
    for canvas, fill in ((draw, _saturated(rng)), (mask, 1)):
        if kind == "disc":
            canvas.ellipse(box, fill=fill)
        elif kind == "square":
            canvas.rectangle(box, fill=fill)
        else:
            canvas.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=fill)


def make_sample(seed: int, size: int) -> tuple[Image.Image, Image.Image]:
    """One RGB image and its mask (mode L, values 0 and 1)."""
    rng = np.random.default_rng(seed)
    image = Image.fromarray(_background(rng, size))
    mask = Image.new("L", (size, size), 0)
    draw, draw_mask = ImageDraw.Draw(image), ImageDraw.Draw(mask)
    for kind in rng.choice(KINDS, rng.integers(1, 4)):
        _draw_shape(draw, draw_mask, str(kind), rng, size)
    return image, mask


def write_dataset(folder: Path, count: int, size: int) -> list[Path]:
    """`count` images under folder/images and their masks under folder/masks (same names)."""
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "masks").mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(count):
        image, mask = make_sample(i, size)
        image.save(folder / "images" / f"{i:04d}.png")
        mask.save(folder / "masks" / f"{i:04d}.png")
        files.append(folder / "images" / f"{i:04d}.png")
    return files


def segmentation_dls(folder: Path, count: int, size: int, bs: int, device: str | None = None) -> DataLoaders:
    """fastai `SegmentationDataLoaders` over a freshly written data set (20% validation)."""
    from fastai.vision.all import SegmentationDataLoaders

    files = write_dataset(folder, count, size)
    return SegmentationDataLoaders.from_label_func(
        folder, files, lambda f: folder / "masks" / Path(f).name, codes=list(CODES),
        valid_pct=0.2, seed=0, bs=bs, num_workers=0, device=device)
