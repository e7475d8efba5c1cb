"""nav's call graph scored against PyCG's micro-benchmark ground truth (119 cases, 18 categories).

    python tests/benchmarks/bench_pycg.py [--repo PATH] [--via-index] [--show-wrong] [--no-by-name]

Each case is exported with `nav graph CASE --format pycg` (module names relative to the case
folder) and compared edge by edge with its `callgraph.json`: precision, recall, cases exactly
right, and a per-category table. Every expected edge counts, builtins included.

`--repo PATH` scores another checkout (run as `python -m navigator` there). `--via-index` is
for checkouts without `nav graph` (main before issue 11): it indexes the case with `nav index`
and reads the stored edges (the by-name resolver's graph) from the index file directly;
`--no-by-name` then drops the by-name edges. Targets (issue 11): precision >= 98%, recall >= 96%,
>= 110/119 exact.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MICRO = Path(os.environ.get("PYCG_MICRO", "/work/shared/benchmarks/pycg-micro"))
Pair = tuple[str, str]


@dataclass
class Score:
    """Edge counts of a set of cases."""

    found: int = 0  # edges nav gave that the ground truth has
    extra: int = 0
    missed: int = 0
    cases: int = 0
    exact: int = 0
    wrong: list[str] = field(default_factory=list)

    def add(self, name: str, expected: set[Pair], got: set[Pair]) -> None:
        self.found += len(expected & got)
        self.extra += len(got - expected)
        self.missed += len(expected - got)
        self.cases += 1
        self.exact += expected == got
        if expected != got:
            self.wrong.append(f"{name}: extra {sorted(got - expected)} missed {sorted(expected - got)}")

    @property
    def precision(self) -> float:
        return self.found / (self.found + self.extra) if self.found + self.extra else 1.0

    @property
    def recall(self) -> float:
        return self.found / (self.found + self.missed) if self.found + self.missed else 1.0


def pairs(graph: dict[str, list[str]]) -> set[Pair]:
    return {(caller, callee) for caller, callees in graph.items() for callee in callees}


def nav_env(cache: str) -> dict[str, str]:
    return {**os.environ, "NAV_CACHE_DIR": cache, "PYTHONPATH": str(REPO_UNDER_TEST)}


def graph_by_export(case: Path, cache: str) -> dict[str, list[str]]:
    """`nav graph CASE --format pycg`."""
    done = subprocess.run([sys.executable, "-m", "navigator", "graph", str(case), "--format", "pycg"],
                          capture_output=True, text=True, env=nav_env(cache), cwd=REPO_UNDER_TEST, timeout=120)
    if done.returncode:
        raise SystemExit(f"nav graph {case} failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def graph_by_index(case: Path, cache: str, by_name: bool) -> dict[str, list[str]]:
    """Index the case and read the edges table (for checkouts that have no `nav graph`)."""
    env = nav_env(cache)
    for command in (["index", str(case)], ["callers", "main"]):  # the graph is built on the first query
        subprocess.run([sys.executable, "-m", "navigator", *command], capture_output=True, env=env,
                       cwd=REPO_UNDER_TEST, timeout=120)
    db = sqlite3.connect(os.path.join(cache, "index.sqlite3"))
    names = {i: f"{m}.{q}" if k != "module" else m for i, m, q, k in db.execute(
        "SELECT d.id, f.module, d.qualname, d.kind FROM defs d JOIN files f ON f.id = d.file_id")}
    kinds = dict(db.execute("SELECT id, kind FROM defs"))
    graph: dict[str, set[str]] = defaultdict(set)
    for caller, callee, how in db.execute("SELECT caller_id, callee_id, how FROM edges"):
        if kinds[callee] != "class" and (by_name or how != "by-name"):
            graph[names[caller]].add(names[callee])
    if db.execute("SELECT 1 FROM sqlite_master WHERE name='ext_edges'").fetchone():  # builtins, outside code
        for caller, callee in db.execute("SELECT caller_id, callee FROM ext_edges"):
            graph[names[caller]].add(callee)
    db.close()
    return {caller: sorted(callees) for caller, callees in graph.items()}


def cases() -> list[Path]:
    return sorted(p.parent for p in MICRO.glob("*/*/callgraph.json"))


def main() -> None:
    global REPO_UNDER_TEST
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="the nav checkout to score (default: this one)")
    parser.add_argument("--via-index", action="store_true", help="read the index's edges table instead of nav graph")
    parser.add_argument("--no-by-name", action="store_true", help="with --via-index: leave out by-name edges")
    parser.add_argument("--show-wrong", action="store_true", help="list each case that is not exactly right")
    args = parser.parse_args()
    REPO_UNDER_TEST = args.repo.resolve()
    if not MICRO.is_dir():
        raise SystemExit(f"no micro-benchmark at {MICRO} (set PYCG_MICRO)")
    total, per_category = Score(), defaultdict(Score)
    all_cases = cases()
    with tempfile.TemporaryDirectory(prefix="nav-bench-pycg-") as scratch:
        for number, case in enumerate(all_cases, 1):
            cache = os.path.join(scratch, f"cache{number}")
            got = graph_by_index(case, cache, not args.no_by_name) if args.via_index else graph_by_export(case, cache)
            expected = pairs(json.loads((case / "callgraph.json").read_text()))
            name = f"{case.parent.name}/{case.name}"
            for score in (total, per_category[case.parent.name]):
                score.add(name, expected, pairs(got))
            print(f"\r{number}/{len(all_cases)} cases", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"nav at {REPO_UNDER_TEST} ({'index edges' if args.via_index else 'nav graph --format pycg'}"
          f"{', no by-name' if args.no_by_name else ''})\n")
    print(f"| {'category':<14} | cases | exact | precision | recall |")
    print(f"|{'-' * 16}|-------|-------|-----------|--------|")
    for category, score in sorted(per_category.items()):
        print(f"| {category:<14} | {score.cases:>5} | {score.exact:>5} | {score.precision:>8.1%} | {score.recall:>6.1%} |")
    print(f"| {'all':<14} | {total.cases:>5} | {total.exact:>5} | {total.precision:>8.1%} | {total.recall:>6.1%} |")
    targets = [("precision", total.precision, 0.98), ("recall", total.recall, 0.96), ("exact", total.exact / 119, 110 / 119)]
    print("\ntargets: " + ", ".join(f"{name} {'met' if value >= goal else 'MISSED'}" for name, value, goal in targets))
    if args.show_wrong:
        print("\n" + "\n".join(total.wrong))


REPO_UNDER_TEST = REPO

if __name__ == "__main__":
    main()
