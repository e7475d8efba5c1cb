"""`nav doctor`: what nav works with here: fastai, timm, the refactor, a GPU, ctags, graphviz."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from navigator.codemod.registry import has_timm_norm
from navigator.output import print_table, printable
from tags.discovery import installed_package


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = False


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--no-torch", action="store_true", help="skip the GPU check (it starts torch)")


def package_checks() -> list[Check]:
    checks = []
    for name in ("fastai", "timm"):
        root = installed_package(name)
        detail = f"{root.version} at {root.path}" if root else "not installed (pip install fastai timm)"
        checks.append(Check(name, root is not None, detail, required=True))
        if name == "fastai" and root is not None:
            refactored = has_timm_norm(root.path)
            checks.append(Check("timm normalization", refactored,
                                "present: _timm_norm in fastai/vision/learner.py" if refactored else
                                "absent (fastai < 2.7.5): timm models get no Normalize; see nav codemods"))
    return checks


def gpu_check() -> Check:
    """Ask torch about CUDA in a subprocess, so nav itself never imports torch."""
    if installed_package("torch") is None:
        return Check("gpu", False, "torch is not installed")
    code = "import torch; print(torch.__version__, torch.cuda.is_available(), torch.cuda.device_count())"
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return Check("gpu", False, "torch took over 60 s to import; not checked")
    if done.returncode != 0:
        return Check("gpu", False, f"torch failed to import: {done.stderr.strip().splitlines()[-1:]}")
    version, available, count = done.stdout.split()
    if available == "True":
        return Check("gpu", True, f"torch {version}: {count} CUDA device(s)")
    return Check("gpu", False, f"torch {version}: no GPU visible; training runs on the CPU")


def tool_check(name: str, version_command: list[str], purpose: str, hint: str) -> Check:
    path = shutil.which(version_command[0])
    if path is None:
        return Check(name, False, f"not on PATH ({purpose}); {hint}")
    try:
        first = subprocess.run(version_command, capture_output=True, text=True, timeout=10)
        version = (first.stdout or first.stderr).strip().splitlines()[0].split(", Copyright")[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        version = "version unknown"
    return Check(name, True, f"{version} at {path}")


def run(args: argparse.Namespace) -> int:
    from rich.table import Table
    from rich.text import Text

    from tags.store import INDEX_FILE, cache_dir

    checks = package_checks()
    if not args.no_torch:
        checks.append(gpu_check())
    checks.append(tool_check("ctags", ["ctags", "--version"], "compare with `ctags -R`", "apt-get install universal-ctags"))
    checks.append(tool_check("graphviz", ["dot", "-V"], "render call graphs", "apt-get install graphviz"))
    index_path = os.path.join(cache_dir(), INDEX_FILE)
    size = f"{os.path.getsize(index_path) / 1e6:.1f} MB" if os.path.exists(index_path) else "not built yet"
    checks.append(Check("index", True, f"{index_path} ({size})"))
    table = Table(box=None, show_header=False)
    for check in checks:
        mark = "[green]ok[/]" if check.ok else ("[red]missing[/]" if check.required else "[yellow]--[/]")
        table.add_row(check.name, mark, Text(printable(check.detail)))  # a path in it is no markup
    print_table(table)
    return 1 if any(c.required and not c.ok for c in checks) else 0
