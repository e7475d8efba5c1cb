"""The points-to solve alone, CPU seconds, side by side with a baseline checkout; its edges compared.

    python tests/benchmarks/bench_solve.py [--rounds 3] --baseline DIR [--profile OUT]

`analyse` of the installed fastai, timm, fastcore and fasttransform (the four roots of issue 11)
in a fresh process per round under PYTHONHASHSEED=0, as the graph is stored. CPU seconds, not wall
seconds: a busy 2-core machine stretches wall time by 1.5x and more, CPU time much less. Each
checkout's edges are sorted and hashed; a speed-up must leave the hash as the baseline's (the
script says `edges identical` or `EDGES DIFFER`, with both counts). `bench_graph.py` measures the
whole graph build (parsing, solving and storing) in wall seconds. No timed assertions.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOTS = ("fastai", "timm", "fastcore", "fasttransform")
CHILD = """
import hashlib, importlib.util, sys, time
sys.setrecursionlimit(10000)
from tags.pointsto.solver import analyse, directory_sources
sources = {}
for name in ROOTS:
    sources.update(directory_sources(next(iter(importlib.util.find_spec(name).submodule_search_locations)), name))
started, wall = time.process_time(), time.perf_counter()
if PROFILE:
    import cProfile
    profile = cProfile.Profile()
    graph = profile.runcall(analyse, sources)
    profile.dump_stats(PROFILE)
else:
    graph = analyse(sources)
cpu, wall = time.process_time() - started, time.perf_counter() - wall
rows = sorted((e.caller, e.callee, e.line, e.col, e.how, e.kind, e.body) for e in graph.edges)
print(cpu, wall, len(rows), hashlib.sha1(repr(rows).encode()).hexdigest())
"""


@dataclass
class Solves:
    """One checkout's rounds: CPU and wall seconds, and the edges' count and hash."""

    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    edges: set[tuple[int, str]] = field(default_factory=set)


def solve_once(code: Path, into: Solves, profile: str = "") -> None:
    env = {**os.environ, "PYTHONPATH": str(code), "PYTHONHASHSEED": "0"}
    program = f"ROOTS = {ROOTS!r}\nPROFILE = {profile!r}\n{CHILD}"
    done = subprocess.run([sys.executable, "-c", program], cwd=code, env=env, capture_output=True, text=True, check=True)
    cpu, wall, count, digest = done.stdout.split()
    into.cpu.append(float(cpu))
    into.wall.append(float(wall))
    into.edges.add((int(count), digest))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, required=True, help="a checkout to compare with (e.g. of main)")
    parser.add_argument("--profile", default="", help="also write a cProfile of this checkout's last round here")
    args = parser.parse_args()
    ours, theirs = Solves(), Solves()
    for round_number in range(args.rounds):  # interleaved: load hits both alike
        last = round_number == args.rounds - 1
        solve_once(REPO, ours, os.path.abspath(args.profile) if args.profile and last else "")
        solve_once(args.baseline.resolve(), theirs)
    cpu, base_cpu = statistics.median(ours.cpu), statistics.median(theirs.cpu)
    print(f"{' + '.join(ROOTS)}: {args.rounds} rounds, median CPU seconds of the solve")
    print(f"  this checkout {cpu:.2f} s (wall {statistics.median(ours.wall):.2f} s)")
    print(f"  baseline      {base_cpu:.2f} s (wall {statistics.median(theirs.wall):.2f} s)")
    print(f"  ratio         {cpu / base_cpu:.2f}x")
    counts = f"{sorted(c for c, _ in ours.edges)} vs {sorted(c for c, _ in theirs.edges)} edges"
    print(f"  edges identical ({counts})" if ours.edges == theirs.edges and len(ours.edges) == 1
          else f"  EDGES DIFFER ({counts})")


if __name__ == "__main__":
    main()
