"""Verify the timm-normalize refactor by training: before-refactor vs after-refactor fastai.

Run with the refactored fastai first on sys.path (the walkthrough's workspace, or the installed
fastai >= 2.7.5):

    python walkthroughs/timm_normalize/verify.py [--quick] [--device auto|cpu|cuda] --out DIR

1. Checks that this fastai is refactored (`_timm_norm` exists); else fails (exit 1) saying so.
2. "Pretrains" each architecture on digits 0-4 with its own default_cfg mean/std (cached in
   DIR/checkpoints, keyed by arch and settings).
3. Copies this fastai package and applies the reverse codemod to the copy: the old code.
4. Fine-tunes on digits 5-9 under each code version in a subprocess with that copy first on
   sys.path, loading the checkpoint via `vision_learner(..., pretrained=True,
   pretrained_cfg_overlay=dict(file=ckpt))`, in two regimes over several seeds.
5. Checks the mechanics (Normalize with the cfg stats after, none before, weights loaded),
   prints a table and a reading, writes DIR/metrics.json and DIR/curves.png. Exit 0 = verified.
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

from walkthroughs.timm_normalize import report  # noqa: E402
from walkthroughs.timm_normalize.experiment import PRESETS, Settings  # noqa: E402


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
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise VerifyFailed("--device cuda asked for, but torch sees no CUDA device")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def run_code(code: str, path_first: Path, settings: Settings, checkpoints: dict[str, Path], device: str,
             out: Path) -> list[dict[str, Any]]:
    """Fine-tune every arch x regime x seed in a subprocess with PATH_FIRST first on sys.path."""
    config = out / f"{code}.config.json"
    result = out / f"{code}.runs.json"
    result.unlink(missing_ok=True)
    config.write_text(json.dumps({"code": code, "settings": settings.to_dict(), "device": device,
                                  "checkpoints": {a: str(p) for a, p in checkpoints.items()},
                                  "result": str(result)}))
    extra = os.environ.get("PYTHONPATH")
    env = {**os.environ, "HF_HUB_OFFLINE": "1",
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


def pretrain_all(settings: Settings, device: str, out: Path) -> dict[str, Path]:
    """Pretrained checkpoints for every arch (cached under OUT/checkpoints)."""
    import warnings

    from walkthroughs.timm_normalize.experiment import pretrain

    warnings.filterwarnings("ignore")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return {arch: pretrain(arch, settings, device, out / "checkpoints") for arch in settings.archs}


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


def experiment(settings: Settings, device: str, out: Path) -> dict[str, Any]:
    """Steps 1-4; returns the metrics (runs, summary, reading, problems)."""
    fastai = fastai_dir()
    check_refactored(fastai)
    device = resolve_device(device)
    print(f"after-refactor fastai: {fastai}\ndevice: {device}\nsettings: {settings}", flush=True)
    started = time.time()
    checkpoints = pretrain_all(settings, device, out)
    with tempfile.TemporaryDirectory(prefix="verify-", dir=out) as scratch:
        before = before_copy(fastai, Path(scratch))
        print(f"before-refactor fastai: {before / 'fastai'} (reverse codemod applied)", flush=True)
        runs = run_code("before", before, settings, checkpoints, device, out)
    runs += run_code("after", fastai.parent, settings, checkpoints, device, out)
    table = report.cells(runs)
    return {"settings": settings.to_dict(), "device": device, "fastai_after": str(fastai),
            "checkpoints": {a: str(p) for a, p in checkpoints.items()}, "seconds": round(time.time() - started, 1),
            "runs": runs, "summary": [dataclasses.asdict(c) | {"mean": c.mean, "spread": c.spread} for c in table],
            "reading": report.reading(table), "problems": report.verdict_problems(runs, settings.to_dict())}


def show(metrics: dict[str, Any], out: Path) -> None:
    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else 110)
    table = report.cells(metrics["runs"])
    console.print(report.rich_table(table, cfg_stats(tuple(metrics["settings"]["archs"]))))
    for line in metrics["reading"]:
        console.print(f"- {line}", highlight=False)
    console.print(f"metrics: {out / 'metrics.json'}\nplot:    {out / 'curves.png'}", highlight=False)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small settings (a few minutes on 2 CPU cores)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--out", type=Path, default=Path("verify-out"), help="output (and checkpoint cache) dir")
    parser.add_argument("--seeds", type=int, help="override: number of seeds")
    parser.add_argument("--epochs", type=int, help="override: epochs of every training phase")
    parser.add_argument("--limit", type=int, help="override: images per task, pretraining and fine-tuning (0 = all)")
    parser.add_argument("--archs", help="override: comma-separated timm archs")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    """The preset, with any overrides (tests use tiny ones to check mechanics)."""
    settings = PRESETS["quick" if args.quick else "full"]
    changes: dict[str, Any] = {}
    if args.seeds:
        changes["seeds"] = tuple(range(args.seeds))
    if args.epochs:
        changes.update(pretrain_epochs=args.epochs, head_epochs=args.epochs, full_epochs=args.epochs)
    if args.limit is not None:
        changes.update(limit=args.limit, pretrain_limit=args.limit)
    if args.archs:
        changes["archs"] = tuple(args.archs.split(","))
    return dataclasses.replace(settings, **changes)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    try:
        metrics = experiment(settings_from(args), args.device, out)
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
          "default_cfg stats; under the reverted copy none does; pretrained weights loaded via the cfg overlay")
    return 0


if __name__ == "__main__":
    sys.exit(main())
