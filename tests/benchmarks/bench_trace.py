"""Path-query speed: `nav trace vision_learner --to add_tfms` as a whole process, warm index.

    python tests/benchmarks/bench_trace.py [--rounds 10]

Also times the first trace after a cold `nav index` (the call graph is built then, once) and
an edit of one file followed by a trace (only what the edit can affect is resolved again).
Medians of interleaved rounds against `python -c pass`, as in bench_index.py.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench_index import REPO, Result, nav_command, package_dir, report, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    import compileall

    for package in ("navigator", "tags"):
        compileall.compile_dir(REPO / package, quiet=1)
    nav = nav_command()
    trace = [*nav, "trace", "vision_learner", "--to", "add_tfms"]
    results = {name: Result(name) for name in ("python -c pass", "nav trace --to (warm)",
                                               "first trace after nav index", "trace after 1 file edited")}
    scratch = Path(tempfile.mkdtemp(prefix="nav-bench-trace-"))
    try:
        sources = [Path(shutil.copytree(package_dir(n), scratch / "src" / n, ignore=shutil.ignore_patterns("__pycache__")))
                   for n in ("fastai", "timm")]
        for round_number in range(max(1, args.rounds // 5)):
            env = {**os.environ, "NAV_CACHE_DIR": str(scratch / f"cache{round_number}")}
            timed([*nav, "index", *map(str, sources)], env)
            results["first trace after nav index"].seconds.append(timed(trace, env)[0])
            victim = sources[0] / "vision" / "learner.py"
            with open(victim, "a") as handle:
                handle.write("\n# edited\n")
            results["trace after 1 file edited"].seconds.append(timed(trace, env)[0])
        for _ in range(args.rounds):
            results["python -c pass"].seconds.append(timed([sys.executable, "-c", "pass"], env)[0])
            results["nav trace --to (warm)"].seconds.append(timed(trace, env)[0])
            time.sleep(0.05)
        print(f"\nfastai + timm: {args.rounds} rounds (warm), {max(1, args.rounds // 5)} cold")
        report(results, [("nav trace --to (warm)", "seconds", 1.0), ("nav trace --to (warm)", "python -c pass", 2.5)])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
