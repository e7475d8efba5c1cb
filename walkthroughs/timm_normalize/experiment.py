"""The training half of the verification experiment: data, local "pretraining", fine-tuning.

Everything runs through fastai with whichever `fastai` is first on `sys.path`; `verify.py`
decides that by running `python -m walkthroughs.timm_normalize.experiment CONFIG` in a
subprocess whose PYTHONPATH starts with the before- or after-refactor copy.

Offline presets (`quick`, `small`, `full`): scikit-learn's digits (1,797 real 8x8 scans), scaled
to SIZE px and 3 channels. Task A (digits 0-4) pretrains a timm model with its own `default_cfg`
mean/std, like the ImageNet pretraining of real weights; task B (digits 5-9) is the fine-tuning task.
The `session` preset is the recorded session's experiment: timm's real pretrained weights
(`pretrained=True`) and a real photo data set fetched by fastai's `untar_data` (Imagenette).
"""
from __future__ import annotations

import json
import os
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PRETRAIN_DIGITS, FINETUNE_DIGITS = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
REGIMES = ("head", "fine_tune")  # head only with the body frozen; fastai's full fine_tune
IMAGENETTE_160 = "https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-160.tgz"  # fastai's URLs.IMAGENETTE_160
DIGITS = "digits"  # Settings.data of the offline presets
SMOKE_ARCHS = ("test_byobnet", "test_vit")  # ImageNet / 0.5 stats; test_vit needs img_size like a real ViT


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
    limit: int = 0  # fine-tuning (training) images, 0 = all (~900 digits 5-9; 9,469 Imagenette)
    pretrain_limit: int = 0  # pretraining images (digits 0-4), 0 = all (~900)
    data: str = DIGITS  # "digits", or the untar_data URL of an archive with train/ and val/ class folders
    weights: str = "local"  # "local": pretrained here on digits 0-4; "hub": timm's pretrained=True weights
    amp: bool = False  # mixed precision (fastai's to_fp16) when training on CUDA

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
    "small": Settings(archs=("test_byobnet", "test_resnet"), size=32, seeds=(0, 1, 2), pretrain_epochs=10,
                     head_epochs=3, freeze_epochs=1, full_epochs=8, lr=5e-3, limit=400),
    "quick": Settings(archs=("test_byobnet", "test_resnet"), size=32, seeds=(0, 1, 2), pretrain_epochs=4,
                      head_epochs=2, freeze_epochs=1, full_epochs=2, lr=5e-3, limit=250, pretrain_limit=500),
    # real-size nets on a GPU without network: weights pretrained here on all digits 0-4 at 128 px
    # (expected ~5 min on one A100/H100-class GPU, unmeasured: results/README.md says how it was estimated)
    "full": Settings(archs=("resnet18", "vit_small_patch16_224"), size=128, seeds=(0, 1, 2), pretrain_epochs=30,
                     head_epochs=4, freeze_epochs=1, full_epochs=8, bs=64, lr=2e-3, amp=True),
    # the session's experiment: timm's ImageNet weights, Imagenette photos at 160 px
    # (expected 10-15 min on one A100/H100-class GPU plus the downloads, unmeasured: see results/README.md)
    "session": Settings(archs=("resnet50", "vit_small_patch16_224"), size=160, seeds=(0, 1, 2), head_epochs=3,
                        freeze_epochs=1, full_epochs=4, bs=64, lr=2e-3, data=IMAGENETTE_160, weights="hub",
                        amp=True),
}
NEEDS_CUDA = ("full", "session")  # hours on a CPU


def smoke(settings: Settings) -> Settings:
    """The same code path for a few batches: tiny models, 32 px, one seed, one epoch per phase."""
    import dataclasses

    tiny = settings.archs if all(a.startswith("test_") for a in settings.archs) else SMOKE_ARCHS
    return dataclasses.replace(settings, archs=tiny, size=32, seeds=(0,), pretrain_epochs=1, head_epochs=1,
                               freeze_epochs=1, full_epochs=1, bs=8, limit=16, pretrain_limit=16)


def model_kwargs(arch: str, size: int) -> dict[str, Any]:
    """timm kwargs for SIZE px inputs: models with a fixed input size (ViTs) are built for it."""
    from timm.models import get_pretrained_cfg

    cfg = get_pretrained_cfg(arch)
    return {"img_size": size} if cfg is not None and cfg.fixed_input_size and cfg.input_size[-1] != size else {}


def hub_file(arch: str) -> Path | None:
    """The cached hub weights timm's pretrained=True loads for ARCH, or None when not downloaded.

    HF_HUB_CACHE is read now, not when huggingface_hub was imported, so a caller can point it elsewhere.
    """
    from huggingface_hub import try_to_load_from_cache
    from timm.models import get_pretrained_cfg

    cfg = get_pretrained_cfg(arch)
    if cfg is None or not cfg.hf_hub_id:
        return None
    for name in ("model.safetensors", "pytorch_model.bin"):
        found = try_to_load_from_cache(cfg.hf_hub_id, name, cache_dir=os.environ.get("HF_HUB_CACHE"))
        if isinstance(found, str):
            return Path(found)
    return None


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


def folder_dataloaders(path: Path, settings: Settings, device: str, seed: int = 0):
    """fastai DataLoaders over an untar_data folder in Imagenette's layout: train/ and val/ class folders."""
    from fastai.vision.all import (CategoryBlock, DataBlock, GrandparentSplitter, ImageBlock, Resize,
                                   get_image_files, parent_label)

    def subset(split: str, count: int) -> list[Path]:
        files = sorted(get_image_files(path / split))
        return [files[i] for i in random.Random(0).sample(range(len(files)), count)] if 0 < count < len(files) else files

    items = subset("train", settings.limit) + subset("val", settings.limit // 4)
    block = DataBlock(blocks=(ImageBlock, CategoryBlock), get_y=parent_label, item_tfms=Resize(settings.size),
                      splitter=GrandparentSplitter(train_name="train", valid_name="val"))
    workers = min(8, os.cpu_count() or 1) if device == "cuda" else 0
    return block.dataloaders(items, bs=settings.bs, num_workers=workers, device=device, seed=seed)


def finetune_dataloaders(settings: Settings, data_path: str, device: str, seed: int):
    """The fine-tuning task: digits 5-9, or the downloaded photo folder (DATA_PATH)."""
    if settings.data == DIGITS:
        return dataloaders(FINETUNE_DIGITS, settings, device, settings.limit, seed=seed)
    return folder_dataloaders(Path(data_path), settings, device, seed=seed)


def _mixed_precision(learn, settings: Settings, device: str):
    """fastai's to_fp16 on CUDA when the preset asks for it; CPU trains in float32."""
    return learn.to_fp16() if settings.amp and device == "cuda" else learn


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
    model = timm.create_model(arch, pretrained=False, num_classes=len(PRETRAIN_DIGITS),
                              **model_kwargs(arch, settings.size))
    cfg = model.default_cfg
    dls = dataloaders(PRETRAIN_DIGITS, settings, device, settings.pretrain_limit,
                      batch_tfms=[Normalize.from_stats(cfg["mean"], cfg["std"])])
    learn = _mixed_precision(Learner(dls, model, loss_func=CrossEntropyLossFlat(), metrics=error_rate),
                             settings, device)
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
    loaded_checkpoint: bool  # body weights equal the checkpoint's: loaded via the overlay or the hub
    errors: list[float] = field(default_factory=list)
    amp: bool = False  # trained with fastai's to_fp16
    seconds: float = 0.0  # wall time of this run: building the learner and training


def _norms(dls) -> list[list[list[float]]]:
    from fastai.vision.all import Normalize

    return [[t.mean.flatten().tolist(), t.std.flatten().tolist()]
            for t in dls.after_batch.fs if isinstance(t, Normalize)]


def load_weights(path: Path) -> dict[str, Any]:
    """A checkpoint's tensors: a torch .pth/.bin file or a .safetensors file (the hub's format)."""
    import torch

    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    saved = torch.load(path, map_location="cpu")
    return saved.get("state_dict", saved) if isinstance(saved, dict) else saved


def _matches_checkpoint(body, ckpt: Path | None) -> bool:
    """The body's tensors equal the checkpoint's: the weights were loaded.

    Tensors timm reshapes on load (a ViT's position embedding at another image size) are skipped;
    the rest must cover at least 90% of the body's tensors.
    """
    import torch

    if ckpt is None or not ckpt.is_file():
        return False
    saved, own = load_weights(ckpt), body.state_dict()
    shared = [k for k in own if k in saved and saved[k].shape == own[k].shape]
    return len(shared) >= 0.9 * len(own) and all(torch.equal(saved[k], own[k].cpu()) for k in shared)


def learner(arch: str, ckpt: Path | None, settings: Settings, data_path: str, device: str, seed: int):
    """A learner built the way users build one: vision_learner with a timm arch string.

    With CKPT the weights come from that file through timm's `pretrained_cfg_overlay`; without it,
    timm fetches its own pretrained weights (the hub, or the hub's local cache).
    """
    from fastai.vision.all import error_rate, set_seed, vision_learner

    set_seed(seed, reproducible=True)
    dls = finetune_dataloaders(settings, data_path, device, seed)
    overlay = {"pretrained_cfg_overlay": dict(file=str(ckpt))} if ckpt else {}
    learn = vision_learner(dls, arch, pretrained=True, metrics=error_rate, **overlay,
                           **model_kwargs(arch, settings.size))
    return _mixed_precision(learn, settings, device)


def fine_tune(code: str, arch: str, regime: str, seed: int, ckpt: Path | None, settings: Settings,
              device: str, data_path: str = "") -> Run:
    """Build a learner and train it in REGIME, recording the error rate after each epoch."""
    import fastai
    from fastai.vision.all import Callback

    started = time.monotonic()
    learn = learner(arch, ckpt, settings, data_path, device, seed)
    body = learn.model[0].model
    run = Run(code, arch, regime, seed, str(Path(fastai.__file__).parent), _norms(learn.dls),
              [list(body.default_cfg["mean"]), list(body.default_cfg["std"])],
              _matches_checkpoint(body, ckpt or hub_file(arch)), amp=settings.amp and device == "cuda")

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
    run.seconds = round(time.monotonic() - started, 3)  # a smoke run can take under 0.05 s
    return run


def run_condition(config: dict[str, Any]) -> list[Run]:
    """Every arch x regime x seed under one code version (the fastai first on sys.path)."""
    settings = Settings.from_dict(config["settings"])
    runs = []
    for arch in settings.archs:
        for regime in REGIMES:
            for seed in settings.seeds:
                ckpt = config["checkpoints"].get(arch)
                runs.append(fine_tune(config["code"], arch, regime, seed, Path(ckpt) if ckpt else None,
                                      settings, config["device"], config.get("data_path", "")))
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
