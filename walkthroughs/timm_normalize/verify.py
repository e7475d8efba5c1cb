"""Verify the timm-normalize refactor by training: before-refactor vs after-refactor fastai.

Run with the refactored fastai first on sys.path (the walkthrough's workspace, or the installed
fastai >= 2.7.5):

    python walkthroughs/timm_normalize/verify.py [--preset auto|quick|small|full|session] [--quick]
        [--smoke] [--device auto|cpu|cuda] --out DIR

Presets (experiment.PRESETS): `quick` and `small`: timm's tiny test models on 32 px digits, CPU
minutes; `full`: resnet18 + vit_small at 128 px on digits, for a GPU without network; `session`:
the recorded session's experiment, resnet50 + vit_small with timm's real ImageNet weights on
Imagenette (fastai's `untar_data`) at 160 px, on a GPU with network. `auto` (the default) runs
the biggest one the machine can: the preflight checks say which and why (preflight.py).
`--smoke` runs the chosen preset's code path for a few batches with tiny models (for tests).

1. Checks that this fastai is refactored (`_timm_norm` exists); else fails (exit 1) saying so.
2. Checks CUDA, data and weights and picks the preset; a missing piece means a smaller preset.
3. Offline presets "pretrain" each architecture on digits 0-4 with its own default_cfg mean/std
   (cached in DIR/checkpoints); `session` fetches timm's weights and the data set once, up front.
4. Copies this fastai package and applies the reverse codemod to the copy: the old code.
5. Fine-tunes under each code version in a subprocess with that copy first on sys.path
   (`vision_learner(..., pretrained=True)`, with `pretrained_cfg_overlay=dict(file=ckpt)` for local
   weights), in two regimes over several seeds; mixed precision on CUDA where the preset says so.
6. Checks the mechanics (Normalize with the cfg stats after, none before, weights loaded),
   prints a table, the preset, device and wall times, and a reading; writes DIR/metrics.json and
   DIR/curves.png. Exit 0 = verified.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # after the workspace: walkthroughs and navigator come from this repo
    sys.path.append(str(REPO))

from walkthroughs.timm_normalize import preflight, report  # noqa: E402
from walkthroughs.timm_normalize.experiment import (  # noqa: E402
    DIGITS, NEEDS_CUDA, PRESETS, Settings, hub_file, smoke)

PRESET_NAMES = ("auto", *PRESETS)


class VerifyFailed(Exception):
    """The refactor is not verified; the message says why."""


def fastai_dir() -> Path:
    """The fastai package first on sys.path, found without importing it."""
    from tags.discovery import package_dir

    path = package_dir("fastai")
    if path is None:
        raise VerifyFailed("fastai is not importable")
    return path


def check_refactored(fastai: Path) -> None:
    """Fail clearly when this fastai has the old code (no `_timm_norm`)."""
    from navigator.codemod.registry import has_timm_norm

    if not has_timm_norm(str(fastai)):
        raise VerifyFailed(f"the fastai at {fastai} is NOT refactored: fastai/vision/learner.py has no "
                           "_timm_norm, so timm learners get no Normalize (apply the timm-normalize codemod)")


def before_copy(fastai: Path, parent: Path) -> Path:
    """A copy of FASTAI with the reverse codemod applied; returns the dir to put on sys.path."""
    from navigator.codemod.apply import transform_source
    from navigator.codemod.registry import Transformed

    root = Path(tempfile.mkdtemp(prefix="fastai-before-", dir=parent))
    shutil.copytree(fastai, root / "fastai", ignore=shutil.ignore_patterns("__pycache__"))
    learner = root / "fastai" / "vision" / "learner.py"
    outcome = transform_source("timm-normalize", learner.read_text(encoding="utf-8"), revert=True)
    if not isinstance(outcome, Transformed):
        raise VerifyFailed(f"cannot make the unrefactored copy of {learner}: {outcome}")
    learner.write_text(outcome.code, encoding="utf-8")
    return root


def resolve_device(device: str) -> str:
    from navigator.walk.devices import NoCudaDevice, choose_device

    try:
        return choose_device(device)
    except NoCudaDevice as err:
        raise VerifyFailed(str(err)) from None


def run_code(code: str, path_first: Path, settings: Settings, inputs: Inputs, device: str,
             out: Path) -> list[dict[str, Any]]:
    """Fine-tune every arch x regime x seed in a subprocess with PATH_FIRST first on sys.path."""
    config = out / f"{code}.config.json"
    result = out / f"{code}.runs.json"
    result.unlink(missing_ok=True)
    config.write_text(json.dumps({"code": code, "settings": settings.to_dict(), "device": device,
                                  "checkpoints": {a: str(p) for a, p in inputs.checkpoints.items()},
                                  "data_path": str(inputs.data_path or ""), "result": str(result)}))
    extra = os.environ.get("PYTHONPATH")
    env = {**os.environ, "HF_HUB_OFFLINE": "1",  # the session's weights were fetched up front
           "PYTHONPATH": os.pathsep.join([str(path_first), str(REPO)] + ([extra] if extra else []))}
    proc = subprocess.run([sys.executable, "-m", "walkthroughs.timm_normalize.experiment", str(config)],
                          env=env, cwd=out)
    if proc.returncode != 0 or not result.is_file():
        raise VerifyFailed(f"fine-tuning under {code}-refactor code failed (exit {proc.returncode})")
    runs = json.loads(result.read_text())
    for run in runs:
        if not Path(run["fastai"]).resolve().is_relative_to(path_first.resolve()):
            raise VerifyFailed(f"{code}-refactor runs imported fastai from {run['fastai']}, not {path_first}")
    return runs


@dataclasses.dataclass
class Inputs:
    """What the fine-tuning runs start from: weights per arch (none = timm's hub cache) and the data."""

    checkpoints: dict[str, Path]
    data_path: Path | None = None  # the untar_data folder; None for the digits
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)  # pretraining/fetching, per item


def pretrain_all(settings: Settings, device: str, out: Path) -> Inputs:
    """Pretrained checkpoints for every arch (cached under OUT/checkpoints), timed per arch."""
    from walkthroughs.timm_normalize.experiment import pretrain

    inputs = Inputs({})
    for arch in settings.archs:
        started = time.monotonic()
        inputs.checkpoints[arch] = pretrain(arch, settings, device, out / "checkpoints")
        inputs.seconds[f"pretrain {arch}"] = round(time.monotonic() - started, 1)
    return inputs


def fetch_inputs(settings: Settings, weights_dir: Path | None) -> Inputs:
    """The session preset's inputs, fetched once before any run: the data set and timm's weights."""
    inputs = Inputs({})
    started = time.monotonic()
    inputs.data_path = fetch_data(settings.data)
    inputs.seconds["fetch data"] = round(time.monotonic() - started, 1)
    for arch in settings.archs:
        started = time.monotonic()
        if weights_dir is not None:
            found = preflight.local_weights(arch, weights_dir)
            if found is None:
                raise VerifyFailed(f"no weights for {arch} in {weights_dir} (want {arch}.pth or {arch}.safetensors)")
            inputs.checkpoints[arch] = found
        else:
            fetch_hub_weights(arch)
        inputs.seconds[f"fetch {arch}"] = round(time.monotonic() - started, 1)
    return inputs


def fetch_data(url: str) -> Path:
    """untar_data(URL) (downloaded once, then cached), checked for train/ and val/ class folders."""
    from fastai.data.external import untar_data

    print(f"data: untar_data({url})", flush=True)
    try:
        path = Path(untar_data(url))
    except Exception as err:  # any failure to download or extract: one clear line, no traceback
        raise VerifyFailed(f"cannot fetch the data set {url}: {type(err).__name__}: {err}") from None
    splits = [path / split for split in ("train", "val")]
    if not all(split.is_dir() and any(child.is_dir() for child in split.iterdir()) for split in splits):
        raise VerifyFailed(f"{path} (from {url}) is not in Imagenette's layout: it needs train/ and val/ "
                           "folders with one folder of images per class")
    return path


def fetch_hub_weights(arch: str) -> None:
    """timm's pretrained weights for ARCH into the hub cache, so the runs can load them offline."""
    import timm

    if hub_file(arch):
        return
    print(f"weights: timm.create_model({arch!r}, pretrained=True) (download into the hub cache)", flush=True)
    try:
        timm.create_model(arch, pretrained=True, num_classes=0)
    except Exception as err:  # network, disk or hub errors: one clear line, no traceback
        raise VerifyFailed(f"cannot fetch timm's pretrained weights for {arch}: {type(err).__name__}: {err}") from None
    if not hub_file(arch):
        raise VerifyFailed(f"timm loaded {arch} but its weights are not in the hub cache")


def environment(device: str, settings: Settings) -> dict[str, Any]:
    """Where the runs train: device, GPU name, CUDA/torch/fastai/timm versions, mixed precision."""
    import fastai
    import timm
    import torch

    cuda = device == "cuda"
    return {"device": device, "gpu": torch.cuda.get_device_name(0) if cuda else None,
            "cuda": torch.version.cuda if cuda else None, "cudnn": torch.backends.cudnn.version() if cuda else None,
            "torch": torch.__version__,
            "fastai": fastai.__version__, "timm": timm.__version__, "amp": bool(settings.amp and cuda)}


def cfg_stats(archs: tuple[str, ...]) -> dict[str, str]:
    """A short label of each arch's default_cfg stats for the table, e.g. 'ImageNet'."""
    from timm.models import get_pretrained_cfg

    labels = {}
    for arch in archs:
        cfg = get_pretrained_cfg(arch)
        mean = tuple(round(v, 3) for v in cfg.mean)
        labels[arch] = "ImageNet" if mean == (0.485, 0.456, 0.406) else "0.5" if mean == (0.5,) * 3 else str(mean)
    return labels


def write_json(path: Path, data: Any) -> None:
    from tags.atomic import write_json_atomic

    write_json_atomic(path, data)


@dataclasses.dataclass(frozen=True)
class Plan:
    """What to run: the chosen preset's settings, why it was chosen, and the flags that shaped it."""

    settings: Settings
    choice: preflight.Choice
    device: str  # cuda | cpu
    smoke: bool = False
    weights_dir: Path | None = None


def experiment(plan: Plan, out: Path) -> dict[str, Any]:
    """Pretrain or fetch, fine-tune under both code versions; returns the metrics."""
    fastai, settings, device = fastai_dir(), plan.settings, plan.device
    print(f"after-refactor fastai: {fastai}\ndevice: {device}\nsettings: {settings}", flush=True)
    started = time.time()
    inputs = pretrain_all(settings, device, out) if settings.weights == "local" else \
        fetch_inputs(settings, plan.weights_dir)
    with tempfile.TemporaryDirectory(prefix="verify-", dir=out) as scratch:
        before = before_copy(fastai, Path(scratch))
        print(f"before-refactor fastai: {before / 'fastai'} (reverse codemod applied)", flush=True)
        runs = run_code("before", before, settings, inputs, device, out)
    runs += run_code("after", fastai.parent, settings, inputs, device, out)
    table = report.cells(runs)
    return {"preset": plan.choice.preset, "smoke": plan.smoke, "preflight": plan.choice.to_dict(),
            "settings": settings.to_dict(), "device": device, "environment": environment(device, settings),
            "fastai_after": str(fastai), "checkpoints": {a: str(p) for a, p in inputs.checkpoints.items()},
            "data_path": str(inputs.data_path) if inputs.data_path else None,
            "seconds": round(time.time() - started, 1), "setup_seconds": inputs.seconds,
            "runs": runs, "summary": [report.summary(c) for c in table],
            "reading": report.reading(table), "problems": report.verdict_problems(runs, settings.to_dict())}


def show(metrics: dict[str, Any], out: Path) -> None:
    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else 110)
    table = report.cells(metrics["runs"])
    console.print(report.rich_table(table, cfg_stats(tuple(metrics["settings"]["archs"])),
                                    task=report.task_name(metrics["settings"])))
    for line in report.run_notes(metrics):
        console.print(line, highlight=False)
    for line in metrics["reading"]:
        console.print(f"- {line}", highlight=False)
    console.print(f"metrics: {out / 'metrics.json'}\nplot:    {out / 'curves.png'}", highlight=False)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", choices=PRESET_NAMES, help="experiment size (default: auto, the biggest "
                        "this machine can run: session on CUDA with network, full on CUDA, else small)")
    parser.add_argument("--quick", action="store_true", help="the quick preset (a few minutes on 2 CPU cores)")
    parser.add_argument("--smoke", action="store_true", help="the preset's code path for a few batches with tiny "
                        "models and images, on any device (a test of the machinery, not an experiment)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--out", type=Path, default=Path("verify-out"), help="output (and checkpoint cache) dir")
    parser.add_argument("--data-url", help="session preset: untar_data URL of an archive with train/ and val/ "
                        "class folders (default: fastai's URLs.IMAGENETTE_160)")
    parser.add_argument("--weights", type=Path, help="session preset: a folder of ARCH.pth or ARCH.safetensors "
                        "files, loaded through timm's pretrained_cfg_overlay instead of the hub")
    parser.add_argument("--seeds", type=int, help="override: number of seeds")
    parser.add_argument("--epochs", type=int, help="override: epochs of every training phase")
    parser.add_argument("--limit", type=int, help="override: images per task, pretraining and fine-tuning (0 = all)")
    parser.add_argument("--archs", help="override: comma-separated timm archs")
    args = parser.parse_args(argv)
    if args.quick and args.preset not in (None, "quick"):
        parser.error(f"--quick is the quick preset: it cannot be combined with --preset {args.preset}")
    return args


def adjust(settings: Settings, args: argparse.Namespace) -> Settings:
    """A preset with --data-url, --smoke and the overrides (tests use tiny ones to check mechanics)."""
    changes: dict[str, Any] = {}
    if args.data_url and settings.data != DIGITS:
        changes["data"] = args.data_url
    settings = smoke(dataclasses.replace(settings, **changes)) if args.smoke else \
        dataclasses.replace(settings, **changes)
    changes = {}
    if args.seeds:
        changes["seeds"] = tuple(range(args.seeds))
    if args.epochs:
        changes.update(pretrain_epochs=args.epochs, head_epochs=args.epochs, full_epochs=args.epochs)
    if args.limit is not None:
        changes.update(limit=args.limit, pretrain_limit=args.limit)
    if args.archs:
        changes["archs"] = tuple(args.archs.split(","))
    return dataclasses.replace(settings, **changes)


def plan_from(args: argparse.Namespace) -> Plan:
    """Check the machine, then pick the preset; prints which one runs and why."""
    device = resolve_device(args.device)
    presets = {name: adjust(settings, args) for name, settings in PRESETS.items()}
    requested = "quick" if args.quick else args.preset or "auto"
    choice = preflight.choose(requested, presets, cuda=device == "cuda", cpu_ok=args.smoke or args.device == "cpu",
                              weights_dir=args.weights)
    if choice.preset in NEEDS_CUDA and device == "cpu" and not args.smoke:
        choice = dataclasses.replace(choice, notes=(*choice.notes, f"the {choice.preset} preset on the CPU, as "
                                                    "--device cpu asks: expect hours"))
    print(choice.describe() + ("\n  smoke run: tiny models and a few batches" if args.smoke else ""), flush=True)
    return Plan(presets[choice.preset], choice, device, args.smoke, args.weights)


def main(argv: list[str] | None = None) -> int:
    import warnings

    warnings.filterwarnings("ignore")
    args = parse(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    try:
        check_refactored(fastai_dir())
        metrics = experiment(plan_from(args), out)
    except VerifyFailed as err:
        print(f"VERDICT: FAIL: {err}", flush=True)
        return 1
    write_json(out / "metrics.json", metrics)
    report.plot(metrics["runs"], out / "curves.png", metrics["settings"]["freeze_epochs"])
    show(metrics, out)
    if metrics["problems"]:
        print("VERDICT: FAIL: " + "; ".join(metrics["problems"]))
        return 1
    print("VERDICT: PASS: under the refactored fastai every timm learner normalizes with its model's own "
          "default_cfg stats; under the reverted copy none does; pretrained weights loaded"
          + (" via the cfg overlay" if metrics["checkpoints"] else " from timm's hub cache"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
