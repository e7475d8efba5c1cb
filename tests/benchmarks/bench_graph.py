"""Call-graph build speed: cold (right after `nav index`), after one file edited (and that edit undone), and torch's peak memory.

    python tests/benchmarks/bench_graph.py [--rounds 3] [--baseline DIR] [--no-torch]

Runs on a scratch copy of fastai, timm, fastcore and fasttransform (the four roots of issue 11).
Each figure is the median of rounds of `ensure_graph` as the graph-building process measures it
(the edges stored, as `nav trace` and the TUI read them); an edit is followed by `nav index`
(not timed). With `--baseline DIR` (a checkout of main, say) the same rounds run on that code
too and the ratios print side by side. Targets (issue 11): cold <= 3 s, one edited file
<= 0.5 s, torch's graph (`nav graph torch`) within 1 GB. No timed assertions.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_index import REPO, package_dir, timed

ROOTS = ("fastai", "timm", "fastcore", "fasttransform")
EDITED = Path("fastai") / "vision" / "learner.py"
EDITS = {  # name -> how the edited file's text changes
    "graph after 1 file edited (comment appended)": lambda text: text + "\n# edited\n",
    "graph after 1 file edited (function appended)": lambda text: text + "\ndef _bench_probe():\n    return 1\n",
    # the same function added before the file's first one: the kept solution is resumed with every
    # later position moved (tags/pointsto/resume.py, `move_positions`)
    "graph after 1 file edited (code inserted mid-file)": lambda text: text.replace(
        "\ndef ", "\ndef _bench_probe():\n    return 1\n\ndef ", 1),
    # a function named as one elsewhere (fastai.data.transforms.get_files), new to this module, which
    # `__all__` keeps from star imports: still only an addition
    "graph after 1 file edited (a function named as code elsewhere)": lambda text: text + (
        "\ndef get_files(path):\n    return L(path)\n"),
    # a line inside `vision_learner`, a method inside `TimmBody`: resumed, the function (or the module) run again
    "graph after 1 file edited (line added in a function)": lambda text: text.replace(
        "    if pretrained: learn.freeze()\n", "    if pretrained: learn.freeze()\n    _bench_probe = learn.lr_find\n", 1),
    "graph after 1 file edited (method added in a class)": lambda text: text.replace(
        "    def forward(self,x):", "    def _bench_probe(self, x): return self.forward(x)\n    def forward(self,x):", 1),
    # a local whose name the rest of the part uses (`x`), not `vision_learner`: still only an addition
    "graph after 1 file edited (a local named as code elsewhere)": lambda text: text.replace(
        "    if pretrained: learn.freeze()\n", "    if pretrained: learn.freeze()\n    x = learn.lr_find\n", 1),
    # a statement changed in place: what the old one found may no longer hold, so the part is solved again
    "graph after 1 file edited (a statement changed)": lambda text: text.replace(
        "    if pretrained: learn.freeze()\n", "    if pretrained: learn.freeze_to(-1)\n", 1),
}
# the graph once the file is back as it was, after this edit: the kept solution from before it is resumed
UNDONE = {"graph after 1 file edited (a statement changed)": "graph after that edit undone"}
GRAPH = ("import time; from tags.store import Index; from tags.callgraph import ensure_graph; "
         "index = Index.open(); started = time.perf_counter(); ensure_graph(index); "
         "print(time.perf_counter() - started)")
TARGETS = {"graph cold (after nav index)": 3.0, **dict.fromkeys([*EDITS, *UNDONE.values()], 0.5)}


def environment(code: Path, cache: Path) -> dict[str, str]:
    """The checkout's code first, a private cache, and a fixed hash seed (set orders decide what caps keep)."""
    return {**os.environ, "PYTHONPATH": str(code), "NAV_CACHE_DIR": str(cache), "PYTHONHASHSEED": "0"}


def graph_seconds(env: dict[str, str]) -> float:
    done = subprocess.run([sys.executable, "-c", GRAPH], env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def index(sources: list[Path], env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "navigator", "index", *map(str, sources)], env=env,
                   capture_output=True, check=True)


def measure(code: Path, sources: list[Path], scratch: Path, rounds: int) -> dict[str, list[float]]:
    """Seconds per round: cold, then each edit of EDITED (restored after)."""
    results: dict[str, list[float]] = {name: [] for name in ("graph cold (after nav index)", *EDITS, *UNDONE.values())}
    victim = sources[0].parent / EDITED
    original = victim.read_text()
    for round_number in range(rounds):
        cache = scratch / f"cache-{code.name}-{round_number}"
        env = environment(code, cache)
        index(sources, env)
        results["graph cold (after nav index)"].append(graph_seconds(env))
        for name, edit in EDITS.items():
            if edit(original) == original:
                raise SystemExit(f"bench_graph: the edit {name!r} no longer applies to {EDITED}")
            victim.write_text(edit(original))
            index(sources, env)
            results[name].append(graph_seconds(env))
            victim.write_text(original)
            index(sources, env)
            undone = graph_seconds(env)
            if name in UNDONE:
                results[UNDONE[name]].append(undone)
        shutil.rmtree(cache, ignore_errors=True)
    return results


def torch_peak(code: Path, scratch: Path) -> tuple[float, float]:
    """(seconds, peak MB) of `nav graph torch --format json`: by package name, so modules are `torch.*` and
    its imports of itself are followed (a directory path names them relative to it, a smaller graph)."""
    package_dir("torch")  # installed, or exit saying so
    env = environment(code, scratch / "cache-torch")
    command = [sys.executable, "-m", "navigator", "graph", "torch", "--format", "json", "-o", str(scratch / "torch.json")]
    return timed(command, env, cwd=scratch, sample_memory=True)


def report(ours: dict[str, list[float]], baseline: dict[str, list[float]] | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("measurement", "this checkout", "baseline", "ratio", "target", box=None)
    for name, seconds in ours.items():
        here = statistics.median(seconds)
        there = statistics.median(baseline[name]) if baseline and baseline.get(name) else None
        unit = "MB" if name.endswith("(MB)") else "s"
        table.add_row(name, f"{here:.2f} {unit}", f"{there:.2f} {unit}" if there is not None else "",
                      f"{here / there:.2f}x" if there else "",
                      f"<= {TARGETS[name]:g} s" if name in TARGETS else "<= 1000 MB" if unit == "MB" else "")
    Console(width=max(120, Console().width)).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a checkout to compare with (e.g. of main)")
    parser.add_argument("--no-torch", action="store_true", help="skip the (slow) torch measurement")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="nav-bench-graph-"))
    try:
        sources = [Path(shutil.copytree(package_dir(name), scratch / "src" / name,
                                        ignore=shutil.ignore_patterns("__pycache__"))) for name in ROOTS]
        checkouts = [REPO, *([args.baseline.resolve()] if args.baseline else [])]
        figures = []
        for code in checkouts:
            results = measure(code, sources, scratch, args.rounds)
            if not args.no_torch:
                seconds, peak = torch_peak(code, scratch)
                results["nav graph torch (s)"], results["nav graph torch peak (MB)"] = [seconds], [peak]
            figures.append(results)
        print(f"\n{' + '.join(ROOTS)}: {args.rounds} rounds; edited file {EDITED}")
        report(figures[0], figures[1] if len(figures) > 1 else None)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
