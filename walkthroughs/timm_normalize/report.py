"""The reporting half of the verification experiment: verdict, table, plot and reading.

Pure functions of the runs' JSON (see `experiment.Run`), so tests can drive them on their own.
"""
from __future__ import annotations

import dataclasses
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLAIM = ("live-coding claim: normalization mattered early on and for frozen bodies, and hardly "
         "after full fine-tuning")


FADED = 0.25  # "hardly matters after fine-tuning": the final gap is within the noise or <= 25% of the early one


@dataclass(frozen=True)
class Cell:
    """Error rates of one condition (code x arch x regime) over the seeds."""

    code: str
    arch: str
    regime: str
    final: tuple[float, ...]  # error rate after the last epoch, one per seed
    first: tuple[float, ...]  # error rate after the first epoch, one per seed
    seconds: tuple[float, ...] = ()  # wall time of each seed's run (building the learner and training)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.final)

    @property
    def spread(self) -> float:
        """Standard deviation over seeds (0 with one seed)."""
        return statistics.stdev(self.final) if len(self.final) > 1 else 0.0


def cells(runs: list[dict[str, Any]]) -> list[Cell]:
    """Group runs by condition, in the order they ran."""
    keys = list(dict.fromkeys((r["code"], r["arch"], r["regime"]) for r in runs))
    out = []
    for code, arch, regime in keys:
        group = [r for r in runs if (r["code"], r["arch"], r["regime"]) == (code, arch, regime)]
        out.append(Cell(code, arch, regime, tuple(r["errors"][-1] for r in group),
                        tuple(r["errors"][0] for r in group), tuple(r.get("seconds", 0.0) for r in group)))
    return out


def summary(cell: Cell) -> dict[str, Any]:
    """One condition for the metrics JSON: the seeds' numbers, their mean/spread and wall time."""
    return dataclasses.asdict(cell) | {"mean": cell.mean, "spread": cell.spread, "wall_seconds": sum(cell.seconds)}


def task_name(settings: dict[str, Any]) -> str:
    """What the error rate is measured on, for the table's title."""
    if settings.get("data", "digits") == "digits":
        return "digits 5-9"
    return Path(settings["data"]).name.removesuffix(".tgz").removesuffix(".tar.gz") + " validation images"


def run_notes(metrics: dict[str, Any]) -> list[str]:
    """The lines under the table: which preset ran and why, on what device, and the wall times."""
    choice, env = metrics["preflight"], metrics["environment"]
    asked = f" (asked for: {choice['requested']})" if choice["requested"] != metrics["preset"] else ""
    lines = [f"preset: {metrics['preset']}{asked}" + (", smoke run (tiny models, a few batches)" if metrics["smoke"]
                                                       else "")]
    lines += [f"  {note}" for note in choice["notes"]]
    where = f"{env['gpu']}, CUDA {env['cuda']}, cuDNN {env.get('cudnn')}" if env["device"] == "cuda" else "CPU"
    lines.append(f"device: {env['device']} ({where}), torch {env['torch']}, fastai {env['fastai']}, timm {env['timm']}, "
                 f"AMP (to_fp16) {'on' if env['amp'] else 'off'}")
    setup = ", ".join(f"{what} {seconds:.0f} s" for what, seconds in metrics["setup_seconds"].items())
    lines.append(f"wall time: {metrics['seconds']:.0f} s in all" + (f"; {setup}" if setup else "")
                 + "; each condition's in the table (all its seeds)")
    return lines


def verdict_problems(runs: list[dict[str, Any]], settings: dict[str, Any]) -> list[str]:
    """Why the refactor is not verified (empty when it is): mechanics only, never who wins."""
    problems = []
    for run in runs:
        where = f"{run['code']}-refactor {run['arch']} ({run['regime']}, seed {run['seed']})"
        if run["code"] == "after" and [run["cfg"]] != _rounded(run["normalize"]):
            problems.append(f"{where}: the timm learner got Normalize {run['normalize'] or 'none'}, not its cfg "
                            f"stats {run['cfg']}: the workspace fastai is not refactored")
        if run["code"] == "before" and run["normalize"]:
            problems.append(f"{where}: Normalize {run['normalize']} under before-refactor code: the reverse "
                            "codemod did not take")
        if not run["loaded_checkpoint"]:
            problems.append(f"{where}: the body's weights are not the pretrained checkpoint's")
    expected = {(c, a, r, s) for c in ("before", "after") for a in settings["archs"]
                for r in ("head", "fine_tune") for s in settings["seeds"]}
    missing = expected - {(r["code"], r["arch"], r["regime"], r["seed"]) for r in runs}
    if missing:
        problems.append(f"{len(missing)} run(s) missing, e.g. {sorted(missing)[0]}")
    return problems


def _rounded(normalize: list) -> list:
    return [[[round(v, 5) for v in stats] for stats in pair] for pair in normalize]


# --- the reading -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Gap:
    """before - after error rate (points), and whether it stands out from the seed noise."""

    before: float
    after: float
    noise: float  # 2 standard errors of the difference

    @property
    def points(self) -> float:
        return 100 * (self.before - self.after)

    @property
    def clear(self) -> bool:
        return abs(self.points) > max(100 * self.noise, 0.5) + 1e-6

    def describe(self) -> str:
        sign = "lower" if self.points > 0 else "higher"
        size = f"{abs(self.points):.1f} points {sign} with Normalize (noise +-{100 * self.noise:.1f})"
        return size + (": a clear difference" if self.clear else ": within the noise")


def gap(before: tuple[float, ...], after: tuple[float, ...]) -> Gap:
    def se2(values: tuple[float, ...]) -> float:
        return statistics.variance(values) / len(values) if len(values) > 1 else 0.0
    return Gap(statistics.fmean(before), statistics.fmean(after), 2 * math.sqrt(se2(before) + se2(after)))


def reading(table: list[Cell]) -> list[str]:
    """Sentences on what the numbers show, next to the claim; computed, never canned."""
    lines, agree, archs = [], 0, list(dict.fromkeys(c.arch for c in table))
    for arch in archs:
        get = {(c.code, c.regime): c for c in table if c.arch == arch}
        frozen = gap(get["before", "head"].final, get["after", "head"].final)
        early = gap(get["before", "fine_tune"].first, get["after", "fine_tune"].first)
        final = gap(get["before", "fine_tune"].final, get["after", "fine_tune"].final)
        biggest = max(abs(frozen.points), abs(early.points))
        mattered = (frozen.clear and frozen.points > 0) or (early.clear and early.points > 0)
        faded = not final.clear or abs(final.points) <= FADED * biggest
        share = f"{abs(final.points) / biggest:.0%} of the early/frozen gap" if biggest else "no early gap"
        lines.append(f"{arch}: head only (body frozen): {frozen.describe()}; first epoch: {early.describe()}; "
                     f"after full fine_tune: {final.describe()} ({share}): normalization "
                     f"{'mattered' if mattered else 'did not clearly matter'} early/frozen and "
                     f"{'hardly' if faded else 'still'} mattered after fine-tuning.")
        agree += mattered and faded
    verdict = ("the numbers agree with the claim" if agree == len(archs) else
               "the numbers partly agree with the claim" if agree else "the numbers do not show the claim")
    lines.append(f"Next to the {CLAIM}: {verdict} ({agree} of {len(archs)} architectures show a clear "
                 "early/frozen benefit that all but vanishes after full fine-tuning).")
    return lines


# --- table and plot ---------------------------------------------------------------------------

def rich_table(table: list[Cell], stats: dict[str, str], task: str = "digits 5-9"):
    """A rich Table: error rate mean +- spread and wall time per condition."""
    from rich.table import Table

    out = Table(title=f"Error rate on {task} (mean +- std over seeds)", title_justify="left")
    for column in ("arch", "stats", "regime", "code", "epoch 1", "final", "seeds", "seconds"):
        out.add_column(column, justify="left" if column in ("arch", "stats", "regime", "code") else "right",
                       no_wrap=True)
    order = {"head": 0, "fine_tune": 1, "before": 0, "after": 1}
    for cell in sorted(table, key=lambda c: (c.arch, order[c.regime], order[c.code])):
        out.add_row(cell.arch, stats.get(cell.arch, "?"), "head (frozen)" if cell.regime == "head" else "fine_tune",
                    "after" if cell.code == "after" else "before", f"{100 * statistics.fmean(cell.first):.1f}%",
                    f"{100 * cell.mean:.1f}% +- {100 * cell.spread:.1f}", str(len(cell.final)),
                    f"{sum(cell.seconds):.0f}")
    return out


def _regime(regime: str) -> str:
    return "head only, body frozen" if regime == "head" else "full fine_tune"


def plot(runs: list[dict[str, Any]], path: Path, freeze_epochs: int = 1) -> Path:
    """Error-rate curves (mean over seeds, band = min..max) per arch x regime, as a PNG.

    A dashed line marks where `fine_tune` unfreezes the body (after FREEZE_EPOCHS).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    archs = list(dict.fromkeys(r["arch"] for r in runs))
    regimes = list(dict.fromkeys(r["regime"] for r in runs))
    fig, axes = plt.subplots(len(archs), len(regimes), figsize=(5 * len(regimes), 3.4 * len(archs)),
                             squeeze=False)
    for row, arch in enumerate(archs):
        for col, regime in enumerate(regimes):
            ax = axes[row][col]
            for code, colour in (("before", "tab:red"), ("after", "tab:blue")):
                curves = [r["errors"] for r in runs if (r["arch"], r["regime"], r["code"]) == (arch, regime, code)]
                if not curves:
                    continue
                epochs = range(1, len(curves[0]) + 1)
                columns = list(zip(*curves))
                ax.plot(epochs, [100 * statistics.fmean(c) for c in columns], color=colour, marker="o",
                        label=f"{code} refactor" + (" (Normalize)" if code == "after" else " (none)"))
                ax.fill_between(epochs, [100 * min(c) for c in columns], [100 * max(c) for c in columns],
                                color=colour, alpha=0.15)
            if regime == "fine_tune":
                ax.axvline(freeze_epochs + 0.5, color="grey", linestyle="--", linewidth=1, label="body unfrozen")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(f"{arch}: {_regime(regime)}", fontsize=10)
            ax.set_xlabel("epoch")
            ax.set_ylabel("error rate %")
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
