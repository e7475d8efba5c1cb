"""The training half of the verification experiment: data, local "pretraining", fine-tuning.

Everything runs through fastai with whichever `fastai` is first on `sys.path`; `verify.py`
decides that by running `python -m walkthroughs.timm_normalize.experiment CONFIG` in a
subprocess whose PYTHONPATH starts with the before- or after-refactor copy.

Images: scikit-learn's digits (1,797 real 8x8 scans), scaled to SIZE px and 3 channels.
Task A (digits 0-4) pretrains a timm model with its own `default_cfg` mean/std, like the
ImageNet pretraining of real weights; task B (digits 5-9) is the fine-tuning task.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PRETRAIN_DIGITS, FINETUNE_DIGITS = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
REGIMES = ("head", "fine_tune")  # head only with the body frozen; fastai's full fine_tune


@dataclass(frozen=True)
class Settings:
    """One size of the experiment; `PRESETS` holds the full and --quick ones."""

    archs: tuple[str, ...]  # one ImageNet-stats arch and one 0.5-stats arch
    size: int = 32  # image side, px
    seeds: tuple[int, ...] = (0, 1, 2)
    pretrain_epochs: int = 6
    head_epochs: int = 3  # regime "head": fit_one_cycle with the body frozen
    freeze_epochs: int = 1  # regime "fine_tune": fine_tune(full_epochs, freeze_epochs=...)
    full_epochs: int = 3
    bs: int = 64
    lr: float = 2e-3
    limit: int = 0  # fine-tuning images (digits 5-9), 0 = all (~900)
    pretrain_limit: int = 0  # pretraining images (digits 0-4), 0 = all (~900)

    def checkpoint_key(self, arch: str) -> str:
        """Name of the cached pretrained weights: only what pretraining depends on."""
        return (f"{arch}-px{self.size}-ep{self.pretrain_epochs}-bs{self.bs}-lr{self.lr:g}"
                f"-n{self.pretrain_limit or 'all'}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


PRESETS: dict[str, Settings] = {
    # timm's tiny test models, which have real pretrained cfgs: test_byobnet (ImageNet stats) and
    # test_resnet (0.5 stats; `nav timm-stats test_`). A resnet18 pair is ~10x slower on 2 shared cores.
    "full": Settings(archs=("test_byobnet", "test_resnet"), size=32, seeds=(0, 1, 2), pretrain_epochs=10,
                     head_epochs=3, freeze_epochs=1, full_epochs=8, lr=5e-3, limit=400),
    "quick": Settings(archs=("test_byobnet", "test_resnet"), size=32, seeds=(0, 1, 2), pretrain_epochs=4,
                      head_epochs=2, freeze_epochs=1, full_epochs=2, lr=5e-3, limit=250, pretrain_limit=500),
}


# --- data ---------------------------------------------------------------------------------

def digit_images(digits: tuple[int, ...], size: int, limit: int = 0) -> tuple[Any, list[str]]:
    """Digits of the given classes as uint8 RGB arrays (N, size, size, 3) and their labels."""
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits

    data = load_digits()
    keep = [i for i, target in enumerate(data.target) if target in digits]
    if limit:
        keep = keep[:limit]
    images = []
    for i in keep:
        gray = Image.fromarray((data.images[i] / 16 * 255).astype("uint8"))
        images.append(np.asarray(gray.resize((size, size), Image.BILINEAR).convert("RGB")))
    return np.stack(images), [str(data.target[i]) for i in keep]


class _Pick:
    """Item getter for the DataBlock (a class, not a lambda, so it pickles)."""

    def __init__(self, values: Any) -> None:
        self.values = values

    def __call__(self, index: int) -> Any:
        return self.values[index]


class _Image(_Pick):
    def __call__(self, index: int) -> Any:
        from fastai.vision.all import PILImage

        return PILImage.create(self.values[index])


def dataloaders(digits: tuple[int, ...], settings: Settings, device: str, limit: int, seed: int = 0,
                batch_tfms: list | None = None):
    """fastai DataLoaders over digit images; the validation split is the same for every seed."""
    import numpy as np
    from fastai.vision.all import CategoryBlock, DataBlock, ImageBlock, IndexSplitter

    images, labels = digit_images(digits, settings.size, limit)
    valid = np.random.RandomState(0).permutation(len(labels))[: len(labels) // 5]
    block = DataBlock(blocks=(ImageBlock, CategoryBlock), splitter=IndexSplitter(valid),
                      get_x=_Image(images), get_y=_Pick(labels),
                      batch_tfms=batch_tfms)
    return block.dataloaders(list(range(len(labels))), bs=settings.bs, num_workers=0, device=device,
                             seed=seed)


# --- pretraining --------------------------------------------------------------------------

def pretrain(arch: str, settings: Settings, device: str, folder: Path) -> Path:
    """Weights for ARCH trained on task A with its own cfg stats; cached in FOLDER by settings."""
    ckpt = folder / f"{settings.checkpoint_key(arch)}.pth"
    if ckpt.is_file():
        print(f"pretrained {arch}: cached {ckpt}", flush=True)
        return ckpt
    import timm
    import torch
    from fastai.vision.all import CrossEntropyLossFlat, Learner, Normalize, error_rate, set_seed

    set_seed(0, reproducible=True)
    model = timm.create_model(arch, pretrained=False, num_classes=len(PRETRAIN_DIGITS))
    cfg = model.default_cfg
    dls = dataloaders(PRETRAIN_DIGITS, settings, device, settings.pretrain_limit,
                      batch_tfms=[Normalize.from_stats(cfg["mean"], cfg["std"])])
    learn = Learner(dls, model, loss_func=CrossEntropyLossFlat(), metrics=error_rate)
    print(f"pretraining {arch} on digits {PRETRAIN_DIGITS}, normalized with its cfg stats "
          f"mean={tuple(cfg['mean'])} std={tuple(cfg['std'])}", flush=True)
    learn.fit_one_cycle(settings.pretrain_epochs, settings.lr * 2)
    folder.mkdir(parents=True, exist_ok=True)
    temp = ckpt.with_suffix(".tmp")
    torch.save({k: v.cpu() for k, v in model.state_dict().items()}, temp)
    os.replace(temp, ckpt)
    return ckpt


# --- fine-tuning ----------------------------------------------------------------------------

@dataclass
class Run:
    """One fine-tuning run: what the learner got, and its error rate after every epoch."""

    code: str  # "before" or "after" the refactor
    arch: str
    regime: str
    seed: int
    fastai: str  # the fastai package that ran (proves which copy was first on sys.path)
    normalize: list[list[list[float]]]  # [[mean, std], ...] of each Normalize in after_batch
    cfg: list[list[float]]  # [mean, std] of the model's default_cfg
    loaded_checkpoint: bool  # body weights equal the checkpoint's: loaded via the overlay
    errors: list[float] = field(default_factory=list)


def _norms(dls) -> list[list[list[float]]]:
    from fastai.vision.all import Normalize

    return [[t.mean.flatten().tolist(), t.std.flatten().tolist()]
            for t in dls.after_batch.fs if isinstance(t, Normalize)]


def _matches_checkpoint(body, ckpt: Path) -> bool:
    """Every checkpoint tensor the timm body has equals the body's: the weights were loaded."""
    import torch

    saved, own = torch.load(ckpt, map_location="cpu"), body.state_dict()
    shared = [k for k in saved if k in own]
    return bool(shared) and all(torch.equal(saved[k], own[k].cpu()) for k in shared)


def learner(arch: str, ckpt: Path, settings: Settings, device: str, seed: int):
    """A learner built the way users build one: vision_learner with a timm arch string."""
    from fastai.vision.all import error_rate, set_seed, vision_learner

    set_seed(seed, reproducible=True)
    dls = dataloaders(FINETUNE_DIGITS, settings, device, settings.limit, seed=seed)
    return vision_learner(dls, arch, pretrained=True, metrics=error_rate,
                          pretrained_cfg_overlay=dict(file=str(ckpt)))


def fine_tune(code: str, arch: str, regime: str, seed: int, ckpt: Path, settings: Settings,
              device: str) -> Run:
    """Build a learner and train it in REGIME, recording the error rate after each epoch."""
    import fastai
    from fastai.vision.all import Callback

    learn = learner(arch, ckpt, settings, device, seed)
    body = learn.model[0].model
    run = Run(code, arch, regime, seed, str(Path(fastai.__file__).parent), _norms(learn.dls),
              [list(body.default_cfg["mean"]), list(body.default_cfg["std"])], _matches_checkpoint(body, ckpt))

    class RecordError(Callback):
        order = 60  # after the Recorder has computed the epoch's metrics

        def after_epoch(self) -> None:
            run.errors.append(float(self.recorder.values[-1][self.recorder.metric_names.index("error_rate") - 1]))

    print(f"\n== {code}-refactor code, {arch}, {regime}, seed {seed}: "
          f"Normalize in after_batch: {run.normalize or 'none'}", flush=True)
    with learn.added_cbs(RecordError()):
        if regime == "head":
            learn.fit_one_cycle(settings.head_epochs, settings.lr)
        else:
            learn.fine_tune(settings.full_epochs, settings.lr, freeze_epochs=settings.freeze_epochs)
    return run


def run_condition(config: dict[str, Any]) -> list[Run]:
    """Every arch x regime x seed under one code version (the fastai first on sys.path)."""
    settings = Settings.from_dict(config["settings"])
    runs = []
    for arch in settings.archs:
        for regime in REGIMES:
            for seed in settings.seeds:
                runs.append(fine_tune(config["code"], arch, regime, seed, Path(config["checkpoints"][arch]),
                                      settings, config["device"]))
    return runs


def main(argv: list[str]) -> int:
    """Subprocess entry: read a config JSON, train, write the runs as JSON next to it."""
    import warnings

    warnings.filterwarnings("ignore")
    config_file = Path(argv[0])
    config = json.loads(config_file.read_text())
    runs = run_condition(config)
    out = Path(config["result"])
    temp = out.with_suffix(".tmp")
    temp.write_text(json.dumps([asdict(run) for run in runs], indent=1))
    os.replace(temp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
