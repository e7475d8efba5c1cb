"""Before a long run: what is available (CUDA, the data set, the pretrained weights), and so which
preset runs and why. Every check answers with a reason; none raises, so a missing piece means a
clear message and a smaller preset, never a traceback.
"""
from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from walkthroughs.timm_normalize.experiment import DIGITS, NEEDS_CUDA, Settings, hub_file

PROBE_TIMEOUT = 5.0  # seconds per network probe: an offline machine answers "unreachable" quickly
FALLBACK = {"session": "full", "full": "small"}  # what runs instead, on CUDA / the CPU
HUB = "https://huggingface.co"


@dataclass(frozen=True)
class Check:
    """One thing a preset needs, and whether it is there."""

    what: str  # e.g. "data https://.../imagenette2-160.tgz"
    ok: bool
    why: str  # "cached at ...", "reachable", "unreachable: <reason>"


@dataclass(frozen=True)
class Choice:
    """The preset that runs, the one asked for, and the checks behind the decision."""

    preset: str
    requested: str
    checks: tuple[Check, ...] = ()
    notes: tuple[str, ...] = field(default=())  # why another preset runs, one sentence each

    @property
    def fell_back(self) -> bool:
        return self.preset != self.requested and self.requested != "auto"

    def describe(self) -> str:
        lines = [f"preset: {self.preset}" + (f" (asked for: {self.requested})" if self.requested != self.preset else "")]
        lines += [f"  {'ok  ' if c.ok else 'MISSING'} {c.what}: {c.why}" for c in self.checks]
        lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"preset": self.preset, "requested": self.requested, "notes": list(self.notes),
                "checks": [{"what": c.what, "ok": c.ok, "why": c.why} for c in self.checks]}


def probe(url: str) -> tuple[bool, str]:
    """Whether URL answers (a HEAD request; a file:// URL: the file exists)."""
    parts = urllib.parse.urlparse(url)
    if parts.scheme == "file":
        path = Path(urllib.request.url2pathname(parts.path))
        return path.is_file(), f"{'exists' if path.is_file() else 'no such file'}: {path}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=PROBE_TIMEOUT):
            return True, "reachable"
    except urllib.error.HTTPError as err:  # the host answered: reachable, but is the file there?
        return err.code in (403, 405), f"HTTP {err.code}"
    except (urllib.error.URLError, OSError, ValueError) as err:
        return False, f"unreachable ({getattr(err, 'reason', err)})"


def data_check(url: str) -> Check:
    """The data set: already extracted by untar_data, its archive downloaded, or its URL reachable."""
    from fastai.data.external import fastai_cfg
    from fastcore.net import urldest
    from fastdownload import FastDownload

    cache = FastDownload(fastai_cfg(), base="~/.fastai")
    archive = urldest(url, cache.arch_path())
    extracted = cache.data_path("data", archive)
    if extracted.exists():
        return Check(f"data {url}", True, f"cached at {extracted}")
    if archive.exists():
        return Check(f"data {url}", True, f"archive cached at {archive}")
    ok, why = probe(url)
    return Check(f"data {url}", ok, why)


def weights_check(arch: str, weights_dir: Path | None) -> Check:
    """The pretrained weights: a local file (--weights), timm's hub cache, or the hub reachable."""
    if weights_dir is not None:
        found = local_weights(arch, weights_dir)
        return Check(f"weights {arch}", found is not None,
                     f"local file {found}" if found else f"no {arch}.pth/.safetensors in {weights_dir}")
    cached = hub_file(arch)
    if cached:
        return Check(f"weights {arch}", True, f"in the hub cache at {cached}")
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0"):
        return Check(f"weights {arch}", False, "not in the hub cache, and HF_HUB_OFFLINE is set")
    from timm.models import get_pretrained_cfg

    cfg = get_pretrained_cfg(arch)
    if cfg is None or not cfg.hf_hub_id:
        return Check(f"weights {arch}", False, "timm has no hub weights for it")
    ok, why = probe(f"{HUB}/{cfg.hf_hub_id}/resolve/main/model.safetensors")
    return Check(f"weights {arch}", ok, f"{HUB}/{cfg.hf_hub_id} {why}")


def local_weights(arch: str, folder: Path) -> Path | None:
    """FOLDER/ARCH.pth or FOLDER/ARCH.safetensors, the file --weights gives for ARCH."""
    return next((p for p in (folder / f"{arch}.safetensors", folder / f"{arch}.pth") if p.is_file()), None)


def needs(settings: Settings, weights_dir: Path | None) -> list[Check]:
    """The checks of everything SETTINGS fetch from outside (nothing for the offline presets)."""
    checks = [data_check(settings.data)] if settings.data != DIGITS else []
    if settings.weights == "hub":
        checks += [weights_check(arch, weights_dir) for arch in settings.archs]
    return checks


def choose(requested: str, presets: dict[str, Settings], cuda: bool, cpu_ok: bool,
           weights_dir: Path | None = None) -> Choice:
    """The preset to run for REQUESTED ("auto" = the biggest one this machine can run).

    CPU_OK: the user chose the CPU (--device cpu) or a smoke run, so a CUDA-sized preset may run there.
    """
    preset = "session" if requested == "auto" else requested
    notes: list[str] = []
    checks: tuple[Check, ...] = ()
    while True:
        if preset in NEEDS_CUDA and not (cuda or cpu_ok):
            notes.append(f"no CUDA device: the {preset} preset would take hours on a CPU, so the small "
                         "preset runs instead (--device cpu runs it on the CPU anyway)")
            return Choice("small", requested, checks, tuple(notes))
        found = tuple(needs(presets[preset], weights_dir))
        checks += found
        missing = [c for c in found if not c.ok]
        if not missing:
            return Choice(preset, requested, checks, tuple(notes))
        notes.append(f"the {preset} preset needs " + "; ".join(f"{c.what} ({c.why})" for c in missing)
                     + f", so the {FALLBACK[preset]} preset runs instead")
        preset = FALLBACK[preset]
