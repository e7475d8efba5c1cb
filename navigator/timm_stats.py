"""The input mean/std of every pretrained timm model, read from timm's pretrained configs.

This is step 4 of the live-coding session: the stats a timm model was trained with live in
`model.default_cfg`, and they differ between models (ImageNet stats for many, 0.5 for others).
Everything here reads timm's registry of pretrained configs (`timm.list_models(pretrained=True)`
and `get_pretrained_cfg`): no model is created and nothing is downloaded.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from tags.errors import NavError

Stats = tuple[tuple[float, ...], tuple[float, ...]]


@dataclass
class StatsGroup:
    """Every pretrained timm model (arch.tag) normalized with one (mean, std) pair."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    label: str  # the timm constant these stats are, e.g. "IMAGENET_DEFAULT", or ""
    models: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.models)

    @property
    def architectures(self) -> list[str]:
        """Distinct architectures (model names without the `.tag`), in first-seen order."""
        return list(dict.fromkeys(name.split(".")[0] for name in self.models))

    def examples(self, n: int = 4) -> list[str]:
        """A few names, one per architecture, so examples are not four tags of one model."""
        return self.architectures[:n]

    def to_dict(self) -> dict[str, Any]:
        return {"mean": list(self.mean), "std": list(self.std), "label": self.label, "count": self.count,
                "architectures": len(self.architectures), "examples": self.examples(), "models": self.models}


def _known_stats() -> dict[Stats, str]:
    """timm's own names for the common stats (timm.data.constants), e.g. IMAGENET_INCEPTION."""
    from timm.data import constants

    names = {}
    for attr in dir(constants):
        if attr.endswith("_MEAN") and hasattr(constants, attr[:-5] + "_STD"):
            stats = (_rounded(getattr(constants, attr)), _rounded(getattr(constants, attr[:-5] + "_STD")))
            names.setdefault(stats, attr[:-5])
    return names


def _rounded(values: Any) -> tuple[float, ...]:
    """Stats as a hashable tuple; rounding merges configs that differ only by float noise."""
    return tuple(round(float(v), 6) for v in values)


def _pattern(pattern: str | None) -> str:
    """A shell-style filter for timm.list_models: a bare word matches anywhere in the name."""
    if not pattern:
        return ""
    return pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"


def pretrained_models(pattern: str | None = None) -> list[str]:
    """Names (arch.tag) of the pretrained timm models matching PATTERN, sorted."""
    import timm

    return list(timm.list_models(_pattern(pattern), pretrained=True))


def stats_groups(pattern: str | None = None) -> list[StatsGroup]:
    """Pretrained timm models grouped by (mean, std), largest group first."""
    from timm.models import get_pretrained_cfg

    names = pretrained_models(pattern)
    if not names:
        raise NavError(f"no pretrained timm model matches {pattern!r}")
    known, groups = _known_stats(), {}
    for name in names:
        cfg = get_pretrained_cfg(name)
        if cfg is None or cfg.mean is None or cfg.std is None:
            continue
        key = (_rounded(cfg.mean), _rounded(cfg.std))
        if key not in groups:
            groups[key] = StatsGroup(key[0], key[1], known.get(key, ""))
        groups[key].models.append(name)
    return sorted(groups.values(), key=lambda group: (-group.count, group.mean, group.std))


def model_config(name: str) -> dict[str, Any]:
    """The full pretrained config of one model (`arch` for its default tag, or `arch.tag`)."""
    import timm
    from timm.models import get_pretrained_cfg

    try:
        cfg = get_pretrained_cfg(name) if timm.is_model(name) else None
    except RuntimeError:  # a known architecture with an unknown `.tag`
        cfg = None
    if cfg is None:
        close = difflib.get_close_matches(name, timm.list_models(pretrained=True), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else "; try `nav timm-stats PATTERN`"
        raise NavError(f"no pretrained config for timm model {name!r}{hint}")
    config = cfg.to_dict(remove_source=False, remove_null=False)
    return {"name": f"{cfg.architecture}.{cfg.tag}" if cfg.tag else str(cfg.architecture), **config}
